import { describe, expect, it } from 'vitest';
import { histogramDomain } from '../../../src/ui/charts/histogram.ts';

describe('histogram domain', () => {
  it('spans the values, the mean and the exact value', () => {
    expect(histogramDomain([1, 3, 2], { exact: 5, mean: 2, standardDeviation: 1 })).toEqual([1, 5]);
    expect(
      histogramDomain([1, NaN, 2], { exact: null, mean: 1.5, standardDeviation: 0.5 }),
    ).toEqual([1, 2]);
  });

  it('widens a range of one value (the exact estimator) so the bars have a width', () => {
    const [low, high] = histogramDomain([-4, -4, -4], {
      exact: -4,
      mean: -4,
      standardDeviation: 0,
    });
    expect(low).toBeCloseTo(-4.004, 12);
    expect(high).toBeCloseTo(-3.996, 12);
    const [zeroLow, zeroHigh] = histogramDomain([0, 0], {
      exact: 0,
      mean: 0,
      standardDeviation: 0,
    });
    expect(zeroLow).toBe(-1e-6);
    expect(zeroHigh).toBe(1e-6);
  });
});
