import type { DenseLayer } from './mlp.ts';
import { createVectorJet, type VectorJet } from './vectorJet.ts';

type AnyDenseLayer = DenseLayer<Float32Array> | DenseLayer<Float64Array>;

function requireShape(layer: AnyDenseLayer, inputs: number): number {
  const outputs = layer.bias.length;
  if (layer.weight.length !== outputs * inputs) {
    throw new RangeError(
      `dense layer: weight holds ${layer.weight.length} values, expected ${outputs}×${inputs}`,
    );
  }
  return outputs;
}

/** y = W x + b on every coefficient: y_0 = W x_0 + b, y_k = W x_k for k ≥ 1 (DESIGN.md §2). */
export function denseJetForward(layer: AnyDenseLayer, x: VectorJet): VectorJet {
  const inputs = x.width;
  const outputs = requireShape(layer, inputs);
  const { weight, bias } = layer;
  const y = createVectorJet(outputs, x.order);
  for (let k = 0; k <= x.order; k++) {
    const xOffset = k * inputs;
    for (let o = 0; o < outputs; o++) {
      let sum = k === 0 ? bias[o] : 0;
      const row = o * inputs;
      for (let i = 0; i < inputs; i++) sum += weight[row + i] * x.coeffs[xOffset + i];
      y.coeffs[k * outputs + o] = sum;
    }
  }
  return y;
}

/**
 * Reverse of `denseJetForward`: adds dL/dW = Σ_k ȳ_k x_kᵀ and dL/db = ȳ_0 into `gradient` and returns
 * the input cotangent x̄_k = Wᵀ ȳ_k.
 */
export function denseJetReverse(
  layer: AnyDenseLayer,
  x: VectorJet,
  yBar: VectorJet,
  gradient: DenseLayer<Float64Array>,
): VectorJet {
  const inputs = x.width;
  const outputs = requireShape(layer, inputs);
  if (yBar.width !== outputs || yBar.order !== x.order) {
    throw new RangeError('dense layer reverse: the cotangent does not match the layer output');
  }
  const xBar = createVectorJet(inputs, x.order);
  for (let k = 0; k <= x.order; k++) {
    const xOffset = k * inputs;
    for (let o = 0; o < outputs; o++) {
      const g = yBar.coeffs[k * outputs + o];
      if (k === 0) gradient.bias[o] += g;
      const row = o * inputs;
      for (let i = 0; i < inputs; i++) {
        gradient.weight[row + i] += g * x.coeffs[xOffset + i];
        xBar.coeffs[xOffset + i] += layer.weight[row + i] * g;
      }
    }
  }
  return xBar;
}
