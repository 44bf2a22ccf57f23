/**
 * The float64 CPU reference behind the JetEngine interface: each (point, direction) jet goes
 * through src/jet's reference, and the rows are arranged exactly as the GPU lays them out
 * (jetLayout.ts), so a test can compare the two engines number by number. Besides the float32
 * batches every engine takes, it takes float64 tangents (JetBatch<AnyTangentInput>), so a check
 * against another float64 AD system is float64 from the tangents on.
 */
import {
  type AnyMlpParameters,
  type MlpArchitecture,
  type MlpParameters,
  validateParameters,
  zeroParameters,
} from '../jet/mlp.ts';
import { referenceForwardJet, reverseJet, type JetForwardResult } from '../jet/referenceJet.ts';
import { factorial } from '../jet/series.ts';
import type { JetInput } from '../jet/vectorJet.ts';
import {
  type AnyTangentInput,
  defaultAdamOptions,
  type AdamOptions,
  type JetBatch,
  type JetEngine,
  outputElements,
  validateJetBatch,
} from './jetEngine.ts';
import { rowOf, rowsPerPoint, tangentSlot } from './jetLayout.ts';

function copyParameters(params: AnyMlpParameters): MlpParameters<Float64Array> {
  return {
    layers: params.layers.map(({ weight, bias }) => ({
      weight: Float64Array.from(weight),
      bias: Float64Array.from(bias),
    })),
  };
}

/**
 * The reference's input for direction r of point p, in its derivative convention v_k = k!·c_k,
 * computed in float64 from the batch's coefficients in whichever precision they come.
 */
function directionInput(batch: JetBatch<AnyTangentInput>, p: number, r: number): JetInput {
  const { shape, dim, x, tangents } = batch;
  const K = shape.order;
  const point = x.subarray(p * dim, (p + 1) * dim);
  const vectors: (Float64Array | null)[] = [];
  for (let k = 1; k <= K; k++) {
    const slot = tangentSlot(shape, p, r, k);
    if (tangents.kind === 'dense') {
      const c = tangents.values.subarray(slot * dim, (slot + 1) * dim);
      vectors.push(Float64Array.from(c, (value) => value * factorial(k)));
    } else if (tangents.index[slot] < 0) {
      vectors.push(null);
    } else {
      const v = new Float64Array(dim);
      v[tangents.index[slot]] = tangents.coefficient[slot] * factorial(k);
      vectors.push(v);
    }
  }
  return { point, tangents: vectors };
}

export class ReferenceJetEngine implements JetEngine {
  readonly architecture: MlpArchitecture;
  private params: MlpParameters<Float64Array>;
  private lastGradient: MlpParameters<Float64Array> | null = null;
  private readonly adam: AdamOptions;
  private moments: { m: MlpParameters<Float64Array>; v: MlpParameters<Float64Array> };

  constructor(arch: MlpArchitecture, params: AnyMlpParameters, adam: Partial<AdamOptions> = {}) {
    validateParameters(arch, params);
    this.architecture = arch;
    this.params = copyParameters(params);
    this.adam = { ...defaultAdamOptions, ...adam };
    this.moments = { m: zeroParameters(arch), v: zeroParameters(arch) };
  }

  setParameters(params: AnyMlpParameters): void {
    validateParameters(this.architecture, params);
    this.params = copyParameters(params);
  }

  getParameters(): Promise<MlpParameters<Float64Array>> {
    return Promise.resolve(copyParameters(this.params));
  }

  /** Every (point, direction) jet through the reference. */
  private jets(batch: JetBatch<AnyTangentInput>): JetForwardResult[][] {
    validateJetBatch(this.architecture, batch);
    const { points, directions } = batch.shape;
    const result: JetForwardResult[][] = [];
    for (let p = 0; p < points; p++) {
      const row: JetForwardResult[] = [];
      for (let r = 0; r < directions; r++) {
        row.push(referenceForwardJet(this.architecture, this.params, directionInput(batch, p, r)));
      }
      result.push(row);
    }
    return result;
  }

  forward(batch: JetBatch<AnyTangentInput>): Promise<Float64Array> {
    const { shape } = batch;
    const out = this.architecture.widths[this.architecture.widths.length - 1];
    const V = rowsPerPoint(shape);
    const result = new Float64Array(outputElements(this.architecture, shape));
    this.jets(batch).forEach((directions, p) => {
      directions.forEach((jet, r) => {
        for (let o = 0; o < out; o++) {
          const u = jet.coefficients[o];
          result[p * V * out + o] = u[0];
          // In the collapsed structure the top row accumulates every direction's top coefficient.
          for (let k = 1; k <= shape.order; k++)
            result[(p * V + rowOf(shape, r, k)) * out + o] += u[k];
        }
      });
    });
    return Promise.resolve(result);
  }

  gradient(
    batch: JetBatch<AnyTangentInput>,
    cotangent: Float64Array | Float32Array,
  ): Promise<MlpParameters<Float64Array>> {
    const { shape } = batch;
    const out = this.architecture.widths[this.architecture.widths.length - 1];
    const V = rowsPerPoint(shape);
    if (cotangent.length !== outputElements(this.architecture, shape)) {
      throw new RangeError(
        `the cotangent must have ${outputElements(this.architecture, shape)} values, has ${cotangent.length}`,
      );
    }
    const gradient = zeroParameters(this.architecture);
    this.jets(batch).forEach((directions, p) => {
      directions.forEach((jet, r) => {
        const cotangents = Array.from({ length: out }, (_, o) => {
          const bar = new Float64Array(shape.order + 1);
          // The value row is shared by all directions: its cotangent belongs to one of them.
          bar[0] = r === 0 ? cotangent[p * V * out + o] : 0;
          for (let k = 1; k <= shape.order; k++) {
            bar[k] = cotangent[(p * V + rowOf(shape, r, k)) * out + o];
          }
          return bar;
        });
        reverseJet(this.architecture, this.params, jet, cotangents, gradient);
      });
    });
    this.lastGradient = gradient;
    return Promise.resolve(copyParameters(gradient));
  }

  adamStep(learningRate: number, step: number): Promise<void> {
    if (!this.lastGradient) throw new Error('adamStep needs a gradient() first');
    const { beta1, beta2, epsilon, weightDecay } = this.adam;
    const c1 = 1 - beta1 ** step;
    const c2 = 1 - beta2 ** step;
    this.params.layers.forEach((layer, l) => {
      for (const key of ['weight', 'bias'] as const) {
        const theta = layer[key];
        const g = this.lastGradient!.layers[l][key];
        const m = this.moments.m.layers[l][key];
        const v = this.moments.v.layers[l][key];
        for (let i = 0; i < theta.length; i++) {
          m[i] = beta1 * m[i] + (1 - beta1) * g[i];
          v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
          theta[i] -=
            learningRate * (m[i] / c1 / (Math.sqrt(v[i] / c2) + epsilon) + weightDecay * theta[i]);
        }
      }
    });
    return Promise.resolve();
  }

  dispose(): void {
    this.lastGradient = null;
  }
}
