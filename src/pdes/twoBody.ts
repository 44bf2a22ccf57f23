import { checkBallInputs, termMap, type BallSolution } from './ballSolution.ts';
import {
  ballProductLaplacian,
  ballProductLaplacianMagnitude,
  type LaplacianSums,
} from './radialFactor.ts';
import { squaredNorm } from './vector.ts';

/**
 * Two-body solution: u* = (1 − ‖x‖²) s,  s = Σ_{i=1..d−1} c_i sin φ_i,
 *   φ_i = x_i + cos(x_{i+1}) + x_{i+1} cos(x_i).
 * Summand i depends on (a, q) = (x_i, x_{i+1}) only, so its Laplacian is ∂_aa + ∂_qq:
 *   φ_a = 1 − q sin a,   φ_q = cos a − sin q,   φ_aa = −q cos a,   φ_qq = −cos q,
 *   Δ sin φ = cos φ (φ_aa + φ_qq) − sin φ (φ_a² + φ_q²),
 *   x·∇ sin φ = cos φ (a φ_a + q φ_q).
 * Coordinate x_j is shared by summands j − 1 and j; Δ and x·∇ are linear, so the per-summand terms
 * simply add. Δu* then follows from ballProductLaplacian.
 */
export function twoBodySums(
  x: ArrayLike<number>,
  c: ArrayLike<number>,
  absolute = false,
): LaplacianSums {
  const term = termMap(absolute);
  let s = 0;
  let radialS = 0;
  let laplacianS = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i];
    const q = x[i + 1];
    const sinA = Math.sin(a);
    const cosA = Math.cos(a);
    const phi = a + Math.cos(q) + q * cosA;
    const phiA = 1 - q * sinA;
    const phiQ = cosA - Math.sin(q);
    const phiAA = -q * cosA;
    const phiQQ = -Math.cos(q);
    const sinPhi = Math.sin(phi);
    const cosPhi = Math.cos(phi);
    s += term(c[i] * sinPhi);
    radialS += term(c[i] * cosPhi * (a * phiA + q * phiQ));
    laplacianS += term(c[i] * (cosPhi * (phiAA + phiQQ) - sinPhi * (phiA * phiA + phiQ * phiQ)));
  }
  return { norm2: squaredNorm(x), s, radialS, laplacianS };
}

export const twoBody: BallSolution = {
  id: 'two-body',
  title: 'two-body',
  tex: String.raw`u^*(x) = (1 - \|x\|^2) \sum_{i=1}^{d-1} c_i \sin\bigl(x_i + \cos x_{i+1} + x_{i+1} \cos x_i\bigr)`,
  boundary: 'ball',
  operator: 'laplacian',
  minDimension: 2,
  coefficientCount: (d) => d - 1,
  evaluate(x, c) {
    checkBallInputs(twoBody, x, c);
    return ballProductLaplacian(twoBodySums(x, c), x.length);
  },
  magnitude(x, c) {
    checkBallInputs(twoBody, x, c);
    return ballProductLaplacianMagnitude(twoBodySums(x, c, true), x.length);
  },
};
