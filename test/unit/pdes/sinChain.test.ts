import { describe, expect, it } from 'vitest';
import { pushCurve } from '../../../src/jet/jet.ts';
import { drawCoefficients } from '../../../src/pdes/coefficients.ts';
import { findPde } from '../../../src/pdes/index.ts';
import { DIAGONAL_ORDERS, factorPowerSeries, sinChain } from '../../../src/pdes/sinChain.ts';
import { jetDiagonal, jetValue, sinChainJet } from './jetReference.ts';
import { ballPoints } from './points.ts';

/**
 * The closed form against float64 jets of u* written as plain Jet arithmetic: both are float64
 * sums of the same size, so they agree to ~1e-13 relative at k = 8 (8! times coefficients of
 * size ~1); 1e-9 leaves room without hiding a wrong term (a wrong binomial or factorial is O(1)).
 */
const TOLERANCE = 1e-9;

function relative(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
}

describe.each(DIAGONAL_ORDERS)('sin chain, order k = %i', (k) => {
  const solution = sinChain(k);

  it.each([2, 3, 6])('u* and Σ_i ∂_i^k u* match jets of u* at d = %i (relative 1e-9)', (d) => {
    const c = drawCoefficients(d + k, solution.coefficientCount(d));
    const u = sinChainJet(c, k / 2);
    for (const [p, x] of ballPoints(d, 5, 200 + d).entries()) {
      const { u: value, operator } = solution.evaluate(x, c);
      expect(relative(value, jetValue(u, x)), `u*, point ${p}`).toBeLessThan(TOLERANCE);
      expect(relative(operator, jetDiagonal(u, x, k)), `operator, point ${p}`).toBeLessThan(
        TOLERANCE,
      );
      const magnitude = solution.magnitude(x, c);
      expect(magnitude.u).toBeGreaterThanOrEqual(Math.abs(value));
      expect(magnitude.operator).toBeGreaterThanOrEqual(Math.abs(operator));
    }
  });

  it('carries the factor (1 − ‖x‖²)^{k/2}: u* and its first k/2 − 1 normal derivatives vanish on the sphere', () => {
    const d = 3;
    const c = drawCoefficients(1, solution.coefficientCount(d));
    const u = sinChainJet(c, k / 2);
    const [x] = ballPoints(d, 1, 9).map((v) => v.map((xi) => xi * 2)); // radius 1
    const radial = x.map((xi) => xi); // the normal at x is x itself (|x| = 1)
    expect(Math.abs(solution.evaluate(x, c).u)).toBeLessThan(1e-15);
    for (let n = 1; n < k / 2; n++) {
      const tangents: (ArrayLike<number> | null)[] = [radial];
      for (let j = 1; j < n; j++) tangents.push(null);
      expect(Math.abs(u(pushCurve(x, tangents)).derivatives()[n])).toBeLessThan(1e-12);
    }
  });

  it('is a ball problem of the zoo with the matching factor power and order', () => {
    const pde = findPde(`diagonal-order-${k}`);
    expect(pde.domain).toBe('ball');
    if (pde.domain !== 'ball') return;
    expect(pde.operator).toBe('diagonal');
    expect(pde.solution.derivativeOrder).toBe(k);
    expect(pde.boundary).toBe(k === 2 ? 'ball' : `ball${k / 2}`);
  });
});

describe('factorPowerSeries', () => {
  it('expands (q − 2a t − t²)^m: m = 2 by hand', () => {
    // (q − 2at − t²)² = q² − 4aq t + (4a² − 2q) t² + 4a t³ + t⁴
    const [q, a] = [0.7, -0.3];
    const expected = [q * q, -4 * a * q, 4 * a * a - 2 * q, 4 * a, 1];
    const series = factorPowerSeries(q, a, 2);
    expect(series.length).toBe(5);
    series.forEach((v, j) => expect(v).toBeCloseTo(expected[j], 15));
  });
});
