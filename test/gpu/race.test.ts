import { describe, expect, it } from 'vitest';
import { resolveTrainingOptions } from '../../src/train/options.ts';
import { estimateMemory } from '../../src/train/memoryBudget.ts';
import { laneOptions, Race } from '../../src/train/race.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { trainingLimitsOf } from '../../src/train/trainingPlan.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

/** A small ball run: 40 steps, logged every step, a 200-point test set. */
const base = resolveTrainingOptions({
  dimension: 4,
  jetsPerPoint: 2,
  width: 8,
  depth: 2,
  points: 16,
  steps: 40,
  logEvery: 1,
  testPoints: 200,
  learningRate: 5e-3,
  seed: 7,
});

describe('a race of two estimators on one device', () => {
  it('interleaves the lanes turn by turn, each lane exactly what it computes alone', async () => {
    const lanes = [{ estimator: 'sparse' }, { estimator: 'exact' }];
    const race = await Race.create(gpu.device, base, lanes);
    try {
      while (!race.done) await race.round(10);
      // Turns alternate: lane 0, lane 1, lane 0, … over steps 0–10, 10–20, …
      expect(race.chunks).toEqual(
        [0, 10, 20, 30].flatMap((from) => [
          { lane: 0, fromStep: from, toStep: from + 10 },
          { lane: 1, fromStep: from, toStep: from + 10 },
        ]),
      );
      const [sparse, exact] = race.progress();
      // Same network, seed and test set: the same untrained error, to the bit.
      expect(sparse.evaluations[0]).toEqual(exact.evaluations[0]);
      expect(sparse.evaluations.map((e) => e.step)).toEqual([0, 10, 20, 30, 40]);
      expect(sparse.timeline.map((t) => t.step)).toEqual([0, 10, 20, 30, 40]);
      expect(sparse.seconds).toBeGreaterThan(0);
      expect(sparse.memoryBytes).toBeGreaterThan(0);
      // The estimators differ, so the runs do.
      expect(sparse.logs.at(-1)!.loss).not.toBe(exact.logs.at(-1)!.loss);
      // Each lane matches a trainer of the same options run alone, bit for bit: sharing the
      // device in turns changes nothing in a lane.
      for (const [index, lane] of [sparse, exact].entries()) {
        const alone = await Trainer.create(gpu.device, lane.options);
        try {
          await alone.train(40);
          expect(
            lane.logs.map((l) => l.loss),
            `lane ${index}`,
          ).toEqual(alone.logs.map((l) => l.loss));
        } finally {
          alone.dispose();
        }
      }
    } finally {
      race.dispose();
    }
  });

  it('refuses lanes that each fit but together exceed the budget, before allocating, with the numbers', async () => {
    const lanes = [{ estimator: 'sparse' }, { estimator: 'exact' }];
    const limits = {
      ...trainingLimitsOf(gpu.device.limits),
      maxBufferSize: gpu.device.limits.maxBufferSize,
    };
    const sizes = laneOptions(base, lanes).map(
      (o) => estimateMemory(o, limits.maxStorageBufferBindingSize, limits).totalBytes,
    );
    const budget = Math.max(...sizes) + 1;
    await expect(Race.create(gpu.device, base, lanes, budget)).rejects.toThrow(
      /the race's lanes need about \S+ \S+ of GPU memory together \(\S+ \S+ \+ \S+ \S+\), over the budget of/,
    );
  });
});
