/**
 * The backprop-free training options: defaults keep today's behaviour, the CLI flags map onto
 * them, and bad values or combinations are refused with the flag or field, the value and the range.
 */
import { describe, expect, it } from 'vitest';
import { parseFlags, UsageError } from '../../../src/cli/args.ts';
import { TRAINING_FLAGS, trainingOptionsFromFlags } from '../../../src/cli/trainingFlags.ts';
import {
  defaultTrainingOptions,
  resolveTrainingOptions,
  TrainingOptionsError,
} from '../../../src/train/options.ts';

const specs = TRAINING_FLAGS.map((f) => f.spec);
const fromArgv = (...argv: string[]) => trainingOptionsFromFlags(parseFlags(argv, specs, 'train'));

describe('gradient estimator options', () => {
  it('default to backprop with ε = 1e-3, q = 1, r = 4, T₀ = 100', () => {
    expect(defaultTrainingOptions.gradientEstimator).toBe('backprop');
    expect(resolveTrainingOptions({})).toMatchObject({
      gradientEstimator: 'backprop',
      perturbationScale: 1e-3,
      perturbationDirections: 1,
      subspaceRank: 4,
      subspacePeriod: 100,
    });
  });

  it('come from the train flags', () => {
    const options = fromArgv(
      '--gradient-estimator',
      'spsa-subspace',
      '--perturbation-scale',
      '0.01',
      '--perturbation-directions',
      '3',
      '--subspace-rank',
      '8',
      '--subspace-period',
      '25',
    );
    expect(options).toMatchObject({
      gradientEstimator: 'spsa-subspace',
      perturbationScale: 0.01,
      perturbationDirections: 3,
      subspaceRank: 8,
      subspacePeriod: 25,
    });
  });

  it('refuse bad values, naming the flag, the value and what is allowed', () => {
    expect(() => fromArgv('--gradient-estimator', 'adjoint')).toThrow(UsageError);
    expect(() => fromArgv('--gradient-estimator', 'adjoint')).toThrow(/gradient-estimator/);
    expect(() => fromArgv('--perturbation-scale', '0')).toThrow(
      /--perturbation-scale: perturbationScale must be a finite number in \(0, 1\], got 0/,
    );
    expect(() => fromArgv('--subspace-rank', '65')).toThrow(
      /--subspace-rank: subspaceRank must be an integer in 1\.\.64, got 65/,
    );
    expect(() => fromArgv('--perturbation-directions', '0')).toThrow(
      /perturbationDirections must be an integer in 1\.\.1024, got 0/,
    );
  });

  it('refuse forward-gradient where it has no tangent pass or with q > 1', () => {
    expect(() =>
      resolveTrainingOptions({
        pde: 'allen-cahn-parabolic',
        gradientEstimator: 'forward-gradient',
      }),
    ).toThrow(TrainingOptionsError);
    expect(() =>
      resolveTrainingOptions({ gradientEstimator: 'forward-gradient', perturbationDirections: 2 }),
    ).toThrow(/perturbationDirections must be 1 with gradientEstimator 'forward-gradient'/);
    expect(
      resolveTrainingOptions({ pde: 'allen-cahn-parabolic', gradientEstimator: 'spsa' })
        .gradientEstimator,
    ).toBe('spsa');
  });
});
