/**
 * Output coefficients → a quantity per point: Σ_terms scale·J_order[direction], J_k = k!·u_k,
 * read from the engine's row layout (jetLayout.ts). In the collapsed structure the top order has
 * one row per point that already holds the sum over the jets, so 'all' reads it once.
 */
import { type JetShape, rowOf, rowsPerPoint } from '../engine/jetLayout.ts';
import { factorial } from '../jet/series.ts';
import type { OutputTerm } from './operator.ts';

/**
 * The quantity as one weight per row of a point: Σ_terms scale·J_order[direction] = Σ_v w_v·u_v.
 * The GPU residual kernels take these weights, so CPU and GPU read the rows the same way.
 */
export function quantityRowWeights(terms: readonly OutputTerm[], shape: JetShape): Float64Array {
  const weights = new Float64Array(rowsPerPoint(shape));
  for (const { direction, order, scale } of terms) {
    const w = scale * factorial(order);
    if (order === 0) {
      weights[0] += w;
    } else if (direction !== 'all') {
      weights[rowOf(shape, direction, order)] += w;
    } else if (shape.structure === 'collapsed' && order === shape.order) {
      weights[rowOf(shape, 0, order)] += w;
    } else {
      for (let r = 0; r < shape.directions; r++) weights[rowOf(shape, r, order)] += w;
    }
  }
  return weights;
}

/**
 * Row weights of the same quantity estimated from the B jets [first, first + B) of a batch that
 * holds more jets: the unbiased loss puts two independent draws of B jets in one batch, and each
 * of its two estimates reads its own half.
 */
export function directionRangeWeights(
  terms: readonly OutputTerm[],
  shape: JetShape,
  first: number,
  B: number,
): Float64Array {
  if (shape.structure === 'collapsed' && terms.some((t) => t.order === shape.order)) {
    // The collapsed top row sums every jet of the point: no range of jets can be read from it.
    throw new RangeError('a range of jets cannot be read from a collapsed top-order row');
  }
  const perDirection = terms.flatMap((t): OutputTerm[] =>
    t.direction === 'all'
      ? Array.from({ length: B }, (_, r) => ({ ...t, direction: first + r }))
      : [{ ...t, direction: t.order === 0 ? t.direction : first + t.direction }],
  );
  return quantityRowWeights(perDirection, shape);
}

export function evaluateQuantity(
  terms: readonly OutputTerm[],
  outputs: ArrayLike<number>,
  shape: JetShape,
  outputWidth: number,
  output: number,
): Float64Array {
  const V = rowsPerPoint(shape);
  if (outputs.length !== shape.points * V * outputWidth) {
    throw new RangeError(
      `expected ${shape.points * V * outputWidth} output coefficients (${shape.points} points × ${V} rows × ${outputWidth} outputs), got ${outputs.length}`,
    );
  }
  const weights = quantityRowWeights(terms, shape);
  const result = new Float64Array(shape.points);
  for (let p = 0; p < shape.points; p++) {
    let sum = 0;
    for (let v = 0; v < V; v++) {
      if (weights[v] !== 0) sum += weights[v] * outputs[(p * V + v) * outputWidth + output];
    }
    result[p] = sum;
  }
  return result;
}

/** The value u at every point (row 0, shared by all jets of the point). */
export function pointValues(
  outputs: ArrayLike<number>,
  shape: JetShape,
  outputWidth = 1,
  output = 0,
): Float64Array {
  return evaluateQuantity(
    [{ direction: 0, order: 0, scale: 1 }],
    outputs,
    shape,
    outputWidth,
    output,
  );
}
