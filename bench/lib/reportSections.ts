/**
 * BENCHMARKS.md from the results files: pure functions from parsed JSON to Markdown and chart
 * specs, so bench/report.ts only reads and writes files. Every number printed here comes from a
 * results file; statuses other than measured are printed with their reasons.
 */
import type { BreakdownResults } from './breakdownTypes.ts';
import type { HighOrderResult, HighOrderResults } from './highOrderTypes.ts';
import type { KernelResults, KernelRow } from './kernelTypes.ts';
import type { Outcome } from './outcome.ts';
import type { PeerConfigResult, PeerResults } from './peerResultTypes.ts';
import type { ResultsHeader } from './results.ts';
import type { ScalingResult, ScalingResults } from './scalingTypes.ts';
import { spreadOf } from './stats.ts';
import type { AccuracyPoint, AccuracyRun, StdeAccuracyResults } from './stdeAccuracyTypes.ts';
import { STDE_A100, STDE_A100_MACHINE } from './stdeReference.ts';
import type { ChartSpec } from './svgChart.ts';

const MiB = 2 ** 20;

export const fmt = (v: number, digits = 3): string => {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1000) return v.toFixed(0);
  return Number(v.toPrecision(digits)).toString();
};

export const dLabel = (d: number): string =>
  d >= 1_000_000 ? `${d / 1_000_000}M` : d >= 1000 ? `${d / 1000}K` : String(d);

const shortStatus: Record<Exclude<Outcome['status'], 'measured'>, string> = {
  'not-run': 'not run here',
  'does-not-fit': 'does not fit',
  'not-applicable': 'n/a',
  failed: 'failed',
};

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

/** "median (min–max)" of it/s for a measured outcome, the short status otherwise. */
function rateCell(outcome: Outcome | undefined, note?: (o: Outcome) => string): string {
  if (!outcome) return '–';
  if (outcome.status === 'measured') {
    const r = outcome.itPerSecond;
    return `${fmt(r.median)} (${fmt(r.min, 2)}–${fmt(r.max, 2)})`;
  }
  return `${shortStatus[outcome.status]}${note ? note(outcome) : ''}`;
}

export function runHeaderRow(name: string, h: ResultsHeader): string[] {
  const m = h.machine;
  return [
    name,
    h.date.slice(0, 16).replace('T', ' '),
    h.adapter.summary,
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB`,
    `${fmt(m.loadAtStart, 2)} → ${m.loadAtEnd === null ? '?' : fmt(m.loadAtEnd, 2)}`,
    `${h.runSeconds.toFixed(0)} s`,
    `\`${h.command}\``,
  ];
}

// ---------------------------------------------------------------------------------------------
// Scaling

export function scalingLookup(results: ScalingResults) {
  return (setup: string, estimator: string, d: number): ScalingResult | undefined =>
    results.results.find(
      (r) => r.setup === setup && r.estimator === estimator && r.dimension === d,
    );
}

const median = (o: Outcome | undefined): number | null =>
  o?.status === 'measured' ? o.msPerStep.median : null;

/** Standard step time / collapsed step time where both were measured, by setup, B and d. */
export function collapsedSpeedups(results: ScalingResults) {
  const at = scalingLookup(results);
  const rows: { setup: string; jets: number; dimension: number; speedup: number }[] = [];
  for (const setup of results.setups) {
    for (const jets of [16, 100]) {
      for (const d of results.dimensions) {
        const c = median(at(setup.id, `sparse-${jets}-collapsed`, d));
        const s = median(at(setup.id, `sparse-${jets}-standard`, d));
        if (c !== null && s !== null)
          rows.push({ setup: setup.id, jets, dimension: d, speedup: s / c });
      }
    }
  }
  return rows;
}

/** t(d_hi)/t(d_lo) of sparse B = 16 collapsed per setup, where both were measured. */
export function flatnessRatios(results: ScalingResults, low = 100, high = 100_000) {
  const at = scalingLookup(results);
  return results.setups.flatMap((setup) => {
    const tl = median(at(setup.id, 'sparse-16-collapsed', low));
    const th = median(at(setup.id, 'sparse-16-collapsed', high));
    return tl !== null && th !== null
      ? [{ setup: setup.id, ratio: th / tl, low: tl, high: th }]
      : [];
  });
}

/** `suffix` tells one adapter's charts from another's (the GPU sections: `-<adapter slug>`). */
export function scalingCharts(
  results: ScalingResults,
  suffix = '',
): { file: string; spec: ChartSpec }[] {
  const charts: { file: string; spec: ChartSpec }[] = [];
  for (const setup of results.setups) {
    const measured = (estimator: string, value: (o: ScalingResult) => number | null) =>
      results.results
        .filter((r) => r.setup === setup.id && r.estimator === estimator)
        .flatMap((r) => {
          const y = value(r);
          return y === null ? [] : [{ x: r.dimension, y }];
        });
    const withReference = setup.id === 'stde';
    const reference = (value: 'itPerSecond' | 'memoryMB') =>
      withReference
        ? STDE_A100.map((s) => ({
            label: `A100 (another machine): ${s.label}`,
            reference: true,
            points: s.points.flatMap((p) =>
              p[value] === null ? [] : [{ x: p.dimension, y: p[value] as number }],
            ),
          }))
        : [];
    charts.push({
      file: `scaling-itps-${setup.id}${suffix}.svg`,
      spec: {
        title: 'Training it/s vs d, two-body Allen–Cahn',
        subtitle: `${setup.label}; ${results.adapter.summary}`,
        xLabel: 'dimension d',
        yLabel: 'training steps per second',
        series: [
          ...results.estimators.map((e) => ({
            label: e.label,
            points: measured(e.id, (r) => (r.status === 'measured' ? r.itPerSecond.median : null)),
          })),
          ...reference('itPerSecond'),
        ],
        width: 960,
      },
    });
    charts.push({
      file: `scaling-memory-${setup.id}${suffix}.svg`,
      spec: {
        title: 'GPU memory vs d (all buffers the run allocates)',
        subtitle: `${setup.label}; ${results.adapter.summary}`,
        xLabel: 'dimension d',
        yLabel: 'MiB (A100 references: MB)',
        series: [
          ...results.estimators.map((e) => ({
            label: e.label,
            points: measured(e.id, (r) =>
              r.memoryBytes !== undefined ? r.memoryBytes / MiB : null,
            ),
          })),
          ...reference('memoryMB'),
        ],
        width: 960,
      },
    });
  }
  return charts;
}

function reasonsList(results: { label: string; outcome: Outcome }[]): string[] {
  const lines = results
    .filter((r) => r.outcome.status !== 'measured' && r.outcome.status !== 'not-applicable')
    .map((r) => {
      const o = r.outcome as Exclude<Outcome, { status: 'measured' }>;
      return `- ${r.label}: ${shortStatus[o.status]} — ${o.reason}`;
    });
  return lines.length > 0 ? ['Why some points have no number:', '', ...lines, ''] : [];
}

export function scalingSection(
  results: ScalingResults,
  chartDir: string,
  chartSuffix = '',
): string[] {
  const at = scalingLookup(results);
  const lines: string[] = [
    `Two-body Allen–Cahn (${results.pde}), one Trainer step = points and jets drawn on the GPU, ` +
      'forward jets, residual and loss, backward, divergence check, Adam (src/train/trainer.ts). ' +
      `Each number is the median of up to ${results.timing.windows} timed windows (at least ` +
      `${results.timing.minWindows}) after one warm-up step, in it/s with the min–max range; ` +
      'windows hold as many steps as fit in about ' +
      `${results.timing.windowMs} ms. Memory is the bytes of every GPU buffer the run holds ` +
      '(Trainer.memoryBytes), including a test set as small as the batch. The sweep had a ' +
      `${results.budgetSeconds} s budget; a point whose steps would not fit in it (predicted ` +
      'from the smaller d of the same estimator, or from one warm-up step) is "not run here".',
    '',
  ];
  for (const setup of results.setups) {
    lines.push(`### ${setup.label}`, '');
    lines.push(
      ...table(
        ['estimator', ...results.dimensions.map((d) => `d = ${dLabel(d)}`)],
        results.estimators.map((e) => [
          e.label,
          ...results.dimensions.map((d) => rateCell(at(setup.id, e.id, d))),
        ]),
      ),
      '',
      "GPU memory, MiB (measured where the run was built; the dashboard's estimate in brackets):",
      '',
      ...table(
        ['estimator', ...results.dimensions.map((d) => `d = ${dLabel(d)}`)],
        results.estimators.map((e) => [
          e.label,
          ...results.dimensions.map((d) => {
            const r = at(setup.id, e.id, d);
            if (!r || r.status === 'not-applicable') return '–';
            const measured = r.memoryBytes !== undefined ? fmt(r.memoryBytes / MiB) : '';
            const estimated = r.estimatedBytes !== null ? ` (${fmt(r.estimatedBytes / MiB)})` : '';
            return `${measured}${estimated}` || '–';
          }),
        ]),
      ),
      '',
      `![it/s vs d, ${setup.label}](${chartDir}/scaling-itps-${setup.id}${chartSuffix}.svg)`,
      '',
      `![memory vs d, ${setup.label}](${chartDir}/scaling-memory-${setup.id}${chartSuffix}.svg)`,
      '',
      ...reasonsList(
        results.results
          .filter((r) => r.setup === setup.id)
          .map((r) => ({
            label: `${results.estimators.find((e) => e.id === r.estimator)?.label ?? r.estimator}, d = ${dLabel(r.dimension)}`,
            outcome: r,
          })),
      ),
    );
  }
  const speedups = collapsedSpeedups(results);
  lines.push(
    '### Collapsed vs standard (same run, same d)',
    '',
    ...(speedups.length > 0
      ? table(
          ['setup', 'B', 'd', 'standard time / collapsed time'],
          speedups.map((s) => [s.setup, String(s.jets), dLabel(s.dimension), `${fmt(s.speedup)}×`]),
        )
      : ['No d had both structures measured.']),
    '',
  );
  const flat = flatnessRatios(results);
  lines.push(
    '### Flatness in d',
    '',
    ...(flat.length > 0
      ? flat.map(
          (f) =>
            `- ${f.setup}: t(100K)/t(100) = ${fmt(f.ratio)} (${fmt(f.high)} ms vs ${fmt(f.low)} ms per step, sparse B = 16 collapsed)`,
        )
      : ['- t(100K)/t(100): not measured in this run (see the reasons above).']),
    '',
  );
  lines.push(
    `STDE's published A100 numbers (${STDE_A100_MACHINE}, DESIGN.md §5) are drawn dashed on ` +
      'the STDE-setup charts as a reference from another machine, not as a comparison.',
    '',
    ...table(
      ['A100 (another machine)', ...STDE_A100[0].points.map((p) => `d = ${dLabel(p.dimension)}`)],
      STDE_A100.map((s) => [
        s.label,
        ...s.points.map((p) =>
          p.itPerSecond === null ? 'OOM' : `${fmt(p.itPerSecond)} it/s, ${p.memoryMB} MB`,
        ),
      ]),
    ),
    '',
  );
  return lines;
}

// ---------------------------------------------------------------------------------------------
// High order

export function highOrderSection(results: HighOrderResults): string[] {
  const row = (r: HighOrderResult) => [
    r.label,
    r.step,
    r.structure,
    String(r.depth),
    String(r.width),
    String(r.points),
    `${r.jets} × K = ${r.order}`,
    r.rowsPerPoint === null ? '–' : String(r.rowsPerPoint),
    r.status === 'measured'
      ? `${fmt(r.msPerStep.median)} (${fmt(r.msPerStep.min)}–${fmt(r.msPerStep.max)})`
      : '',
    rateCell(r),
    r.memoryBytes !== undefined ? fmt(r.memoryBytes / MiB) : '–',
  ];
  const header = [
    'operator',
    'step',
    'structure',
    'L',
    'h',
    'N',
    'jets',
    'rows/point',
    'ms/step median (min–max)',
    'it/s',
    'MiB',
  ];
  const speedups: string[] = [];
  for (const problem of ['biharmonic-gaussian', 'diagonal-4']) {
    const of = (structure: string) =>
      results.results.find((r) => r.problem === problem && r.structure === structure);
    const s = median(of('standard'));
    const c = median(of('collapsed'));
    if (s !== null && c !== null) {
      speedups.push(`- ${of('standard')?.label}: collapsed ${fmt(s / c)}× faster than standard`);
    }
  }
  const boxHeader = [...header, 'steps trained', 'relative L2 (L1)'];
  const boxRow = (r: HighOrderResult) => [
    ...row(r),
    r.accuracy ? String(r.accuracy.steps) : '–',
    r.accuracy ? `${fmt(r.accuracy.relativeL2, 2)} (${fmt(r.accuracy.relativeL1, 2)})` : '–',
  ];
  return [
    'A "trainer" step is a full Trainer step (src/train/trainer.ts): residual, loss, backward, ' +
      'divergence check and Adam. A "jet step" is what the trainer does minus the residual ' +
      "kernel: forward jets of the operator's tangents, backward from a fixed output cotangent, " +
      'the divergence check and Adam, one command buffer per step (bench/lib/jetStep.ts), for ' +
      'the bare diagonal operator, which is no problem the trainer runs. The KdV / KP / g-KdV ' +
      'partials are fixed jet constructions (src/operators) that read single top-order jets, so ' +
      'they only have the standard structure; their relative L2 and L1 are on the test grid ' +
      'after the steps the timing ran from the initial weights (Adam 1e-3, 100 collocation and ' +
      '50 data points; the "steps trained" column): a sign of life, not a converged accuracy, ' +
      'which test/acceptance/highOrder.test.ts measures.',
    '',
    '### Biharmonic and diagonal 4th order, standard vs collapsed',
    '',
    ...table(header, results.results.filter((r) => r.group === 'operators').map(row)),
    '',
    ...(speedups.length > 0 ? [...speedups, ''] : []),
    "### 2-D KdV, 2-D KP, 1-D g-KdV across STDE's Table 11 sizes",
    '',
    ...table(boxHeader, results.results.filter((r) => r.group === 'table11').map(boxRow)),
    '',
    ...reasonsList(
      results.results.map((r) => ({
        label: `${r.label} L = ${r.depth}, h = ${r.width}`,
        outcome: r,
      })),
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Kernel efficiency

export function kernelEfficiency(rows: KernelRow[]) {
  return rows.flatMap((r) =>
    (['forward', 'backward'] as const).map((pass) => ({
      row: r,
      pass,
      jetGflops: r[pass].jetGflops,
      matmulGflops: r[pass].matmulGflops,
      fraction: r[pass].jetGflops / r[pass].matmulGflops,
    })),
  );
}

export function kernelSection(results: KernelResults): string[] {
  const entries = kernelEfficiency(results.results);
  const within = entries.filter((e) => e.fraction >= 0.7).length;
  const fractions = entries.map((e) => e.fraction);
  return [
    `From bench/results/jetKernels-*.json (\`npm run bench:kernels\`, ${results.date.slice(0, 16).replace('T', ' ')}, ` +
      `${results.adapter.summary}, ${results.runSeconds.toFixed(0)} s). Achieved GFLOP/s counts the ` +
      'FLOPs of the math (bench/jetKernels.ts explains the count) over the median time; the ' +
      'plain matmul is the tiled matmul kernel doing the same matrix work on the same adapter, ' +
      'the roofline we can reach in WebGPU here. Fraction = jet GFLOP/s / matmul GFLOP/s.',
    '',
    ...table(
      ['h', 'jet', 'structure', 'pass', 'jet GFLOP/s', 'matmul GFLOP/s', 'fraction of matmul'],
      entries.map((e) => [
        String(e.row.width),
        `${e.row.jet} (K = ${e.row.order}, R = ${e.row.directions})`,
        e.row.structure,
        e.pass,
        fmt(e.jetGflops),
        fmt(e.matmulGflops),
        `${(e.fraction * 100).toFixed(0)} %`,
      ]),
    ),
    '',
    `${within} of ${entries.length} passes reach 70 % of the plain matmul's throughput ` +
      `(range ${(Math.min(...fractions) * 100).toFixed(0)}–${(Math.max(...fractions) * 100).toFixed(0)} %).`,
    '',
  ];
}

// ---------------------------------------------------------------------------------------------
// Peer

const IMPLEMENTATION_LABELS = {
  jetpinn: 'jetpinn (collapsed sparse STDE)',
  'tfjs-webgpu': 'TF.js WebGPU',
  'tfjs-wasm': 'TF.js WASM',
} as const;

export function peerMedians(result: PeerConfigResult) {
  if (result.status !== 'measured') return null;
  const of = (implementation: keyof typeof IMPLEMENTATION_LABELS) => {
    const t = result.timings.find((x) => x.implementation === implementation);
    return t && t.msPerStep.length > 0 ? spreadOf(t.msPerStep) : null;
  };
  return { ours: of('jetpinn'), webgpu: of('tfjs-webgpu'), wasm: of('tfjs-wasm') };
}

export function peerSection(results: PeerResults): string[] {
  const spreadCell = (s: ReturnType<typeof spreadOf> | null) =>
    s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : '–';
  const notes: string[] = [];
  const rows = results.configs.map((c) => {
    const { dimension, width, jets } = c.config;
    const base = [String(dimension), String(width), String(jets)];
    if (c.status !== 'measured') {
      notes.push(
        `- d = ${dimension}, h = ${width}: ${c.status === 'not-run' ? 'not run here' : 'failed'} — ${c.reason}`,
      );
      return [...base, c.status === 'not-run' ? 'not run here' : 'failed', '', '', '', '', ''];
    }
    for (const t of c.timings) {
      if (t.note)
        notes.push(
          `- d = ${dimension}, h = ${width}, ${IMPLEMENTATION_LABELS[t.implementation]}: ${t.note}`,
        );
    }
    const m = peerMedians(c);
    const ratio = (peer: ReturnType<typeof spreadOf> | null | undefined) =>
      peer && m?.ours ? `${fmt(peer.median / m.ours.median)}×` : '–';
    const check = c.checks
      .map(
        (k) =>
          `${k.implementation.replace('tfjs-', '')} ${k.estimateError.toExponential(1)}${k.ok ? '' : ' ✗'}`,
      )
      .join(', ');
    return [
      ...base,
      spreadCell(m?.webgpu ?? null),
      spreadCell(m?.wasm ?? null),
      spreadCell(m?.ours ?? null),
      ratio(m?.webgpu),
      ratio(m?.wasm),
      check,
    ];
  });
  const p = results.page;
  return [
    `One Chromium page (bench.html, ${p.userAgent.match(/HeadlessChrome\/[\d.]+|Chrome\/[\d.]+/)?.[0] ?? 'Chromium'}), ` +
      `adapter ${p.adapter}; TensorFlow.js ${p.tfjsVersion}; cross-origin isolated: ${p.crossOriginIsolated}; ` +
      `WASM threads: ${p.wasmThreads}, SIMD: ${p.wasmSimd}. N = ${results.points} points, ` +
      `${results.depth} hidden tanh layers of width h, hard boundary factor (1 − ‖x‖²), sparse ` +
      'Laplacian estimate along B coordinates, Allen–Cahn residual, Adam. Times are ms per ' +
      'training step: median (min–max) of timed steps after one warm-up step; the three ' +
      'implementations are timed one after another (not interleaved), so load changes between ' +
      'them move the ratios. Ratio = peer ' +
      'time / our time (> 1: we are faster). "check" is max |peer − ours| / max(1, max |ours|) ' +
      'of the Laplacian estimate at the same weights, points and directions (tolerance 1e-4; ✗ ' +
      'marks a failure).',
    '',
    ...table(
      [
        'd',
        'h',
        'B',
        'TF.js WebGPU ms',
        'TF.js WASM ms',
        'jetpinn ms',
        'WebGPU / ours',
        'WASM / ours',
        'check (estimate error)',
      ],
      rows,
    ),
    '',
    ...(notes.length > 0 ? ['Notes:', '', ...notes, ''] : []),
    'How the peer is written (bench/page/peerModel.ts): the way a TF.js user writes SDGD, with ' +
      'nested first-order autodiff: `tf.grad` of Σu for ∇u, then one more `tf.grad` per sampled ' +
      'direction (masked to that coordinate per point) for ∂²u/∂x_i², scaled by d/B; ' +
      '`optimizer.minimize` differentiates that again with respect to the weights. **tanh is ' +
      "written as sinh(z)/cosh(z)**: TensorFlow.js 4.22's tanh gradient reuses the saved " +
      "output, which nested `tf.grad` does not trace back, so tanh's curvature is dropped and " +
      'the Laplacian comes out wrong; the form 1 − 2/(e^{2z} + 1) has the same flaw through ' +
      "exp's gradient (0.6 % off the float64 finite-difference Laplacian at d = 100, h = 128 " +
      "when we tried it), while sinh's and cosh's gradients use the input and nest correctly. " +
      'Differences that favour the peer: its points and directions stay fixed between steps ' +
      '(ours are drawn on the GPU every step), and its residual has a zero source (ours ' +
      'evaluates the exact source at the points).',
    '',
  ];
}

// ---------------------------------------------------------------------------------------------
// Step breakdown

export function breakdownSection(results: BreakdownResults): string[] {
  const dims = results.rows.map((r) => r.dimension);
  const stages = results.rows[0]?.stages.map((s) => s.stage) ?? [];
  const cell = (d: number, stage: string) => {
    const s = results.rows.find((r) => r.dimension === d)?.stages.find((x) => x.stage === stage);
    return s ? `${fmt(s.ms.median)} (${fmt(s.ms.min)}–${fmt(s.ms.max)})` : '–';
  };
  const totals = results.rows.map((r) => r.stages.reduce((sum, s) => sum + s.ms.median, 0));
  const { setup } = results;
  return [
    `Two-body Allen–Cahn, ${setup.points} points, ${setup.depth} × ${setup.width} tanh, sparse ` +
      `B = ${setup.jets}, ${setup.structure}: the stages of a Trainer step, each submitted and ` +
      `timed on its own (median of ${results.repetitions} rounds, min–max; every round runs all ` +
      'stages in turn). The residual/loss kernel (one thread per point) is left out; the ' +
      'divergence check is the scan of a step that does not log (a logging step reduces the ' +
      'gradient for its norm instead). ms:',
    '',
    ...table(
      ['stage', ...dims.map((d) => `d = ${dLabel(d)}`)],
      [
        ...stages.map((stage) => [stage, ...dims.map((d) => cell(d, stage))]),
        ['sum of medians', ...totals.map((t) => fmt(t))],
        ['parameters', ...results.rows.map((r) => String(r.parameters))],
      ],
    ),
    '',
    ...gpuTimeLines(results),
    ...costLines(results),
    ...growthLines(results),
    ...(results.notRun ?? []).flatMap((n) => [
      `- d = ${dLabel(n.dimension)}: not run — ${n.reason}`,
      '',
    ]),
  ];
}

/** The stages' GPU times (timestamps before and after each), where the run had them. */
function gpuTimeLines(results: BreakdownResults): string[] {
  if (!results.gpuTimestamps) return [];
  const dims = results.rows.map((r) => r.dimension);
  const stages = results.rows[0]?.stages.map((s) => s.stage) ?? [];
  const cell = (d: number, stage: string) => {
    const s = results.rows.find((r) => r.dimension === d)?.stages.find((x) => x.stage === stage);
    return s?.gpuMs ? `${fmt(s.gpuMs.median)} (${fmt(s.gpuMs.min)}–${fmt(s.gpuMs.max)})` : '–';
  };
  const totals = results.rows.map((r) =>
    r.stages.reduce((sum, s) => sum + (s.gpuMs?.median ?? 0), 0),
  );
  return [
    'GPU time of each stage, ms (timestamp-query: an empty compute pass writes a timestamp before ' +
      'the stage and another after it in the same command buffer, so submit and wait are left out):',
    '',
    ...table(
      ['stage', ...dims.map((d) => `d = ${dLabel(d)}`)],
      [
        ...stages.map((stage) => [stage, ...dims.map((d) => cell(d, stage))]),
        ['sum of medians', ...totals.map((t) => fmt(t))],
      ],
    ),
    '',
  ];
}

/** Counts in the units a table can show: 1.2 M, 3.4 G. */
function count(n: number): string {
  if (n >= 1e9) return `${fmt(n / 1e9)} G`;
  if (n >= 1e6) return `${fmt(n / 1e6)} M`;
  if (n >= 1e3) return `${fmt(n / 1e3)} K`;
  return String(n);
}

/**
 * Each stage's counted FLOPs and bytes (src/engine/kernelCost.ts), what they imply at the measured
 * median, and the roofline time of the GPU the run was given: files from before the counts lack
 * them, and show none.
 */
function costLines(results: BreakdownResults): string[] {
  const rows = results.rows.flatMap((r) =>
    r.stages.flatMap((s) =>
      s.cost && s.achieved
        ? [
            [
              `d = ${dLabel(r.dimension)}`,
              s.stage,
              count(s.cost.flops),
              count(s.cost.bytesRead),
              count(s.cost.bytesWritten),
              fmt((s.gpuMs ?? s.ms).median),
              fmt(s.achieved.gbPerS),
              fmt(s.achieved.gflopPerS),
              ...(results.predictedFor
                ? [s.predicted ? `${fmt(s.predicted.ms)} (${s.predicted.bound})` : '–']
                : []),
            ],
          ]
        : [],
    ),
  );
  if (rows.length === 0) return [];
  const rates = results.predictedFor;
  return [
    "What each stage computes and moves, counted from its kernels' plans (FLOPs, bytes read and " +
      'written; the counting rules are in src/engine/kernelCost.ts), and the rates they imply at ' +
      `the measured median (${results.gpuTimestamps ? 'GPU time' : 'host time, submit and wait included'})` +
      (rates
        ? `. Predicted: the roofline time, max(bytes / ${rates.bandwidthGBs} GB/s, FLOPs / ` +
          `${rates.fp32TFlops} TFLOP/s), for a GPU given on the command line — not measured:`
        : ':'),
    '',
    ...table(
      [
        'd',
        'stage',
        'FLOPs',
        'bytes read',
        'bytes written',
        'ms',
        'GB/s',
        'GFLOP/s',
        ...(rates ? ['predicted ms'] : []),
      ],
      rows,
    ),
    '',
  ];
}

/** The stages ranked by their share of the step at the largest d, with their growth factor. */
function growthLines(results: BreakdownResults): string[] {
  const first = results.rows[0];
  const last = results.rows[results.rows.length - 1];
  if (!first || !last || first === last) return [];
  const total = last.stages.reduce((sum, s) => sum + s.ms.median, 0);
  const ranked = last.stages
    .map((s) => {
      const small = first.stages.find((x) => x.stage === s.stage)?.ms.median ?? NaN;
      return {
        stage: s.stage,
        ms: s.ms.median,
        share: s.ms.median / total,
        growth: s.ms.median / small,
      };
    })
    .sort((a, b) => b.ms - a.ms);
  return [
    `At d = ${dLabel(last.dimension)} the step's time goes to: ` +
      ranked
        .map(
          (r) =>
            `${r.stage} ${(r.share * 100).toFixed(0)} % (${fmt(r.growth)}× its time at d = ${dLabel(first.dimension)})`,
        )
        .join('; ') +
      ". The stages that grow with d beyond the first layer's own work (forward and backward " +
      'jets) are where flatness in d is lost.',
    '',
  ];
}

// ---------------------------------------------------------------------------------------------
// Accuracy against STDE

/** An error value: 1.2e-2 (two significant digits, as STDE prints them); – where there is none. */
const sci = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toExponential(1);

/** 20 000: digits in groups of three, as the issue and DESIGN.md write step and point counts. */
export const grouped = (n: number): string => n.toLocaleString('en-US').replace(/,/g, ' ');

/** A duration in seconds as s, min or h, two significant digits. */
export const hours = (s: number): string =>
  s >= 3600 ? `${fmt(s / 3600, 2)} h` : s >= 60 ? `${fmt(s / 60, 2)} min` : `${fmt(s, 2)} s`;

const accuracyStatus: Record<AccuracyRun['status'], string> = {
  measured: 'measured',
  'not-run': 'not run here',
  stopped: 'stopped (budget)',
  failed: 'failed',
};

/** A full-length run with STDE's init: the only kind whose errors compare with STDE's. */
export const isStdeSetup = (results: StdeAccuracyResults): boolean =>
  !results.shortened && results.firstLayerGain === 1;

const configLabel = (r: AccuracyRun) => `d = ${dLabel(r.dimension)}, B = ${r.jetsPerPoint}`;

/**
 * Each configuration of an accuracy run for the targets table: our best relative L2 against
 * STDE's where the whole run was trained, the probe's prediction where it was not.
 */
export function accuracyComparisons(results: StdeAccuracyResults) {
  return results.runs.map((r) => ({
    label: configLabel(r),
    status: r.status,
    ours: r.status === 'measured' ? r.best.relativeL2 : null,
    stde: r.stdeBestRelativeL2,
    probeItPerSecond: r.probe?.itPerSecond ?? null,
    predictedSeconds: r.probe?.predictedSeconds ?? null,
  }));
}

/** "d = 100, B = 16: best 1.2e-2 vs STDE's 1.9e-2" or why there is no number, per configuration. */
export function accuracyTargetCell(results: StdeAccuracyResults): string {
  const prefix =
    (results.shortened
      ? `shortened run only (${grouped(results.steps)} steps, not ${grouped(results.referenceSteps)}): `
      : '') +
    (results.firstLayerGain === 1
      ? ''
      : `first-layer gain ${results.firstLayerGain}, not STDE's init: `);
  return (
    prefix +
    accuracyComparisons(results)
      .map((c) => {
        if (c.ours !== null) return `${c.label}: best ${sci(c.ours)} vs STDE's ${sci(c.stde)}`;
        const probe =
          c.probeItPerSecond !== null && c.predictedSeconds !== null
            ? ` (probe ${fmt(c.probeItPerSecond, 2)} it/s, predicted ${hours(c.predictedSeconds)})`
            : '';
        return `${c.label}: ${accuracyStatus[c.status]}${probe}`;
      })
      .join('; ')
  );
}

function curveText(curve: AccuracyPoint[]): string {
  return curve.map((p) => `${p.step}: ${sci(p.relativeL2)}`).join(', ');
}

export function accuracySection(results: StdeAccuracyResults): string[] {
  const o = results.runs[0]?.options;
  const lines: string[] = [];
  if (results.shortened) {
    lines.push(
      `> **Shortened run: ${grouped(results.steps)} steps, not the ${grouped(results.referenceSteps)}-step run ` +
        "STDE's numbers come from.** The learning rate decays to 0 over these steps, so its " +
        "errors do not compare with STDE's.",
      '',
    );
  }
  if (o) {
    lines.push(
      `Two-body Allen–Cahn (${results.pde}), ${o.depth} × ${o.width} ${o.activation}, ${o.points} ` +
        `points per step, ${o.estimator} STDE${o.collapsed ? ' collapsed' : ''} with B jets per point, ` +
        `${o.optimizer === 'adam' ? 'Adam' : o.optimizer} ${o.learningRate} ` +
        `${o.schedule === 'linear' ? 'decayed linearly to 0' : `(${o.schedule} schedule)`} over ` +
        `${grouped(results.steps)} steps, ${o.sampler} sampler, seed ${o.seed}, first-layer gain ` +
        `${results.firstLayerGain}${results.firstLayerGain === 1 ? " (STDE's init)" : ''}: STDE's ` +
        `setup; the STDE column is its published best relative L2 (${results.referenceSource}). The ` +
        `test set is ${grouped(o.testPoints)} points, evaluated at step 0 and every ${o.evalEvery} steps; ` +
        '"best" is the lowest relative L2 of the evaluations after step 0 (as STDE reports it), ' +
        '"final" the last. it/s counts training steps over training time (evaluations left out). ' +
        'Every configuration is probed first (build, step-0 evaluation, one warm-up step, a few ' +
        'timed steps); one whose rest would not fit in what was left of the ' +
        `${results.budgetSeconds} s budget is "not run here", with the probe's rate and the ` +
        'predicted time of the whole run instead of errors.',
      '',
    );
  }
  lines.push(
    ...table(
      [
        'd',
        'B',
        'status',
        'final rel. L2',
        'best rel. L2 (step)',
        "STDE's best rel. L2",
        'ours / STDE',
        'final rel. L1',
        'best rel. L1',
        'it/s',
        'MiB',
        'wall',
      ],
      results.runs.map((r) => {
        const head = [dLabel(r.dimension), String(r.jetsPerPoint), accuracyStatus[r.status]];
        if (r.status !== 'measured') {
          return [...head, '–', '–', sci(r.stdeBestRelativeL2), '–', '–', '–', '–', '–', '–'];
        }
        const ratio =
          r.best.relativeL2 !== null && r.stdeBestRelativeL2 !== null
            ? `${fmt(r.best.relativeL2 / r.stdeBestRelativeL2, 2)}×`
            : '–';
        return [
          ...head,
          sci(r.final.relativeL2),
          `${sci(r.best.relativeL2)} (${r.best.step})`,
          sci(r.stdeBestRelativeL2),
          ratio,
          sci(r.final.relativeL1),
          sci(r.bestRelativeL1),
          fmt(r.itPerSecond),
          fmt(r.memoryBytes / MiB),
          hours(r.wallSeconds),
        ];
      }),
    ),
    '',
    'The probes (the first steps of each run):',
    '',
    ...table(
      [
        'd',
        'B',
        'build',
        'warm-up step',
        'probe it/s (steps)',
        'one evaluation',
        'predicted run (steps + evaluations)',
        'MiB',
      ],
      results.runs.map((r) => {
        const p = r.probe;
        const head = [dLabel(r.dimension), String(r.jetsPerPoint)];
        if (!p) return [...head, '–', '–', '–', '–', '–', '–'];
        return [
          ...head,
          hours(p.createMs / 1000),
          hours(p.warmupMs / 1000),
          `${fmt(p.itPerSecond)} (${p.steps})`,
          hours(p.evaluationMs / 1000),
          `${hours(p.predictedSeconds)} (${grouped(results.steps)} + ${p.evaluations})`,
          fmt(p.memoryBytes / MiB),
        ];
      }),
    ),
    '',
  );
  const reasons = results.runs.flatMap((r) =>
    r.status === 'measured'
      ? []
      : [`- ${configLabel(r)}: ${accuracyStatus[r.status]} — ${r.reason}`],
  );
  if (reasons.length > 0) lines.push('Why some configurations have no errors:', '', ...reasons, '');
  const curves = results.runs.filter((r) => r.curve.length > 1);
  if (curves.length > 0) {
    lines.push(
      'Relative L2 along each run (step: value):',
      '',
      ...curves.map((r) => `- ${configLabel(r)}: ${curveText(r.curve)}`),
      '',
    );
  }
  return lines;
}
