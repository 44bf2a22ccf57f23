/**
 * Derivatives of functions that solve an autonomous polynomial ODE y' = f(y), as polynomials in y.
 *
 * tanh solves y' = 1 − y² and the logistic function solves y' = y − y². Every derivative of such a y is
 * f(y)·Q_k(y) for a polynomial Q_k: Q_1 = 1 and, differentiating f·Q_k once more,
 * Q_{k+1} = f'·Q_k + f·Q_k'. Keeping f as an explicit factor matters near saturation, where f(y) is
 * tiny: it can then be computed from z directly (sech², s(1 − s)) instead of by cancellation in 1 − y².
 *
 * Polynomials are coefficient arrays in ascending powers.
 */
export type Polynomial = readonly number[];

export function polynomialDerivative(p: Polynomial): number[] {
  const d: number[] = [];
  for (let i = 1; i < p.length; i++) d.push(i * p[i]);
  return d;
}

export function polynomialAdd(a: Polynomial, b: Polynomial): number[] {
  const s = new Array<number>(Math.max(a.length, b.length)).fill(0);
  a.forEach((c, i) => (s[i] += c));
  b.forEach((c, i) => (s[i] += c));
  return s;
}

export function polynomialMul(a: Polynomial, b: Polynomial): number[] {
  if (a.length === 0 || b.length === 0) return [];
  const s = new Array<number>(a.length + b.length - 1).fill(0);
  a.forEach((ca, i) => b.forEach((cb, j) => (s[i + j] += ca * cb)));
  return s;
}

export function polynomialEvaluate(p: Polynomial, y: number): number {
  let v = 0;
  for (let i = p.length - 1; i >= 0; i--) v = v * y + p[i];
  return v;
}

/**
 * The factors Q_1..Q_maxOrder of y' = f(y), grown on demand and cached, since every activation
 * evaluation asks for the same few.
 */
export class OdeDerivativeFactors {
  private readonly f: Polynomial;
  private readonly fPrime: Polynomial;
  private readonly factors: number[][] = [[1]];

  constructor(f: Polynomial) {
    this.f = f;
    this.fPrime = polynomialDerivative(f);
  }

  /** Q_k, so that y^(k) = f(y)·Q_k(y) for k ≥ 1. */
  factor(k: number): Polynomial {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`Q_k needs an integer k ≥ 1, got ${k}`);
    while (this.factors.length < k) {
      const q = this.factors[this.factors.length - 1];
      this.factors.push(
        polynomialAdd(
          polynomialMul(this.fPrime, q),
          polynomialMul(this.f, polynomialDerivative(q)),
        ),
      );
    }
    return this.factors[k - 1];
  }
}
