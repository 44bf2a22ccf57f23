/**
 * The GPU backward pass against the float64 reference's reverse mode (src/jet/referenceJet.ts).
 * The forward buffers are built here from the reference's own layer jets, rounded to f32 and laid
 * out in rows (jetLayout.ts), so these tests check the backward kernels alone.
 *
 * Tolerance: for every layer, |gpu − reference| ≤ 1e-5·(max |reference| over that layer's weights
 * and biases) + 1e-7. The GPU differentiates f32-rounded jets with f32 sums of a few hundred
 * terms; the observed worst case is 4e-7 of the layer maximum (K = 8, depth 3), so 1e-5 leaves a
 * 25× margin, while dropping any one term (a collapsed top-row correction, a repeated one-hot
 * index, one direction of a summed top row) fails by far more.
 */
import { describe, expect, it } from 'vitest';
import {
  BackwardJet,
  type StoredForwardJet,
  weightGradientSplit,
} from '../../src/engine/backwardJet.ts';
import {
  type ChannelStructure,
  type JetShape,
  layerElements,
  parameterLayout,
  rowOf,
  rowsPerPoint,
  tangentSlot,
  type TangentInput,
} from '../../src/engine/jetLayout.ts';
import { ForwardJet } from '../../src/engine/forwardJet.ts';
import type { GpuMemory } from '../../src/gpu/gpuMemory.ts';
import { BindingError } from '../../src/gpu/errors.ts';
import type { Activation } from '../../src/jet/activations.ts';
import {
  type BoundaryFactor,
  initParameters,
  type MlpArchitecture,
  type MlpParameters,
  toFloat32Parameters,
  zeroParameters,
} from '../../src/jet/mlp.ts';
import {
  referenceForwardJet,
  type JetForwardResult,
  reverseJet,
} from '../../src/jet/referenceJet.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { factorial } from '../../src/jet/series.ts';
import type { JetInput, VectorJet } from '../../src/jet/vectorJet.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

let memory: GpuMemory;
const gpu = useNodeGpu((_context, b) => (memory = b));

interface Case {
  widths: number[];
  activation: Activation;
  boundary: BoundaryFactor;
  shape: JetShape;
  tangentKind: TangentInput['kind'];
  seed: number;
  splitRows?: number;
}

/** A batch in the GPU's input format: f32 points and normalized tangents. */
interface Batch {
  x: Float32Array;
  tangents: Float32Array;
  index: Int32Array | null;
}

function makeBatch(c: Case): Batch {
  const { points: N, directions: R, order: K } = c.shape;
  const d = c.widths[0];
  const random = new SeededRandom(c.seed, 1);
  // Points well inside the unit ball, so the boundary factor is far from 0.
  const x = Float32Array.from({ length: N * d }, () => random.uniformIn(-0.6, 0.6) / Math.sqrt(d));
  const slots = N * R * K;
  if (c.tangentKind === 'dense') {
    const tangents = Float32Array.from({ length: slots * d }, () => random.uniformIn(-0.5, 0.5));
    return { x, tangents, index: null };
  }
  // Few distinct indices, so they repeat within a point and across points; some slots are zero.
  const index = Int32Array.from({ length: slots }, (_, s) =>
    s % 7 === 3 ? -1 : Math.floor(random.uniform() * Math.min(d, 3)),
  );
  const tangents = Float32Array.from({ length: slots }, () => random.uniformIn(0.5, 1.5));
  return { x, tangents, index };
}

/** Direction r of point p as the reference's input (derivatives v_k = k!·c_k). */
function directionInput(c: Case, batch: Batch, p: number, r: number): JetInput {
  const d = c.widths[0];
  const vectors: (Float64Array | null)[] = [];
  for (let k = 1; k <= c.shape.order; k++) {
    const slot = tangentSlot(c.shape, p, r, k);
    if (batch.index === null) {
      vectors.push(
        Float64Array.from(
          batch.tangents.subarray(slot * d, (slot + 1) * d),
          (v) => v * factorial(k),
        ),
      );
    } else if (batch.index[slot] < 0) {
      vectors.push(null);
    } else {
      const v = new Float64Array(d);
      v[batch.index[slot]] = batch.tangents[slot] * factorial(k);
      vectors.push(v);
    }
  }
  return { point: batch.x.subarray(p * d, (p + 1) * d), tangents: vectors };
}

/** Per-direction jets in the row layout; the collapsed top row sums order K over directions. */
function rowLayout(
  shape: JetShape,
  width: number,
  jets: JetForwardResult[][],
  pick: (jet: JetForwardResult) => VectorJet,
): Float64Array {
  const V = rowsPerPoint(shape);
  const rows = new Float64Array(layerElements(shape, width));
  jets.forEach((directions, p) =>
    directions.forEach((jet, r) => {
      const { coeffs } = pick(jet);
      for (let k = r === 0 ? 0 : 1; k <= shape.order; k++) {
        const row = p * V + rowOf(shape, r, k);
        for (let o = 0; o < width; o++) rows[row * width + o] += coeffs[k * width + o];
      }
    }),
  );
  return rows;
}

/** Fixed positive weights per (row, output) of the loss L = Σ w·u². */
function lossWeight(v: number, o: number): number {
  return (1 + ((3 * v + o) % 5)) / 5;
}

function loss(shape: JetShape, out: number, u: Float64Array): { value: number; bar: Float64Array } {
  const V = rowsPerPoint(shape);
  const bar = new Float64Array(u.length);
  let value = 0;
  u.forEach((ui, e) => {
    const w = lossWeight(Math.floor(e / out) % V, e % out);
    value += w * ui * ui;
    bar[e] = 2 * w * ui;
  });
  return { value, bar };
}

interface Reference {
  arch: MlpArchitecture;
  params: MlpParameters<Float32Array>;
  batch: Batch;
  jets: JetForwardResult[][];
  output: Float64Array;
  cotangent: Float64Array;
  gradient: MlpParameters<Float64Array>;
}

/** The reference jets and gradient; `cotangent` replaces dL/du of the reference's own output. */
function reference(c: Case, cotangent?: Float64Array): Reference {
  const arch: MlpArchitecture = {
    widths: c.widths,
    activation: c.activation,
    boundary: c.boundary,
  };
  const p32 = toFloat32Parameters(initParameters(arch, c.seed));
  const batch = makeBatch(c);
  const { points: N, directions: R, order: K } = c.shape;
  const jets = Array.from({ length: N }, (_, p) =>
    Array.from({ length: R }, (_, r) =>
      referenceForwardJet(arch, p32, directionInput(c, batch, p, r)),
    ),
  );
  const out = c.widths.at(-1) ?? 0;
  const output = rowLayout(c.shape, out, jets, (j) => j.output);
  const bar = cotangent ?? loss(c.shape, out, output).bar;
  const gradient = zeroParameters(arch);
  const V = rowsPerPoint(c.shape);
  jets.forEach((directions, p) =>
    directions.forEach((jet, r) => {
      const cotangents = Array.from({ length: out }, (_, o) => {
        const series = new Float64Array(K + 1);
        // The value row is shared by all directions: its cotangent goes to one of them.
        series[0] = r === 0 ? bar[p * V * out + o] : 0;
        for (let k = 1; k <= K; k++) series[k] = bar[(p * V + rowOf(c.shape, r, k)) * out + o];
        return series;
      });
      reverseJet(arch, p32, jet, cotangents, gradient);
    }),
  );
  return { arch, params: p32, batch, jets, output, cotangent: bar, gradient };
}

function flatParameters(params: MlpParameters<Float32Array>, widths: number[]): Float32Array {
  const layout = parameterLayout(widths);
  const flat = new Float32Array(layout.count);
  layout.layers.forEach((slice, l) => {
    flat.set(params.layers[l].weight, slice.weightOffset);
    flat.set(params.layers[l].bias, slice.biasOffset);
  });
  return flat;
}

interface Uploaded {
  forward: StoredForwardJet;
  params: GPUBuffer;
  cotangent: GPUBuffer;
}

function upload(c: Case, ref: Reference): Uploaded {
  const { shape } = c;
  const hidden = c.widths.slice(1, -1);
  const f32 = (label: string, values: ArrayLike<number>) =>
    memory.createFrom(label, Float32Array.from(values));
  const boundary = c.boundary === 'none' ? null : rowLayout(shape, 1, ref.jets, boundaryJet);
  return {
    forward: {
      shape,
      dim: c.widths[0],
      tangentKind: c.tangentKind,
      x: memory.createFrom('x', ref.batch.x),
      tangents: memory.createFrom('tangents', ref.batch.tangents),
      tangentIndex: ref.batch.index ? memory.createFrom('tangent index', ref.batch.index) : null,
      preActivations: hidden.map((w, l) =>
        f32(
          `z ${l}`,
          rowLayout(shape, w, ref.jets, (j) => j.layers[l].preActivation),
        ),
      ),
      activations: hidden.map((w, l) =>
        f32(
          `s ${l}`,
          rowLayout(shape, w, ref.jets, (j) => j.layers[l].postActivation),
        ),
      ),
      boundary: boundary ? f32('b', boundary) : null,
    },
    params: memory.createFrom('params', flatParameters(ref.params, c.widths)),
    cotangent: f32('cotangent', ref.cotangent),
  };
}

function boundaryJet(jet: JetForwardResult): VectorJet {
  if (!jet.boundary) throw new Error('no boundary jet');
  return { width: 1, order: jet.order, coeffs: jet.boundary };
}

async function gpuGradient(c: Case, ref: Reference): Promise<Float32Array> {
  const arch = ref.arch;
  const backward = await BackwardJet.create(memory, arch, c.shape, c.tangentKind, {
    splitRows: c.splitRows,
  });
  const io = upload(c, ref);
  try {
    return await backward.readGradient(io);
  } finally {
    backward.destroy();
    memory.destroyAll();
  }
}

/** Every entry within 1e-5 of its layer's largest reference entry (plus 1e-7). */
function compare(widths: number[], gpuFlat: Float32Array, ref: MlpParameters<Float64Array>): void {
  const layout = parameterLayout(widths);
  layout.layers.forEach((slice, l) => {
    const { weight, bias } = ref.layers[l];
    const scale = Math.max(...weight.map(Math.abs), ...bias.map(Math.abs));
    const check = (g: number, r: number, what: string) => {
      if (!(Math.abs(g - r) <= 1e-5 * scale + 1e-7)) {
        expect.fail(`layer ${l} ${what}: gpu ${g}, reference ${r} (layer max ${scale})`);
      }
    };
    weight.forEach((r, i) => check(gpuFlat[slice.weightOffset + i], r, `weight ${i}`));
    bias.forEach((r, i) => check(gpuFlat[slice.biasOffset + i], r, `bias ${i}`));
  });
}

const shape = (
  points: number,
  directions: number,
  order: number,
  structure: ChannelStructure,
): JetShape => ({ points, directions, order, structure });

// Every value of each parameter appears at least once: K ∈ {1, 2, 4, 8}, R ∈ {1, 3, 5}, hidden
// depth 1–3, widths {1, 5, 16, 33}, batches {1, 7}, all activations, boundaries, tangent kinds
// and structures; K = 0 (values only) and K = 1 collapsed (value + summed first order) are edges.
const cases: (Case & { name: string })[] = [
  {
    name: 'Laplacian jets: tanh, ball, K=2, R=3, collapsed, one-hot',
    widths: [4, 16, 16, 1],
    activation: 'tanh',
    boundary: 'ball',
    shape: shape(7, 3, 2, 'collapsed'),
    tangentKind: 'oneHot',
    seed: 1,
  },
  {
    name: 'sin, no boundary, K=4, R=1, standard, dense',
    widths: [3, 5, 2],
    activation: 'sin',
    boundary: 'none',
    shape: shape(7, 1, 4, 'standard'),
    tangentKind: 'dense',
    seed: 2,
  },
  {
    name: 'softplus, ball², K=8, R=1, collapsed, dense, width 33',
    widths: [2, 33, 5, 1],
    activation: 'softplus',
    boundary: 'ball2',
    shape: shape(1, 1, 8, 'collapsed'),
    tangentKind: 'dense',
    seed: 3,
  },
  {
    name: 'identity, ball, K=1, R=5, standard, dense, a width-1 hidden layer',
    widths: [5, 1, 16, 3],
    activation: 'identity',
    boundary: 'ball',
    shape: shape(7, 5, 1, 'standard'),
    tangentKind: 'dense',
    seed: 4,
  },
  {
    name: 'tanh, none, K=8, R=3, standard, one-hot, depth 3',
    widths: [3, 16, 5, 16, 1],
    activation: 'tanh',
    boundary: 'none',
    shape: shape(7, 3, 8, 'standard'),
    tangentKind: 'oneHot',
    seed: 5,
  },
  {
    name: 'sin, ball², K=1, R=5, collapsed (value + summed first order), one-hot',
    widths: [6, 5, 2],
    activation: 'sin',
    boundary: 'ball2',
    shape: shape(7, 5, 1, 'collapsed'),
    tangentKind: 'oneHot',
    seed: 6,
  },
  {
    name: 'softplus, none, K=4, R=5, collapsed, dense, batch 1',
    widths: [3, 16, 1],
    activation: 'softplus',
    boundary: 'none',
    shape: shape(1, 5, 4, 'collapsed'),
    tangentKind: 'dense',
    seed: 7,
  },
  {
    name: 'tanh, ball, K=0 (values only)',
    widths: [3, 5, 5, 1],
    activation: 'tanh',
    boundary: 'ball',
    shape: shape(7, 1, 0, 'standard'),
    tangentKind: 'dense',
    seed: 8,
  },
  {
    name: 'tile edges: widths past one 64-wide tile, tanh, K=2, R=3, standard, dense',
    widths: [66, 70, 1],
    activation: 'tanh',
    boundary: 'none',
    shape: shape(7, 3, 2, 'standard'),
    tangentKind: 'dense',
    seed: 10,
  },
  {
    name: 'split reduction: tanh, ball, K=2, R=3, standard, dense, 32-row chunks',
    widths: [4, 33, 16, 2],
    activation: 'tanh',
    boundary: 'ball',
    shape: shape(7, 3, 2, 'standard'),
    tangentKind: 'dense',
    seed: 9,
    splitRows: 32,
  },
];

describe('weight-gradient split plan', () => {
  it('splits long reductions into fixed chunks and leaves short ones whole', () => {
    // 100 000 rows into a 128×129 gradient: 6 output tiles, topped up to ~512 workgroups.
    expect(weightGradientSplit(100_000, 128, 128)).toEqual({ splits: 86, chunk: 1168 });
    expect(weightGradientSplit(287, 16, 4)).toEqual({ splits: 1, chunk: 288 });
    // A huge first layer: the split slices would exceed their memory cap, so no split.
    expect(weightGradientSplit(100, 128, 1_000_000)).toEqual({ splits: 1, chunk: 112 });
    expect(weightGradientSplit(100, 4, 4, 20)).toEqual({ splits: 4, chunk: 32 });
  });
});

describe('backward jet kernels against the float64 reverse mode', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const ref = reference(c);
      compare(c.widths, await gpuGradient(c, ref), ref.gradient);
    });
  }

  it('matches float64 central differences of the reference loss', async () => {
    const c: Case = {
      widths: [3, 5, 4, 1],
      activation: 'tanh',
      boundary: 'ball',
      shape: shape(3, 3, 2, 'collapsed'),
      tangentKind: 'oneHot',
      seed: 11,
    };
    const ref = reference(c);
    const grad = await gpuGradient(c, ref);
    const out = c.widths.at(-1) ?? 0;
    // The loss as a function of float64 parameters, through the reference forward pass only.
    const lossAt = (params: MlpParameters<Float64Array>): number => {
      const jets = Array.from({ length: c.shape.points }, (_, p) =>
        Array.from({ length: c.shape.directions }, (_, r) =>
          referenceForwardJet(ref.arch, params, directionInput(c, ref.batch, p, r)),
        ),
      );
      return loss(
        c.shape,
        out,
        rowLayout(c.shape, out, jets, (j) => j.output),
      ).value;
    };
    const base: MlpParameters<Float64Array> = {
      layers: ref.params.layers.map(({ weight, bias }) => ({
        weight: Float64Array.from(weight),
        bias: Float64Array.from(bias),
      })),
    };
    const layout = parameterLayout(c.widths);
    const h = 1e-5;
    const differences = new Float64Array(layout.count);
    layout.layers.forEach((slice, l) => {
      for (const [key, offset] of [
        ['weight', slice.weightOffset],
        ['bias', slice.biasOffset],
      ] as const) {
        const values = base.layers[l][key];
        for (let i = 0; i < values.length; i++) {
          const saved = values[i];
          values[i] = saved + h;
          const plus = lossAt(base);
          values[i] = saved - h;
          const minus = lossAt(base);
          values[i] = saved;
          differences[offset + i] = (plus - minus) / (2 * h);
        }
      }
    });
    // Central differences are accurate to O(h²) ≈ 1e-10 here, far below the f32 kernels' error.
    const scale = Math.max(...differences.map(Math.abs));
    differences.forEach((fd, i) => {
      expect(Math.abs(grad[i] - fd)).toBeLessThanOrEqual(1e-5 * scale + 1e-7);
    });
  });

  it('gives bit-identical gradients for the same inputs, split reduction included', async () => {
    const c: Case = {
      widths: [6, 33, 16, 1],
      activation: 'sin',
      boundary: 'ball',
      shape: shape(7, 5, 2, 'collapsed'),
      tangentKind: 'oneHot',
      seed: 12,
      splitRows: 16,
    };
    const ref = reference(c);
    const backward = await BackwardJet.create(memory, ref.arch, c.shape, c.tangentKind, {
      splitRows: c.splitRows,
    });
    const io = upload(c, ref);
    const first = await backward.readGradient(io);
    const second = await backward.readGradient(io);
    backward.destroy();
    memory.destroyAll();
    expect(new Uint32Array(second.buffer)).toEqual(new Uint32Array(first.buffer));
    compare(c.widths, first, ref.gradient);
  });

  it('chains with the GPU forward pass (ForwardJet) on its stored buffers', async () => {
    const c: Case = {
      widths: [5, 16, 16, 1],
      activation: 'tanh',
      boundary: 'ball',
      shape: shape(7, 3, 2, 'collapsed'),
      tangentKind: 'oneHot',
      seed: 14,
    };
    const arch: MlpArchitecture = {
      widths: c.widths,
      activation: c.activation,
      boundary: c.boundary,
    };
    const batch = makeBatch(c);
    const p32 = toFloat32Parameters(initParameters(arch, c.seed));
    const params = memory.createFrom('params', flatParameters(p32, c.widths));
    const forward = await ForwardJet.create(
      memory,
      { architecture: arch, shape: c.shape, tangentKind: c.tangentKind },
      params,
    );
    const tangents: TangentInput = batch.index
      ? { kind: 'oneHot', index: batch.index, coefficient: batch.tangents }
      : { kind: 'dense', values: batch.tangents };
    const output = Float64Array.from(await forward.run(batch.x, tangents));
    // The loss is taken of the GPU's own output; the reference reverses the same cotangent.
    const { bar } = loss(c.shape, 1, output);
    const backward = await BackwardJet.create(memory, arch, c.shape, c.tangentKind);
    const gradient = await backward.readGradient({
      forward: forward.buffers,
      params,
      cotangent: memory.createFrom('cotangent', Float32Array.from(bar)),
    });
    backward.destroy();
    forward.destroy();
    memory.destroyAll();
    compare(c.widths, gradient, reference(c, bar).gradient);
  });

  it('refuses buffers that do not fit the shape it was built for, naming them', async () => {
    const c: Case = {
      widths: [3, 5, 1],
      activation: 'tanh',
      boundary: 'ball',
      shape: shape(2, 2, 2, 'standard'),
      tangentKind: 'dense',
      seed: 13,
    };
    const ref = reference(c);
    const backward = await BackwardJet.create(memory, ref.arch, c.shape, c.tangentKind);
    const io = upload(c, ref);
    const gradient = memory.create('gradient', parameterLayout(c.widths).count * 4);
    const encoder = gpu.device.createCommandEncoder();
    const attempt =
      (change: Partial<StoredForwardJet>, other: Partial<typeof io> = {}) =>
      () =>
        backward.encode(encoder, {
          ...io,
          ...other,
          forward: { ...io.forward, ...change },
          gradient,
        });
    expect(attempt({ shape: shape(2, 2, 2, 'collapsed') })).toThrow(
      /forward batch has shape \{points: 2, directions: 2, order: 2, structure: collapsed\}, this pass was built for .*standard/,
    );
    expect(attempt({ dim: 4 })).toThrow(/dimension 4, the network takes 3/);
    expect(attempt({ tangentKind: 'oneHot' })).toThrow(
      /oneHot tangents, this pass was built for dense/,
    );
    expect(attempt({ boundary: null })).toThrow(
      /boundary factor 'ball' needs the forward pass's boundary jet/,
    );
    expect(attempt({ preActivations: [] })).toThrow(/1 hidden layers need 1 pre-activation/);
    expect(attempt({}, { cotangent: memory.create('small', 8) })).toThrow(
      /cotangent needs 10 f32 values \(40 bytes\), its buffer has 8 bytes/,
    );
    expect(attempt({ tangents: memory.create('few', 4) })).toThrow(BindingError);
    await expect(
      BackwardJet.create(memory, ref.arch, shape(1, 1, 17, 'standard'), 'dense'),
    ).rejects.toThrow(/order 17 exceeds the kernels' maximum of 16/);
    encoder.finish();
    backward.destroy();
    memory.destroyAll();
  });
});
