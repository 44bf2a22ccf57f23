/**
 * The interface shared by the float64 CPU reference engine and the GPU engine, so the same tests
 * run on both: create a network, set and get its weights, push a batch of jets, get the gradient of
 * a loss given on the output coefficients, apply an Adam step.
 */
import type { AnyMlpParameters, MlpArchitecture, MlpParameters } from '../jet/mlp.ts';
import { type JetShape, layerElements, type TangentInput } from './jetLayout.ts';

/**
 * Input tangents in float64, laid out as TangentInput: only the float64 reference takes them (the
 * GPU's tangents are float32), so a reference run is float64 along the tangents it is given.
 */
export type Float64TangentInput =
  | { kind: 'dense'; values: Float64Array }
  | { kind: 'oneHot'; index: Int32Array; coefficient: Float64Array };

/** Tangents in either precision: what the float64 reference engine accepts. */
export type AnyTangentInput = TangentInput | Float64TangentInput;

/**
 * A batch of jets. Every engine takes the default, float32 tangents; the reference engine also
 * takes JetBatch<AnyTangentInput>, float64 tangents included.
 */
export interface JetBatch<Tangents extends AnyTangentInput = TangentInput> {
  shape: JetShape;
  /** Input dimension d (the architecture's widths[0]). */
  dim: number;
  /** N·d points. */
  x: Float32Array | Float64Array;
  /** Normalized input coefficients c_k = v_k/k! (see jetLayout.ts). */
  tangents: Tangents;
}

export interface AdamOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled (AdamW) weight decay; 0 = plain Adam. */
  weightDecay: number;
}

export const defaultAdamOptions: AdamOptions = {
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
};

export interface JetEngine {
  readonly architecture: MlpArchitecture;
  setParameters(params: AnyMlpParameters): void;
  getParameters(): Promise<MlpParameters<Float64Array>>;
  /** Output coefficients, normalized, in the row layout: layerElements(batch.shape, out) values. */
  forward(batch: JetBatch): Promise<Float64Array>;
  /**
   * dL/dθ for a loss L whose gradient with respect to the output coefficients is `cotangent`
   * (same layout as forward's result). The gradient is kept for `adamStep`.
   */
  gradient(
    batch: JetBatch,
    cotangent: Float64Array | Float32Array,
  ): Promise<MlpParameters<Float64Array>>;
  /** One Adam step with the last gradient; `step` counts from 1 (bias correction). */
  adamStep(learningRate: number, step: number): Promise<void>;
  dispose(): void;
}

export class JetBatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JetBatchError';
  }
}

/** Checks a batch against an architecture before any work or allocation. */
export function validateJetBatch(arch: MlpArchitecture, batch: JetBatch<AnyTangentInput>): void {
  const { shape, dim, x, tangents } = batch;
  const { points: N, directions: R, order: K } = shape;
  if (dim !== arch.widths[0]) {
    throw new JetBatchError(`the batch has dimension ${dim}, the network takes ${arch.widths[0]}`);
  }
  for (const [name, value, min, max] of [
    ['points', N, 1, 2 ** 24],
    ['directions', R, 1, 2 ** 20],
    ['order', K, 1, 8],
  ] as const) {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new JetBatchError(`${name} must be an integer in ${min}..${max}, got ${value}`);
    }
  }
  if (shape.structure !== 'standard' && shape.structure !== 'collapsed') {
    throw new JetBatchError(`unknown channel structure '${String(shape.structure)}'`);
  }
  if (x.length !== N * dim) {
    throw new JetBatchError(`x must hold points·dim = ${N * dim} values, has ${x.length}`);
  }
  const slots = N * R * K;
  if (tangents.kind === 'dense') {
    if (tangents.values.length !== slots * dim) {
      throw new JetBatchError(
        `dense tangents must hold points·directions·order·dim = ${slots * dim} values, has ${tangents.values.length}`,
      );
    }
  } else {
    if (tangents.index.length !== slots || tangents.coefficient.length !== slots) {
      throw new JetBatchError(
        `one-hot tangents need points·directions·order = ${slots} indices and coefficients, ` +
          `got ${tangents.index.length} and ${tangents.coefficient.length}`,
      );
    }
    for (let s = 0; s < slots; s++) {
      const i = tangents.index[s];
      if (i < -1 || i >= dim) {
        throw new JetBatchError(`one-hot tangent ${s} has index ${i}, outside −1..${dim - 1}`);
      }
    }
  }
}

/** Number of output values forward() returns for a batch. */
export function outputElements(arch: MlpArchitecture, shape: JetShape): number {
  return layerElements(shape, arch.widths[arch.widths.length - 1]);
}
