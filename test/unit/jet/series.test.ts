import { describe, expect, it } from 'vitest';
import { expectClose } from './expectClose.ts';
import {
  derivativesToTaylor,
  factorial,
  seriesAdd,
  seriesCompose,
  seriesMul,
  seriesMulTranspose,
  seriesPow,
  seriesScale,
  seriesSub,
  taylorToDerivatives,
} from '../../../src/jet/series.ts';
import {
  expDerivatives,
  sinDerivatives,
  reciprocalDerivatives,
} from '../../../src/jet/elementary.ts';
import { SeededRandom } from '../../../src/jet/seededRandom.ts';

const TOL = 1e-14;

function expectSeries(actual: ArrayLike<number>, expected: readonly number[], tol = TOL): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, k) => expectClose(actual[k], e, tol, `t^${k}`));
}

describe('truncated power series', () => {
  it('factorial', () => {
    expect([0, 1, 2, 5, 8].map(factorial)).toEqual([1, 1, 2, 120, 40320]);
    expect(() => factorial(-1)).toThrow(RangeError);
    expect(() => factorial(1.5)).toThrow(RangeError);
  });

  it('adds, subtracts and scales coefficientwise', () => {
    expectSeries(seriesAdd([1, 2, 3], [4, 5, 6]), [5, 7, 9]);
    expectSeries(seriesSub([1, 2, 3], [4, 5, 6]), [-3, -3, -3]);
    expectSeries(seriesScale([1, 2, 3], -2), [-2, -4, -6]);
    expect(() => seriesAdd([1, 2], [1, 2, 3])).toThrow(RangeError);
  });

  it('Cauchy product truncates at the order (tolerance 1e-14)', () => {
    // (1 + 2t + 3t²)(4 + 5t + 6t²) = 4 + 13t + 28t² + 27t³ + 18t⁴, written out by hand.
    expectSeries(seriesMul([1, 2, 3], [4, 5, 6]), [4, 13, 28]);
    expectSeries(seriesMul([1, 2, 3, 0, 0], [4, 5, 6, 0, 0]), [4, 13, 28, 27, 18]);
  });

  it('integer powers give binomial coefficients (tolerance 1e-14)', () => {
    expectSeries(seriesPow([1, 1, 0, 0, 0, 0, 0], 5), [1, 5, 10, 10, 5, 1, 0]);
    expectSeries(seriesPow([2, 0, 0], 0), [1, 0, 0]);
    expectSeries(seriesPow([0, 1, 0, 0], 3), [0, 0, 0, 1]);
    // (1 − t)^7 has alternating binomial coefficients up to t^7.
    expectSeries(seriesPow([1, -1, 0, 0, 0, 0, 0, 0, 0], 7), [1, -7, 21, -35, 35, -21, 7, -1, 0]);
  });

  it('the transposed product is the adjoint: ⟨a·b, c⟩ = ⟨b, aᵀc⟩ (tolerance 1e-13)', () => {
    const random = new SeededRandom(11);
    for (const order of [0, 1, 4, 8]) {
      const draw = () => Float64Array.from({ length: order + 1 }, () => random.normal());
      const [a, b, c] = [draw(), draw(), draw()];
      const dot = (x: ArrayLike<number>, y: ArrayLike<number>) =>
        Array.from(x).reduce((s, xi, i) => s + xi * y[i], 0);
      expectClose(dot(seriesMul(a, b), c), dot(b, seriesMulTranspose(a, c)), 1e-13, `K=${order}`);
    }
  });

  it('composes exp with t + t² (tolerance 1e-14)', () => {
    // n!·[t^n] e^{t+t²} satisfies a_{n+1} = a_n + 2n·a_{n−1} (Leibniz on f' = (1 + 2t)f).
    const expected = [1, 1, 3, 7, 25, 81, 331, 1303, 5937].map((a, n) => a / factorial(n));
    const exp0 = derivativesToTaylor(expDerivatives(0, 8));
    expectSeries(seriesCompose(exp0, [0, 1, 1, 0, 0, 0, 0, 0, 0]), expected);
  });

  it('composes sin with t² and 1/z with 1 − t (tolerance 1e-14)', () => {
    const sin0 = derivativesToTaylor(sinDerivatives(0, 8));
    // sin(t²) = t² − t⁶/6 + O(t¹⁰)
    expectSeries(seriesCompose(sin0, [0, 0, 1, 0, 0, 0, 0, 0, 0]), [
      0,
      0,
      1,
      0,
      0,
      0,
      -1 / 6,
      0,
      0,
    ]);
    const recip1 = derivativesToTaylor(reciprocalDerivatives(1, 6));
    expectSeries(seriesCompose(recip1, [1, -1, 0, 0, 0, 0, 0]), [1, 1, 1, 1, 1, 1, 1]);
  });

  it('composition needs a Taylor coefficient per order', () => {
    expect(() => seriesCompose([1, 2], [0, 1, 0])).toThrow(/needs 3 Taylor coefficients/);
  });

  it('converts between derivatives and normalized coefficients', () => {
    expectSeries(derivativesToTaylor([1, 2, 6, 24]), [1, 2, 3, 4]);
    expectSeries(taylorToDerivatives([1, 2, 3, 4]), [1, 2, 6, 24]);
  });
});
