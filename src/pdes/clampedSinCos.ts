import { checkBallInputs, termMap, type BallSolution } from './ballSolution.ts';
import {
  ball2ProductBiharmonic,
  ball2ProductBiharmonicMagnitude,
  type BiharmonicSums,
} from './radialFactor.ts';
import { squaredNorm } from './vector.ts';

/**
 * Clamped biharmonic solution (ours): u* = (1 − ‖x‖²)² s,  s = Σ_{i=1..d−1} c_i sin(x_i) cos(x_{i+1}).
 * Neighbouring coordinates are coupled (∂_a∂_q of a summand is not zero), so the mixed terms of the
 * product rule (x·∇s, xᵀ∇²s x, x·∇Δs) are all exercised. Summand i is h = c_i S(a) C(q) with
 * (a, q) = (x_i, x_{i+1}); its partials are h_mn = c_i S^(m)(a) C^(n)(q), read from the derivative
 * cycles of sin and cos, and
 *   x·∇h = a h_10 + q h_01,          Δh = h_20 + h_02,       xᵀ∇²h x = a² h_20 + 2aq h_11 + q² h_02,
 *   x·∇Δh = a (h_30 + h_12) + q (h_21 + h_03),               Δ²h = h_40 + 2 h_22 + h_04.
 * Δ²u* then follows from ball2ProductBiharmonic.
 */
export function clampedSinCosSums(
  x: ArrayLike<number>,
  c: ArrayLike<number>,
  absolute = false,
): BiharmonicSums {
  const term = termMap(absolute);
  const sums: BiharmonicSums = {
    norm2: squaredNorm(x),
    s: 0,
    radialS: 0,
    laplacianS: 0,
    hessianXX: 0,
    radialLaplacianS: 0,
    biharmonicS: 0,
  };
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i];
    const q = x[i + 1];
    const sinA = Math.sin(a);
    const cosA = Math.cos(a);
    const sinQ = Math.sin(q);
    const cosQ = Math.cos(q);
    // S^(m)(a) for sin and C^(n)(q) for cos, m, n = 0..4; both cycles have period 4.
    const S = [sinA, cosA, -sinA, -cosA, sinA];
    const C = [cosQ, -sinQ, -cosQ, sinQ, cosQ];
    const h = (m: number, n: number): number => c[i] * S[m] * C[n];
    sums.s += term(h(0, 0));
    sums.radialS += term(a * h(1, 0) + q * h(0, 1));
    sums.laplacianS += term(h(2, 0) + h(0, 2));
    sums.hessianXX += term(a * a * h(2, 0) + 2 * a * q * h(1, 1) + q * q * h(0, 2));
    sums.radialLaplacianS += term(a * (h(3, 0) + h(1, 2)) + q * (h(2, 1) + h(0, 3)));
    sums.biharmonicS += term(h(4, 0) + 2 * h(2, 2) + h(0, 4));
  }
  return sums;
}

export const clampedSinCos: BallSolution = {
  id: 'clamped-sin-cos',
  title: 'clamped sin·cos chain',
  tex: String.raw`u^*(x) = (1 - \|x\|^2)^2 \sum_{i=1}^{d-1} c_i \sin x_i \cos x_{i+1}`,
  boundary: 'ball2',
  operator: 'biharmonic',
  derivativeOrder: 4,
  minDimension: 2,
  coefficientCount: (d) => d - 1,
  evaluate(x, c) {
    checkBallInputs(clampedSinCos, x, c);
    return ball2ProductBiharmonic(clampedSinCosSums(x, c), x.length);
  },
  magnitude(x, c) {
    checkBallInputs(clampedSinCos, x, c);
    return ball2ProductBiharmonicMagnitude(clampedSinCosSums(x, c, true), x.length);
  },
};
