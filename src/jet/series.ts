/**
 * Truncated power series in t, stored as normalized Taylor coefficients: `a[k]` is the coefficient of
 * t^k (DESIGN.md §2). A series of length K + 1 has order K; every operation keeps that length, so
 * terms beyond t^K are dropped, never carried.
 */
export type Series = Float64Array;

export function factorial(k: number): number {
  if (!Number.isInteger(k) || k < 0) {
    throw new RangeError(`factorial needs a non-negative integer, got ${k}`);
  }
  let f = 1;
  for (let i = 2; i <= k; i++) f *= i;
  return f;
}

function requireSameLength(a: ArrayLike<number>, b: ArrayLike<number>, operation: string): void {
  if (a.length !== b.length) {
    throw new RangeError(`${operation}: series lengths differ (${a.length} and ${b.length})`);
  }
  if (a.length === 0) throw new RangeError(`${operation}: a series needs at least the value term`);
}

/** The series of a constant: value at t^0, zeros up to t^order. */
export function seriesConstant(value: number, order: number): Series {
  const s = new Float64Array(order + 1);
  s[0] = value;
  return s;
}

export function seriesAdd(a: ArrayLike<number>, b: ArrayLike<number>): Series {
  requireSameLength(a, b, 'seriesAdd');
  const s = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) s[k] = a[k] + b[k];
  return s;
}

export function seriesSub(a: ArrayLike<number>, b: ArrayLike<number>): Series {
  requireSameLength(a, b, 'seriesSub');
  const s = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) s[k] = a[k] - b[k];
  return s;
}

export function seriesScale(a: ArrayLike<number>, factor: number): Series {
  const s = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) s[k] = factor * a[k];
  return s;
}

/** Cauchy product: (a·b)_k = Σ_{j=0..k} a_j b_{k−j}. */
export function seriesMul(a: ArrayLike<number>, b: ArrayLike<number>): Series {
  requireSameLength(a, b, 'seriesMul');
  const s = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) {
    let sum = 0;
    for (let j = 0; j <= k; j++) sum += a[j] * b[k - j];
    s[k] = sum;
  }
  return s;
}

/**
 * The adjoint of b ↦ a·b (Cauchy product with a fixed): out_m = Σ_{k=m..K} c_k a_{k−m}. Reverse mode
 * needs it for every product whose one factor is held fixed (activation chain rule, boundary factor).
 */
export function seriesMulTranspose(a: ArrayLike<number>, c: ArrayLike<number>): Series {
  requireSameLength(a, c, 'seriesMulTranspose');
  const s = new Float64Array(a.length);
  for (let m = 0; m < a.length; m++) {
    let sum = 0;
    for (let k = m; k < a.length; k++) sum += c[k] * a[k - m];
    s[m] = sum;
  }
  return s;
}

/** a^n for a non-negative integer n, by binary exponentiation of truncated products. */
export function seriesPow(a: ArrayLike<number>, n: number): Series {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`seriesPow needs a non-negative integer exponent, got ${n}`);
  }
  let result = seriesConstant(1, a.length - 1);
  let base: Series = Float64Array.from(a);
  for (let e = n; e > 0; e >>= 1) {
    if (e & 1) result = seriesMul(result, base);
    if (e > 1) base = seriesMul(base, base);
  }
  return result;
}

/**
 * f(z(t)) for a scalar function f given its normalized Taylor coefficients at z_0 = z[0]:
 * `taylor[j] = f^(j)(z_0)/j!` for j = 0..K (extra entries are ignored). This is Faà di Bruno written
 * as f(z(t)) = Σ_j taylor[j]·(z(t) − z_0)^j, evaluated by Horner's rule in the tail h = z − z_0; since
 * h has no t^0 term, h^j starts at t^j and the truncation is exact.
 */
export function seriesCompose(taylor: ArrayLike<number>, z: ArrayLike<number>): Series {
  const order = z.length - 1;
  if (order < 0) throw new RangeError('seriesCompose: a series needs at least the value term');
  if (taylor.length < z.length) {
    throw new RangeError(
      `seriesCompose: order ${order} needs ${z.length} Taylor coefficients, got ${taylor.length}`,
    );
  }
  const tail = Float64Array.from(z);
  tail[0] = 0;
  let result = seriesConstant(taylor[order], order);
  for (let j = order - 1; j >= 0; j--) {
    result = seriesMul(result, tail);
    result[0] += taylor[j];
  }
  return result;
}

/** Normalized coefficients c_k = d_k/k! from derivatives d_k (e.g. curve tangents, σ^(k)). */
export function derivativesToTaylor(derivatives: ArrayLike<number>): Series {
  const s = new Float64Array(derivatives.length);
  for (let k = 0; k < derivatives.length; k++) s[k] = derivatives[k] / factorial(k);
  return s;
}

/** Derivatives J_k = k!·c_k from normalized coefficients. */
export function taylorToDerivatives(taylor: ArrayLike<number>): Float64Array {
  const s = new Float64Array(taylor.length);
  for (let k = 0; k < taylor.length; k++) s[k] = taylor[k] * factorial(k);
  return s;
}
