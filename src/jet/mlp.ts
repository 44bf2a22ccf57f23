import { type Activation, ACTIVATIONS, isActivation } from './activations.ts';
import { SeededRandom } from './seededRandom.ts';

/**
 * The hard boundary factor: u = MLP(x) ('none') or (1 − ‖x‖²)^m·MLP(x), m = 1 ('ball') to 4
 * ('ball4'). The power m makes u and its first m − 1 normal derivatives vanish on the sphere: the
 * Dirichlet data of an elliptic problem of order 2m (m = 2: the clamped biharmonic problem).
 */
export type BoundaryFactor = 'none' | 'ball' | 'ball2' | 'ball3' | 'ball4';

export const BOUNDARY_FACTORS: readonly BoundaryFactor[] = [
  'none',
  'ball',
  'ball2',
  'ball3',
  'ball4',
];

const BOUNDARY_POWERS: Readonly<Record<BoundaryFactor, number>> = {
  none: 0,
  ball: 1,
  ball2: 2,
  ball3: 3,
  ball4: 4,
};

/** The power m of (1 − ‖x‖²)^m in a boundary factor (0 for 'none'). */
export function boundaryPower(boundary: BoundaryFactor): number {
  return BOUNDARY_POWERS[boundary];
}

/**
 * widths = [d, h1, …, hL, out]; the activation follows every hidden layer, the last layer is linear.
 */
export interface MlpArchitecture {
  widths: number[];
  activation: Activation;
  boundary: BoundaryFactor;
}

/** One affine layer; weight is row-major [out][in], so weight[o * in + i] multiplies input i. */
export interface DenseLayer<T extends Float32Array | Float64Array> {
  weight: T;
  bias: T;
}

export interface MlpParameters<T extends Float32Array | Float64Array = Float64Array> {
  layers: DenseLayer<T>[];
}

/** Parameters in either precision: the float64 reference also runs on the GPU's float32 weights. */
export type AnyMlpParameters = MlpParameters<Float32Array> | MlpParameters<Float64Array>;

export class ArchitectureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchitectureError';
  }
}

export interface LayerShape {
  inputs: number;
  outputs: number;
}

export function validateArchitecture(arch: MlpArchitecture): void {
  const { widths, activation, boundary } = arch;
  if (!Array.isArray(widths) || widths.length < 2) {
    throw new ArchitectureError(
      `widths must list at least the input and output sizes [d, …, out], got ${JSON.stringify(widths)}`,
    );
  }
  widths.forEach((w, i) => {
    if (!Number.isSafeInteger(w) || w < 1) {
      throw new ArchitectureError(`widths[${i}] must be a positive integer, got ${w}`);
    }
  });
  if (!isActivation(activation)) {
    throw new ArchitectureError(
      `unknown activation '${String(activation)}'; expected one of ${ACTIVATIONS.join(', ')}`,
    );
  }
  if (!BOUNDARY_FACTORS.includes(boundary)) {
    throw new ArchitectureError(
      `unknown boundary factor '${String(boundary)}'; expected one of ${BOUNDARY_FACTORS.join(', ')}`,
    );
  }
}

export function layerShapes(arch: MlpArchitecture): LayerShape[] {
  validateArchitecture(arch);
  return arch.widths.slice(1).map((outputs, l) => ({ inputs: arch.widths[l], outputs }));
}

export function parameterCount(arch: MlpArchitecture): number {
  return layerShapes(arch).reduce((n, { inputs, outputs }) => n + outputs * (inputs + 1), 0);
}

/** Checks that the parameters have one layer per weight matrix, each of the architecture's shape. */
export function validateParameters(arch: MlpArchitecture, params: AnyMlpParameters): void {
  const shapes = layerShapes(arch);
  if (params.layers.length !== shapes.length) {
    throw new ArchitectureError(
      `widths ${JSON.stringify(arch.widths)} need ${shapes.length} layers, got ${params.layers.length}`,
    );
  }
  shapes.forEach(({ inputs, outputs }, l) => {
    const { weight, bias } = params.layers[l];
    if (weight.length !== inputs * outputs) {
      throw new ArchitectureError(
        `layer ${l}: weight must hold ${outputs}×${inputs} = ${inputs * outputs} values, got ${weight.length}`,
      );
    }
    if (bias.length !== outputs) {
      throw new ArchitectureError(
        `layer ${l}: bias must hold ${outputs} values, got ${bias.length}`,
      );
    }
  });
}

export function zeroParameters(arch: MlpArchitecture): MlpParameters<Float64Array> {
  return {
    layers: layerShapes(arch).map(({ inputs, outputs }) => ({
      weight: new Float64Array(inputs * outputs),
      bias: new Float64Array(outputs),
    })),
  };
}

/**
 * PyTorch's nn.Linear default: weights and biases uniform on (−1/√fan_in, 1/√fan_in). Drawn from one
 * stream of `SeededRandom(seed)`, layer by layer, each layer's weights (row-major) before its biases,
 * so a seed names the same network everywhere. `firstLayerGain` then multiplies the first layer's
 * weights (not its biases), scaling its pre-activations to inputs smaller than unit size.
 */
export function initParameters(
  arch: MlpArchitecture,
  seed: number,
  firstLayerGain = 1,
): MlpParameters<Float64Array> {
  const random = new SeededRandom(seed);
  const params = zeroParameters(arch);
  for (const { weight, bias } of params.layers) {
    const bound = 1 / Math.sqrt(weight.length / bias.length);
    for (const values of [weight, bias]) {
      for (let i = 0; i < values.length; i++) values[i] = random.uniformIn(-bound, bound);
    }
  }
  const first = params.layers[0].weight;
  for (let i = 0; i < first.length; i++) first[i] *= firstLayerGain;
  return params;
}

/**
 * initParameters' values rounded to float32, in their flat order (each layer's weights, row-major,
 * then its biases: the draw order, and jetLayout.packParameters' layout), handed out piece by
 * piece: `fill(target)` writes the next target.length values. The same arithmetic in the same
 * order (a float64 draw, times the gain on the first layer's weights, then rounded), so the
 * pieces are packParameters(initParameters(…)) bit for bit, without holding the network: at
 * d = 10⁷ initParameters' float64 arrays alone are 10 GB.
 */
export function initialParameterStream(
  arch: MlpArchitecture,
  seed: number,
  firstLayerGain = 1,
): { fill(target: Float32Array): void } {
  const random = new SeededRandom(seed);
  // Runs of values with one bound: each layer's weights, then its biases.
  const runs = arch.widths.slice(0, -1).flatMap((inputs, l) => {
    const outputs = arch.widths[l + 1];
    const bound = 1 / Math.sqrt(inputs);
    return [
      { left: inputs * outputs, bound, gain: l === 0 ? firstLayerGain : 1 },
      { left: outputs, bound, gain: 1 },
    ];
  });
  let run = 0;
  return {
    fill(target: Float32Array): void {
      for (let i = 0; i < target.length; i++) {
        while (run < runs.length && runs[run].left === 0) run++;
        if (run === runs.length) throw new RangeError('the network has no more parameters');
        const current = runs[run];
        // As initParameters: the draw in float64, times the gain (exact for 1), then rounded.
        target[i] = random.uniformIn(-current.bound, current.bound) * current.gain;
        current.left--;
      }
    },
  };
}

/** The same parameters rounded to float32, e.g. for upload to the GPU. */
export function toFloat32Parameters(params: AnyMlpParameters): MlpParameters<Float32Array> {
  return {
    layers: params.layers.map(({ weight, bias }) => ({
      weight: Float32Array.from(weight),
      bias: Float32Array.from(bias),
    })),
  };
}
