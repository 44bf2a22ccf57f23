/**
 * The diagonal k-th order operator Σ_i ∂^k u/∂x_i^k (DESIGN.md §3): sparse jets (e_i, 0, …, 0) of
 * order k give J_k[e_i] = ∂^k u/∂x_i^k (the only partition of k from order-1 parts is 1+…+1), and
 * (d/B)·Σ_{i∈S} J_k[e_i] over B coordinates drawn without replacement is unbiased. B = d is exact
 * (all one-hot jets, no randomness). No dense estimator exists for k ≥ 3 (E[(v·∇)^k u] mixes in
 * off-diagonal partials), so there is none here.
 */
import { defineOperator, type JetOperator, OperatorError } from './operator.ts';

export interface DiagonalOptions {
  dimension: number;
  /** k, 2..8. */
  derivativeOrder: number;
  /** B; B = d (the default) is exact. */
  samples?: number;
  /** Coordinates 0..spatial−1 (default: all). */
  spatial?: number;
}

export function diagonalOperator(options: DiagonalOptions): JetOperator {
  const { dimension, derivativeOrder: k } = options;
  const d = options.spatial ?? dimension;
  const B = options.samples ?? d;
  if (!Number.isInteger(k) || k < 2 || k > 8) {
    throw new OperatorError(`the diagonal operator's order must be in 2..8, got ${k}`);
  }
  if (!Number.isInteger(B) || B < 1 || B > d) {
    throw new OperatorError(`samples must be an integer in 1..${d}, got ${B}`);
  }
  const exact = B === d;
  const partial = String.raw`\sum_{i=1}^{d}\frac{\partial^{${k}}u}{\partial x_i^{${k}}}`;
  return defineOperator({
    name: `diagonal-${k}-${exact ? 'exact' : 'sparse'}`,
    tex: exact
      ? `${partial}=\\sum_{i=1}^{d}\\partial^{${k}}_{e_i}u`
      : `${partial}\\approx\\frac{d}{B}\\sum_{i\\in S}\\partial^{${k}}_{e_i}u`,
    dimension,
    order: k,
    draw: {
      kind: 'random',
      spec: { kind: exact ? 'exact' : 'sparse', directions: B, order: k, dimension, range: d },
    },
    quantities: [
      {
        name: `diagonal-${k}`,
        tex: partial,
        terms: [{ direction: 'all', order: k, scale: d / B }],
      },
    ],
  });
}
