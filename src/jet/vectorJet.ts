import { factorial, type Series } from './series.ts';

/**
 * The jets of `width` units at one point, coefficient-major: normalized coefficient k of unit i is
 * `coeffs[k * width + i]`. Each coefficient is then a contiguous vector, which is what a linear
 * layer multiplies (y_k = W x_k).
 */
export interface VectorJet {
  readonly width: number;
  readonly order: number;
  readonly coeffs: Float64Array;
}

export function createVectorJet(width: number, order: number): VectorJet {
  return { width, order, coeffs: new Float64Array((order + 1) * width) };
}

/** A view of coefficient k of every unit. */
export function coefficientVector(jet: VectorJet, k: number): Float64Array {
  return jet.coeffs.subarray(k * jet.width, (k + 1) * jet.width);
}

/** A copy of unit i's series [c_0, …, c_K]. */
export function unitSeries(jet: VectorJet, i: number): Series {
  const s = new Float64Array(jet.order + 1);
  for (let k = 0; k <= jet.order; k++) s[k] = jet.coeffs[k * jet.width + i];
  return s;
}

export function setUnitSeries(jet: VectorJet, i: number, series: ArrayLike<number>): void {
  for (let k = 0; k <= jet.order; k++) jet.coeffs[k * jet.width + i] = series[k];
}

/**
 * A jet input: the curve g(t) = point + Σ_{k=1..K} v_k t^k/k!. `tangents[k − 1]` is v_k, the k-th
 * derivative of the curve (the k-th input tangent); `null` stands for a zero tangent. The jet order K is
 * `tangents.length`.
 */
export interface JetInput {
  point: ArrayLike<number>;
  tangents: readonly (ArrayLike<number> | null)[];
}

/** The curve's normalized coefficients c_0 = point, c_k = v_k/k!. */
export function curveJet(input: JetInput): VectorJet {
  const width = input.point.length;
  const order = input.tangents.length;
  const jet = createVectorJet(width, order);
  jet.coeffs.set(input.point, 0);
  input.tangents.forEach((tangent, index) => {
    if (tangent === null) return;
    const k = index + 1;
    if (tangent.length !== width) {
      throw new RangeError(`tangent v_${k} has length ${tangent.length}, the point has ${width}`);
    }
    const c = coefficientVector(jet, k);
    for (let i = 0; i < width; i++) c[i] = tangent[i] / factorial(k);
  });
  return jet;
}
