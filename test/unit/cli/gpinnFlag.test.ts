/**
 * `--gpinn` turns the gPINN term on at STDE's weight c = 0.1 (Table 12), `--gpinn-weight c` at
 * another; both at once is refused, as is either on a problem the term is not built for.
 */
import { describe, expect, it } from 'vitest';
import { parseFlags, UsageError } from '../../../src/cli/args.ts';
import { TRAINING_FLAGS, trainingOptionsFromFlags } from '../../../src/cli/trainingFlags.ts';

const specs = TRAINING_FLAGS.map((f) => f.spec);
const fromArgv = (...argv: string[]) => trainingOptionsFromFlags(parseFlags(argv, specs, 'train'));
const ball = ['--pde', 'allen-cahn-two-body', '--dim', '10', '--jets', '4'];

describe('the --gpinn flag', () => {
  it('is off unless given, and on at c = 0.1', () => {
    expect(fromArgv(...ball).gpinnWeight).toBe(0);
    expect(fromArgv(...ball, '--gpinn').gpinnWeight).toBe(0.1);
    expect(fromArgv(...ball, '--gpinn-weight', '0.3').gpinnWeight).toBe(0.3);
  });

  it('refuses --gpinn beside --gpinn-weight, naming both', () => {
    const both = () => fromArgv(...ball, '--gpinn', '--gpinn-weight', '0.3');
    expect(both).toThrow(UsageError);
    expect(both).toThrow('--gpinn-weight and --gpinn both set gpinnWeight: give one');
  });

  it('refuses the term on a problem it is not built for, with the reason', () => {
    expect(() =>
      fromArgv('--pde', 'poisson-three-body', '--dim', '10', '--jets', '4', '--gpinn'),
    ).toThrow(/gpinnWeight = 0\.1: the gPINN term is built for the two-body ball problems/);
    expect(() => fromArgv('--pde', 'kdv-2d', '--gpinn')).toThrow(/no gradient-enhanced/);
  });
});
