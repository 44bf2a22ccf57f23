import { describe, expect, it } from 'vitest';
import { integerListFlag, numberFlag, stringFlag } from '../../../bench/lib/args.ts';

describe('bench flags', () => {
  it('read --name value and --name=value, undefined or the fallback when absent', () => {
    expect(stringFlag('out-dir', ['--out-dir', '/tmp/x'])).toBe('/tmp/x');
    expect(stringFlag('out-dir', ['--out-dir=/tmp/y'])).toBe('/tmp/y');
    expect(stringFlag('out-dir', ['--steps', '3'])).toBeUndefined();
    expect(numberFlag('budget-s', 180, ['--budget-s=300'])).toBe(300);
    expect(numberFlag('budget-s', 180, [])).toBe(180);
    expect(integerListFlag('dims', [10], ['--dims', '100,1000'])).toEqual([100, 1000]);
    expect(integerListFlag('dims', [10], [])).toEqual([10]);
  });

  it('refuse a missing value, a non-positive number and a bad list, naming the flag', () => {
    expect(() => stringFlag('out-dir', ['--out-dir'])).toThrow(/--out-dir needs a value/);
    expect(() => numberFlag('steps', 1, ['--steps', '-2'])).toThrow(
      /--steps must be a positive number, got "-2"/,
    );
    expect(() => numberFlag('steps', 1, ['--steps=abc'])).toThrow(/--steps must be a positive/);
    for (const bad of ['100,x', '0', '1.5', '10,,20']) {
      expect(() => integerListFlag('dims', [10], ['--dims', bad])).toThrow(
        /--dims must be a comma-separated list of positive integers/,
      );
    }
  });
});
