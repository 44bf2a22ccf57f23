import { checkBallInputs, termMap, type BallSolution } from './ballSolution.ts';
import {
  ballProductLaplacian,
  ballProductLaplacianMagnitude,
  type LaplacianSums,
} from './radialFactor.ts';
import { squaredNorm } from './vector.ts';

/**
 * Three-body solution: u* = (1 − ‖x‖²) s,  s = Σ_{i=1..d−2} c_i exp(x_i x_{i+1} x_{i+2}).
 * With (α, β, γ) = (x_i, x_{i+1}, x_{i+2}) and p = αβγ, the chain rule gives ∂_α e^p = βγ e^p and
 * ∂_αα e^p = (βγ)² e^p (the inner derivative appears squared: dropping one factor of it, as the STDE
 * repository does, gives the source of a different PDE). Hence
 *   Δ e^p = e^p ((βγ)² + (αγ)² + (αβ)²),    x·∇ e^p = e^p (αβγ + βαγ + γαβ) = 3p e^p.
 * Δu* then follows from ballProductLaplacian.
 */
export function threeBodySums(
  x: ArrayLike<number>,
  c: ArrayLike<number>,
  absolute = false,
): LaplacianSums {
  const term = termMap(absolute);
  let s = 0;
  let radialS = 0;
  let laplacianS = 0;
  for (let i = 0; i + 2 < x.length; i++) {
    const alpha = x[i];
    const beta = x[i + 1];
    const gamma = x[i + 2];
    const bg = beta * gamma;
    const ag = alpha * gamma;
    const ab = alpha * beta;
    const p = alpha * bg;
    const h = c[i] * Math.exp(p);
    s += term(h);
    radialS += term(3 * p * h);
    laplacianS += term(h * (bg * bg + ag * ag + ab * ab));
  }
  return { norm2: squaredNorm(x), s, radialS, laplacianS };
}

export const threeBody: BallSolution = {
  id: 'three-body',
  title: 'three-body',
  tex: String.raw`u^*(x) = (1 - \|x\|^2) \sum_{i=1}^{d-2} c_i \exp(x_i x_{i+1} x_{i+2})`,
  boundary: 'ball',
  operator: 'laplacian',
  derivativeOrder: 2,
  minDimension: 3,
  coefficientCount: (d) => d - 2,
  evaluate(x, c) {
    checkBallInputs(threeBody, x, c);
    return ballProductLaplacian(threeBodySums(x, c), x.length);
  },
  magnitude(x, c) {
    checkBallInputs(threeBody, x, c);
    return ballProductLaplacianMagnitude(threeBodySums(x, c, true), x.length);
  },
};
