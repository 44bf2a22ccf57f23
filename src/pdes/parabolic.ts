import { squaredNorm } from './vector.ts';

/**
 * Semilinear parabolic problems in terminal-value form on x ∈ R^d, t ∈ [0, T]:
 *   u_t + Δu + N(u) = 0,   u(x, T) = g(x).
 * The network sees the input (x_1, …, x_d, t), time last. The residual has no source term; the
 * terminal condition enters the loss (losses.ts) through g and ∇g, both O(d) per point.
 */

/** The horizon T. */
export const PARABOLIC_HORIZON = 0.3;

export type ParabolicId = 'semilinear-heat' | 'allen-cahn-parabolic' | 'sine-gordon-parabolic';

export interface ParabolicProblem {
  readonly id: ParabolicId;
  readonly title: string;
  /** TeX of the equation. */
  readonly tex: string;
  /** TeX of the terminal condition u(x, T) = g(x). */
  readonly terminalTex: string;
  /** N(u); d enters only the scaled sine-Gordon form. */
  nonlinearity(u: number, d: number): number;
  /** g(x). */
  terminal(x: ArrayLike<number>): number;
  /** ∇g(x), written into `out` (length d) when given. */
  terminalGradient(x: ArrayLike<number>, out?: Float64Array): Float64Array;
}

/** The residual u_t + Δu + N(u) at one point, from the network's u, u_t and (estimated) Δu. */
export function parabolicResidual(
  problem: ParabolicProblem,
  u: number,
  ut: number,
  laplacian: number,
  d: number,
): number {
  return ut + laplacian + problem.nonlinearity(u, d);
}

function gradientBuffer(d: number, out?: Float64Array): Float64Array {
  if (out && out.length !== d) throw new RangeError(`gradient buffer has ${out.length}, need ${d}`);
  return out ?? new Float64Array(d);
}

/**
 * scale·5/(10 + 2‖x‖²) and its gradient −20·scale·x/(10 + 2‖x‖²)²; scale is 1 for the heat
 * problem and d for the scaled sine-Gordon problem.
 */
function rationalTerminal(x: ArrayLike<number>, scale: number): number {
  return (scale * 5) / (10 + 2 * squaredNorm(x));
}

function rationalTerminalGradient(
  x: ArrayLike<number>,
  scale: number,
  out?: Float64Array,
): Float64Array {
  const gradient = gradientBuffer(x.length, out);
  const denominator = 10 + 2 * squaredNorm(x);
  const factor = (-20 * scale) / (denominator * denominator);
  for (let j = 0; j < x.length; j++) gradient[j] = factor * x[j];
  return gradient;
}

/**
 * The index of the largest coordinate; ties go to the lowest index (the GPU kernel reduces with the
 * same rule, so both pick the same one-hot gradient, for example at x = 0).
 */
export function argmax(x: ArrayLike<number>): number {
  if (x.length === 0) throw new RangeError('argmax of an empty vector');
  let best = 0;
  for (let j = 1; j < x.length; j++) if (x[j] > x[best]) best = j;
  return best;
}

export const semilinearHeat: ParabolicProblem = {
  id: 'semilinear-heat',
  title: 'semilinear heat',
  tex: String.raw`u_t + \Delta u + \frac{1 - u^2}{1 + u^2} = 0`,
  terminalTex: String.raw`u(x, T) = \frac{5}{10 + 2\|x\|^2}`,
  nonlinearity: (u) => (1 - u * u) / (1 + u * u),
  terminal: (x) => rationalTerminal(x, 1),
  terminalGradient: (x, out) => rationalTerminalGradient(x, 1, out),
};

/**
 * g = arctan(max_i x_i) is piecewise smooth: ∇g = e_k/(1 + x_k²) with k = argmax(x) (lowest index on
 * ties, where g has only one-sided derivatives; ties have probability 0 under the Gaussian sampler).
 */
export const allenCahnParabolic: ParabolicProblem = {
  id: 'allen-cahn-parabolic',
  title: 'Allen–Cahn (parabolic)',
  tex: String.raw`u_t + \Delta u + u - u^3 = 0`,
  terminalTex: String.raw`u(x, T) = \arctan\bigl(\max_i x_i\bigr)`,
  nonlinearity: (u) => u - u * u * u,
  terminal: (x) => Math.atan(x[argmax(x)]),
  terminalGradient(x, out) {
    const gradient = gradientBuffer(x.length, out);
    gradient.fill(0);
    const k = argmax(x);
    gradient[k] = 1 / (1 + x[k] * x[k]);
    return gradient;
  },
};

/**
 * The STDE code's scaled sine-Gordon problem: with w solving w_t + Δw + sin w = 0, w(T) = 5/(10 + 2‖x‖²)
 * (the paper's statement), u = d·w solves u_t + Δu + d·sin(u/d) = 0, u(T) = d·5/(10 + 2‖x‖²).
 */
export const sineGordonParabolic: ParabolicProblem = {
  id: 'sine-gordon-parabolic',
  title: 'sine-Gordon (parabolic, scaled)',
  tex: String.raw`u_t + \Delta u + d \sin(u / d) = 0`,
  terminalTex: String.raw`u(x, T) = \frac{5d}{10 + 2\|x\|^2}`,
  nonlinearity: (u, d) => d * Math.sin(u / d),
  terminal: (x) => rationalTerminal(x, x.length),
  terminalGradient: (x, out) => rationalTerminalGradient(x, x.length, out),
};

export const PARABOLIC_PROBLEMS: readonly ParabolicProblem[] = [
  semilinearHeat,
  allenCahnParabolic,
  sineGordonParabolic,
];
