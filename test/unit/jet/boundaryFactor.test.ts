import { describe, expect, it } from 'vitest';
import { boundaryFactorJet } from '../../../src/jet/boundaryFactor.ts';
import { BOUNDARY_FACTORS, boundaryPower } from '../../../src/jet/mlp.ts';
import { createVectorJet, setUnitSeries } from '../../../src/jet/vectorJet.ts';

describe('boundaryFactorJet', () => {
  // Along the line g(t) = x + t·v the factor (1 − ‖g(t)‖²)^m is a polynomial of degree 2m, so its
  // order-8 jet holds it exactly: evaluating the series at t must give the factor itself.
  const x = [0.3, -0.4, 0.2];
  const v = [0.5, 0.25, -1];
  const K = 8;
  const curve = createVectorJet(x.length, K);
  x.forEach((xi, i) => {
    const series = new Float64Array(K + 1);
    series[0] = xi;
    series[1] = v[i];
    setUnitSeries(curve, i, series);
  });

  it.each(BOUNDARY_FACTORS.filter((b) => b !== 'none'))(
    '%s is (1 − ‖x + t v‖²)^m as a polynomial in t (relative 1e-13)',
    (boundary) => {
      const m = boundaryPower(boundary);
      const series = boundaryFactorJet(boundary, curve);
      expect(series).not.toBeNull();
      for (const t of [-0.7, 0.1, 0.45]) {
        const g = x.map((xi, i) => xi + t * v[i]);
        const expected = (1 - g.reduce((s, gi) => s + gi * gi, 0)) ** m;
        const value = series!.reduce((s, c, k) => s + c * t ** k, 0);
        expect(Math.abs(value - expected)).toBeLessThan(1e-13 * Math.max(1, Math.abs(expected)));
      }
      // Degree 2m: nothing above it.
      for (let k = 2 * m + 1; k <= K; k++) expect(series![k]).toBe(0);
    },
  );

  it('is null without a factor, and the powers run 0..4', () => {
    expect(boundaryFactorJet('none', curve)).toBeNull();
    expect(BOUNDARY_FACTORS.map(boundaryPower)).toEqual([0, 1, 2, 3, 4]);
  });
});
