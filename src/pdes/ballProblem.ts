import type { BallSolution } from './ballSolution.ts';

/** The zeroth-order term N(u) of a ball problem L u = L₀u + N(u) = f. */
export type BallNonlinearityId = 'none' | 'allen-cahn' | 'sine-gordon';

export interface BallNonlinearity {
  readonly id: BallNonlinearityId;
  /** TeX of N(u) as it appears after L₀u ('' for none). */
  readonly tex: string;
  value(u: number): number;
  /** N'(u): how an error in u reaches f (rounding-error scales); ∂_j N(u) = N'(u)·u_j (gPINN). */
  derivative(u: number): number;
}

export const BALL_NONLINEARITIES: Readonly<Record<BallNonlinearityId, BallNonlinearity>> = {
  none: { id: 'none', tex: '', value: () => 0, derivative: () => 0 },
  'allen-cahn': {
    id: 'allen-cahn',
    tex: '+ u - u^3',
    value: (u) => u - u * u * u,
    derivative: (u) => 1 - 3 * u * u,
  },
  'sine-gordon': {
    id: 'sine-gordon',
    tex: String.raw`+ \sin u`,
    value: (u) => Math.sin(u),
    derivative: (u) => Math.cos(u),
  },
};

export interface ExactAndSource {
  /** u*(x). */
  u: number;
  /** f(x) = L₀u*(x) + N(u*(x)). */
  f: number;
}

/** u* and the manufactured source f = L u* at one point. */
export function ballSource(
  solution: BallSolution,
  nonlinearity: BallNonlinearity,
  x: ArrayLike<number>,
  c: ArrayLike<number>,
): ExactAndSource {
  const { u, operator } = solution.evaluate(x, c);
  return { u, f: operator + nonlinearity.value(u) };
}

/**
 * ∂_j f = ∂_jΔu* + N'(u*)·∂_j u* along coordinate j (f = Δu* + N(u*)): the source of the gPINN
 * term ∂_j r, for solutions with a closed-form gradient (BallSolution.gradient).
 */
export function ballSourceGradient(
  solution: BallSolution,
  nonlinearity: BallNonlinearity,
  x: ArrayLike<number>,
  c: ArrayLike<number>,
  j: number,
): number {
  if (!solution.gradient) {
    throw new RangeError(`${solution.id} has no closed-form gradient of its source`);
  }
  const { u } = solution.evaluate(x, c);
  const gradient = solution.gradient(x, c, j);
  return gradient.operator + nonlinearity.derivative(u) * gradient.u;
}

/**
 * The gPINN residual ∂_j r = ∂_jL̂₀u + N'(u)·u_j − ∂_j f at one point, from the estimate of
 * ∂_jΔu, the network value u and its partial u_j along the same j.
 */
export function ballResidualGradient(
  nonlinearity: BallNonlinearity,
  operatorGradientEstimate: number,
  u: number,
  uJ: number,
  fJ: number,
): number {
  return operatorGradientEstimate + nonlinearity.derivative(u) * uJ - fJ;
}

/**
 * The training residual r = L̂₀u + N(u) − f at one point, from the operator estimate L̂₀u (an
 * estimate of Δu or Δ²u of the network, boundary factor included) and the network value u.
 */
export function ballResidual(
  nonlinearity: BallNonlinearity,
  operatorEstimate: number,
  u: number,
  f: number,
): number {
  return operatorEstimate + nonlinearity.value(u) - f;
}
