/**
 * The backward jet's grids folded at a small maxComputeWorkgroupsPerDimension are the same pass
 * as unfolded: jetBackwardWeights.wgsl puts its (column tile, split) items on y and z, which the
 * first layer needs from d ≈ 4.19M on (⌈(d + 1)/64⌉ column tiles past 65 535 per dimension), and
 * the per-element kernels fold into y. Here the plan is given 4 workgroups per dimension
 * (BackwardJet.create's `limits`), so a d of a few hundred folds the first layer's items into
 * several rows of y with surplus workgroups in the last, which must return without storing (a
 * surplus split would write past the split slices, or with one split over the next layer's
 * gradient). Every element sums the same terms in the same order, so the gradient is the same
 * bits: checked one-hot and dense, with the reduction whole and split into chunks, in one buffer
 * and over parameter blocks (src/engine/parameterBlocks.ts).
 */
import { describe, expect, it } from 'vitest';
import { BackwardJet, planBackwardJet } from '../../src/engine/backwardJet.ts';
import { ForwardJet, type TangentKind } from '../../src/engine/forwardJet.ts';
import type { GridLimits } from '../../src/gpu/dispatch.ts';
import {
  type JetShape,
  layerElements,
  packParameters,
  parameterLayout,
  type TangentInput,
} from '../../src/engine/jetLayout.ts';
import {
  createBlockedTensor,
  type ParameterBlocks,
  planParameterBlocks,
  readBlockedTensor,
} from '../../src/engine/parameterBlocks.ts';
import { initParameters, type MlpArchitecture } from '../../src/jet/mlp.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

/** Every grid dimension of the folded plans: at most 4 workgroups. */
const folded: GridLimits = { maxComputeWorkgroupsPerDimension: 4 };

interface Case {
  name: string;
  widths: number[];
  shape: JetShape;
  kind: TangentKind;
  splitRows?: number;
  /** Bytes of a parameter block (planParameterBlocks); absent: one buffer. */
  blockBytes?: number;
}

const collapsed = (points: number): JetShape => ({
  points,
  directions: 3,
  order: 2,
  structure: 'collapsed',
});

/**
 * d = 300, 80 units: 5 column tiles of the first layer (2 rows of 4 along y, 3 surplus) and 2
 * row tiles on x, no split (12 points). d = 150, 4 units: 3 column tiles times the splits of
 * 16-row (one-hot, 2 splits) or 48-row (dense, 3 splits) chunks, and the later layers' splits
 * folded too. Sizes chosen so that every other dispatch fits 4 × 4 workgroups.
 */
const cases: Case[] = [
  ...(['oneHot', 'dense'] as const).flatMap((kind) => [
    { name: `d = 300, ${kind}, whole`, widths: [300, 80, 24, 1], shape: collapsed(12), kind },
    {
      name: `d = 300, ${kind}, whole, blocks of 13 rows`,
      widths: [300, 80, 24, 1],
      shape: collapsed(12),
      kind,
      blockBytes: 13 * 300 * 4,
    },
    {
      name: `d = 150, ${kind}, split`,
      widths: [150, 4, 8, 1],
      shape: collapsed(20),
      kind,
      splitRows: kind === 'oneHot' ? 16 : 48,
    },
    {
      name: `d = 150, ${kind}, split, blocks of one row`,
      widths: [150, 4, 8, 1],
      shape: collapsed(20),
      kind,
      splitRows: kind === 'oneHot' ? 16 : 48,
      blockBytes: 150 * 4,
    },
  ]),
];

function architectureOf(widths: number[]): MlpArchitecture {
  return { widths, activation: 'tanh', boundary: 'ball' };
}

function batch(c: Case): { x: Float32Array; tangents: TangentInput } {
  const dim = c.widths[0];
  const { points, directions, order } = c.shape;
  const random = new SeededRandom(7);
  const x = Float32Array.from({ length: points * dim }, () => 0.05 * random.normal());
  const slots = points * directions * order;
  if (c.kind === 'dense') {
    const values = Float32Array.from({ length: slots * dim }, () => 0.05 * random.normal());
    return { x, tangents: { kind: 'dense', values } };
  }
  const index = Int32Array.from({ length: slots }, (_, s) => (s % 7 === 3 ? -1 : (s * 37) % dim));
  const coefficient = Float32Array.from({ length: slots }, () => random.normal());
  return { x, tangents: { kind: 'oneHot', index, coefficient } };
}

/** Forward, then backward planned on `limits` (the device's when absent): the gradient's bits. */
async function gradientBits(c: Case, limits?: GridLimits): Promise<Uint32Array> {
  const { memory, device } = gpu;
  const architecture = architectureOf(c.widths);
  const count = parameterLayout(c.widths).count;
  const blocks: ParameterBlocks | undefined =
    c.blockBytes === undefined ? undefined : planParameterBlocks(c.widths, c.blockBytes);
  const flat = packParameters(c.widths, initParameters(architecture, 3));
  const params = blocks
    ? createBlockedTensor(memory, 'blocked parameters', blocks, flat)
    : memory.createFrom('parameters', flat);
  const config = { architecture, shape: c.shape, tangentKind: c.kind, parameterBlocks: blocks };
  const forward = await ForwardJet.create(memory, config, params);
  const { x, tangents } = batch(c);
  await forward.run(x, tangents);
  const random = new SeededRandom(11);
  const bar = Float32Array.from({ length: layerElements(c.shape, 1) }, () => random.normal());
  const cotangent = memory.createFrom('cotangent', bar);
  const options = { splitRows: c.splitRows, parameterBlocks: blocks };
  const backward = await BackwardJet.create(memory, architecture, c.shape, c.kind, options, limits);
  // NaN everywhere, so an element the pass does not write (or a surplus workgroup overwrites
  // with its zeros) shows.
  const stale = new Float32Array(count).fill(Number.NaN);
  const gradient = blocks
    ? createBlockedTensor(memory, 'blocked gradient', blocks, stale)
    : memory.createFrom('gradient', stale);
  const encoder = device.createCommandEncoder();
  backward.encode(encoder, { forward: forward.buffers, params, cotangent, gradient });
  device.queue.submit([encoder.finish()]);
  const values =
    'buffers' in gradient
      ? await readBlockedTensor(device, gradient)
      : await readFloat32(device, gradient, count);
  backward.destroy();
  forward.destroy();
  memory.destroyAll();
  return new Uint32Array(values.buffer);
}

describe('backward jet on folded grids', () => {
  for (const c of cases) {
    it(`${c.name}: the unfolded pass's bits`, async () => {
      const config = {
        architecture: architectureOf(c.widths),
        shape: c.shape,
        tangentKind: c.kind,
        splitRows: c.splitRows,
        parameterBlocks:
          c.blockBytes === undefined ? undefined : planParameterBlocks(c.widths, c.blockBytes),
      };
      const plan = planBackwardJet(config, folded);
      const first = plan.steps.filter((s) => s.kind === 'weightGradient' && s.layer === 0);
      // The first layer's weights do fold: more than one row of y, surplus in the last.
      expect(first.some((s) => s.grid[2] > 1)).toBe(true);
      expect(
        first.some((s) => {
          const { columnTiles, splits } = s.params.values as Record<string, number>;
          return s.grid[1] * s.grid[2] > columnTiles * splits;
        }),
      ).toBe(true);
      expect(plan.steps.every((s) => s.grid.every((n) => n <= 4))).toBe(true);
      const bits = await gradientBits(c, folded);
      const whole = await gradientBits(c);
      const floats = new Float32Array(whole.buffer);
      expect(floats.every(Number.isFinite)).toBe(true);
      expect(floats.some((g) => g !== 0)).toBe(true);
      const first1 = whole.findIndex((w, i) => w !== bits[i]);
      expect(first1, `first differing element ${first1}`).toBe(-1);
      expect(bits.length).toBe(whole.length);
    });
  }
});
