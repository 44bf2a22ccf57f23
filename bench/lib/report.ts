/**
 * The whole of BENCHMARKS.md from the newest results of each benchmark: the targets and where we
 * stand, the machines, the commands, then one section per benchmark (reportSections.ts).
 */
import type { BreakdownResults } from './breakdownTypes.ts';
import type { GpinnResults } from './gpinnTypes.ts';
import type { HighOrderResults } from './highOrderTypes.ts';
import type { KernelResults } from './kernelTypes.ts';
import type { PeerResults } from './peerResultTypes.ts';
import {
  accuracyComparisons,
  accuracySection,
  accuracyTargetCell,
  breakdownSection,
  collapsedSpeedups,
  dLabel,
  flatnessRatios,
  fmt,
  highOrderSection,
  isStdeSetup,
  kernelEfficiency,
  kernelSection,
  peerMedians,
  peerSection,
  runHeaderRow,
  scalingCharts,
  scalingSection,
} from './reportSections.ts';
import type { AdapterGroup } from './reportFiles.ts';
import { gpinnSection } from './reportGpinn.ts';
import { gpuSection, gpuTargetSummaryRow, kitSection } from './reportGpu.ts';
import { RESULTS_DIR } from './results.ts';
import { scaleSection, scaleTargetRows } from './reportScale.ts';
import type { ScaleResults } from './scaleTypes.ts';
import type { ScalingResults } from './scalingTypes.ts';
import type { StdeAccuracyResults } from './stdeAccuracyTypes.ts';
import type { ChartSpec } from './svgChart.ts';

interface Loaded<T> {
  path: string;
  data: T;
}

export interface ReportInputs {
  kernels: Loaded<KernelResults> | null;
  scaling: Loaded<ScalingResults> | null;
  breakdown: Loaded<BreakdownResults> | null;
  highOrder: Loaded<HighOrderResults> | null;
  gpinn: Loaded<GpinnResults> | null;
  peer: Loaded<PeerResults> | null;
  /** Older peer runs on file: their target-configuration ratios are listed, not tabulated. */
  earlierPeerRuns: Loaded<PeerResults>[];
  /**
   * The newest full-length accuracy run with STDE's init (another only when none is on file).
   */
  accuracy: Loaded<StdeAccuracyResults> | null;
  /** The newest scale run at d = 1M and 10M (a quick check at other d only when none is). */
  scale?: Loaded<ScaleResults> | null;
  /**
   * Scale runs at d = 1M or 10M alone (`--dims 1000000`, `--dims 10000000`) newer than
   * `scale`: listed after it, and their d = 10M rows stand for its in the targets.
   */
  laterScale?: Loaded<ScaleResults>[];
}

const verdict = (met: boolean | null): string =>
  met === null ? 'not measured' : met ? '**met**' : '**not met**';

function targetRows(
  inputs: ReportInputs,
  gpus: AdapterGroup[],
  planRows: readonly string[][],
): string[][] {
  const rows: string[][] = [];
  const scaling = inputs.scaling?.data;
  const speedups = scaling ? collapsedSpeedups(scaling).filter((s) => s.jets === 16) : [];
  rows.push([
    'Collapsed ≥ 1.7× standard, sparse Laplacian B = 16 (training step)',
    speedups.length > 0
      ? speedups.map((s) => `${s.setup} d = ${dLabel(s.dimension)}: ${fmt(s.speedup)}×`).join('; ')
      : 'no d with both measured',
    verdict(speedups.length > 0 ? speedups.every((s) => s.speedup >= 1.7) : null),
  ]);
  const kernelSpeedups = inputs.kernels
    ? inputs.kernels.data.results
        .filter((r) => r.directions === 16 && r.structure === 'collapsed')
        .map((c) => {
          const s = inputs.kernels?.data.results.find(
            (r) => r.structure === 'standard' && r.width === c.width && r.jet === c.jet,
          );
          const total = (r: typeof c) => r.forward.jetMs.median + r.backward.jetMs.median;
          return s ? { width: c.width, speedup: total(s) / total(c) } : null;
        })
        .filter((x) => x !== null)
    : [];
  rows.push([
    'Collapsed ≥ 1.7× standard, R = 16 Laplacian (forward + backward kernels)',
    kernelSpeedups.length > 0
      ? kernelSpeedups.map((k) => `h = ${k.width}: ${fmt(k.speedup)}×`).join('; ')
      : 'not measured',
    verdict(kernelSpeedups.length > 0 ? kernelSpeedups.every((k) => k.speedup >= 1.7) : null),
  ]);
  const target = inputs.peer?.data.configs.find(
    (c) => c.config.dimension === 100 && c.config.width === 128 && c.config.jets === 16,
  );
  const m = target ? peerMedians(target) : null;
  const ratio = (peer: { median: number } | null | undefined) =>
    peer && m?.ours ? peer.median / m.ours.median : null;
  const webgpu = ratio(m?.webgpu);
  const wasm = ratio(m?.wasm);
  rows.push([
    '≥ 20× faster than TF.js WebGPU per step, d = 100, h = 128, B = 16 (same adapter)',
    webgpu === null ? 'not measured (see the peer section)' : `${fmt(webgpu)}×`,
    verdict(webgpu === null ? null : webgpu >= 20),
  ]);
  rows.push([
    '≥ 2× faster than TF.js WASM per step there (no GPU)',
    wasm === null ? 'not measured (see the peer section)' : `${fmt(wasm)}×`,
    verdict(wasm === null ? null : wasm >= 2),
  ]);
  const flat = scaling ? flatnessRatios(scaling) : [];
  rows.push([
    'Per-step time nearly flat in d: t(100K)/t(100), sparse B = 16 collapsed',
    flat.length > 0
      ? flat.map((f) => `${f.setup}: ${fmt(f.ratio)}`).join('; ')
      : 'not measured (see the scaling section)',
    flat.length === 0
      ? 'not measured'
      : `stated (the issue sets no number): ${flat.every((f) => f.ratio <= 2) ? 'nearly flat' : 'not flat'} here`,
  ]);
  const efficiency = inputs.kernels ? kernelEfficiency(inputs.kernels.data.results) : [];
  const within = efficiency.filter((e) => e.fraction >= 0.7).length;
  rows.push([
    'Jet kernels ≥ 70 % of the plain matmul GFLOP/s',
    efficiency.length > 0
      ? `${within}/${efficiency.length} passes; ${(Math.min(...efficiency.map((e) => e.fraction)) * 100).toFixed(0)}–${(Math.max(...efficiency.map((e) => e.fraction)) * 100).toFixed(0)} %`
      : 'not measured',
    verdict(efficiency.length > 0 ? within === efficiency.length : null),
  ]);
  const accuracy = inputs.accuracy?.data;
  const compared =
    accuracy && isStdeSetup(accuracy)
      ? accuracyComparisons(accuracy).flatMap((c) =>
          c.ours !== null && c.stde !== null ? [c.ours <= c.stde] : [],
        )
      : [];
  rows.push([
    "Accuracy: match or beat STDE's best relative L2 at d = 100 / 1000, 10 000 steps (B = 16 / 100)",
    accuracy ? accuracyTargetCell(accuracy) : 'not measured (no accuracy results file)',
    compared.length === 0
      ? 'not measured'
      : `${verdict(compared.every((met) => met))}${
          accuracy && compared.length < accuracy.runs.length
            ? ` on the ${compared.length} of ${accuracy.runs.length} configurations trained`
            : ''
        }`,
  ]);
  rows.push(
    ...scaleTargetRows(
      inputs.scale?.data ?? null,
      (inputs.laterScale ?? []).map((r) => r.data),
    ),
  );
  rows.push(...planRows);
  rows.push(gpuTargetSummaryRow(gpus));
  return rows;
}

function earlierPeerLine(run: Loaded<PeerResults>): string {
  const where = `\`${run.path}\` (${run.data.date.slice(0, 16).replace('T', ' ')}, load ${fmt(run.data.machine.loadAtStart, 2)} → ${fmt(run.data.machine.loadAtEnd ?? NaN, 2)})`;
  const target = run.data.configs.find(
    (c) => c.config.dimension === 100 && c.config.width === 128 && c.config.jets === 16,
  );
  const m = target ? peerMedians(target) : null;
  if (!m?.ours) return `${where}: the target configuration has no jetpinn time`;
  const ms = (s: { median: number } | null) => (s ? `${fmt(s.median)} ms` : '–');
  const ratio = (s: { median: number } | null) =>
    s && m.ours ? `${fmt(s.median / m.ours.median)}×` : '–';
  return (
    `${where}: TF.js WebGPU ${ms(m.webgpu)}, WASM ${ms(m.wasm)}, jetpinn ${ms(m.ours)}; ` +
    `WebGPU / ours ${ratio(m.webgpu)}, WASM / ours ${ratio(m.wasm)}`
  );
}

/**
 * `inputs`: the software-adapter results (the main sections); `gpus`: one group per hardware
 * adapter with results on file, each reported in a section of its own (§ 7), never in place of
 * the software-adapter numbers.
 */
/**
 * `memorySection`: § 1's memory per parameter by mode (reportMemory.ts), computed from the plans
 * rather than read from a results file; left out when empty. `planTargetRows`: rows of the
 * targets table counted from the plans the same way (reportMemory.ts trafficTargetRow).
 */
export function buildReport(
  inputs: ReportInputs,
  gpus: AdapterGroup[] = [],
  memorySection: readonly string[] = [],
  planTargetRows: readonly string[][] = [],
): {
  markdown: string;
  charts: { file: string; spec: ChartSpec }[];
} {
  const runs: string[][] = [];
  if (inputs.scaling) runs.push(runHeaderRow('scaling', inputs.scaling.data));
  if (inputs.breakdown) runs.push(runHeaderRow('step breakdown', inputs.breakdown.data));
  if (inputs.highOrder) runs.push(runHeaderRow('high order', inputs.highOrder.data));
  if (inputs.gpinn) runs.push(runHeaderRow('gPINN', inputs.gpinn.data));
  if (inputs.peer) runs.push(runHeaderRow('peer (Chromium)', inputs.peer.data));
  if (inputs.accuracy) runs.push(runHeaderRow('STDE accuracy', inputs.accuracy.data));
  if (inputs.scale) runs.push(runHeaderRow('scale', inputs.scale.data));
  for (const later of inputs.laterScale ?? [])
    runs.push(runHeaderRow(`scale, d = ${dLabel(later.data.dimensions[0])}`, later.data));
  const software = [inputs.scaling, inputs.highOrder, inputs.peer, inputs.accuracy].some(
    (r) => r?.data.adapter.isSoftware,
  );
  const lines: string[] = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench:report` (bench/report.ts) from bench/results/*.json; edit the generator, not this file. -->',
    '',
    'Training speed, memory and kernel efficiency of jetpinn, and the engine against ' +
      'TensorFlow.js on the same adapter. Everything is reproducible with the commands below; ' +
      'the results files in bench/results/ hold every number with the machine it came from.',
    '',
  ];
  if (software) {
    lines.push(
      '> **Read these numbers as a software-adapter run.** They were measured without a GPU, on ' +
        'SwiftShader (a CPU implementation of Vulkan) on a 2-core machine whose CPU was shared ' +
        'with other jobs during the runs (the load averages below). Absolute times mean little ' +
        'and scatter; ratios measured in the same run (alternating windows of the configurations ' +
        'compared) are what carry over. ' +
        (gpus.length > 0
          ? 'Nothing in §§ 1–5 is a GPU number; the GPU numbers are in § 7.'
          : 'Nothing here is a GPU number.'),
      '',
    );
  }
  lines.push(
    '## Targets and where we stand',
    '',
    '| target | measured | status |',
    '|---|---|---|',
    ...targetRows(inputs, gpus, planTargetRows).map((r) => `| ${r.join(' | ')} |`),
    '',
    '## Machines and runs',
    '',
    '| benchmark | date (UTC) | adapter | CPU | load avg start → end | run | command |',
    '|---|---|---|---|---|---|---|',
    ...runs.map((r) => `| ${r.join(' | ')} |`),
    '',
  );
  if (inputs.kernels) {
    const k = inputs.kernels.data;
    lines.push(
      `Kernel benchmark: ${k.adapter.summary}, ${k.date.slice(0, 16).replace('T', ' ')}, Node ${k.node}, ${k.runSeconds.toFixed(0)} s, \`npm run bench:kernels\`.`,
      '',
    );
  }
  lines.push(
    '## Commands',
    '',
    '```sh',
    'npm run bench              # all of the below, then the report (about 15–20 minutes on SwiftShader)',
    'npm run bench:kernels      # jet kernels vs plain matmul → bench/results/jetKernels-<adapter>.{json,md}',
    'npm run bench:scaling      # it/s and memory vs d → bench/results/scaling-<adapter>.json [--budget-s N]',
    'npm run bench:breakdown    # the stages of a training step at d = 100 / 10K / 100K (--dims), FLOPs and bytes each, [--bandwidth GB/s --fp32 TFLOP/s] a predicted roofline time → stepBreakdown-<adapter>.json',
    'npm run bench:high-order   # biharmonic, diagonal, KdV / KP / g-KdV → highOrder-<adapter>.json [--budget-s N]',
    'npm run bench:gpinn        # gPINN vs the plain loss at equal steps, two-body Allen–Cahn → gpinn-<adapter>.json',
    'npm run bench:peer         # vs TensorFlow.js in Chromium (bench.html) → peer-<adapter>.json [--budget-s N]',
    'npm run bench:report       # this file and bench/results/*.svg from the JSON files',
    "npm run bench:accuracy     # STDE's 10 000-step accuracy runs → stdeAccuracy-<adapter>.{json,md} [--budget-s N]; hours without a GPU, not in `npm run bench`",
    "npm run bench:scale        # d = 1M and 10M, STDE's and SDZE's setups: planned, built and stepped where they fit → scale-<adapter>.json [--dims --steps]; minutes per step without a GPU, not in `npm run bench`",
    'npm run gpu:kit            # gpu-kit/ for a GPU machine without Node: gpu-kit/run.sh there, its JSON files into bench/results/ here (§ 6)',
    '```',
    '',
    "The Node benchmarks use Dawn (the `webgpu` package) with the adapter's own buffer limits; " +
      'on a machine with a GPU they use it, otherwise SwiftShader (README: system requirements). ' +
      'The peer benchmark starts its own Vite server (cross-origin isolated, so the WASM backend ' +
      'may use threads) and the system Chromium with WebGPU (e2e/chromium.ts flags). Each script ' +
      'has a wall-clock budget; configurations that do not fit in it are recorded as not run with ' +
      'the predicted time, never filled in.',
    '',
  );
  const charts: { file: string; spec: ChartSpec }[] = [];
  lines.push('## 1. Scaling in d', '');
  if (inputs.scaling) {
    lines.push(
      `From \`${inputs.scaling.path}\`.`,
      '',
      ...scalingSection(inputs.scaling.data, RESULTS_DIR),
    );
    charts.push(...scalingCharts(inputs.scaling.data));
  } else lines.push('Not run (no scaling results file).', '');
  lines.push('### Where the step time goes as d grows', '');
  if (inputs.breakdown) {
    lines.push(
      `From \`${inputs.breakdown.path}\`.`,
      '',
      ...breakdownSection(inputs.breakdown.data),
    );
  } else lines.push('Not run (no step breakdown results file).', '');
  lines.push(...memorySection);
  lines.push('### Scale: d = 1M and 10M', '');
  if (inputs.scale) {
    lines.push(
      `From \`${inputs.scale.path}\` (\`${inputs.scale.data.command}\`).`,
      '',
      ...scaleSection(inputs.scale.data),
    );
    for (const later of inputs.laterScale ?? []) {
      lines.push(
        `A later run at d = ${dLabel(later.data.dimensions[0])} alone, from \`${later.path}\` ` +
          `(\`${later.data.command}\`, ` +
          `${later.data.date.slice(0, 16).replace('T', ' ')}):`,
        '',
        ...scaleSection(later.data),
      );
    }
  } else lines.push('Not run (no scale results file; `npm run bench:scale`).', '');
  lines.push('## 2. High-order operators', '');
  if (inputs.highOrder) {
    lines.push(
      `From \`${inputs.highOrder.path}\`.`,
      '',
      ...highOrderSection(inputs.highOrder.data),
    );
  } else lines.push('Not run (no high-order results file).', '');
  lines.push('### gPINN against the plain loss', '');
  if (inputs.gpinn) {
    lines.push(`From \`${inputs.gpinn.path}\`.`, '', ...gpinnSection(inputs.gpinn.data));
  } else lines.push('Not run (no gPINN results file).', '');
  lines.push('## 3. Kernel efficiency', '');
  if (inputs.kernels) lines.push(...kernelSection(inputs.kernels.data));
  else lines.push('Not run (no kernel results file).', '');
  lines.push('## 4. Against TensorFlow.js on the same adapter', '');
  if (inputs.peer) {
    lines.push(`From \`${inputs.peer.path}\`.`, '', ...peerSection(inputs.peer.data));
    if (inputs.earlierPeerRuns.length > 0) {
      lines.push(
        'Earlier runs of the same benchmark on file (d = 100, h = 128, B = 16; the spread between ' +
          'runs shows how much the shared CPU moves these numbers):',
        '',
        ...inputs.earlierPeerRuns.map((run) => `- ${earlierPeerLine(run)}`),
        '',
      );
    }
  } else lines.push('Not run (no peer results file).', '');
  lines.push("## 5. Accuracy against STDE's recorded runs", '');
  if (inputs.accuracy) {
    lines.push(
      `From \`${inputs.accuracy.path}\` (\`${inputs.accuracy.data.command}\`).`,
      '',
      ...accuracySection(inputs.accuracy.data),
    );
  } else lines.push('Not run (no accuracy results file).', '');
  lines.push('## 6. Measuring on a GPU: the kit', '', ...kitSection(gpus));
  if (gpus.length > 0) {
    lines.push(
      '## 7. On GPUs',
      '',
      'Results measured on hardware adapters, one section per adapter, from their own results ' +
        'files; the sections above stay the software-adapter runs.',
      '',
    );
    for (const group of gpus) {
      const section = gpuSection(group, RESULTS_DIR);
      lines.push(...section.lines);
      charts.push(...section.charts);
    }
  }
  return { markdown: `${lines.join('\n').trimEnd()}\n`, charts };
}
