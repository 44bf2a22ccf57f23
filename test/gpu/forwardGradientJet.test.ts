/**
 * The forward jet with a parameter-tangent channel (jetForwardTangent.wgsl) against float64:
 * the primal output jets against the reference forward jet (src/jet/referenceJet.ts), and the
 * tangent u̇ = ∂u/∂θ·v against float64 central differences of that reference,
 * (u(θ + hv) − u(θ − hv))/(2h) with h = 1e-4 (truncation ~h²·|u'''| ≈ 1e-8, far below f32).
 *
 * Tolerance: every row of every point, |gpu − ref| ≤ 2e-5·max|ref| over the case (+1e-7 for
 * the primal). The GPU sums a few hundred f32 products per row (~1e-6 relative, worst case seen
 * on SwiftShader is listed in the test output); dropping any one term of the tangent (Ẇy, Wẏ, ḃ,
 * σ'' of the seed, a dual term of the recurrences, the collapsed top row) changes rows by O(1)
 * relative.
 */
import { describe, expect, it } from 'vitest';
import { ForwardGradientJet } from '../../src/engine/forwardGradientJet.ts';
import type { TangentKind } from '../../src/engine/forwardJet.ts';
import {
  type ChannelStructure,
  type JetShape,
  layerElements,
  packParameters,
  rowOf,
  rowsPerPoint,
  tangentSlot,
} from '../../src/engine/jetLayout.ts';
import type { GpuMemory } from '../../src/gpu/gpuMemory.ts';
import { readFloat32 } from '../../src/gpu/gpuMemory.ts';
import type { Activation } from '../../src/jet/activations.ts';
import {
  type BoundaryFactor,
  initParameters,
  type MlpArchitecture,
  type MlpParameters,
  toFloat32Parameters,
} from '../../src/jet/mlp.ts';
import { referenceForwardJet } from '../../src/jet/referenceJet.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { factorial } from '../../src/jet/series.ts';
import type { JetInput } from '../../src/jet/vectorJet.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

let memory: GpuMemory;
useNodeGpu((_gpu, b) => {
  memory = b;
});

const TANGENT_TOLERANCE = 2e-5;
const PRIMAL_TOLERANCE = 2e-5;
const H = 1e-4;

interface Case {
  activation: Activation;
  structure: ChannelStructure;
  kind: TangentKind;
  order: number;
  boundary: BoundaryFactor;
  /**
   * A first layer split over its inputs (jetForwardTangent.wgsl partialAffine) into blocks, and
   * with dense tangents the boundary factor's sums over d (jetBoundary.wgsl denseNormBlocks).
   */
  split?: { dim: number; blockInner: number; boundaryBlock?: number };
}

const cases: Case[] = [
  { activation: 'tanh', structure: 'standard', kind: 'dense', order: 2, boundary: 'ball' },
  { activation: 'tanh', structure: 'collapsed', kind: 'oneHot', order: 2, boundary: 'ball' },
  { activation: 'sin', structure: 'collapsed', kind: 'dense', order: 3, boundary: 'ball2' },
  { activation: 'softplus', structure: 'standard', kind: 'oneHot', order: 4, boundary: 'none' },
  { activation: 'identity', structure: 'collapsed', kind: 'oneHot', order: 2, boundary: 'ball' },
  { activation: 'tanh', structure: 'standard', kind: 'dense', order: 5, boundary: 'none' },
  // Split first layers: 3 blocks of 4 inputs and a short last one, with every row kind.
  {
    activation: 'tanh',
    structure: 'collapsed',
    kind: 'oneHot',
    order: 2,
    boundary: 'ball',
    split: { dim: 11, blockInner: 4 },
  },
  {
    activation: 'sin',
    structure: 'collapsed',
    kind: 'dense',
    order: 3,
    boundary: 'ball',
    split: { dim: 11, blockInner: 4, boundaryBlock: 4 },
  },
  {
    activation: 'softplus',
    structure: 'standard',
    kind: 'dense',
    order: 2,
    boundary: 'none',
    split: { dim: 9, blockInner: 2 },
  },
];

/** θ + t·v in float64 (θ and v are the f32 values the GPU sees). */
function shifted(
  params: MlpParameters<Float32Array>,
  v: MlpParameters<Float64Array>,
  t: number,
): MlpParameters<Float64Array> {
  return {
    layers: params.layers.map((layer, l) => ({
      weight: Float64Array.from(layer.weight, (w, i) => w + t * v.layers[l].weight[i]),
      bias: Float64Array.from(layer.bias, (b, i) => b + t * v.layers[l].bias[i]),
    })),
  };
}

describe('forward jet with a parameter tangent', () => {
  for (const c of cases) {
    const split = c.split
      ? `, d = ${c.split.dim} split in blocks of ${c.split.blockInner}` +
        (c.split.boundaryBlock ? `, boundary sums in blocks of ${c.split.boundaryBlock}` : '')
      : '';
    const name = `${c.activation}, ${c.structure}, ${c.kind}, K = ${c.order}, boundary ${c.boundary}${split}`;
    it(`matches float64 value and central differences: ${name}`, async () => {
      const dim = c.split?.dim ?? 4;
      const shape: JetShape = { points: 5, directions: 3, order: c.order, structure: c.structure };
      const architecture: MlpArchitecture = {
        widths: [dim, 6, 5, 1],
        activation: c.activation,
        boundary: c.boundary,
      };
      const random = new SeededRandom(11 + c.order);
      const params = toFloat32Parameters(initParameters(architecture, 3));
      const vF32 = toFloat32Parameters({
        layers: params.layers.map((layer) => ({
          weight: Float64Array.from(layer.weight, () => random.normal()),
          bias: Float64Array.from(layer.bias, () => random.normal()),
        })),
      });
      const v: MlpParameters<Float64Array> = {
        layers: vF32.layers.map((layer) => ({
          weight: Float64Array.from(layer.weight),
          bias: Float64Array.from(layer.bias),
        })),
      };
      const { points: N, directions: R, order: K } = shape;
      const x = new Float32Array(N * dim).map(() => random.uniformIn(-0.5, 0.5));
      const slots = N * R * K;
      const dense = new Float32Array(slots * dim).map(() => random.uniformIn(-0.5, 0.5));
      const index = new Int32Array(slots).map(() => Math.floor(random.uniform() * (dim + 1)) - 1);
      const coefficient = new Float32Array(slots).map(() => random.uniformIn(-1, 1));

      const thetaBuffer = memory.createFrom('θ', packParameters(architecture.widths, params));
      const vBuffer = memory.createFrom('v', packParameters(architecture.widths, vF32));
      const xBuffer = memory.createFrom('x', x);
      const tangentBuffer = memory.createFrom('tangents', c.kind === 'dense' ? dense : coefficient);
      const indexBuffer = c.kind === 'oneHot' ? memory.createFrom('index', index) : null;
      const jet = await ForwardGradientJet.create(
        memory,
        {
          architecture,
          shape,
          tangentKind: c.kind,
          ...(c.split ? { firstLayerBlockInner: c.split.blockInner } : {}),
          ...(c.split?.boundaryBlock ? { boundaryBlock: c.split.boundaryBlock } : {}),
        },
        thetaBuffer,
        vBuffer,
        { x: xBuffer, tangents: tangentBuffer, tangentIndex: indexBuffer },
      );
      const device = memory.device;
      const encoder = device.createCommandEncoder();
      jet.encode(encoder);
      device.queue.submit([encoder.finish()]);
      const elements = layerElements(shape, 1);
      const [u, du] = await Promise.all([
        readFloat32(device, jet.output, elements),
        readFloat32(device, jet.outputTangent, elements),
      ]);

      const input = (p: number, r: number): JetInput => {
        const tangents: (Float64Array | null)[] = [];
        for (let k = 1; k <= K; k++) {
          const slot = tangentSlot(shape, p, r, k);
          if (c.kind === 'dense') {
            const values = dense.subarray(slot * dim, (slot + 1) * dim);
            tangents.push(Float64Array.from(values, (value) => value * factorial(k)));
          } else if (index[slot] < 0) {
            tangents.push(null);
          } else {
            const t = new Float64Array(dim);
            t[index[slot]] = coefficient[slot] * factorial(k);
            tangents.push(t);
          }
        }
        return { point: Float64Array.from(x.subarray(p * dim, (p + 1) * dim)), tangents };
      };
      /** The reference's rows in the layout (value, per-direction orders, collapsed top). */
      const rows = (theta: MlpParameters<Float64Array> | MlpParameters<Float32Array>) => {
        const V = rowsPerPoint(shape);
        const out = new Float64Array(N * V);
        for (let p = 0; p < N; p++) {
          for (let r = 0; r < R; r++) {
            const coefficients = referenceForwardJet(architecture, theta, input(p, r))
              .coefficients[0];
            out[p * V] = coefficients[0];
            const orders = c.structure === 'collapsed' ? K - 1 : K;
            for (let k = 1; k <= orders; k++) out[p * V + rowOf(shape, r, k)] = coefficients[k];
            if (c.structure === 'collapsed') out[p * V + V - 1] += coefficients[K];
          }
        }
        return out;
      };
      const value = rows(params);
      const plus = rows(shifted(params, v, H));
      const minus = rows(shifted(params, v, -H));
      const tangent = plus.map((up, i) => (up - minus[i]) / (2 * H));

      const maxAbs = (a: Float64Array) => a.reduce((m, y) => Math.max(m, Math.abs(y)), 0);
      const valueScale = maxAbs(value);
      const tangentScale = maxAbs(tangent);
      let worstValue = 0;
      let worstTangent = 0;
      for (let i = 0; i < elements; i++) {
        worstValue = Math.max(worstValue, Math.abs(u[i] - value[i]) / valueScale);
        worstTangent = Math.max(worstTangent, Math.abs(du[i] - tangent[i]) / tangentScale);
      }
      console.log(
        `${name}: worst value error ${worstValue.toExponential(2)}, tangent ${worstTangent.toExponential(2)} (of the case maximum)`,
      );
      expect(tangentScale).toBeGreaterThan(1e-3);
      expect(worstValue).toBeLessThanOrEqual(PRIMAL_TOLERANCE);
      expect(worstTangent).toBeLessThanOrEqual(TANGENT_TOLERANCE);
      jet.destroy();
      for (const b of [thetaBuffer, vBuffer, xBuffer, tangentBuffer, indexBuffer]) {
        if (b) memory.destroy(b);
      }
    });
  }
});
