import { describe, expect, it } from 'vitest';
import { resolveTrainingOptions } from '../../../src/train/options.ts';
import { laneLabel, laneOptions } from '../../../src/train/race.ts';

const base = resolveTrainingOptions({ dimension: 6, jetsPerPoint: 4, width: 8, depth: 2 });

describe('laneOptions', () => {
  it('gives each lane the base run with its overrides, evaluated by the race (evalEvery 0)', () => {
    const [sparse, exact] = laneOptions(base, [{ jetsPerPoint: 2 }, { estimator: 'exact' }]);
    expect(sparse).toEqual({ ...base, jetsPerPoint: 2, evalEvery: 0 });
    expect(exact).toEqual({ ...base, estimator: 'exact', evalEvery: 0 });
  });

  it('refuses too few or too many lanes, options a lane may not set, and lanes that cannot run', () => {
    expect(() => laneOptions(base, [{}])).toThrow(/2 to 4 lanes, got 1/);
    expect(() => laneOptions(base, [{}, {}, {}, {}, {}])).toThrow(/2 to 4 lanes, got 5/);
    expect(() => laneOptions(base, [{}, { width: 16 } as never])).toThrow(
      /lane 2: a lane may set .* not width \(the lanes share the problem, the network and the seed\)/,
    );
    // B = 8 of d = 6 coordinates without replacement: the lane is named with the trainer's reason.
    expect(() => laneOptions(base, [{ jetsPerPoint: 8 }, {}])).toThrow(
      /lane 1: sparse STDE samples jetsPerPoint = 8 of d = 6/,
    );
  });
});

describe('laneLabel', () => {
  it('names what a lane changes', () => {
    const [a, b, c] = laneOptions(base, [
      { jetsPerPoint: 2 },
      { estimator: 'exact', collapsed: false },
      { gradientEstimator: 'spsa', learningRate: 1e-3 },
    ]);
    expect(laneLabel(a, { jetsPerPoint: 2 })).toBe('sparse B = 2');
    expect(laneLabel(b, { estimator: 'exact', collapsed: false })).toBe('exact, standard');
    expect(laneLabel(c, { gradientEstimator: 'spsa', learningRate: 1e-3 })).toBe(
      'sparse B = 4, spsa, lr 0.001',
    );
  });
});
