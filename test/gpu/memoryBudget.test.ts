/**
 * The memory check before a run is built (src/train/memoryBudget.ts): its estimate against what
 * the trainer then allocates, and a sweep of configurations past the CI adapter's limits and a
 * small total budget: each is either refused with a MemoryBudgetError before allocating (with
 * the numbers and settings that do fit) or built without any WebGPU error within the budget.
 */
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import {
  checkMemoryBudget,
  estimateMemory,
  fitsMemory,
  type MemoryLimits,
  MemoryBudgetError,
} from '../../src/train/memoryBudget.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../../src/train/options.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

let gpu: GpuContext;
useNodeGpu((context) => {
  gpu = context;
});

const small = { width: 16, depth: 2, points: 16, testPoints: 500 };

describe('memory estimate', () => {
  const configs: Record<string, unknown>[] = [
    { dimension: 10, estimator: 'sparse', jetsPerPoint: 4 },
    { dimension: 64, estimator: 'exact' },
    { dimension: 32, estimator: 'exact', collapsed: false },
    { dimension: 20, estimator: 'rademacher', jetsPerPoint: 3, loss: 'unbiased', collapsed: false },
    { pde: 'semilinear-heat', dimension: 40, estimator: 'sparse', jetsPerPoint: 8 },
    { pde: 'biharmonic-clamped-sin-cos', dimension: 5, estimator: 'gaussian', jetsPerPoint: 4 },
    { pde: 'biharmonic-clamped-sin-cos', dimension: 4, estimator: 'exact', collapsed: false },
    { dimension: 3000, estimator: 'sparse', jetsPerPoint: 2, width: 64, points: 64 },
    { dimension: 20, jetsPerPoint: 8, points: 256, depth: 4, gradientEstimator: 'spsa' },
    { dimension: 20, jetsPerPoint: 8, points: 256, depth: 4, gradientEstimator: 'spsa-subspace' },
    {
      dimension: 20,
      jetsPerPoint: 8,
      points: 256,
      depth: 4,
      gradientEstimator: 'forward-gradient',
    },
    { dimension: 20, jetsPerPoint: 8, points: 256, depth: 4, gradientEstimator: 'backprop' },
  ];
  for (const config of configs) {
    it(`${JSON.stringify(config)}: total within 10 %, largest buffer exact`, async () => {
      const options = resolveTrainingOptions({ ...small, ...config });
      const estimate = estimateMemory(options, gpu.device.limits.maxStorageBufferBindingSize);
      const trainer = await Trainer.create(gpu.device, options);
      const actual = trainer.memoryBytes;
      const largest = trainer.memory.largestBytes;
      trainer.dispose();
      expect(Math.abs(estimate.totalBytes - actual) / actual).toBeLessThan(0.1);
      expect(estimate.largest.bytes).toBe(largest);
    });
  }
});

/** Configurations from ordinary to absurd, on every axis the estimate grows with. */
function* sweep(): Generator<Record<string, unknown>> {
  for (const dimension of [10, 1000, 100_000, 10_000_000]) {
    for (const estimator of ['sparse', 'exact', 'rademacher']) {
      for (const width of [8, 4096]) {
        for (const points of [8, 1_000_000]) {
          yield { dimension, estimator, jetsPerPoint: 4, width, depth: 2, points, testPoints: 200 };
        }
      }
    }
  }
  yield { pde: 'semilinear-heat', dimension: 1_000_000, points: 8, width: 8, depth: 1 };
  yield {
    pde: 'biharmonic-clamped-sin-cos',
    dimension: 3000,
    estimator: 'exact',
    collapsed: false,
  };
}

describe('memory of the backprop-free modes', () => {
  it('SPSA and the forward gradient hold less than backprop at depth 4, as estimated', async () => {
    const bytes: Record<string, number> = {};
    for (const gradientEstimator of ['backprop', 'spsa', 'forward-gradient']) {
      const options = resolveTrainingOptions({
        ...small,
        dimension: 20,
        jetsPerPoint: 8,
        points: 256,
        depth: 4,
        testPoints: 16,
        gradientEstimator,
      });
      const trainer = await Trainer.create(gpu.device, options);
      bytes[gradientEstimator] = trainer.memoryBytes;
      trainer.dispose();
    }
    console.log(`allocated bytes by gradient estimator: ${JSON.stringify(bytes)}`);
    // The stored layer jets (10 buffers at depth 4) against 3 and 4 reused ones.
    expect(bytes.spsa).toBeLessThan(0.6 * bytes.backprop);
    expect(bytes['forward-gradient']).toBeLessThan(0.7 * bytes.backprop);
  });
});

describe('memory budget sweep past the adapter limits', () => {
  it('every configuration is refused with the numbers before allocating, or built without a WebGPU error', async () => {
    const budgetBytes = 64 * 2 ** 20;
    const limits: MemoryLimits = {
      maxBufferSize: gpu.device.limits.maxBufferSize,
      maxStorageBufferBindingSize: gpu.device.limits.maxStorageBufferBindingSize,
      budgetBytes,
    };
    let refused = 0;
    let built = 0;
    let overLimit = 0;
    for (const config of sweep()) {
      const options: TrainingOptions = resolveTrainingOptions(config);
      const estimate = estimateMemory(options, limits.maxStorageBufferBindingSize);
      if (estimate.largest.bytes > limits.maxStorageBufferBindingSize) overLimit++;
      if (!fitsMemory(options, limits)) {
        refused++;
        const error = await Trainer.create(gpu.device, options, undefined, budgetBytes).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error, JSON.stringify(config)).toBeInstanceOf(MemoryBudgetError);
        const refusal = error as MemoryBudgetError;
        expect(refusal.message).toMatch(/too large for this GPU: .*\d.*(MiB|GiB)/);
        // The suggested settings fit, and one more does not.
        for (const [setting, value] of Object.entries(refusal.fitting)) {
          if (value === null || value === 0) continue;
          expect(refusal.message).toContain(String(value));
          expect(fitsMemory({ ...options, [setting]: value }, limits)).toBe(true);
          if (value < (options[setting as keyof TrainingOptions] as number)) {
            expect(fitsMemory({ ...options, [setting]: value + 1 }, limits)).toBe(false);
          }
        }
        continue;
      }
      built++;
      const trainer = await Trainer.create(gpu.device, options, undefined, budgetBytes);
      expect(trainer.memoryBytes).toBeLessThanOrEqual(1.1 * budgetBytes);
      await trainer.train(1);
      trainer.dispose();
    }
    // The sweep must reach both sides and the binding limit itself, or it proves nothing.
    expect(refused).toBeGreaterThan(10);
    expect(built).toBeGreaterThan(5);
    expect(overLimit).toBeGreaterThan(5);
    console.log(`memory sweep: ${built} built, ${refused} refused (${overLimit} over a binding)`);
  }, 300_000);

  it('the refusal names the device limit when one buffer is too large', () => {
    const options = resolveTrainingOptions({ dimension: 100_000, estimator: 'exact', width: 64 });
    expect(() =>
      checkMemoryBudget(options, {
        maxBufferSize: 2 ** 28,
        maxStorageBufferBindingSize: 2 ** 27,
        budgetBytes: 2 ** 40,
      }),
    ).toThrow(/hidden-layer jets need .* in one buffer; the device binds at most 128\.0 MiB/);
  });
});
