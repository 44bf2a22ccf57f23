/**
 * Where every number of a jet batch lives in GPU memory. The forward kernels, the backward kernels,
 * the optimizers and the host all index through these functions, so the layout is written once.
 *
 * A batch holds N points; each point carries R directions ("channels") of a jet of order K.
 * Per point and per layer of width h there are V vectors of length h ("rows"):
 *   standard : row 0 = value, then for each direction r the coefficients of orders 1..K
 *              (V = 1 + R·K);
 *   collapsed: row 0 = value, then for each direction r the orders 1..K−1, then ONE row with the
 *              sum over r of the order-K coefficients (V = 1 + R·(K−1) + 1). The top coefficient
 *              enters Faà di Bruno linearly, so the sum can be propagated directly (DESIGN.md §2).
 * Activation buffers are row-major: element j of row v of point p is at ((p·V + v)·h + j).
 * All coefficients are *normalized* Taylor coefficients c_k = v_k / k! (DESIGN.md §2).
 */
import type { AnyMlpParameters, MlpParameters } from '../jet/mlp.ts';

export type ChannelStructure = 'standard' | 'collapsed';

export interface JetShape {
  points: number;
  directions: number;
  order: number;
  structure: ChannelStructure;
}

/** Rows per point (V). */
export function rowsPerPoint(shape: Omit<JetShape, 'points'>): number {
  const { directions: R, order: K, structure } = shape;
  if (K === 0) return 1;
  return structure === 'standard' ? 1 + R * K : 1 + R * (K - 1) + 1;
}

/**
 * Row of direction r (0-based), order k (1..K). In the collapsed structure order K has one row
 * shared by every direction.
 */
export function rowOf(shape: Omit<JetShape, 'points'>, r: number, k: number): number {
  const { directions: R, order: K, structure } = shape;
  if (k === 0) return 0;
  if (structure === 'standard') return 1 + r * K + (k - 1);
  return k === K ? 1 + R * (K - 1) : 1 + r * (K - 1) + (k - 1);
}

/** Number of f32 elements of a layer buffer of width h for the batch. */
export function layerElements(shape: JetShape, width: number): number {
  return shape.points * rowsPerPoint(shape) * width;
}

/**
 * All weights and biases of the MLP live in one flat f32 buffer (so Adam is one dispatch over all
 * parameters); gradients and Adam moments use the same layout. Layer l maps widths[l] → widths[l+1];
 * its weight is row-major [out][in].
 */
export interface ParameterSlice {
  weightOffset: number;
  biasOffset: number;
  inputs: number;
  outputs: number;
}

export interface ParameterLayout {
  layers: ParameterSlice[];
  /** Total number of f32 parameters. */
  count: number;
}

export function parameterLayout(widths: readonly number[]): ParameterLayout {
  const layers: ParameterSlice[] = [];
  let offset = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const inputs = widths[l];
    const outputs = widths[l + 1];
    const weightOffset = offset;
    const biasOffset = weightOffset + inputs * outputs;
    offset = biasOffset + outputs;
    layers.push({ weightOffset, biasOffset, inputs, outputs });
  }
  return { layers, count: offset };
}

/**
 * Input tangents of a batch, normalized (c_k = v_k / k!).
 * dense : values[((p·R + r)·K + (k−1))·d + i]
 * oneHot: the tangent of (p, r, k) is coefficient·e_index, index = −1 for a zero tangent; stored at
 *         (p·R + r)·K + (k−1). The first layer then gathers a column of W instead of a matmul:
 *         O(h) per direction instead of O(d·h) (the STDE fast path at large d).
 */
export type TangentInput =
  | { kind: 'dense'; values: Float32Array }
  | { kind: 'oneHot'; index: Int32Array; coefficient: Float32Array };

export function tangentSlot(
  shape: Omit<JetShape, 'structure'>,
  p: number,
  r: number,
  k: number,
): number {
  return (p * shape.directions + r) * shape.order + (k - 1);
}

/** Every layer's weight and bias copied into one flat f32 array in parameterLayout order. */
export function packParameters(widths: readonly number[], params: AnyMlpParameters): Float32Array {
  const layout = parameterLayout(widths);
  if (params.layers.length !== layout.layers.length) {
    throw new RangeError(
      `widths ${JSON.stringify(widths)} need ${layout.layers.length} layers, got ${params.layers.length}`,
    );
  }
  const flat = new Float32Array(layout.count);
  layout.layers.forEach((slice, l) => {
    const { weight, bias } = params.layers[l];
    if (weight.length !== slice.inputs * slice.outputs || bias.length !== slice.outputs) {
      throw new RangeError(
        `layer ${l} must be ${slice.outputs}×${slice.inputs} with ${slice.outputs} biases, ` +
          `got ${weight.length} weights and ${bias.length} biases`,
      );
    }
    flat.set(weight, slice.weightOffset);
    flat.set(bias, slice.biasOffset);
  });
  return flat;
}

/** The inverse of packParameters: a flat parameter array split into layers, in float64. */
export function unpackParameters(
  widths: readonly number[],
  flat: Float32Array,
): MlpParameters<Float64Array> {
  const layout = parameterLayout(widths);
  if (flat.length < layout.count) {
    throw new RangeError(
      `widths ${JSON.stringify(widths)} need ${layout.count} parameters, got ${flat.length}`,
    );
  }
  return {
    layers: layout.layers.map((slice) => ({
      weight: Float64Array.from(
        flat.subarray(slice.weightOffset, slice.weightOffset + slice.inputs * slice.outputs),
      ),
      bias: Float64Array.from(flat.subarray(slice.biasOffset, slice.biasOffset + slice.outputs)),
    })),
  };
}
