import { factorial } from '../jet/series.ts';
import { type BallSolution, checkBallInputs, termMap } from './ballSolution.ts';
import type { ValueAndOperator } from './radialFactor.ts';
import { squaredNorm } from './vector.ts';

/**
 * The diagonal operator family Σ_i ∂^k u/∂x_i^k = f in the unit ball (the dashboard's order
 * slider, DESIGN.md §3's "diagonal k-th order" row). k is even: Σ_i ξ_i^k > 0 for ξ ≠ 0 makes the
 * operator elliptic of order k, and with the k/2 Dirichlet conditions u = ∂_n u = … = ∂_n^{k/2−1} u
 * = 0 the problem has one solution. An odd k has no such theory (Σ_i ξ_i^k changes sign), so a
 * PINN's error against a manufactured u* would not mean convergence; those orders are not offered.
 */
export const DIAGONAL_ORDERS = [2, 4, 6, 8] as const;
export type DiagonalOrder = (typeof DIAGONAL_ORDERS)[number];

/** The hard factor's power m = k/2: b^m vanishes on the sphere with its first m − 1 normal derivatives. */
export function diagonalFactorPower(k: DiagonalOrder): 1 | 2 | 3 | 4 {
  return (k / 2) as 1 | 2 | 3 | 4;
}

const BOUNDARIES = { 1: 'ball', 2: 'ball2', 3: 'ball3', 4: 'ball4' } as const;

/** Coefficients of (p₀ + p₁t + p₂t²)^m in t, m ≥ 0. */
function quadraticPower(p: readonly [number, number, number], m: number): Float64Array {
  let power = new Float64Array([1]);
  for (let n = 0; n < m; n++) {
    const next = new Float64Array(power.length + 2);
    for (let j = 0; j < power.length; j++) {
      for (let e = 0; e < 3; e++) next[j + e] += p[e] * power[j];
    }
    power = next;
  }
  return power;
}

/** Coefficients of (q − 2a t − t²)^m in t: the ball factor b^m along x + t e_i (q = b(x), a = x_i). */
export function factorPowerSeries(q: number, a: number, m: number): Float64Array {
  return quadraticPower([q, -2 * a, -1], m);
}

/** sin^(n)(z) from (sin z, cos z): the cycle sin, cos, −sin, −cos. */
function sinDerivative(n: number, sin: number, cos: number): number {
  return [sin, cos, -sin, -cos][n % 4];
}

/**
 * u* = b^m s and Σ_i ∂_i^k u* with b = 1 − ‖x‖², m = k/2 and s = Σ_{l=1..d−1} c_l sin(x_l + x_{l+1})
 * (ours). Along x + t e_i the factor is the polynomial (q − 2x_i t − t²)^m (q = b(x)) with
 * coefficients β_j, and s(x + t e_i) = s + Σ_{n≥1} σ_n t^n/n! with σ_n the n-th derivative of the
 * (at most two) summands that hold x_i, sin^(n) of their phase. So
 *   ∂_i^k u* = k! [t^k] (β(t)·s(t)) = k! (Σ_{j<k} β_j σ_{k−j}/(k−j)! + β_k s),
 * O(k²) per coordinate and O(d k²) per point; neighbouring coordinates are coupled through the
 * shared phase, so the problem does not separate. `absolute` sums the magnitudes of the terms
 * instead (the scale of their rounding error): b's terms as 1 + ‖x‖², the factor's as
 * (1 + ‖x‖² + 2|x_i| t + t²)^m, and |c_l sin^(n)| for the summands.
 */
function sinChainOperator(
  k: DiagonalOrder,
  x: ArrayLike<number>,
  c: ArrayLike<number>,
  absolute: boolean,
): ValueAndOperator {
  const term = termMap(absolute);
  const d = x.length;
  const m = diagonalFactorPower(k);
  const rho = squaredNorm(x);
  const q = 1 - rho;
  const sines = new Float64Array(d - 1);
  const cosines = new Float64Array(d - 1);
  let s = 0;
  for (let l = 0; l + 1 < d; l++) {
    const phase = x[l] + x[l + 1];
    sines[l] = Math.sin(phase);
    cosines[l] = Math.cos(phase);
    s += term(c[l] * sines[l]);
  }
  let sum = 0;
  for (let i = 0; i < d; i++) {
    const beta = absolute
      ? quadraticPower([1 + rho, 2 * Math.abs(x[i]), 1], m)
      : factorPowerSeries(q, x[i], m);
    let coefficient = beta.length > k ? beta[k] * s : 0;
    for (let j = 0; j < k && j < beta.length; j++) {
      const n = k - j;
      let sigma = 0;
      for (const l of [i - 1, i]) {
        if (l >= 0 && l + 1 < d) sigma += term(c[l] * sinDerivative(n, sines[l], cosines[l]));
      }
      coefficient += (beta[j] * sigma) / factorial(n);
    }
    sum += coefficient;
  }
  const b = absolute ? 1 + rho : q;
  return { u: Math.pow(b, m) * s, operator: factorial(k) * sum };
}

const solutions = new Map<DiagonalOrder, BallSolution>();

/** The sin-chain solution of the order-k diagonal problem (one object per k). */
export function sinChain(k: DiagonalOrder): BallSolution {
  const cached = solutions.get(k);
  if (cached) return cached;
  const m = diagonalFactorPower(k);
  const power = m === 1 ? '' : `^{${m}}`;
  const solution: BallSolution = {
    id: `sin-chain-${k}`,
    title: 'sin chain',
    tex: String.raw`u^*(x) = (1 - \|x\|^2)${power} \sum_{i=1}^{d-1} c_i \sin(x_i + x_{i+1})`,
    boundary: BOUNDARIES[m],
    operator: 'diagonal',
    derivativeOrder: k,
    minDimension: 2,
    coefficientCount: (d) => d - 1,
    evaluate(x, c) {
      checkBallInputs(solution, x, c);
      return sinChainOperator(k, x, c, false);
    },
    magnitude(x, c) {
      checkBallInputs(solution, x, c);
      return sinChainOperator(k, x, c, true);
    },
  };
  solutions.set(k, solution);
  return solution;
}
