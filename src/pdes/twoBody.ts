import { checkBallInputs, termMap, type BallSolution } from './ballSolution.ts';
import {
  ballProductLaplacian,
  ballProductLaplacianGradient,
  ballProductLaplacianMagnitude,
  type LaplacianGradientSums,
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

/** Partials of one summand g = sin φ(a, q) up to the third order that ∂_j Δ needs. */
interface SummandPartials {
  ga: number;
  gq: number;
  gaa: number;
  gaq: number;
  gqq: number;
  /** ∂_a(g_aa + g_qq) and ∂_q(g_aa + g_qq). */
  laplacianA: number;
  laplacianQ: number;
}

/**
 * With S = sin φ, C = cos φ and the partials of φ (φ_aq = −sin a, φ_aaa = q sin a,
 * φ_aaq = −cos a, φ_aqq = 0, φ_qqq = sin q besides those of twoBodySums), the chain rule
 *   g_uv = −S φ_u φ_v + C φ_uv,
 *   g_uvw = −C φ_u φ_v φ_w − S (φ_uv φ_w + φ_uw φ_v + φ_vw φ_u) + C φ_uvw.
 */
function summandPartials(a: number, q: number): SummandPartials {
  const [sinA, cosA, sinQ, cosQ] = [Math.sin(a), Math.cos(a), Math.sin(q), Math.cos(q)];
  const phi = a + cosQ + q * cosA;
  const [S, C] = [Math.sin(phi), Math.cos(phi)];
  const [pa, pq] = [1 - q * sinA, cosA - sinQ];
  const [paa, paq, pqq] = [-q * cosA, -sinA, -cosQ];
  const [paaa, paaq, pqqq] = [q * sinA, -cosA, sinQ];
  const third = (
    u: number,
    v: number,
    w: number,
    uv: number,
    uw: number,
    vw: number,
    uvw: number,
  ) => -C * u * v * w - S * (uv * w + uw * v + vw * u) + C * uvw;
  return {
    ga: C * pa,
    gq: C * pq,
    gaa: -S * pa * pa + C * paa,
    gaq: -S * pa * pq + C * paq,
    gqq: -S * pq * pq + C * pqq,
    laplacianA: third(pa, pa, pa, paa, paa, paa, paaa) + third(pa, pq, pq, paq, paq, pqq, 0),
    laplacianQ: third(pa, pa, pq, paa, paq, paq, paaq) + third(pq, pq, pq, pqq, pqq, pqq, pqqq),
  };
}

/**
 * The ∂_j sums of ballProductLaplacianGradient. x_j enters summand j as a (with q = x_{j+1}) and
 * summand j − 1 as q (with a = x_{j−1}), so only those two contribute: O(1) per coordinate.
 */
export function twoBodyGradientSums(
  x: ArrayLike<number>,
  c: ArrayLike<number>,
  j: number,
): LaplacianGradientSums {
  const sums = { xj: x[j], sJ: 0, radialSJ: 0, laplacianSJ: 0 };
  if (j + 1 < x.length) {
    const g = summandPartials(x[j], x[j + 1]);
    sums.sJ += c[j] * g.ga;
    sums.radialSJ += c[j] * (x[j] * g.gaa + x[j + 1] * g.gaq);
    sums.laplacianSJ += c[j] * g.laplacianA;
  }
  if (j > 0) {
    const g = summandPartials(x[j - 1], x[j]);
    sums.sJ += c[j - 1] * g.gq;
    sums.radialSJ += c[j - 1] * (x[j - 1] * g.gaq + x[j] * g.gqq);
    sums.laplacianSJ += c[j - 1] * g.laplacianQ;
  }
  return sums;
}

export const twoBody: BallSolution = {
  id: 'two-body',
  title: 'two-body',
  tex: String.raw`u^*(x) = (1 - \|x\|^2) \sum_{i=1}^{d-1} c_i \sin\bigl(x_i + \cos x_{i+1} + x_{i+1} \cos x_i\bigr)`,
  boundary: 'ball',
  operator: 'laplacian',
  derivativeOrder: 2,
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
  gradient(x, c, j) {
    checkBallInputs(twoBody, x, c);
    if (!Number.isInteger(j) || j < 0 || j >= x.length) {
      throw new RangeError(`two-body: coordinate ${j} outside 0..${x.length - 1}`);
    }
    return ballProductLaplacianGradient(twoBodySums(x, c), twoBodyGradientSums(x, c, j), x.length);
  },
};
