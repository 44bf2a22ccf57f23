/**
 * One training run scored for the gPINN comparison: relative L2 on the test set and the gradient
 * term mean (∂_j r)² in float64 (gpinnGradientTerm) at the initial and the final weights, on the
 * same points for every run of a problem, so a plain run and a gPINN run read side by side. Used by
 * the gPINN acceptance test and bench/gpinn.ts.
 */
import { initParameters } from '../jet/mlp.ts';
import { gpinnGradientTerm } from './gpinnResidual.ts';
import { architectureOf, pdeOf, type TrainingOptions } from './options.ts';
import { Trainer } from './trainer.ts';

export interface GpinnRunResult {
  relativeL2: number;
  relativeL1: number;
  /** mean (∂_j r)² before and after training. */
  gradientTermBefore: number;
  gradientTermAfter: number;
  /** Training time (the test-set evaluations included). */
  seconds: number;
}

/**
 * The small comparison: two-body Allen–Cahn, d = 10, sparse B = 4 < d collapsed, 2 × 16 tanh, 32
 * points, Adam 5e-3 decayed linearly, first-layer gain 4, 1000 steps, scored at the end on 2000
 * test points. The gPINN acceptance test holds it to its bars; bench/gpinn.ts records it first.
 */
export const SMALL_GPINN_COMPARISON = {
  pde: 'allen-cahn-two-body',
  dimension: 10,
  estimator: 'sparse',
  jetsPerPoint: 4,
  points: 32,
  width: 16,
  depth: 2,
  steps: 1000,
  learningRate: 5e-3,
  firstLayerGain: 4,
  testPoints: 2000,
  logEvery: 50,
  evalEvery: 0,
  seed: 0,
} as const;

/** Where the gradient term is read: its own points, drawn apart from the training draws. */
export const GRADIENT_TERM_POINTS = { points: 200, seed: 12_345 };

export async function scoredGpinnRun(
  device: GPUDevice,
  options: TrainingOptions,
): Promise<GpinnRunResult> {
  const pde = pdeOf(options);
  if (pde.domain !== 'ball') throw new RangeError(`${pde.id} is not a ball problem`);
  const architecture = architectureOf(options);
  const at = { dimension: options.dimension, sampler: options.sampler, ...GRADIENT_TERM_POINTS };
  const initial = initParameters(architecture, options.seed, options.firstLayerGain);
  const gradientTermBefore = await gpinnGradientTerm(
    pde,
    { architecture, parameters: initial },
    at,
    options.seed,
  );
  const trainer = await Trainer.create(device, options);
  try {
    const started = performance.now();
    await trainer.train(options.steps);
    const seconds = (performance.now() - started) / 1000;
    const last = trainer.evaluations.at(-1);
    if (last?.relativeL2 === undefined || last.relativeL1 === undefined) {
      throw new Error('the run ended without a test-set evaluation');
    }
    const parameters = await trainer.parameters();
    const gradientTermAfter = await gpinnGradientTerm(
      pde,
      { architecture, parameters },
      at,
      options.seed,
    );
    return {
      relativeL2: last.relativeL2,
      relativeL1: last.relativeL1,
      gradientTermBefore,
      gradientTermAfter,
      seconds,
    };
  } finally {
    trainer.dispose();
  }
}
