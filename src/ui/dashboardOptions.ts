/**
 * The dashboard's view of the training options: its starting setup, the options its controls set,
 * and what a change of each one costs the running trainer.
 */
import { type PdeEntry, PDES } from '../pdes/index.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../train/options.ts';

/**
 * The first run a visitor sees. The library defaults are the STDE paper's setup (d = 100, width
 * 128), minutes per hundred steps on a software adapter; this one trains visibly there (tens of
 * steps per second on SwiftShader) and in a blink on a real GPU, and it convinces at first Play:
 * two-body Allen–Cahn at d = 6 with the exact Laplacian (six one-hot 2-jets, collapsed), 64
 * volume-uniform points, 3 × 32 tanh at the fan-in init, Adam 5·10⁻³ decayed linearly over 3000
 * steps after a 500-step linear warm-up. Measured (CLI, last weights, seed 0,
 * docs/landing-sweep.md, fifth sweep): relative L2 1.19e-1, 2.07e-2, 1.42e-2, 7.5e-3 at steps 250,
 * 1000, 2000, 3000. The page's model is the weight average (FIELD_VIEW_AVERAGE_DECAY): relative L2
 * 1.74e-2, 9.06e-3 at steps 1000, 2000; its error range falls from 8.3–10.0·10⁻² over steps
 * 200–240 to 8.1–10.7·10⁻³ over steps 1960–2040: at least 7.7× wherever the two looks land
 * (seed 1: 7.3×). Without the warm-up the run starts too well for a fivefold fall (3.3–5.8·10⁻²
 * by step 200), and without the average the late range swings 2.5× within 80 steps. The race view
 * pits the exact run against sparse STDE from the same weights.
 * logEvery 5 gives the loss chart a point every few frames; 2000 test points keep an evaluation
 * from freezing the run.
 */
export const dashboardDefaults: TrainingOptions = resolveTrainingOptions({
  pde: 'allen-cahn-two-body',
  dimension: 6,
  estimator: 'exact',
  jetsPerPoint: 4,
  collapsed: true,
  points: 64,
  width: 32,
  depth: 3,
  learningRate: 5e-3,
  schedule: 'linear',
  warmupSteps: 500,
  steps: 3000,
  seed: 0,
  sampler: 'volume-uniform',
  logEvery: 5,
  evalEvery: 250,
  testPoints: 2000,
});

/**
 * The operator order k of a problem of the diagonal family Σ_i ∂^k u/∂x_i^k (its order slider),
 * or null for any other problem id.
 */
export function diagonalOrderOf(pde: string): number | null {
  const entry = PDES.find((p) => p.id === pde);
  return entry?.domain === 'ball' && entry.operator === 'diagonal'
    ? entry.solution.derivativeOrder
    : null;
}

/** The id of the diagonal-family problem of order k (the slider's positions are its orders). */
export function diagonalPdeOf(k: number): string {
  const entry = PDES.find(
    (p) => p.domain === 'ball' && p.operator === 'diagonal' && p.solution.derivativeOrder === k,
  );
  if (!entry) throw new RangeError(`no diagonal problem of order ${k}`);
  return entry.id;
}

/** A PDE the dashboard offers: every problem of the zoo. */
export type DashboardPdeEntry = PdeEntry;

export const dashboardPdes: readonly DashboardPdeEntry[] = PDES;

/**
 * The options a box problem fixes (its number of spatial variables, its construction's jets) or
 * defaults by itself (g-KdV's gradient-enhanced weight is 1): resolveTrainingOptions fills them
 * when they are left out and refuses other values.
 */
export const FIXED_BY_BOX_PROBLEMS = [
  'dimension',
  'estimator',
  'jetsPerPoint',
  'gpinnWeight',
] as const satisfies readonly (keyof TrainingOptions)[];

/** Whether the problem `pde` (an id) fixes FIXED_BY_BOX_PROBLEMS. */
export function isBoxProblem(pde: unknown): boolean {
  return typeof pde === 'string' && PDES.some((p) => p.id === pde && p.domain === 'box');
}

function without(options: object, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([key]) => !keys.includes(key)));
}

/**
 * What a run of `pde` starts from when `base` is the current (or default) run: a box problem
 * drops the options it fixes, so they come from the problem; leaving a box problem takes them
 * from the dashboard's defaults (a 1-D g-KdV's d and jets mean nothing on the ball); between
 * other problems they carry over.
 */
export function baseFor(base: TrainingOptions, pde: string): Record<string, unknown> {
  if (isBoxProblem(pde)) return { ...without(base, FIXED_BY_BOX_PROBLEMS), pde };
  if (isBoxProblem(base.pde)) {
    const defaults = Object.fromEntries(
      FIXED_BY_BOX_PROBLEMS.map((k) => [k, dashboardDefaults[k]]),
    );
    return { ...base, ...defaults, pde };
  }
  return { ...base, pde };
}

/**
 * The options the form's `values` ask for on top of the current run. A box problem's d,
 * estimator and B are disabled in the form (the d slider cannot even show g-KdV's 1), and on a
 * change of PDE into or out of one the form still shows the old problem's: then those come from
 * baseFor, not the form.
 */
export function formCandidate(
  current: TrainingOptions,
  values: Record<string, unknown>,
): Record<string, unknown> {
  const pde = typeof values.pde === 'string' ? values.pde : current.pde;
  if (!isBoxProblem(pde) && !isBoxProblem(current.pde)) return { ...current, ...values };
  return { ...baseFor(current, pde), ...without(values, FIXED_BY_BOX_PROBLEMS) };
}

/** The options the page's controls set (and the URL carries); the rest stay at the defaults. */
export const CONTROLLED_OPTIONS = [
  'pde',
  'dimension',
  'estimator',
  'jetsPerPoint',
  'collapsed',
  'points',
  'width',
  'depth',
  'activation',
  'firstLayerGain',
  'learningRate',
  'schedule',
  'warmupSteps',
  'steps',
  'seed',
  'gradientEstimator',
] as const satisfies readonly (keyof TrainingOptions)[];

export type ControlledOption = (typeof CONTROLLED_OPTIONS)[number];

/**
 * Options a trainer can take over from its predecessor's state (weights, Adam moments, step):
 * they change the estimate or the step size, not the network. Anything else (PDE, d, the
 * architecture, the seed and the first-layer gain that drew the initial weights) starts a new run.
 */
const CONTINUABLE: ReadonlySet<keyof TrainingOptions> = new Set([
  'estimator',
  'jetsPerPoint',
  'collapsed',
  'points',
  'learningRate',
  'schedule',
  'warmupSteps',
  'steps',
  'gradientEstimator',
]);

export type Change = 'none' | 'continue' | 'restart';

export function changeBetween(before: TrainingOptions, after: TrainingOptions): Change {
  const changed = CONTROLLED_OPTIONS.filter((key) => before[key] !== after[key]);
  if (changed.length === 0) return 'none';
  return changed.every((key) => CONTINUABLE.has(key)) ? 'continue' : 'restart';
}

/** Why the dashboard cannot run these options, or null. */
export function validationProblem(candidate: Record<string, unknown>): string | null {
  try {
    resolveTrainingOptions(candidate);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
