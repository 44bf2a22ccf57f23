/**
 * The float64 CPU Taylor-mode reference: one jet through the MLP and its boundary factor, and the
 * reverse pass that turns cotangents of the output coefficients into weight and bias gradients. Every
 * GPU jet kernel is checked against this.
 */
import { activationJetForward, activationJetReverse } from './activationJet.ts';
import { boundaryFactorJet } from './boundaryFactor.ts';
import { denseJetForward, denseJetReverse } from './denseJet.ts';
import {
  type AnyMlpParameters,
  ArchitectureError,
  type MlpArchitecture,
  type MlpParameters,
  validateParameters,
  zeroParameters,
} from './mlp.ts';
import { seriesMul, seriesMulTranspose, type Series, taylorToDerivatives } from './series.ts';
import {
  createVectorJet,
  curveJet,
  type JetInput,
  setUnitSeries,
  unitSeries,
  type VectorJet,
} from './vectorJet.ts';

/** The jets around one dense layer, kept for the reverse pass and for inspection. */
export interface LayerJet {
  input: VectorJet;
  preActivation: VectorJet;
  /** σ(preActivation) for hidden layers; the output layer is linear, so there it is preActivation. */
  postActivation: VectorJet;
}

export interface JetForwardResult {
  order: number;
  /** The input curve's coefficients: c_0 = x, c_k = v_k/k!. */
  curve: VectorJet;
  layers: LayerJet[];
  /** MLP(g(t)) before the boundary factor. */
  network: VectorJet;
  /** The boundary factor's jet, or null for 'none'. */
  boundary: Series | null;
  /** u(g(t)) = boundary(t)·MLP(g(t)). */
  output: VectorJet;
  /** coefficients[o][k] = u_k of output o (normalized). */
  coefficients: Float64Array[];
  /** derivatives[o][k] = J_k = k!·u_k, the k-th directional derivative of output o. */
  derivatives: Float64Array[];
}

export function referenceForwardJet(
  arch: MlpArchitecture,
  params: AnyMlpParameters,
  input: JetInput,
): JetForwardResult {
  validateParameters(arch, params);
  const curve = curveJet(input);
  if (curve.width !== arch.widths[0]) {
    throw new ArchitectureError(
      `the jet's point has dimension ${curve.width}, the network takes ${arch.widths[0]}`,
    );
  }
  const layers: LayerJet[] = [];
  let x = curve;
  params.layers.forEach((layer, l) => {
    const preActivation = denseJetForward(layer, x);
    const isHidden = l < params.layers.length - 1;
    const postActivation = isHidden
      ? activationJetForward(arch.activation, preActivation)
      : preActivation;
    layers.push({ input: x, preActivation, postActivation });
    x = postActivation;
  });
  const network = x;
  const boundary = boundaryFactorJet(arch.boundary, curve);
  const output = createVectorJet(network.width, network.order);
  const coefficients: Float64Array[] = [];
  for (let o = 0; o < network.width; o++) {
    const m = unitSeries(network, o);
    const u = boundary === null ? m : seriesMul(boundary, m);
    setUnitSeries(output, o, u);
    coefficients.push(u);
  }
  return {
    order: curve.order,
    curve,
    layers,
    network,
    boundary,
    output,
    coefficients,
    derivatives: coefficients.map(taylorToDerivatives),
  };
}

/**
 * Reverse mode for one jet: given `cotangents[o][k]` = dL/du_k of output o (k = 0..K; a loss written in
 * derivatives converts by dL/du_k = k!·dL/dJ_k), adds dL/dW and dL/db of every layer into `gradient`
 * (a fresh zero gradient by default) and returns it.
 */
export function reverseJet(
  arch: MlpArchitecture,
  params: AnyMlpParameters,
  forward: JetForwardResult,
  cotangents: readonly ArrayLike<number>[],
  gradient: MlpParameters<Float64Array> = zeroParameters(arch),
): MlpParameters<Float64Array> {
  validateParameters(arch, params);
  validateParameters(arch, gradient);
  const { network, boundary, order, layers } = forward;
  if (cotangents.length !== network.width) {
    throw new RangeError(
      `expected cotangents for ${network.width} outputs, got ${cotangents.length}`,
    );
  }
  let bar = createVectorJet(network.width, order);
  cotangents.forEach((uBar, o) => {
    if (uBar.length !== order + 1) {
      throw new RangeError(
        `output ${o}: expected ${order + 1} cotangent coefficients, got ${uBar.length}`,
      );
    }
    // u = b·m with b independent of the parameters, so m̄ is the transposed Cauchy product.
    setUnitSeries(bar, o, boundary === null ? uBar : seriesMulTranspose(boundary, uBar));
  });
  for (let l = layers.length - 1; l >= 0; l--) {
    const { input, preActivation } = layers[l];
    const isHidden = l < layers.length - 1;
    const zBar = isHidden ? activationJetReverse(arch.activation, preActivation, bar) : bar;
    bar = denseJetReverse(params.layers[l], input, zBar, gradient.layers[l]);
  }
  return gradient;
}
