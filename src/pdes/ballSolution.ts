import type { BoundaryFactor } from '../jet/mlp.ts';
import type { ValueAndOperator } from './radialFactor.ts';

export type BallSolutionId =
  | 'two-body'
  | 'three-body'
  | 'clamped-sin-cos'
  | 'sin-chain-2'
  | 'sin-chain-4'
  | 'sin-chain-6'
  | 'sin-chain-8';

/**
 * The linear differential operator L₀ whose closed form a ball solution provides: Δ, Δ², or the
 * diagonal Σ_i ∂^k/∂x_i^k of order `derivativeOrder`.
 */
export type BallOperator = 'laplacian' | 'biharmonic' | 'diagonal';

/**
 * An exact solution u* on the unit ball B^d, built as (hard factor)·s(x) with s a sum over
 * neighbouring coordinates, so u* and L₀u* cost O(d) per point. The coefficients c_i are drawn once
 * per problem (drawCoefficients) and passed in, so the same function serves f64 and uploaded f32 values.
 */
export interface BallSolution {
  readonly id: BallSolutionId;
  readonly title: string;
  /** TeX of u*(x). */
  readonly tex: string;
  /** The factor in the network, (1 − ‖x‖²)^m; u* carries the same factor. */
  readonly boundary: Exclude<BoundaryFactor, 'none'>;
  readonly operator: BallOperator;
  /** The order of L₀: 2 for Δ, 4 for Δ², k for the diagonal operator. */
  readonly derivativeOrder: number;
  /** The smallest d at which s has a summand. */
  readonly minDimension: number;
  coefficientCount(d: number): number;
  /** u*(x) and L₀u*(x). */
  evaluate(x: ArrayLike<number>, c: ArrayLike<number>): ValueAndOperator;
  /** The sums of the magnitudes of the terms that evaluate adds up: the scale of its rounding error. */
  magnitude(x: ArrayLike<number>, c: ArrayLike<number>): ValueAndOperator;
  /**
   * ∂_j u*(x) (as `u`) and ∂_j L₀u*(x) (as `operator`) along coordinate j, where the solution has
   * them in closed form (what the gPINN term's source gradient needs); absent otherwise.
   */
  gradient?(x: ArrayLike<number>, c: ArrayLike<number>, j: number): ValueAndOperator;
}

/** Throws unless x has at least minDimension coordinates and c one coefficient per summand. */
export function checkBallInputs(
  solution: Pick<BallSolution, 'id' | 'minDimension' | 'coefficientCount'>,
  x: ArrayLike<number>,
  c: ArrayLike<number>,
): void {
  const d = x.length;
  if (d < solution.minDimension) {
    throw new RangeError(`${solution.id} needs d ≥ ${solution.minDimension}, got ${d}`);
  }
  const count = solution.coefficientCount(d);
  if (c.length !== count) {
    throw new RangeError(`${solution.id} at d = ${d} needs ${count} coefficients, got ${c.length}`);
  }
}

/** The identity, or |·| when summing term magnitudes. */
export function termMap(absolute: boolean): (term: number) => number {
  return absolute ? Math.abs : (term) => term;
}
