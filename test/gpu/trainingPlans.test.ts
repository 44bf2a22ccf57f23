/**
 * The training plan against what a trainer allocates (src/train/trainingPlan.ts): after
 * Trainer.create the trainer's GpuMemory hold exactly the bytes (and the number of buffers) of the
 * plan's `buffers`, and after the first step, which adds the reduction chains, exactly its
 * total, which is the memory estimate. Outside the plan, and outside GpuMemory, are only the
 * log ring's four MAP_READ staging buffers (96 bytes each, src/train/readbackRing.ts) and the
 * transient staging buffers of readbacks.
 */
import { describe, expect, it } from 'vitest';
import { plannedBytes } from '../../src/gpu/bufferPlan.ts';
import { estimateMemory } from '../../src/train/memoryBudget.ts';
import { resolveTrainingOptions } from '../../src/train/options.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { planTraining, trainingLimitsOf } from '../../src/train/trainingPlan.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

const small = { dimension: 5, width: 16, depth: 2, points: 16, testPoints: 100 };
/** No evaluation before the last step, which the test never reaches. */
const run = { steps: 10, evalEvery: 0, logEvery: 1 };

const RUNS: Record<string, Record<string, unknown>> = {
  ball: { ...small, estimator: 'sparse', jetsPerPoint: 2 },
  'ball unbiased sparse (two subsets of 3 of d = 5)': {
    ...small,
    estimator: 'sparse',
    jetsPerPoint: 3,
    loss: 'unbiased',
    collapsed: false,
  },
  'ball gPINN (∂_jΔu 7-jets, ∂_j f at the points)': {
    ...small,
    estimator: 'sparse',
    jetsPerPoint: 2,
    gpinnWeight: 0.1,
  },
  'ball gPINN unbiased (two subsets sharing j)': {
    ...small,
    estimator: 'sparse',
    jetsPerPoint: 2,
    gpinnWeight: 0.1,
    loss: 'unbiased',
    collapsed: false,
  },
  parabolic: { ...small, pde: 'semilinear-heat', estimator: 'sparse', jetsPerPoint: 2 },
  spsa: { ...small, estimator: 'sparse', jetsPerPoint: 2, gradientEstimator: 'spsa' },
  'forward gradient': {
    ...small,
    estimator: 'rademacher',
    jetsPerPoint: 2,
    gradientEstimator: 'forward-gradient',
  },
  'parabolic spsa-subspace': {
    ...small,
    pde: 'semilinear-heat',
    estimator: 'exact',
    gradientEstimator: 'spsa-subspace',
    perturbationDirections: 2,
  },
  'box: 2-D KdV (fixed 5-jets, data points on the faces)': {
    width: 16,
    depth: 2,
    points: 16,
    testPoints: 100,
    pde: 'kdv-2d',
  },
  'box: 1-D g-KdV with SPSA': {
    width: 16,
    depth: 2,
    points: 16,
    testPoints: 100,
    pde: 'gkdv-1d',
    gradientEstimator: 'spsa',
  },
  // d = 4096 reaches SPLIT_MIN_INPUTS: the forward jet splits its first layer over d and plans
  // the partial buffer.
  'ball sparse at d = 4096 (first layer split over its inputs)': {
    ...small,
    dimension: 4096,
    estimator: 'sparse',
    jetsPerPoint: 2,
  },
  'order-6 diagonal, sparse 6-jets (factor (1 − ‖x‖²)³)': {
    ...small,
    dimension: 4,
    pde: 'diagonal-order-6',
    estimator: 'sparse',
    jetsPerPoint: 2,
  },
  'exact biharmonic (fixed jets)': {
    ...small,
    dimension: 3,
    pde: 'biharmonic-clamped-sin-cos',
    estimator: 'exact',
    collapsed: false,
  },
};

describe('the training plan is what the trainer allocates', () => {
  const cases: [string, Record<string, unknown>, { rollback?: boolean }][] = [
    ...Object.entries(RUNS).map(([name, config]): [string, Record<string, unknown>, object] => [
      name,
      config,
      {},
    ]),
    // Without the rollback copy (TrainerSettings.rollback) the optimizer has no `previous`.
    ['ball, Adam, no rollback copy', RUNS.ball, { rollback: false }],
    ['ball, SGD, no rollback copy', { ...RUNS.ball, optimizer: 'sgd' }, { rollback: false }],
  ];
  for (const [name, config, execution] of cases) {
    it(`${name}: every planned buffer, and nothing else`, async () => {
      const options = resolveTrainingOptions({ ...config, ...run });
      const limits = trainingLimitsOf(gpu.device.limits);
      const plan = planTraining(options, limits, execution);
      if (execution.rollback === false) {
        expect(plan.totalBytes).toBeLessThan(planTraining(options, limits).totalBytes);
      }
      const trainer = await Trainer.create(gpu.device, options, undefined, undefined, execution);
      try {
        expect(trainer.memory.bytesInUse).toBe(plannedBytes(plan.buffers));
        expect(trainer.memory.count).toBe(plan.buffers.length);
        await trainer.train(1);
        expect(trainer.step).toBe(1);
        expect(trainer.memory.bytesInUse).toBe(plan.totalBytes);
        expect(trainer.memory.count).toBe(plan.buffers.length + plan.firstStep.length);
        const estimate = estimateMemory(
          options,
          limits.maxStorageBufferBindingSize,
          limits,
          execution,
        );
        expect(estimate.totalBytes).toBe(trainer.memory.bytesInUse);
        expect(estimate.largest.bytes).toBe(trainer.memory.largestBytes);
      } finally {
        trainer.dispose();
      }
    });
  }
});
