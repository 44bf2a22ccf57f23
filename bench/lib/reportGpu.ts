/**
 * The GPU part of BENCHMARKS.md: what the GPU kit is and what it may take (always), and one
 * section per hardware adapter with results on file (only then), beside the software-adapter
 * sections and never in their place. Pure functions from parsed results to Markdown, like
 * reportSections.ts.
 */
import { FULL_KIT_PLAN, KIT_LIMITS, QUICK_KIT_PLAN } from '../kit/plan.ts';
import type { AdapterGroup } from './reportFiles.ts';
import {
  accuracyComparisons,
  accuracySection,
  accuracyTargetCell,
  breakdownSection,
  dLabel,
  fmt,
  highOrderSection,
  hours,
  kernelEfficiency,
  kernelSection,
  runHeaderRow,
  scalingCharts,
  scalingLookup,
  scalingSection,
} from './reportSections.ts';
import type { ResultsHeader } from './results.ts';
import { scaleSection, scaleTargetRows } from './reportScale.ts';
import { STDE_A100, STDE_A100_MACHINE } from './stdeReference.ts';
import type { ChartSpec } from './svgChart.ts';

const MiB = 2 ** 20;

const verdict = (met: boolean | null): string =>
  met === null ? 'not measured' : met ? '**met**' : '**not met**';

/** The GPU of a group in words: the kit's nvidia-smi line where there is one, else the adapter. */
export function gpuName(group: AdapterGroup): string {
  const smi = group.kit?.data.environment.JETPINN_KIT_GPU;
  return smi && !smi.startsWith('unknown') ? `${group.summary}; ${smi}` : group.summary;
}

/** STDE's A100 it/s and memory against ours at every d, per series we also ran (STDE setup). */
export function a100Comparison(group: AdapterGroup) {
  const scaling = group.inputs.scaling?.data;
  if (!scaling || !scaling.setups.some((s) => s.id === 'stde')) return [];
  const at = scalingLookup(scaling);
  return STDE_A100.filter((s) => scaling.estimators.some((e) => e.id === s.estimator)).flatMap(
    (s) =>
      s.points
        .filter((p) => p.itPerSecond !== null && scaling.dimensions.includes(p.dimension))
        .map((p) => {
          const r = at('stde', s.estimator, p.dimension);
          const ours = r?.status === 'measured' ? r : null;
          return {
            label: s.label,
            dimension: p.dimension,
            a100ItPerSecond: p.itPerSecond as number,
            a100MB: p.memoryMB,
            itPerSecond: ours ? ours.itPerSecond.median : null,
            /** Decimal MB, as STDE's table; MiB would flatter us. */
            MB: ours ? ours.memoryBytes / 1e6 : null,
            status: r?.status ?? 'not in the run',
          };
        }),
  );
}

function gpuTargetRows(group: AdapterGroup): string[][] {
  const rows: string[][] = [];
  const compared = a100Comparison(group);
  const measured = compared.filter((c) => c.itPerSecond !== null);
  const met = measured.map(
    (c) =>
      (c.itPerSecond as number) >= c.a100ItPerSecond &&
      (c.a100MB === null || (c.MB as number) <= c.a100MB),
  );
  rows.push([
    "≥ STDE's A100 it/s at every d with ≤ its memory (STDE setup; DESIGN.md §5)",
    compared.length > 0
      ? compared
          .map((c) =>
            c.itPerSecond === null
              ? `${c.label} d = ${dLabel(c.dimension)}: ${c.status}`
              : `${c.label} d = ${dLabel(c.dimension)}: ${fmt(c.itPerSecond)} vs ${fmt(c.a100ItPerSecond)} it/s, ` +
                `${fmt(c.MB as number)} vs ${c.a100MB ?? '–'} MB`,
          )
          .join('; ')
      : 'not measured (no STDE-setup scaling file)',
    measured.length === 0
      ? 'not measured'
      : `${verdict(met.every((m) => m) && measured.length === compared.length)}` +
        (measured.length < compared.length
          ? ` (${measured.length} of ${compared.length} points measured)`
          : ''),
  ]);
  const kernels = group.inputs.kernels?.data;
  const efficiency = kernels ? kernelEfficiency(kernels.results) : [];
  const widths = [...new Set(efficiency.map((e) => e.row.width))].sort((a, b) => a - b);
  rows.push([
    'Jet kernels ≥ 70 % of the plain matmul on the same GPU at every width',
    widths.length > 0
      ? widths
          .map((w) => {
            const f = efficiency.filter((e) => e.row.width === w).map((e) => e.fraction * 100);
            return `h = ${w}: ${Math.min(...f).toFixed(0)}–${Math.max(...f).toFixed(0)} %`;
          })
          .join('; ')
      : 'not measured',
    verdict(efficiency.length > 0 ? efficiency.every((e) => e.fraction >= 0.7) : null),
  ]);
  const scaling = group.inputs.scaling?.data;
  const million = scaling
    ? scalingLookup(scaling)('stde', 'sparse-16-collapsed', 1_000_000)
    : undefined;
  rows.push([
    '1M-D: 10 000 steps in under 8 minutes (sparse B = 16, collapsed, STDE setup)',
    million?.status === 'measured'
      ? `not run as a 10 000-step run yet (the scale runs join the kit when they exist); the ` +
        `scaling sweep's ${fmt(million.itPerSecond.median)} it/s predict ${hours(10_000 / million.itPerSecond.median)}`
      : 'not measured',
    million?.status === 'measured'
      ? `predicted ${10_000 / million.itPerSecond.median < 480 ? 'met' : 'not met'}, not measured`
      : 'not measured',
  ]);
  const accuracy = group.inputs.accuracy?.data;
  const comparisons = accuracy
    ? accuracyComparisons(accuracy).flatMap((c) =>
        c.ours !== null && c.stde !== null ? [c.ours <= c.stde] : [],
      )
    : [];
  rows.push([
    "Accuracy: STDE's best relative L2 or better, 10 000 steps",
    accuracy ? accuracyTargetCell(accuracy) : 'not measured',
    comparisons.length === 0
      ? 'not measured'
      : `${verdict(comparisons.every((m) => m))}` +
        (accuracy && comparisons.length < accuracy.runs.length
          ? ` on the ${comparisons.length} of ${accuracy.runs.length} configurations trained`
          : ''),
  ]);
  // The scale targets only where this GPU has a scale run (bench:scale does not run in the kit).
  if (group.inputs.scale) rows.push(...scaleTargetRows(group.inputs.scale.data));
  return rows;
}

/** The main targets table's GPU row: a pointer to the GPU sections, or why there are none. */
export function gpuTargetSummaryRow(gpus: AdapterGroup[]): string[] {
  if (gpus.length === 0) {
    return [
      "On a real GPU: ≥ STDE's A100 it/s at every d",
      'no GPU on this machine; every number here is from a software adapter (the GPU kit, ' +
        '§ 6, is ready; the GPU numbers are still to be taken)',
      'not measured',
    ];
  }
  return [
    "On a real GPU: ≥ STDE's A100 it/s at every d",
    gpus.map((g) => `${g.summary}: see § 7`).join('; '),
    gpus.map((g) => gpuTargetRows(g)[0][2]).join('; '),
  ];
}

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

/** § 6: the kit, its size limit and its time budget (from bench/kit/plan.ts). */
export function kitSection(gpus: AdapterGroup[]): string[] {
  const full = FULL_KIT_PLAN.benchmarks;
  const quick = QUICK_KIT_PLAN.benchmarks;
  const kits = gpus.flatMap((g) => (g.kit ? [{ group: g, kit: g.kit.data }] : []));
  return [
    'Machines with a GPU are lent to this project now and then, with no network, no Node.js and ' +
      'at most 64 MiB of files carried in; one command may run 10 minutes, at most 8 files of ' +
      '16 MiB come back, and the whole loan is about 15 minutes with start-up. `npm run gpu:kit` ' +
      "therefore builds `gpu-kit/` here: this machine's Node runtime and the Dawn addon (gzip), " +
      'the benchmarks and the CLI bundled into one JavaScript file with the WGSL inlined, the ' +
      'Vulkan loader of libvulkan1 and `run.sh`, which checks the target, unpacks into a temporary ' +
      'folder, finds the Vulkan loader and the NVIDIA driver and runs the benchmarks below, each ' +
      'in its own process under its own budget (README: "Measuring on a GPU machine without Node").',
    '',
    `- Size: at most ${KIT_LIMITS.maxKitBytes / MiB} MiB (the build refuses more; it prints the size).`,
    `- Time: at most ${KIT_LIMITS.totalSeconds} s of benchmarks (a process past its budget by ` +
      `${KIT_LIMITS.graceSeconds} s is stopped, its file keeping what it finished; later ones get less), ${KIT_LIMITS.runShSeconds / 60} minutes ` +
      `for \`run.sh\` in all; \`--quick\` (the test, tiny sizes on SwiftShader) under ` +
      `${KIT_LIMITS.quickSeconds / 60} minutes.`,
    `- Output: at most ${KIT_LIMITS.maxResultFiles} JSON files (one per benchmark and a summary) ` +
      'and a summary line per benchmark on stdout.',
    '',
    ...table(
      ['benchmark', 'what', 'budget (s)', 'quick budget (s)'],
      full.map((b) => [
        b.name,
        b.label,
        String(b.budgetSeconds),
        String(quick.find((q) => q.name === b.name)?.budgetSeconds ?? '–'),
      ]),
    ),
    '',
    ...(kits.length > 0
      ? [
          'Kit runs on file:',
          '',
          ...kits.map(({ group, kit }) => {
            const size = kit.kit.build?.totalBytes;
            return (
              `- ${gpuName(group)}: ${kit.date.slice(0, 16).replace('T', ' ')}, ${kit.runSeconds.toFixed(0)} s, ` +
              `kit ${size ? `${(size / MiB).toFixed(1)} MiB` : 'size not recorded'}` +
              (kit.kit.build?.commit ? ` built from ${kit.kit.build.commit.slice(0, 12)}` : '') +
              '; ' +
              kit.benchmarks
                .map((b) => `${b.name} ${b.status} ${b.seconds.toFixed(0)} s`)
                .join(', ')
            );
          }),
          '',
        ]
      : [
          'No GPU kit run is on file yet: the GPU numbers are still to be taken. Later benchmarks ' +
            '(high-order training steps, the d = 1M / 10M scale runs) join the kit as they land.',
          '',
        ]),
  ];
}

/** § 7: one adapter's results, with its machine named. */
export function gpuSection(
  group: AdapterGroup,
  chartDir: string,
): { lines: string[]; charts: { file: string; spec: ChartSpec }[] } {
  const { inputs } = group;
  const suffix = `-${group.slug}`;
  const kernels = inputs.kernels?.data as Partial<ResultsHeader> | undefined;
  const headers: [string, ResultsHeader | undefined][] = [
    // The kit's kernel file has the header `npm run bench:kernels`'s lacks.
    ['kernels', kernels?.machine ? (kernels as ResultsHeader) : undefined],
    ['scaling', inputs.scaling?.data],
    ['step breakdown', inputs.breakdown?.data],
    ['high order', inputs.highOrder?.data],
    ['STDE accuracy', inputs.accuracy?.data],
    ['scale', inputs.scale?.data],
  ];
  const env = group.kit?.data.environment ?? {};
  const lines: string[] = [
    `### ${gpuName(group)}`,
    '',
    ...(group.kit
      ? [
          `Measured with the GPU kit (\`${group.kit.data.command}\`, ${group.kit.data.date.slice(0, 16).replace('T', ' ')} UTC, ` +
            `${group.kit.data.runSeconds.toFixed(0)} s) on ${group.kit.data.machine.cpu}, ${group.kit.data.machine.cores} cores, ` +
            `${group.kit.data.machine.memoryGiB} GiB` +
            (env.JETPINN_KIT_TARGET ? `, ${env.JETPINN_KIT_TARGET}` : '') +
            (env.JETPINN_KIT_VULKAN_LOADER_USED
              ? `; Vulkan loader: ${env.JETPINN_KIT_VULKAN_LOADER_USED}`
              : '') +
            '.',
          '',
        ]
      : []),
    ...table(['target', 'measured', 'status'], gpuTargetRows(group)),
    '',
    ...table(
      ['benchmark', 'date (UTC)', 'adapter', 'CPU', 'load avg start → end', 'run', 'command'],
      headers.flatMap(([name, h]) => (h ? [runHeaderRow(name, h)] : [])),
    ),
    '',
  ];
  const partial = [
    inputs.kernels,
    inputs.scaling,
    inputs.breakdown,
    inputs.highOrder,
    inputs.accuracy,
  ].flatMap((f) =>
    f && (f.data as { kit?: { complete?: boolean } }).kit?.complete === false ? [f.path] : [],
  );
  if (partial.length > 0) {
    lines.push(
      `Partial files (their process was stopped at its time limit; what they hold ran, the ` +
        `statuses inside say what did not): ${partial.map((p) => `\`${p}\``).join(', ')}.`,
      '',
    );
  }
  const charts: { file: string; spec: ChartSpec }[] = [];
  if (inputs.scaling) {
    lines.push(
      '#### Scaling in d',
      '',
      `From \`${inputs.scaling.path}\`.`,
      '',
      ...scalingSection(inputs.scaling.data, chartDir, suffix).map((l) =>
        l.startsWith('### ') ? `##${l}` : l,
      ),
    );
    charts.push(...scalingCharts(inputs.scaling.data, suffix));
  }
  if (inputs.breakdown) {
    lines.push(
      '#### Where the step time goes',
      '',
      `From \`${inputs.breakdown.path}\`.`,
      '',
      ...breakdownSection(inputs.breakdown.data),
    );
  }
  if (inputs.kernels) {
    lines.push('#### Kernel efficiency', '', ...kernelSection(inputs.kernels.data));
  }
  if (inputs.accuracy) {
    lines.push(
      "#### Accuracy against STDE's recorded runs",
      '',
      `From \`${inputs.accuracy.path}\` (\`${inputs.accuracy.data.command}\`).`,
      '',
      ...accuracySection(inputs.accuracy.data),
    );
  }
  if (inputs.highOrder) {
    lines.push(
      '#### High-order operators',
      '',
      `From \`${inputs.highOrder.path}\`.`,
      '',
      ...highOrderSection(inputs.highOrder.data).map((l) => (l.startsWith('### ') ? `##${l}` : l)),
    );
  }
  if (inputs.scale) {
    lines.push(
      '#### Scale: d = 1M and 10M',
      '',
      `From \`${inputs.scale.path}\` (\`${inputs.scale.data.command}\`).`,
      '',
      ...scaleSection(inputs.scale.data),
    );
  }
  lines.push(
    `STDE's A100 numbers (${STDE_A100_MACHINE}) are another machine's; the comparison above is ` +
      'the target the issue sets, not a same-machine ratio.',
    '',
  );
  return { lines, charts };
}
