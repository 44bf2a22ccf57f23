/**
 * storageToFit and leastStorage (src/train/storageChoice.ts) against the memory check: a run
 * stays stored where it fits, is regenerated in one storage, else both, where only that fits, and
 * the least storage fits exactly where some choice does (the d slider's search relies on it).
 */
import { describe, expect, it } from 'vitest';
import { estimateMemory, memoryProblem } from '../../../src/train/memoryBudget.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../../../src/train/options.ts';
import { leastStorage, storageToFit } from '../../../src/train/storageChoice.ts';

/** SwiftShader's 1 GiB bindings and the CLI's 4 GiB budget. */
const limits = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };
const fits = (options: TrainingOptions) =>
  memoryProblem(estimateMemory(options, limits.maxStorageBufferBindingSize, limits), limits) ===
  null;

describe('the storage a run is built with', () => {
  it('keeps a run that fits stored, and regenerates the storage that makes it fit', () => {
    const small = resolveTrainingOptions({ dimension: 1000 });
    expect(storageToFit(small, fits)).toEqual({ options: small, regenerated: [] });
    // STDE's setup with 300 points at d = 10⁶: the points are 1.12 GiB in one buffer stored.
    const points = resolveTrainingOptions({ dimension: 1_000_000, points: 300 });
    expect(fits(points)).toBe(false);
    expect(storageToFit(points, fits)).toEqual({
      options: { ...points, pointStorage: 'regenerated' },
      regenerated: ['pointStorage'],
    });
    // Dense Hutchinson at d = 10⁵: the tangents are 1.19 GiB stored, the points 38 MiB.
    const dense = resolveTrainingOptions({
      dimension: 100_000,
      estimator: 'rademacher',
      jetsPerPoint: 16,
    });
    expect(storageToFit(dense, fits)).toEqual({
      options: { ...dense, tangentStorage: 'regenerated' },
      regenerated: ['tangentStorage'],
    });
    // With 300 points at d = 10⁶, B = 4, width 32: the points are 1.12 GiB once the tangents
    // are redrawn, so both are.
    const both = resolveTrainingOptions({
      dimension: 1_000_000,
      estimator: 'rademacher',
      jetsPerPoint: 4,
      points: 300,
      width: 32,
    });
    for (const field of ['pointStorage', 'tangentStorage'] as const) {
      expect(fits({ ...both, [field]: 'regenerated' })).toBe(false);
    }
    expect(storageToFit(both, fits)).toEqual({
      options: { ...both, pointStorage: 'regenerated', tangentStorage: 'regenerated' },
      regenerated: ['pointStorage', 'tangentStorage'],
    });
    // Past what a redraw saves, the options come back as given.
    const huge = resolveTrainingOptions({ dimension: 10_000_000 });
    expect(storageToFit(huge, fits)).toEqual({ options: huge, regenerated: [] });
  });

  it('takes the least storage each run allows: points, tangents, both or none', () => {
    const sparse = resolveTrainingOptions({ dimension: 1000 });
    expect(leastStorage(sparse)).toEqual({ ...sparse, pointStorage: 'regenerated' });
    const dense = resolveTrainingOptions({ dimension: 1000, estimator: 'gaussian' });
    expect(leastStorage(dense)).toEqual({
      ...dense,
      pointStorage: 'regenerated',
      tangentStorage: 'regenerated',
    });
    // The gPINN reads stored points and its sparse jets store no tangents.
    const gpinn = resolveTrainingOptions({ dimension: 1000, gpinnWeight: 1 });
    expect(leastStorage(gpinn)).toEqual(gpinn);
    const box = resolveTrainingOptions({ pde: 'kdv-2d' });
    expect(leastStorage(box)).toEqual(box);
  });

  it('fits with its least storage exactly where some choice of storage fits', () => {
    for (const base of [
      { points: 300 },
      { estimator: 'rademacher', jetsPerPoint: 16 },
      { estimator: 'rademacher', jetsPerPoint: 4, points: 300, width: 32 },
      { gradientEstimator: 'spsa', optimizer: 'sgd' },
    ] as const) {
      for (const dimension of [
        30_000, 100_000, 300_000, 900_000, 1_000_000, 2_000_000, 3_000_000,
      ]) {
        const options = resolveTrainingOptions({ ...base, dimension });
        const chosen = storageToFit(options, fits).options;
        expect(fits(leastStorage(options)), `${JSON.stringify(base)} at d = ${dimension}`).toBe(
          fits(chosen),
        );
      }
    }
  });
});
