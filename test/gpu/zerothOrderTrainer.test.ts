/**
 * The trainer in each backprop-free mode (TrainingOptions.gradientEstimator) on a small two-body
 * Allen–Cahn problem: finite losses whose running mean falls, bit-identical reruns with one seed,
 * and less GPU memory than backprop (no stored layer jets, no backward buffers).
 */
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import {
  type GradientEstimator,
  resolveTrainingOptions,
  type TrainingOptions,
} from '../../src/train/options.ts';
import { type StepLog, Trainer } from '../../src/train/trainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { smallRunOptions } from '../shared/smallRuns.ts';

let gpu: GpuContext;
useNodeGpu((context) => {
  gpu = context;
});

function run(gradientEstimator: GradientEstimator, steps: number): TrainingOptions {
  return smallRunOptions({
    steps,
    logEvery: 5,
    testPoints: 200,
    gradientEstimator,
    perturbationDirections: gradientEstimator === 'forward-gradient' ? 1 : 2,
    subspaceRank: 2,
    subspacePeriod: 10,
  });
}

function mean(logs: StepLog[]): number {
  return logs.reduce((s, l) => s + l.loss, 0) / logs.length;
}

async function losses(options: TrainingOptions): Promise<{ logs: StepLog[]; bytes: number }> {
  const trainer = await Trainer.create(gpu.device, options);
  await trainer.train(options.steps);
  const result = { logs: [...trainer.logs], bytes: trainer.memoryBytes };
  trainer.dispose();
  return result;
}

describe('backprop-free training modes', () => {
  for (const mode of ['spsa', 'spsa-subspace', 'forward-gradient'] as const) {
    it(`${mode}: finite losses falling in mean, bit-identical on rerun`, async () => {
      const options = run(mode, 60);
      const first = await losses(options);
      expect(first.logs).toHaveLength(12);
      expect(first.logs.every((l) => Number.isFinite(l.loss) && l.loss > 0)).toBe(true);
      expect(first.logs.every((l) => Number.isFinite(l.gradientNorm))).toBe(true);
      expect(mean(first.logs.slice(-3))).toBeLessThan(mean(first.logs.slice(0, 3)));
      const second = await losses(options);
      expect(second.logs.map((l) => l.loss)).toEqual(first.logs.map((l) => l.loss));
      expect(second.logs.map((l) => l.gradientNorm)).toEqual(first.logs.map((l) => l.gradientNorm));
    }, 60_000);
  }

  it('allocates less than backprop: no stored layer jets, no backward buffers', async () => {
    const bytes: Record<string, number> = {};
    for (const mode of ['backprop', 'spsa', 'spsa-subspace', 'forward-gradient'] as const) {
      const trainer = await Trainer.create(gpu.device, run(mode, 1));
      bytes[mode] = trainer.memoryBytes;
      trainer.dispose();
    }
    console.log(bytes);
    expect(bytes.spsa).toBeLessThan(bytes.backprop);
    expect(bytes['spsa-subspace']).toBeLessThan(bytes.backprop);
    expect(bytes['forward-gradient']).toBeLessThan(bytes.backprop);
  }, 60_000);

  it('refuses forward-gradient on a parabolic problem and q > 1 for it, naming the option', () => {
    expect(() =>
      resolveTrainingOptions({ pde: 'semilinear-heat', gradientEstimator: 'forward-gradient' }),
    ).toThrow(/gradientEstimator 'forward-gradient' runs on the ball problems/);
    expect(() =>
      resolveTrainingOptions({ gradientEstimator: 'forward-gradient', perturbationDirections: 4 }),
    ).toThrow(/perturbationDirections must be 1/);
    expect(() => resolveTrainingOptions({ gradientEstimator: 'spsa', subspaceRank: 0 })).toThrow(
      /subspaceRank must be an integer in 1\.\.64, got 0/,
    );
  });
});
