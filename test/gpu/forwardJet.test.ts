import { describe, expect, it } from 'vitest';
import {
  ForwardJet,
  type ForwardJetBuffers,
  JetShapeError,
  planForwardJet,
  type TangentKind,
} from '../../src/engine/forwardJet.ts';
import { BackwardJet } from '../../src/engine/backwardJet.ts';
import {
  type ChannelStructure,
  type JetShape,
  layerElements,
  packParameters,
  rowOf,
  rowsPerPoint,
  type TangentInput,
  tangentSlot,
} from '../../src/engine/jetLayout.ts';
import { type GpuMemory, readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { type Activation, activationTaylorCoefficients } from '../../src/jet/activations.ts';
import { denseJetForward } from '../../src/jet/denseJet.ts';
import {
  type BoundaryFactor,
  initParameters,
  boundaryPower,
  type MlpArchitecture,
  type MlpParameters,
  toFloat32Parameters,
} from '../../src/jet/mlp.ts';
import { referenceForwardJet, type JetForwardResult } from '../../src/jet/referenceJet.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { factorial, type Series, seriesCompose, seriesMul } from '../../src/jet/series.ts';
import {
  createVectorJet,
  curveJet,
  type JetInput,
  setUnitSeries,
  unitSeries,
  type VectorJet,
} from '../../src/jet/vectorJet.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

/**
 * Tolerance. Every GPU coefficient is compared with the float64 reference (run on the same float32
 * weights) relative to its *scale*: the same coefficient computed with absolute values everywhere
 * (|W|, |x|, |c_k|, |σ^(j)(z_0)/j!|, |b|), plus the sensitivity to the value row's own error
 * (|z_0| times the composed |σ^(j+1)/j!| series). That bounds the float32 rounding of each
 * coefficient up to a factor of the operation count, so we require |gpu − ref| ≤ tol(K)·scale
 * elementwise, with tol = 1e-5 for K ≤ 4 and 3e-5 for K = 5..8 (longer recurrences). Measured on
 * SwiftShader: at most 3e-7 for every K, so the margin is for other GPUs' exp/log/division. Plus
 * ABSOLUTE_FLOOR for results so small that float32 intermediates underflow (saturated tanh:
 * sech² z_0 ≈ 1e-80 in float64, 0 on the GPU).
 */
function tolerance(order: number): number {
  return order <= 4 ? 1e-5 : 3e-5;
}

const ABSOLUTE_FLOOR = 1e-30;

let memory: GpuMemory;
const gpu = useNodeGpu((_context, created) => (memory = created));

interface Batch {
  shape: JetShape;
  dim: number;
  x: Float32Array;
  tangents: TangentInput;
}

/** Points inside the unit ball; dense tangents of norm ~0.6; one-hot indices include −1 (zero). */
function makeBatch(
  random: SeededRandom,
  shape: JetShape,
  dim: number,
  kind: TangentKind,
  pointRadius = 0.8,
): Batch {
  const { points: N, directions: R, order: K } = shape;
  const x = new Float32Array(N * dim).map(
    () => (random.uniformIn(-1, 1) * pointRadius) / Math.sqrt(dim),
  );
  const slots = N * R * K;
  if (kind === 'dense') {
    const values = new Float32Array(slots * dim).map(
      () => random.uniformIn(-1, 1) / Math.sqrt(dim),
    );
    return { shape, dim, x, tangents: { kind, values } };
  }
  const index = new Int32Array(slots).map(() => Math.floor(random.uniform() * (dim + 1)) - 1);
  const coefficient = new Float32Array(slots).map(() => random.uniformIn(-1.5, 1.5));
  return { shape, dim, x, tangents: { kind, index, coefficient } };
}

/** The reference input of direction r at point p: derivatives v_k = k!·c_k (DESIGN.md §2). */
function directionInput(batch: Batch, p: number, r: number): JetInput {
  const { shape, dim, x, tangents } = batch;
  const point = Float64Array.from(x.subarray(p * dim, (p + 1) * dim));
  const list: (Float64Array | null)[] = [];
  for (let k = 1; k <= shape.order; k++) {
    const slot = tangentSlot(shape, p, r, k);
    if (tangents.kind === 'dense') {
      const c = tangents.values.subarray(slot * dim, (slot + 1) * dim);
      list.push(Float64Array.from(c, (value) => value * factorial(k)));
    } else if (tangents.index[slot] < 0) {
      list.push(null);
    } else {
      const v = new Float64Array(dim);
      v[tangents.index[slot]] = tangents.coefficient[slot] * factorial(k);
      list.push(v);
    }
  }
  return { point, tangents: list };
}

function absoluteJet(jet: VectorJet): VectorJet {
  return { width: jet.width, order: jet.order, coeffs: jet.coeffs.map(Math.abs) };
}

/** Per-direction jets of every stored buffer, in the reference's own form. */
interface DirectionJets {
  pre: VectorJet[];
  post: VectorJet[];
  network: VectorJet;
  boundary: Series | null;
  output: VectorJet;
}

function referenceJets(result: JetForwardResult): DirectionJets {
  const hidden = result.layers.slice(0, -1);
  return {
    pre: hidden.map((layer) => layer.preActivation),
    post: hidden.map((layer) => layer.postActivation),
    network: result.network,
    boundary: result.boundary,
    output: result.output,
  };
}

/** The scales of the tolerance (see `tolerance`): the forward pass in absolute values. */
function scaleJets(
  arch: MlpArchitecture,
  params: MlpParameters<Float32Array>,
  input: JetInput,
  reference: JetForwardResult,
): DirectionJets {
  const K = reference.order;
  const curve = absoluteJet(curveJet(input));
  const pre: VectorJet[] = [];
  const post: VectorJet[] = [];
  let x = curve;
  params.layers.forEach((layer, l) => {
    const z = denseJetForward(
      { weight: layer.weight.map(Math.abs), bias: layer.bias.map(Math.abs) },
      x,
    );
    if (l === params.layers.length - 1) {
      x = z;
      return;
    }
    const s = createVectorJet(z.width, K);
    for (let i = 0; i < z.width; i++) {
      const z0 = reference.layers[l].preActivation.coeffs[i];
      const taylor = activationTaylorCoefficients(arch.activation, z0, K + 1);
      const magnitude = taylor.map(Math.abs);
      const slope = Float64Array.from(
        { length: K + 1 },
        (_, j) => (j + 1) * Math.abs(taylor[j + 1]),
      );
      const zi = unitSeries(z, i);
      const value = seriesCompose(magnitude, zi);
      const sensitivity = seriesCompose(slope, zi);
      setUnitSeries(
        s,
        i,
        value.map((v, k) => v + zi[0] * sensitivity[k]),
      );
    }
    pre.push(z);
    post.push(s);
    x = s;
  });
  let boundary: Series | null = null;
  if (arch.boundary !== 'none') {
    boundary = new Float64Array(K + 1);
    boundary[0] = 1;
    for (let i = 0; i < curve.width; i++) {
      const g = unitSeries(curve, i);
      seriesMul(g, g).forEach((v, k) => (boundary![k] += v));
    }
    const base = boundary;
    for (let n = 1; n < boundaryPower(arch.boundary); n++) boundary = seriesMul(boundary, base);
  }
  const output = createVectorJet(x.width, K);
  for (let o = 0; o < x.width; o++) {
    const m = unitSeries(x, o);
    setUnitSeries(output, o, boundary ? seriesMul(boundary, m) : m);
  }
  return { pre, post, network: x, boundary, output };
}

/** Lays per-(point, direction) jets out in the GPU row structure (collapsed: top row = Σ_r). */
function assemble(
  shape: JetShape,
  width: number,
  coefficient: (p: number, r: number, k: number, i: number) => number,
): Float64Array {
  const V = rowsPerPoint(shape);
  const out = new Float64Array(layerElements(shape, width));
  for (let p = 0; p < shape.points; p++) {
    for (let i = 0; i < width; i++) out[p * V * width + i] = coefficient(p, 0, 0, i);
    for (let r = 0; r < shape.directions; r++) {
      for (let k = 1; k <= shape.order; k++) {
        const row = p * V + rowOf(shape, r, k);
        for (let i = 0; i < width; i++) out[row * width + i] += coefficient(p, r, k, i);
      }
    }
  }
  return out;
}

/** Expected contents of every GPU buffer, assembled from per-direction jets. */
function expectedBuffers(shape: JetShape, jets: DirectionJets[][]): Map<string, Float64Array> {
  const expected = new Map<string, Float64Array>();
  const first = jets[0][0];
  const vectorEntry = (name: string, pick: (j: DirectionJets) => VectorJet): void => {
    const width = pick(first).width;
    expected.set(
      name,
      assemble(shape, width, (p, r, k, i) => pick(jets[p][r]).coeffs[k * width + i]),
    );
  };
  first.pre.forEach((_, l) => {
    vectorEntry(`preActivations[${l}]`, (j) => j.pre[l]);
    vectorEntry(`activations[${l}]`, (j) => j.post[l]);
  });
  vectorEntry('mlpOutput', (j) => j.network);
  vectorEntry('output', (j) => j.output);
  if (first.boundary) {
    expected.set(
      'boundary',
      assemble(shape, 1, (p, r, k) => jets[p][r].boundary![k]),
    );
  }
  return expected;
}

async function readStored(
  buffers: ForwardJetBuffers,
  widths: number[],
): Promise<Map<string, Float32Array>> {
  const { shape } = buffers;
  const out = new Map<string, Float32Array>();
  const read = async (name: string, buffer: GPUBuffer, width: number): Promise<void> => {
    out.set(name, await readFloat32(gpu.device, buffer, layerElements(shape, width)));
  };
  for (let l = 0; l < buffers.preActivations.length; l++) {
    await read(`preActivations[${l}]`, buffers.preActivations[l], widths[l + 1]);
    await read(`activations[${l}]`, buffers.activations[l], widths[l + 1]);
  }
  const outWidth = widths[widths.length - 1];
  await read('mlpOutput', buffers.mlpOutput, outWidth);
  await read('output', buffers.output, outWidth);
  if (buffers.boundary) await read('boundary', buffers.boundary, 1);
  return out;
}

/**
 * Elementwise |gpu − ref| ≤ tol·scale. Returns the worst ratio |gpu − ref|/scale and up to three
 * failure descriptions naming buffer, point, row and unit.
 */
function compare(
  name: string,
  shape: JetShape,
  gpuValues: Float32Array,
  reference: Float64Array,
  scale: Float64Array,
  tol: number,
): { worst: number; failures: string[] } {
  expect(gpuValues.length, `${name}: length`).toBe(reference.length);
  const V = rowsPerPoint(shape);
  const width = reference.length / (shape.points * V);
  let worst = 0;
  const failures: string[] = [];
  for (let e = 0; e < reference.length; e++) {
    const error = Math.abs(gpuValues[e] - reference[e]);
    const ok = Number.isFinite(gpuValues[e]) && error <= tol * scale[e] + ABSOLUTE_FLOOR;
    if (scale[e] > 0) worst = Math.max(worst, error / scale[e]);
    if (!ok && failures.length < 3) {
      const row = Math.floor(e / width);
      failures.push(
        `${name}[point ${Math.floor(row / V)}, row ${row % V}, unit ${e % width}]: gpu ${gpuValues[e]}, ` +
          `reference ${reference[e]}, scale ${scale[e]}, allowed ${tol * scale[e]}`,
      );
    }
  }
  return { worst, failures };
}

interface Case {
  order: number;
  directions: number;
  widths: number[];
  activation: Activation;
  boundary: BoundaryFactor;
  points: number;
  kind: TangentKind;
  /** Forces the first layer's split over its inputs (ForwardJetConfig.firstLayerBlockInner). */
  blockInner?: number;
  /** Forces the dense boundary factor's split over d (ForwardJetConfig.boundaryBlock). */
  boundaryBlock?: number;
}

/**
 * Each of K ∈ {1..6, 8}, R ∈ 1..17, widths {1, 3, 8, 33, 64, 128}, 0..5 hidden layers, every
 * activation, batches {1, 7, 100}, both tangent kinds and every boundary factor appears at least
 * once; every case runs in both channel structures.
 */
const cases: Case[] = [
  {
    order: 1,
    directions: 1,
    widths: [1, 8, 1],
    activation: 'tanh',
    boundary: 'none',
    points: 1,
    kind: 'dense',
  },
  {
    order: 2,
    directions: 2,
    widths: [3, 33, 1],
    activation: 'sin',
    boundary: 'ball',
    points: 7,
    kind: 'oneHot',
  },
  {
    order: 3,
    directions: 3,
    widths: [3, 64, 64, 1],
    activation: 'softplus',
    boundary: 'ball2',
    points: 100,
    kind: 'dense',
  },
  {
    order: 4,
    directions: 4,
    widths: [8, 128, 128, 1],
    activation: 'tanh',
    boundary: 'ball',
    points: 7,
    kind: 'oneHot',
  },
  {
    order: 5,
    directions: 5,
    widths: [3, 8, 8, 8, 3],
    activation: 'identity',
    boundary: 'none',
    points: 100,
    kind: 'dense',
  },
  {
    order: 6,
    directions: 6,
    widths: [8, 33, 33, 33, 33, 1],
    activation: 'tanh',
    boundary: 'ball2',
    points: 7,
    kind: 'oneHot',
  },
  {
    order: 8,
    directions: 7,
    widths: [3, 8, 8, 8, 8, 8, 1],
    activation: 'sin',
    boundary: 'none',
    points: 7,
    kind: 'dense',
  },
  // The order-k diagonal problems' factors (1 − ‖x‖²)³ and ⁴ with their k-jets.
  {
    order: 6,
    directions: 3,
    widths: [5, 16, 16, 1],
    activation: 'tanh',
    boundary: 'ball3',
    points: 7,
    kind: 'dense',
  },
  {
    order: 8,
    directions: 5,
    widths: [5, 16, 16, 1],
    activation: 'tanh',
    boundary: 'ball4',
    points: 7,
    kind: 'oneHot',
  },
  {
    order: 2,
    directions: 8,
    widths: [8, 64, 1],
    activation: 'softplus',
    boundary: 'ball',
    points: 100,
    kind: 'oneHot',
  },
  {
    order: 1,
    directions: 9,
    widths: [33, 33, 1],
    activation: 'tanh',
    boundary: 'ball',
    points: 7,
    kind: 'dense',
  },
  {
    order: 3,
    directions: 10,
    widths: [8, 1, 8, 1],
    activation: 'tanh',
    boundary: 'none',
    points: 100,
    kind: 'oneHot',
  },
  {
    order: 4,
    directions: 11,
    widths: [3, 64, 64, 64, 2],
    activation: 'sin',
    boundary: 'ball2',
    points: 7,
    kind: 'oneHot',
  },
  {
    order: 5,
    directions: 12,
    widths: [8, 33, 1],
    activation: 'softplus',
    boundary: 'none',
    points: 1,
    kind: 'dense',
  },
  {
    order: 6,
    directions: 13,
    widths: [3, 8, 8, 1],
    activation: 'tanh',
    boundary: 'ball',
    points: 7,
    kind: 'dense',
  },
  {
    order: 8,
    directions: 14,
    widths: [8, 33, 33, 1],
    activation: 'tanh',
    boundary: 'ball2',
    points: 1,
    kind: 'oneHot',
  },
  {
    order: 2,
    directions: 15,
    widths: [64, 128, 1],
    activation: 'tanh',
    boundary: 'ball',
    points: 7,
    kind: 'oneHot',
  },
  {
    order: 2,
    directions: 16,
    widths: [16, 64, 64, 1],
    activation: 'tanh',
    boundary: 'ball',
    points: 100,
    kind: 'oneHot',
  },
  {
    order: 3,
    directions: 17,
    widths: [3, 33, 33, 1],
    activation: 'identity',
    boundary: 'ball',
    points: 7,
    kind: 'dense',
  },
  {
    order: 2,
    directions: 2,
    widths: [3, 2],
    activation: 'tanh',
    boundary: 'ball',
    points: 7,
    kind: 'oneHot',
  },
  {
    order: 3,
    directions: 2,
    widths: [8, 1],
    activation: 'sin',
    boundary: 'ball2',
    points: 7,
    kind: 'dense',
  },
  // The first layer split over its inputs (jetForward.wgsl partialProducts + sumPartials), forced
  // at d = 300 into ⌈300/64⌉ = 5 K blocks, the last one short: the STDE setup's one-hot tangents
  // (R = 16, K = 2, tanh), and dense tangents with several point groups and output tiles.
  {
    order: 2,
    directions: 16,
    widths: [300, 32, 32, 1],
    activation: 'tanh',
    boundary: 'none',
    points: 32,
    kind: 'oneHot',
    blockInner: 64,
  },
  {
    order: 3,
    directions: 3,
    widths: [300, 40, 1],
    activation: 'softplus',
    boundary: 'ball',
    points: 9,
    kind: 'dense',
    blockInner: 64,
    // ‖g(t)‖²'s jet over d in ⌈300/64⌉ = 5 blocks (jetBoundary.wgsl denseNormBlocks).
    boundaryBlock: 64,
  },
];

function caseName(c: Case): string {
  return (
    `K=${c.order} R=${c.directions} widths=[${c.widths.join(',')}] ${c.activation} ` +
    `${c.boundary} N=${c.points} ${c.kind}` +
    (c.blockInner ? ` first layer split in blocks of ${c.blockInner}` : '') +
    (c.boundaryBlock ? `, boundary sums in blocks of ${c.boundaryBlock}` : '')
  );
}

async function parameterBuffer(
  arch: MlpArchitecture,
  params: MlpParameters<Float32Array>,
): Promise<GPUBuffer> {
  return memory.createFrom('test parameters', packParameters(arch.widths, params));
}

/** Runs the batch through a fresh ForwardJet and returns every stored buffer. */
async function runGpu(
  arch: MlpArchitecture,
  parameters: GPUBuffer,
  batch: Batch,
  structure: ChannelStructure,
  blockInner?: number,
  boundaryBlock?: number,
): Promise<Map<string, Float32Array>> {
  const shape = { ...batch.shape, structure };
  const config = {
    architecture: arch,
    shape,
    tangentKind: batch.tangents.kind,
    firstLayerBlockInner: blockInner,
    boundaryBlock,
  };
  if (blockInner) {
    // The forced split is what runs: ⌈d / blockInner⌉ blocks.
    const split = planForwardJet(config, memory.device.limits).split;
    expect(split?.splits).toBe(Math.ceil(arch.widths[0] / blockInner));
  }
  if (boundaryBlock) {
    const { boundary } = planForwardJet(config, memory.device.limits);
    expect(boundary?.params.values.blocks).toBe(Math.ceil(arch.widths[0] / boundaryBlock));
  }
  const jet = await ForwardJet.create(memory, config, parameters);
  try {
    const output = await jet.run(batch.x, batch.tangents);
    const stored = await readStored(jet.buffers, arch.widths);
    expect(output).toEqual(stored.get('output'));
    return stored;
  } finally {
    jet.destroy();
  }
}

describe('forward jet kernels against the float64 reference', () => {
  cases.forEach((c, index) => {
    it(caseName(c), async () => {
      const arch: MlpArchitecture = {
        widths: c.widths,
        activation: c.activation,
        boundary: c.boundary,
      };
      const params = toFloat32Parameters(initParameters(arch, 100 + index));
      const parameters = await parameterBuffer(arch, params);
      const random = new SeededRandom(7 + index);
      const baseShape: JetShape = {
        points: c.points,
        directions: c.directions,
        order: c.order,
        structure: 'standard',
      };
      const batch = makeBatch(random, baseShape, c.widths[0], c.kind);
      const reference: DirectionJets[][] = [];
      const scales: DirectionJets[][] = [];
      for (let p = 0; p < c.points; p++) {
        reference.push([]);
        scales.push([]);
        for (let r = 0; r < c.directions; r++) {
          const input = directionInput(batch, p, r);
          const result = referenceForwardJet(arch, params, input);
          reference[p].push(referenceJets(result));
          scales[p].push(scaleJets(arch, params, input, result));
        }
      }
      const tol = tolerance(c.order);
      const results = new Map<ChannelStructure, Map<string, Float32Array>>();
      const failures: string[] = [];
      for (const structure of ['standard', 'collapsed'] as const) {
        const shape = { ...baseShape, structure };
        const stored = await runGpu(
          arch,
          parameters,
          batch,
          structure,
          c.blockInner,
          c.boundaryBlock,
        );
        results.set(structure, stored);
        const expected = expectedBuffers(shape, reference);
        const scale = expectedBuffers(shape, scales);
        expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [name, values] of stored) {
          failures.push(
            ...compare(
              `${structure} ${name}`,
              shape,
              values,
              expected.get(name)!,
              scale.get(name)!,
              tol,
            ).failures,
          );
        }
      }
      // The collapsed pass equals the standard one: lower rows agree, the top row is Σ_r of the
      // standard top rows (within rounding of that sum).
      const standardShape = { ...baseShape, structure: 'standard' as const };
      const collapsedShape = { ...baseShape, structure: 'collapsed' as const };
      const scale = expectedBuffers(collapsedShape, scales);
      for (const [name, standard] of results.get('standard')!) {
        const width = standard.length / layerElements(standardShape, 1);
        const summed = assemble(collapsedShape, width, (p, r, k, i) => {
          const row = p * rowsPerPoint(standardShape) + rowOf(standardShape, r, k);
          return standard[row * width + i];
        });
        failures.push(
          ...compare(
            `collapsed vs standard ${name}`,
            collapsedShape,
            results.get('collapsed')!.get(name)!,
            summed,
            scale.get(name)!,
            tol,
          ).failures,
        );
      }
      expect(failures).toEqual([]);
      memory.destroy(parameters);
    });
  });
});

describe('DESIGN.md §3 identities on the GPU', () => {
  it('recovers the mixed partials of a 7-jet with tangents in several orders', async () => {
    const arch: MlpArchitecture = { widths: [4, 16, 16, 1], activation: 'tanh', boundary: 'ball' };
    const params = toFloat32Parameters(initParameters(arch, 5));
    const parameters = await parameterBuffer(arch, params);
    const [ex, et, ei, ej] = [0, 1, 2, 3];
    // Direction r: which unit vector each tangent order k carries (v_k = e, c_k = e/k!).
    const directions: Record<number, number>[] = [
      { 1: ex },
      { 2: ei, 3: ej },
      { 2: ei, 3: ei },
      { 2: et, 3: ex },
      { 1: ex, 4: et },
    ];
    const K = 7;
    const N = 3;
    const shape: JetShape = {
      points: N,
      directions: directions.length,
      order: K,
      structure: 'standard',
    };
    const slots = N * directions.length * K;
    const index = new Int32Array(slots).fill(-1);
    const coefficient = new Float32Array(slots);
    const random = new SeededRandom(11);
    const x = new Float32Array(N * 4).map(() => random.uniformIn(-0.4, 0.4));
    for (let p = 0; p < N; p++) {
      directions.forEach((orders, r) => {
        for (const [k, unit] of Object.entries(orders)) {
          const slot = tangentSlot(shape, p, r, Number(k));
          index[slot] = unit;
          coefficient[slot] = 1 / factorial(Number(k));
        }
      });
    }
    const batch: Batch = { shape, dim: 4, x, tangents: { kind: 'oneHot', index, coefficient } };
    const jet = await ForwardJet.create(
      memory,
      { architecture: arch, shape, tangentKind: 'oneHot' },
      parameters,
    );
    const u = await jet.run(x, batch.tangents);
    jet.destroy();
    memory.destroy(parameters);

    const V = rowsPerPoint(shape);
    const tol = tolerance(K);
    const failures: string[] = [];
    for (let p = 0; p < N; p++) {
      const point = Float64Array.from(x.subarray(p * 4, p * 4 + 4));
      /** n-th directional derivative along v (a first-order tangent only), from the reference. */
      const D = (n: number, v: number[]): number =>
        referenceForwardJet(arch, params, {
          point,
          tangents: [v, ...Array<null>(n - 1).fill(null)],
        }).derivatives[0][n];
      const e = (unit: number, scale = 1): number[] =>
        [0, 1, 2, 3].map((i) => (i === unit ? scale : 0));
      const plus = (a: number[], b: number[]): number[] => a.map((v, i) => v + b[i]);
      const minus = (a: number[], b: number[]): number[] => a.map((v, i) => v - b[i]);
      const uXT = (D(2, plus(e(ex), e(et))) - D(2, minus(e(ex), e(et)))) / 4;
      const f = (a: number): number =>
        (D(4, plus(e(ex), e(et, a))) - D(4, minus(e(ex), e(et, a)))) / (8 * a);
      const uXXXT = (4 * f(1) - f(2)) / 3;
      const uIIJ = ((D(3, plus(e(ei), e(ej))) - D(3, minus(e(ei), e(ej)))) / 2 - D(3, e(ej))) / 3;
      const expectations: [number, number, number][] = [
        ...[1, 2, 3, 4, 5, 6, 7].map((n): [number, number, number] => [0, n, D(n, e(ex))]),
        [1, 3, D(1, e(ej))],
        [1, 4, 3 * D(2, e(ei))],
        [1, 7, 105 * uIIJ],
        [2, 3, D(1, e(ei))],
        [2, 4, 3 * D(2, e(ei))],
        [2, 7, 105 * D(3, e(ei))],
        [3, 5, 10 * uXT],
        [4, 4, D(4, e(ex)) + D(1, e(et))],
        [4, 5, D(5, e(ex)) + 5 * uXT],
        [4, 7, D(7, e(ex)) + 35 * uXXXT],
      ];
      for (const [r, n, exact] of expectations) {
        const input = directionInput(batch, p, r);
        const scale = scaleJets(arch, params, input, referenceForwardJet(arch, params, input))
          .output.coeffs[n];
        const J = u[p * V + rowOf(shape, r, n)] * factorial(n);
        const allowed = tol * scale * factorial(n);
        if (!(Math.abs(J - exact) <= allowed)) {
          failures.push(
            `point ${p}, direction ${r}: J_${n} = ${J}, expected ${exact} (allowed ±${allowed})`,
          );
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('large arguments', () => {
  const activations: Activation[] = ['tanh', 'sin', 'softplus', 'identity'];
  for (const activation of activations) {
    it(`keeps ${activation} jets finite and accurate at pre-activations of ±100`, async () => {
      const arch: MlpArchitecture = { widths: [3, 16, 16, 1], activation, boundary: 'ball' };
      const params = toFloat32Parameters(initParameters(arch, 21));
      for (const layer of params.layers.slice(0, -1))
        layer.weight.forEach((w, i) => (layer.weight[i] = 300 * w));
      const parameters = await parameterBuffer(arch, params);
      const shape: JetShape = { points: 7, directions: 2, order: 4, structure: 'standard' };
      const batch = makeBatch(new SeededRandom(3), shape, 3, 'dense', 0.9);
      const stored = await runGpu(arch, parameters, batch, 'standard');
      memory.destroy(parameters);
      const z = stored.get('preActivations[0]')!;
      expect(Math.max(...z.map(Math.abs))).toBeGreaterThan(100);
      const reference: DirectionJets[][] = [];
      const scales: DirectionJets[][] = [];
      for (let p = 0; p < shape.points; p++) {
        reference.push([]);
        scales.push([]);
        for (let r = 0; r < shape.directions; r++) {
          const input = directionInput(batch, p, r);
          const result = referenceForwardJet(arch, params, input);
          reference[p].push(referenceJets(result));
          scales[p].push(scaleJets(arch, params, input, result));
        }
      }
      const expected = expectedBuffers(shape, reference);
      const scale = expectedBuffers(shape, scales);
      const failures: string[] = [];
      for (const [name, values] of stored) {
        expect(values.every(Number.isFinite), `${name} is finite`).toBe(true);
        failures.push(
          ...compare(name, shape, values, expected.get(name)!, scale.get(name)!, tolerance(4))
            .failures,
        );
      }
      expect(failures).toEqual([]);
    });
  }
});

describe('the first layer split over its inputs', () => {
  /**
   * A training step's forward and backward pass with the split (d = 300 in blocks of 64) against
   * the same step fused. The split only regroups the first layer's sum over d, so every buffer
   * agrees to f32 rounding of a 300-term sum: |split − fused| ≤ 1e-5·max|fused| per buffer
   * (measured on SwiftShader: about 1e-7), and a split run is the same bits run after run.
   */
  it('gives the fused forward jets and gradient of the STDE setup within f32 rounding', async () => {
    const arch: MlpArchitecture = {
      widths: [300, 32, 32, 1],
      activation: 'tanh',
      boundary: 'none',
    };
    const shape: JetShape = { points: 32, directions: 16, order: 2, structure: 'collapsed' };
    const batch = makeBatch(new SeededRandom(21), shape, 300, 'oneHot');
    const parameters = await parameterBuffer(arch, toFloat32Parameters(initParameters(arch, 21)));
    const cotangent = memory.createFrom(
      'cotangent',
      new Float32Array(layerElements(shape, 1)).fill(1 / shape.points),
    );
    const backward = await BackwardJet.create(memory, arch, shape, 'oneHot');
    const step = async (blockInner: number) => {
      const config = { architecture: arch, shape, tangentKind: 'oneHot' as const };
      const jet = await ForwardJet.create(
        memory,
        { ...config, firstLayerBlockInner: blockInner },
        parameters,
      );
      try {
        await jet.run(batch.x, batch.tangents);
        const stored = await readStored(jet.buffers, arch.widths);
        const gradient = await backward.readGradient({
          forward: jet.buffers,
          params: parameters,
          cotangent,
        });
        return { stored, gradient };
      } finally {
        jet.destroy();
      }
    };
    const fused = await step(0);
    const split = await step(64);
    const again = await step(64);
    backward.destroy();
    memory.destroy(cotangent);
    memory.destroy(parameters);
    const buffers: [string, Float32Array, Float32Array][] = [
      ...[...fused.stored].map(([name, values]): [string, Float32Array, Float32Array] => [
        name,
        values,
        split.stored.get(name)!,
      ]),
      ['gradient', fused.gradient, split.gradient],
    ];
    for (const [name, expected, actual] of buffers) {
      const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const worst = actual.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i])), 0);
      expect(worst, `${name}: worst |split − fused| of max ${scale}`).toBeLessThanOrEqual(
        1e-5 * scale,
      );
    }
    expect(again.gradient).toEqual(split.gradient);
    for (const [name, values] of split.stored) expect(again.stored.get(name)).toEqual(values);
  });
});

describe('parameters', () => {
  it('follows setParameters to another flat parameter buffer', async () => {
    const arch: MlpArchitecture = { widths: [3, 8, 1], activation: 'tanh', boundary: 'ball' };
    const shape: JetShape = { points: 7, directions: 2, order: 2, structure: 'standard' };
    const batch = makeBatch(new SeededRandom(5), shape, 3, 'oneHot');
    const first = toFloat32Parameters(initParameters(arch, 1));
    const second = toFloat32Parameters(initParameters(arch, 2));
    const firstBuffer = await parameterBuffer(arch, first);
    const secondBuffer = await parameterBuffer(arch, second);
    const jet = await ForwardJet.create(
      memory,
      { architecture: arch, shape, tangentKind: 'oneHot' },
      firstBuffer,
    );
    const before = await jet.run(batch.x, batch.tangents);
    jet.setParameters(secondBuffer);
    const after = await jet.run(batch.x, batch.tangents);
    jet.destroy();
    memory.destroy(firstBuffer);
    memory.destroy(secondBuffer);
    for (const [params, values] of [
      [first, before],
      [second, after],
    ] as const) {
      const expected = assemble(shape, 1, (p, r, k) => {
        return referenceForwardJet(arch, params, directionInput(batch, p, r)).coefficients[0][k];
      });
      values.forEach((v, e) => expect(Math.abs(v - expected[e])).toBeLessThan(1e-5));
    }
  });
});

describe('refusals', () => {
  const arch: MlpArchitecture = { widths: [3, 8, 1], activation: 'tanh', boundary: 'none' };
  const shape: JetShape = { points: 2, directions: 2, order: 2, structure: 'standard' };

  it('refuses orders outside 1..8, empty batches and unknown structures before allocating', async () => {
    const parameters = memory.create('parameters', 41 * 4);
    const before = memory.count;
    const create = (s: Partial<JetShape>, kind: TangentKind = 'dense'): Promise<ForwardJet> =>
      ForwardJet.create(
        memory,
        { architecture: arch, shape: { ...shape, ...s }, tangentKind: kind },
        parameters,
      );
    await expect(create({ order: 0 })).rejects.toThrow(
      /jet order K must be an integer in 1\.\.8.*got 0/,
    );
    await expect(create({ order: 9 })).rejects.toThrow(JetShapeError);
    await expect(create({ points: 0 })).rejects.toThrow(
      /number of points N must be a positive integer/,
    );
    await expect(create({ directions: 1.5 })).rejects.toThrow(/directions R/);
    await expect(create({ structure: 'sparse' as ChannelStructure })).rejects.toThrow(
      /channel structure/,
    );
    await expect(create({}, 'sparse' as TangentKind)).rejects.toThrow(/tangent kind/);
    await expect(
      ForwardJet.create(
        memory,
        { architecture: { ...arch, widths: [3, 0, 1] }, shape, tangentKind: 'dense' },
        parameters,
      ),
    ).rejects.toThrow(/widths\[1\] must be a positive integer/);
    const small = memory.create('small parameters', 40 * 4);
    await expect(
      ForwardJet.create(memory, { architecture: arch, shape, tangentKind: 'dense' }, small),
    ).rejects.toThrow(/parameter buffer holds 160 bytes; widths \[3,8,1\] need 164/);
    expect(memory.count).toBe(before + 1);
    memory.destroy(small);
    memory.destroy(parameters);
  });

  it('refuses inputs of the wrong length, kind or index range', async () => {
    const parameters = memory.create('parameters', 41 * 4);
    const before = memory.count;
    const dense = await ForwardJet.create(
      memory,
      { architecture: arch, shape, tangentKind: 'dense' },
      parameters,
    );
    const oneHot = await ForwardJet.create(
      memory,
      { architecture: arch, shape, tangentKind: 'oneHot' },
      parameters,
    );
    const x = new Float32Array(6);
    const values = new Float32Array(2 * 2 * 2 * 3);
    const hot = (index: number[]): TangentInput => ({
      kind: 'oneHot',
      index: Int32Array.from(index),
      coefficient: new Float32Array(index.length),
    });
    expect(() => dense.upload(new Float32Array(5), { kind: 'dense', values })).toThrow(
      /x must hold N·d = 2·3 = 6 values, got 5/,
    );
    expect(() => dense.upload(x, { kind: 'dense', values: values.subarray(1) })).toThrow(
      /dense tangents must hold .* 24 values, got 23/,
    );
    expect(() => dense.upload(x, hot([0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(
      /built for dense tangents, got oneHot/,
    );
    expect(() => oneHot.upload(x, hot([0, 1, 2, 3, 0, 0, 0, 0]))).toThrow(
      /slot 3 has index 3; indices must be in −1\.\.2/,
    );
    expect(() => oneHot.upload(x, hot([0, -2, 0, 0, 0, 0, 0, 0]))).toThrow(/slot 1 has index -2/);
    expect(() => oneHot.upload(x, hot([0, 0, 0]))).toThrow(
      /need N·R·K = 2·2·2 = 8 indices and coefficients, got 3 and 3/,
    );
    dense.destroy();
    oneHot.destroy();
    expect(memory.count).toBe(before);
    memory.destroy(parameters);
    expect(gpu.errors.map((e) => e.message)).toEqual([]);
  });
});
