/**
 * Output coefficients → a quantity per point: Σ_terms scale·J_order[direction], J_k = k!·u_k,
 * read from the engine's row layout (jetLayout.ts). In the collapsed structure the top order has
 * one row per point that already holds the sum over the jets, so 'all' reads it once.
 */
import { type JetShape, rowOf, rowsPerPoint } from '../engine/jetLayout.ts';
import { factorial } from '../jet/series.ts';
import type { OutputTerm } from './operator.ts';

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
  const at = (p: number, row: number) => outputs[(p * V + row) * outputWidth + output];
  const result = new Float64Array(shape.points);
  for (let p = 0; p < shape.points; p++) {
    let sum = 0;
    for (const { direction, order, scale } of terms) {
      let u = 0;
      if (order === 0) {
        u = at(p, 0);
      } else if (direction !== 'all') {
        u = at(p, rowOf(shape, direction, order));
      } else if (shape.structure === 'collapsed' && order === shape.order) {
        u = at(p, rowOf(shape, 0, order));
      } else {
        for (let r = 0; r < shape.directions; r++) u += at(p, rowOf(shape, r, order));
      }
      sum += scale * factorial(order) * u;
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
