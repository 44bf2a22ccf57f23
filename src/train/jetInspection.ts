/**
 * One point's Taylor jet through every layer of a trainer's network, for the dashboard's jet
 * inspector. The GPU pass is the trainer's own forward kernels (ForwardJet) bound to the model it
 * shows (Trainer.createViewJet: the page's weight average), run on one point with one jet; every
 * layer's buffer is read back, not just the output. With one point and one standard jet, a layer buffer of width h holds rows 0..K of h
 * values (jetLayout.ts), which is already the coefficient-major layout of src/jet's VectorJet, so
 * the GPU's numbers and the float64 reference's (`referenceInspection`) come in one shape and can
 * be compared layer by layer.
 */
import { ForwardJet, type ForwardJetConfig, MAX_JET_ORDER } from '../engine/forwardJet.ts';
import { type JetShape, layerElements } from '../engine/jetLayout.ts';
import type { PlannedBuffer } from '../gpu/bufferPlan.ts';
import { readFloat32 } from '../gpu/gpuMemory.ts';
import type { AnyMlpParameters, MlpArchitecture } from '../jet/mlp.ts';
import { referenceForwardJet } from '../jet/referenceJet.ts';
import { factorial } from '../jet/series.ts';
import { curveJet, type JetInput } from '../jet/vectorJet.ts';
import { type EngineLimits, forwardJetBuffers } from './enginePlans.ts';
import { pdeOf, type TrainingOptions } from './options.ts';
import type { Trainer } from './trainer.ts';

/** One dense layer's jets, coefficient-major: coefficient k of unit j at [k·width + j]. */
export interface InspectedLayer {
  width: number;
  /** z = W x + b (normalized coefficients). */
  preActivation: Float64Array;
  /** σ(z) for a hidden layer; null for the linear output layer. */
  activation: Float64Array | null;
}

/** The jet of one point along one input curve, layer by layer (normalized coefficients). */
export interface InspectedJet {
  order: number;
  /** The input curve's coefficients c_0 = x, c_k = v_k/k!, (K + 1)·d. */
  input: Float64Array;
  layers: InspectedLayer[];
  /** The boundary factor's series b_0..b_K, or null when the network has none. */
  boundary: Float64Array | null;
  /** u = b·MLP, (K + 1)·out, coefficient-major like the layers. */
  output: Float64Array;
  /** J_k = k!·u_k of output 0, k = 0..K: the k-th derivative of u along the curve. */
  derivatives: Float64Array;
}

/** J_k = k!·u_k of output 0 from a coefficient-major output jet of `width` outputs. */
function derivativesOf(output: ArrayLike<number>, order: number, width: number): Float64Array {
  return Float64Array.from({ length: order + 1 }, (_, k) => factorial(k) * output[k * width]);
}

function requireInput(architecture: MlpArchitecture, input: JetInput): void {
  const d = architecture.widths[0];
  if (input.point.length !== d) {
    throw new RangeError(`the inspected point has ${input.point.length} coordinates, not d = ${d}`);
  }
  const K = input.tangents.length;
  if (!Number.isInteger(K) || K < 1 || K > MAX_JET_ORDER) {
    throw new RangeError(`the inspected jet's order must be in 1..${MAX_JET_ORDER}, got ${K}`);
  }
}

/** The same inspection from src/jet's float64 reference on CPU weights. */
export function referenceInspection(
  architecture: MlpArchitecture,
  parameters: AnyMlpParameters,
  input: JetInput,
): InspectedJet {
  requireInput(architecture, input);
  const result = referenceForwardJet(architecture, parameters, input);
  const last = result.layers.length - 1;
  return {
    order: result.order,
    input: Float64Array.from(result.curve.coeffs),
    layers: result.layers.map((layer, l) => ({
      width: layer.preActivation.width,
      preActivation: Float64Array.from(layer.preActivation.coeffs),
      activation: l < last ? Float64Array.from(layer.postActivation.coeffs) : null,
    })),
    boundary: result.boundary === null ? null : Float64Array.from(result.boundary),
    output: Float64Array.from(result.output.coeffs),
    derivatives: Float64Array.from(result.derivatives[0]),
  };
}

/**
 * The point the teaching panels look at: x = r·(1, …, 1)/√d (so ‖x‖ = r) and, for space-time
 * problems, t = 0, where the parabolic problems are scored. At r = 0 that is the slice centre of
 * a ball problem and the point (0, 0) of a parabolic one.
 */
export function inspectionPoint(options: TrainingOptions, radius: number): Float32Array {
  if (!Number.isFinite(radius) || radius < 0 || radius >= 1) {
    throw new RangeError(`the inspected point's radius must be in [0, 1), got ${radius}`);
  }
  const d = options.dimension;
  const spacetime = pdeOf(options).domain === 'spacetime';
  const point = new Float32Array(spacetime ? d + 1 : d);
  point.fill(radius / Math.sqrt(d), 0, d);
  return point;
}

/** The inspected pass: one point, one jet of order K, dense tangents (any v_1..v_K). */
function inspectionConfig(architecture: MlpArchitecture, order: number): ForwardJetConfig {
  if (!Number.isInteger(order) || order < 1 || order > MAX_JET_ORDER) {
    throw new RangeError(`the inspected jet's order must be in 1..${MAX_JET_ORDER}, got ${order}`);
  }
  return {
    architecture,
    shape: { points: 1, directions: 1, order, structure: 'standard' },
    tangentKind: 'dense',
  };
}

/** Every buffer `JetInspection.create` allocates for jets of order K. */
export function planJetInspection(
  architecture: MlpArchitecture,
  order: number,
  limits: EngineLimits,
): readonly PlannedBuffer[] {
  return forwardJetBuffers(inspectionConfig(architecture, order), false, limits);
}

/**
 * A one-point, one-jet forward pass of order K on the model a trainer shows. Build it once per
 * trainer and order; `inspect` only between the trainer's train() calls, which write the
 * weights and their average.
 */
export class JetInspection {
  private constructor(
    private readonly trainer: Trainer,
    private readonly forward: ForwardJet,
  ) {}

  static async create(trainer: Trainer, order: number): Promise<JetInspection> {
    const forward = await trainer.createViewJet(inspectionConfig(trainer.architecture, order));
    return new JetInspection(trainer, forward);
  }

  get order(): number {
    return this.forward.config.shape.order;
  }

  /** Pushes the jet of `input` (derivative tangents v_1..v_K) and reads every layer back. */
  async inspect(input: JetInput): Promise<InspectedJet> {
    const architecture = this.trainer.architecture;
    requireInput(architecture, input);
    const K = this.order;
    if (input.tangents.length !== K) {
      throw new RangeError(
        `this inspection pushes jets of order ${K}, got ${input.tangents.length}`,
      );
    }
    const curve = curveJet(input);
    const d = architecture.widths[0];
    // Dense tangent slot k − 1 holds c_k (jetLayout.ts), which is row k of the curve.
    const tangents = Float32Array.from(curve.coeffs.subarray(d));
    const device = this.trainer.memory.device;
    this.forward.upload(Float32Array.from(input.point), { kind: 'dense', values: tangents });
    const encoder = device.createCommandEncoder({ label: 'jet inspection' });
    this.forward.encode(encoder);
    device.queue.submit([encoder.finish()]);

    const { buffers } = this.forward;
    const shape: JetShape = buffers.shape;
    const widths = architecture.widths;
    const read = (buffer: GPUBuffer, width: number) =>
      readFloat32(device, buffer, layerElements(shape, width)).then((v) => Float64Array.from(v));
    const hidden = widths.slice(1, -1);
    const out = widths[widths.length - 1];
    const [pre, post, mlpOutput, boundary, output] = await Promise.all([
      Promise.all(hidden.map((h, l) => read(buffers.preActivations[l], h))),
      Promise.all(hidden.map((h, l) => read(buffers.activations[l], h))),
      read(buffers.mlpOutput, out),
      buffers.boundary ? read(buffers.boundary, 1) : Promise.resolve(null),
      read(buffers.output, out),
    ]);
    return {
      order: K,
      input: Float64Array.from(curve.coeffs),
      layers: [
        ...hidden.map((width, l) => ({ width, preActivation: pre[l], activation: post[l] })),
        { width: out, preActivation: mlpOutput, activation: null },
      ],
      boundary,
      output,
      derivatives: derivativesOf(output, K, out),
    };
  }

  destroy(): void {
    this.forward.destroy();
  }
}

/**
 * The largest |GPU − reference| of each layer's jet (pre-activation and activation together),
 * relative to that layer's largest |reference| value, then the output's: how far f32 on the GPU
 * strays from float64.
 */
export function relativeDeviations(gpu: InspectedJet, reference: InspectedJet): number[] {
  const deviation = (a: ArrayLike<number>[], b: ArrayLike<number>[]) => {
    let scale = 0;
    let worst = 0;
    b.forEach((values, n) => {
      for (let i = 0; i < values.length; i++) {
        scale = Math.max(scale, Math.abs(values[i]));
        worst = Math.max(worst, Math.abs(a[n][i] - values[i]));
      }
    });
    return scale === 0 ? worst : worst / scale;
  };
  const arrays = (layer: InspectedLayer) =>
    layer.activation ? [layer.preActivation, layer.activation] : [layer.preActivation];
  return [
    ...gpu.layers.map((layer, l) => deviation(arrays(layer), arrays(reference.layers[l]))),
    deviation([gpu.output], [reference.output]),
  ];
}
