import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../../src/train/options.ts';
import { DivergenceError, type StepLog, Trainer } from '../../src/train/trainer.ts';

let gpu: GpuContext;
beforeAll(async () => {
  gpu = await acquireNodeGpu();
});
afterAll(() => gpu?.destroy());

/** A small Allen–Cahn two-body run that SwiftShader finishes in seconds. */
function smallRun(overrides: Partial<TrainingOptions> = {}): TrainingOptions {
  return resolveTrainingOptions({
    pde: 'allen-cahn-two-body',
    dimension: 6,
    estimator: 'sparse',
    jetsPerPoint: 3,
    points: 32,
    width: 16,
    depth: 2,
    learningRate: 3e-3,
    schedule: 'constant',
    steps: 400,
    seed: 7,
    logEvery: 10,
    evalEvery: 0,
    testPoints: 500,
    ...overrides,
  });
}

function runningMean(logs: StepLog[], from: number, to: number): number {
  const window = logs.slice(from, to);
  return window.reduce((s, l) => s + l.loss, 0) / window.length;
}

describe('GPU trainer', () => {
  it('trains with no per-step readback: mapAsync calls ≤ steps/N + a constant', async () => {
    const trainer = await Trainer.create(gpu.device, smallRun({ steps: 200 }));
    const original = GPUBuffer.prototype.mapAsync;
    let maps = 0;
    GPUBuffer.prototype.mapAsync = function (...args: Parameters<GPUBuffer['mapAsync']>) {
      maps++;
      return original.apply(this, args);
    };
    try {
      await trainer.train(200);
    } finally {
      GPUBuffer.prototype.mapAsync = original;
    }
    // 200 steps logged every 10; the final step also evaluates the test set (2 reads per batch).
    expect(maps).toBeLessThanOrEqual(200 / 10 + 4);
    expect(trainer.logs).toHaveLength(20);
    expect(trainer.logs.every((l) => Number.isFinite(l.loss) && l.loss >= 0)).toBe(true);
    // The loss falls: its running mean over the last quarter is below that of the first.
    expect(runningMean(trainer.logs, 15, 20)).toBeLessThan(runningMean(trainer.logs, 0, 5));
    expect(trainer.evaluations).toHaveLength(1);
    expect(trainer.evaluations[0].relativeL2).toBeGreaterThan(0);
    trainer.dispose();
  });

  it('a run resumed from its state repeats the same losses bit for bit', async () => {
    const options = smallRun({ steps: 40, logEvery: 1, schedule: 'linear' });
    const first = await Trainer.create(gpu.device, options);
    await first.train(20);
    const state = await first.state();
    await first.train(20);
    const uninterrupted = first.logs.slice(20).map((l) => l.loss);
    first.dispose();

    const resumed = await Trainer.create(gpu.device, options, state);
    expect(resumed.step).toBe(20);
    await resumed.train(20);
    expect(resumed.logs.map((l) => l.loss)).toEqual(uninterrupted);
    resumed.dispose();
  });

  it('stops at the first non-finite loss or gradient and keeps the last good weights', async () => {
    const trainer = await Trainer.create(
      gpu.device,
      smallRun({ learningRate: 10, optimizer: 'sgd', logEvery: 1, steps: 100 }),
    );
    const error = await trainer.train(100).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DivergenceError);
    const status = (error as DivergenceError).status;
    expect(status.step).toBeGreaterThan(0);
    expect((error as Error).message).toMatch(/diverged at step \d+: non-finite (loss|gradient)/);
    expect(trainer.step).toBe(status.step! - 1);
    const params = await trainer.parameters();
    for (const layer of params.layers) {
      expect([...layer.weight, ...layer.bias].every(Number.isFinite)).toBe(true);
    }
    trainer.dispose();
  });
});
