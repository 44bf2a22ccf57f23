import { resolveTrainingOptions, type TrainingOptions } from '../../src/train/options.ts';

/**
 * The small problems the GPU tests train on, in one place: each test takes a base here and states
 * only what it changes. The seeded results the tests assert depend on every value, so a change
 * here changes them all.
 */

/** Two-body Allen–Cahn at d = 6: 3 sparse STDE jets per point, 32 points, 2 hidden tanh of 16. */
export const smallProblem = {
  pde: 'allen-cahn-two-body',
  dimension: 6,
  estimator: 'sparse',
  jetsPerPoint: 3,
  points: 32,
  width: 16,
  depth: 2,
} as const satisfies Partial<TrainingOptions>;

/** How a small run trains and logs: Adam at a constant 3e-3, seed 7, no evaluation before the end. */
export const smallRunSettings = {
  learningRate: 3e-3,
  schedule: 'constant',
  steps: 400,
  seed: 7,
  logEvery: 10,
  evalEvery: 0,
  testPoints: 500,
} as const satisfies Partial<TrainingOptions>;

/** The smallest network that still trains: d = 4, 2 jets, 8 points, one hidden layer of 8. */
export const tinyNetwork = {
  dimension: 4,
  jetsPerPoint: 2,
  points: 8,
  width: 8,
  depth: 1,
} as const satisfies Partial<TrainingOptions>;

/** `smallProblem` plus `overrides`; everything else at the library defaults. */
export function smallProblemOptions(overrides: Partial<TrainingOptions> = {}): TrainingOptions {
  return resolveTrainingOptions({ ...smallProblem, ...overrides });
}

/**
 * A small Allen–Cahn run that SwiftShader finishes in seconds: `smallProblem` trained with
 * `smallRunSettings`, plus `overrides`.
 */
export function smallRunOptions(overrides: Partial<TrainingOptions> = {}): TrainingOptions {
  return resolveTrainingOptions({ ...smallProblem, ...smallRunSettings, ...overrides });
}

/** `smallProblem` on `tinyNetwork`, plus `overrides`; training settings at the library defaults. */
export function tinyProblemOptions(overrides: Partial<TrainingOptions> = {}): TrainingOptions {
  return smallProblemOptions({ ...tinyNetwork, ...overrides });
}
