import { describe, expect, it } from 'vitest';
import { packParameters } from '../../src/engine/jetLayout.ts';
import { initParameters } from '../../src/jet/mlp.ts';
import { DivergenceError, type StepLog, Trainer } from '../../src/train/trainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { smallRunOptions } from '../shared/smallRuns.ts';

const gpu = useNodeGpu();

function runningMean(logs: StepLog[], from: number, to: number): number {
  const window = logs.slice(from, to);
  return window.reduce((s, l) => s + l.loss, 0) / window.length;
}

describe('GPU trainer', () => {
  it('trains with no per-step readback: mapAsync calls ≤ steps/N + a constant', async () => {
    const trainer = await Trainer.create(gpu.device, smallRunOptions({ steps: 200 }));
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

  it('starts from the seeded fan-in init with the first layer scaled by firstLayerGain', async () => {
    const options = smallRunOptions({ firstLayerGain: 3.5 });
    const trainer = await Trainer.create(gpu.device, options);
    const { parameters } = await trainer.state();
    const architecture = trainer.architecture;
    const plain = initParameters(architecture, options.seed);
    const expected = packParameters(architecture.widths, {
      layers: plain.layers.map(({ weight, bias }, l) => ({
        weight: l === 0 ? weight.map((w) => 3.5 * w) : weight,
        bias,
      })),
    });
    expect(Array.from(parameters)).toEqual(Array.from(expected));
    trainer.dispose();
  });

  it('a run resumed from its state repeats the same losses bit for bit', async () => {
    const options = smallRunOptions({ steps: 40, logEvery: 1, schedule: 'linear' });
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
      smallRunOptions({ learningRate: 10, optimizer: 'sgd', logEvery: 1, steps: 100 }),
    );
    const error = await trainer.train(100).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DivergenceError);
    const status = (error as DivergenceError).status;
    expect(status.step).toBeGreaterThan(0);
    expect((error as Error).message).toMatch(/diverged at step \d+: non-finite (loss|gradient)/);
    // θ_{s−1} gave the non-finite loss; the last good weights are those before update s − 1.
    expect(trainer.step).toBe(Math.max(0, status.step! - 2));
    expect(trainer.logs.every((l) => l.step <= trainer.step)).toBe(true);
    const params = await trainer.parameters();
    for (const layer of params.layers) {
      expect([...layer.weight, ...layer.bias].every(Number.isFinite)).toBe(true);
    }
    trainer.dispose();
  });

  // A deep linear network with a constant step of 1 overflows float32 at step 3 (seed 7), and
  // with a step of 10 already at step 2.
  for (const [learningRate, trips] of [
    [1, 3],
    [10, 2],
  ]) {
    it(`a divergence at step ${trips} (Adam, lr ${learningRate}) keeps exactly the state of step ${trips - 2}, which a lower rate continues`, async () => {
      const options = smallRunOptions({
        activation: 'identity',
        depth: 6,
        learningRate,
        logEvery: 1,
        steps: 200,
      });
      const diverging = await Trainer.create(gpu.device, options);
      const error = await diverging.train(200).catch((e: unknown) => e);
      expect((error as DivergenceError).status.step).toBe(trips);
      expect(diverging.step).toBe(trips - 2);
      const kept = await diverging.state();
      diverging.dispose();

      // The same run stopped at step s − 2 by hand: bit-identical weights and moments.
      const reference = await Trainer.create(gpu.device, options);
      await reference.train(trips - 2);
      const expected = await reference.state();
      reference.dispose();
      expect(kept.step).toBe(expected.step);
      expect(kept.parameters).toEqual(expected.parameters);
      expect(kept.moments).toEqual(expected.moments);

      const resumed = await Trainer.create(gpu.device, { ...options, learningRate: 1e-3 }, kept);
      await resumed.train(20);
      expect(resumed.step).toBe(trips - 2 + 20);
      expect(resumed.logs.every((l) => Number.isFinite(l.loss))).toBe(true);
      resumed.dispose();
    });
  }

  it('without the rollback copy runs a finite run bit-identically', async () => {
    const options = smallRunOptions({ steps: 30, logEvery: 1 });
    const runs = [];
    for (const rollback of [true, false]) {
      const trainer = await Trainer.create(gpu.device, options, undefined, undefined, { rollback });
      await trainer.train(30);
      runs.push({ logs: trainer.logs.slice(), state: await trainer.state() });
      trainer.dispose();
    }
    expect(runs[1].logs).toEqual(runs[0].logs);
    expect(runs[1].state).toEqual(runs[0].state);
  });

  // The runs of the rollback test above, with the last good state from the CPU snapshots instead.
  for (const [learningRate, trips, snapshotAt, kept] of [
    [1, 3, 1, 1], // a snapshot at s − 2: the same state the rollback keeps
    [10, 2, 0, 0], // only the initial state: again s − 2
    [1, 3, 2, 0], // the snapshot at s − 1 holds the weights that diverged: the one before it
  ]) {
    it(`without the rollback copy, a divergence at step ${trips} after a snapshot at step ${snapshotAt} keeps step ${kept}`, async () => {
      const options = smallRunOptions({
        activation: 'identity',
        depth: 6,
        learningRate,
        logEvery: 1,
        steps: 200,
      });
      const settings = { rollback: false };
      const diverging = await Trainer.create(gpu.device, options, undefined, undefined, settings);
      if (snapshotAt > 0) {
        await diverging.train(snapshotAt);
        await diverging.state();
      }
      const error = await diverging.train(200).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DivergenceError);
      expect((error as DivergenceError).status.step).toBe(trips);
      expect((error as DivergenceError).keptStep).toBe(kept);
      expect(diverging.step).toBe(kept);
      expect(diverging.logs.every((l) => l.step <= kept)).toBe(true);
      const state = await diverging.state();
      diverging.dispose();

      const reference = await Trainer.create(gpu.device, options);
      if (kept > 0) await reference.train(kept);
      const expected = await reference.state();
      reference.dispose();
      expect(state).toEqual(expected);
    });
  }
});
