/** Comparisons of a GPU result with its float64 reference, shared by the trainer graph tests. */
import { expect } from 'vitest';
import type { MlpParameters } from '../../src/jet/mlp.ts';

/** The parameters in the flat layout of jetLayout.ts: each layer's weights, then its biases. */
export function flatten(params: MlpParameters<Float64Array>): Float64Array {
  return Float64Array.from(params.layers.flatMap((l) => [...l.weight, ...l.bias]));
}

export function maxAbs(values: ArrayLike<number>): number {
  return Array.from(values).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

/** max |a_i − b_i|, after checking that the lengths agree. */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
