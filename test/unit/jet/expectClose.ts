import { expect } from 'vitest';

/** |actual − expected| ≤ tolerance·max(1, |expected|): relative for large values, absolute near 0. */
export function expectClose(actual: number, expected: number, tolerance: number, label = ''): void {
  const bound = tolerance * Math.max(1, Math.abs(expected));
  expect(
    Math.abs(actual - expected),
    `${label}: got ${actual}, expected ${expected} (bound ${bound})`,
  ).toBeLessThanOrEqual(bound);
}

/** The unit vector e_i in R^d. */
export function unit(d: number, i: number): Float64Array {
  const e = new Float64Array(d);
  e[i] = 1;
  return e;
}

/** a·x + b·y, for building directions such as e_i + e_j. */
export function combine(
  a: number,
  x: ArrayLike<number>,
  b: number,
  y: ArrayLike<number>,
): Float64Array {
  return Float64Array.from(x, (xi, i) => a * xi + b * y[i]);
}
