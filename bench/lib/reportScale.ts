/**
 * BENCHMARKS.md's scale section (bench/scale.ts): per configuration and d, the training plan's
 * memory and binding check, and the measured steps where the run was built, with the predicted
 * time of a full run. Pure, like reportSections.ts: every number comes from the results file,
 * and a configuration without a time says why.
 */
import { formatBytes } from '../../src/train/memoryBudget.ts';
import { planScale, scaleOptions } from './scaleRun.ts';
import { dLabel, fmt, grouped, hours } from './reportSections.ts';
import {
  SCALE_DIMENSIONS,
  type ScaleConfig,
  type ScalePlan,
  type ScaleResult,
  type ScaleResults,
} from './scaleTypes.ts';

const verdict = (met: boolean): string => (met ? '**met**' : '**not met**');

function labelOf(results: ScaleResults, id: string): string {
  return results.configs.find((c) => c.id === id)?.label ?? id;
}

/**
 * "one binding each" (θ split into parameter blocks where it is), or the buffers past the limit
 * with the fewest bindings each would need.
 */
export function splitCell(plan: ScalePlan): string {
  const limit = formatBytes(plan.bindingLimitBytes);
  if (plan.overBinding.length === 0) {
    const blocks = plan.parameterBlocks ?? 1;
    return (
      // θ and each tensor of its layout the mode holds (a gradient, moments) split alike.
      (blocks > 1 ? `${blocks} parameter blocks; ` : '') +
      `one binding each (largest ${formatBytes(plan.largest.bytes)} ≤ ${limit})`
    );
  }
  return (
    // A plan without parameterBlocks was recorded before any tensor could be split.
    (plan.parameterBlocks === undefined
      ? 'needs splitting (recorded before parameter blocks existed): '
      : 'needs splitting, which this mode does not take: ') +
    plan.overBinding
      .map((b) => `${b.label} ${formatBytes(b.bytes)} → ≥ ${b.bindingsAtLeast}`)
      .join('; ') +
    ` bindings of ${limit}`
  );
}

function memoryCell(r: ScaleResult): string {
  const planned = formatBytes(r.plan.totalBytes);
  return r.outcome.status === 'measured'
    ? `${planned} (${formatBytes(r.outcome.memoryBytes)})`
    : planned;
}

const shortStatus = { 'does-not-fit': 'does not fit', 'not-run': 'not run here', failed: 'failed' };

function timeCell(r: ScaleResult): string {
  if (r.outcome.status !== 'measured') {
    return r.outcome.probeMs === undefined
      ? shortStatus[r.outcome.status]
      : `${shortStatus[r.outcome.status]} (one warm-up step: ${fmt(r.outcome.probeMs / 1000)} s)`;
  }
  const { median, min, max, count } = r.outcome.msPerStep;
  const s = (ms: number) => fmt(ms / 1000, 3);
  return count > 1 ? `${s(median)} s (${s(min)}–${s(max)})` : `${s(median)} s`;
}

function predictedCell(r: ScaleResult, steps: number): string {
  if (r.outcome.status === 'measured') return hours(r.outcome.predictedRunSeconds);
  // A probe is one step, the first: labelled as what it is.
  return r.outcome.probeMs === undefined
    ? '–'
    : `${hours((steps * r.outcome.probeMs) / 1000)} (from one warm-up step)`;
}

function buildCell(r: ScaleResult): string {
  if (r.outcome.status !== 'measured') return '–';
  const warmup = r.outcome.warmupMs.map((ms) => hours(ms / 1000)).join(', ');
  return `${hours(r.outcome.createMs / 1000)} / ${warmup || '–'}`;
}

function settingsOf(config: ScaleConfig): string {
  const p = config.perturbation;
  const zeroth = p
    ? `, ε = ${p.scale}, ${p.directions} direction${p.directions === 1 ? '' : 's'} per step` +
      (p.subspaceRank !== undefined
        ? `, rank ${p.subspaceRank} redrawn every ${p.period} steps`
        : '')
    : '';
  return `${config.label} (${config.gradientEstimator}, ${config.optimizer}${zeroth}; rollback copy ${config.rollback ? 'kept' : 'dropped'})`;
}

export function scaleSection(results: ScaleResults): string[] {
  const s = results.setup;
  const l = results.limits;
  const lines: string[] = [];
  // A run at some of the benchmark's own d is part of it; one at other d is a quick check.
  if (!results.dimensions.every((d) => SCALE_DIMENSIONS.includes(d))) {
    lines.push(
      `> **A quick check, not the benchmark:** this file ran at d = ${results.dimensions.map(dLabel).join(', ')}, ` +
        'not d = 1M and 10M (`npm run bench:scale` without --dims).',
      '',
    );
  }
  lines.push(
    `Two-body Allen–Cahn (${s.pde}), ${s.depth} × ${s.width} ${s.activation}, ${s.points} points, ` +
      `the Laplacian from sparse STDE jets (B = ${s.jetsPerPoint}${s.collapsed ? ', collapsed' : ''}), ` +
      `${s.testPoints} test points (no evaluation inside the timed steps), ` +
      ((s.pointStorage ?? 'stored') === 'regenerated'
        ? "the step's collocation points regenerated where they are read (`--point-storage " +
          'regenerated`: no N·d buffer; each kernel that reads x redraws it from its counter)'
        : "the step's collocation points stored (N·d floats)") +
      '. Configurations: ' +
      `${results.configs.map(settingsOf).join('; ')}. The rollback copy is dropped ` +
      '(`--no-rollback`) because it is what makes every mode smallest; its plan is listed below. ' +
      'Each configuration is planned first (the training plan that Trainer.create checks; ' +
      'memory in all, bytes per parameter, the largest buffer) against the device: ' +
      `${formatBytes(l.maxStorageBufferBindingSize)} per binding, ${formatBytes(l.maxBufferSize)} per buffer, ` +
      `a budget of ${formatBytes(l.budgetBytes)} in all` +
      (l.hostBytes !== null
        ? ` and, on this software adapter, ${formatBytes(l.hostBytes)} of host RAM`
        : '') +
      `. One that fits is built and stepped: ${results.warmupSteps} warm-up step(s), then ` +
      `${results.timedSteps} timed, each submitted on its own and waited for` +
      (results.budgetSeconds !== null
        ? `, within a budget of ${results.budgetSeconds} s for the whole run (a configuration ` +
          'stops taking steps when its last step says the next would overrun it)'
        : '') +
      '. The predicted ' +
      `full run is ${grouped(results.fullRunSteps)} × the median step: a prediction from this ` +
      "adapter's steps (evaluations and log readbacks left out), not a measurement. θ and every " +
      'tensor of its layout (gradient, optimizer state, v of the forward gradient, subspace ' +
      'SPSA trial point; SPSA without the rollback copy stores neither trial point nor ' +
      'gradient) are split into parameter blocks of whole first-layer rows where they pass a ' +
      'binding, in every mode (the split plan column); a buffer past a binding that no split ' +
      'covers is named there with the fewest bindings it would need.',
    '',
    '| configuration | d | parameters | GPU memory, planned (measured) | B/param in all | B/param, parameter-sized | × weights | largest buffer | split plan | build / warm-up | time per step | 10 000 steps, predicted |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.results.map((r) => {
      const row = [
        labelOf(results, r.config),
        dLabel(r.dimension),
        grouped(r.plan.parameterCount),
        memoryCell(r),
        fmt(r.plan.totalBytes / r.plan.parameterCount),
        r.plan.bytesPerParameter === null ? '–' : r.plan.bytesPerParameter.toFixed(1),
        `${fmt(r.plan.totalBytes / r.plan.weightsBytes)}×`,
        `${r.plan.largest.label}, ${formatBytes(r.plan.largest.bytes)}`,
        splitCell(r.plan),
        buildCell(r),
        timeCell(r),
        predictedCell(r, results.fullRunSteps),
      ];
      return `| ${row.join(' | ')} |`;
    }),
    '',
  );
  const missing = results.results.flatMap((r) =>
    r.outcome.status === 'measured' ? [] : [{ ...r, outcome: r.outcome }],
  );
  if (missing.length > 0) {
    lines.push(
      'Why some configurations have no time:',
      '',
      ...missing.map(
        (r) =>
          `- ${labelOf(results, r.config)}, d = ${dLabel(r.dimension)}: ` +
          `${shortStatus[r.outcome.status]} — ${r.outcome.reason}`,
      ),
      '',
    );
  }
  lines.push(
    'With the rollback copy kept (the default without `--no-rollback`): the plans of "Memory per ' +
      'parameter by mode" above, by the current code.',
    '',
  );
  lines.push(
    'Where the planned memory goes (training parts):',
    '',
    ...results.results.map(
      (r) =>
        `- ${labelOf(results, r.config)}, d = ${dLabel(r.dimension)}: ` +
        r.plan.parts
          // The parts that matter: at least 1 % of the total.
          .filter((p) => p.bytes >= r.plan.totalBytes / 100)
          .map((p) => `${p.name} ${formatBytes(p.bytes)}`)
          .join(', '),
    ),
    '',
  );
  return lines;
}

/**
 * The issue's two scale targets, from the file's d = 10M rows (a later run's at d = 10M alone,
 * newest first in `later`, where it has the configuration): SPSA builds and steps in at most
 * 1.3× the weights' bytes; backprop + Adam needs at most 1.1× its θ, g, m, v (so it fits
 * wherever that much memory exists, split across bindings where one is too small).
 */
export function scaleTargetRows(
  results: ScaleResults | null,
  later: readonly ScaleResults[] = [],
): string[][] {
  const spsaTarget = "d = 10M with SPSA: builds and steps, GPU memory ≤ 1.3× the weights' bytes";
  const adamTarget = 'Backprop + Adam at d = 10M: fits wherever (θ, g, m, v) × 1.1 exists';
  const at = (estimator: string) =>
    [...later, ...(results ? [results] : [])]
      .map((run) =>
        run.results.find(
          (r) =>
            r.dimension === 10_000_000 &&
            run.configs.find((c) => c.id === r.config)?.gradientEstimator === estimator,
        ),
      )
      .find((r) => r !== undefined);
  const none = results
    ? 'not measured (no d = 10M in the scale run on file)'
    : 'not measured (no scale results file)';
  const rows: string[][] = [];
  const spsa = at('spsa');
  if (!spsa) rows.push([spsaTarget, none, 'not measured']);
  else if (spsa.outcome.status === 'measured') {
    const ratio = spsa.outcome.memoryBytes / spsa.plan.weightsBytes;
    rows.push([
      spsaTarget,
      `${fmt(ratio)}× (${formatBytes(spsa.outcome.memoryBytes)} measured), ${fmt(spsa.outcome.msPerStep.median / 1000)} s per step`,
      verdict(ratio <= 1.3),
    ]);
  } else {
    rows.push([
      spsaTarget,
      `${shortStatus[spsa.outcome.status]}; planned ` +
        `${formatBytes(spsa.plan.totalBytes)}, ${fmt(spsa.plan.totalBytes / spsa.plan.weightsBytes)}× the weights` +
        (spsa.plan.overBinding.length > 0
          ? `; ${spsa.plan.overBinding.length} buffers past the ${formatBytes(spsa.plan.bindingLimitBytes)} binding`
          : ''),
      // Fitting but left out by the time budget says nothing about the target either way.
      spsa.outcome.status === 'not-run' ? 'not measured' : verdict(false),
    ]);
  }
  const adam = at('backprop');
  const adamConfig = results?.configs.find((c) => c.gradientEstimator === 'backprop');
  if (!adam || !results || !adamConfig) rows.push([adamTarget, none, 'not measured']);
  else {
    // A plan, not a measurement: planned again by the current code on the run's limits, so a
    // file recorded before parameter blocks existed does not state an old plan as today's.
    const plan = planScale(
      scaleOptions(adamConfig, 10_000_000),
      results.limits,
      adamConfig.rollback,
    );
    const ratio = plan.totalBytes / (16 * plan.parameterCount);
    const splitMissing = plan.overBinding.length > 0;
    rows.push([
      adamTarget,
      `planned ${formatBytes(plan.totalBytes)}, ${fmt(ratio)}× θ, g, m, v` +
        ((plan.parameterBlocks ?? 1) > 1 ? `, in ${plan.parameterBlocks} parameter blocks` : '') +
        (splitMissing
          ? `; ${plan.overBinding.length} buffers past the ${formatBytes(plan.bindingLimitBytes)} binding, not split`
          : '') +
        " (the plan of the current code on the run's limits)",
      verdict(ratio <= 1.1 && !splitMissing),
    ]);
  }
  return rows;
}
