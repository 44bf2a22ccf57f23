/**
 * The dashboard's view of the training options: its starting setup, the options its controls set,
 * and what a change of each one costs the running trainer.
 */
import { type BallPdeEntry, type ParabolicPdeEntry, PDES } from '../pdes/index.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../train/options.ts';

/**
 * The first run a visitor sees. The library defaults are the STDE paper's setup (d = 100, width
 * 128), minutes per hundred steps on a software adapter; this one trains visibly there (tens of
 * steps per second on SwiftShader) and in a blink on a real GPU. logEvery 5 gives the loss chart
 * a point every few frames; 2000 test points keep an evaluation from freezing the run.
 */
export const dashboardDefaults: TrainingOptions = resolveTrainingOptions({
  pde: 'allen-cahn-two-body',
  dimension: 10,
  estimator: 'sparse',
  jetsPerPoint: 4,
  collapsed: true,
  points: 64,
  width: 32,
  depth: 3,
  learningRate: 3e-3,
  schedule: 'linear',
  steps: 3000,
  seed: 0,
  logEvery: 5,
  evalEvery: 250,
  testPoints: 2000,
});

/** A PDE the GPU trainer runs: a ball problem or a semilinear parabolic one. */
export type DashboardPdeEntry = BallPdeEntry | ParabolicPdeEntry;

/**
 * The PDEs offered. The high-order (box) problems pass option validation but Trainer.create
 * refuses them, so the dashboard leaves them out.
 */
export const dashboardPdes: readonly DashboardPdeEntry[] = PDES.filter(
  (p): p is DashboardPdeEntry => p.domain === 'ball' || p.domain === 'spacetime',
);

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
    const options = resolveTrainingOptions(candidate);
    if (!dashboardPdes.some((p) => p.id === options.pde)) {
      return (
        `${options.pde} does not run in the dashboard yet ` +
        `(it offers ${dashboardPdes.map((p) => p.id).join(', ')})`
      );
    }
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
