/**
 * The backward jet over parameters split into blocks (src/engine/parameterBlocks.ts) is the same
 * pass as over one buffer: the first layer's weight gradient, its split slices' reduction and the
 * one-hot scatter run once per block over the rows of W₁ it holds, db₁ in a dispatch of its own
 * into the last block, the later layers in the last block; every element sums the same terms in
 * the same order, so the gradient is the same bits. Checked on the forward pass's own buffers
 * (ForwardJet over the same blocks), one-hot and dense tangents, the weight-gradient reduction
 * whole and split into chunks, with blocks that cut W₁ at rows that are not a multiple of a row
 * tile, and with a last block that holds no row of W₁ at all.
 */
import { describe, expect, it } from 'vitest';
import { plannedBytes } from '../../src/gpu/bufferPlan.ts';
import { BackwardJet, planBackwardJet } from '../../src/engine/backwardJet.ts';
import { ForwardJet, type TangentKind } from '../../src/engine/forwardJet.ts';
import { layerElements, packParameters, parameterLayout } from '../../src/engine/jetLayout.ts';
import {
  type BlockedTensor,
  createBlockedTensor,
  planParameterBlocks,
  type ParameterBlocks,
} from '../../src/engine/parameterBlocks.ts';
import { initParameters } from '../../src/jet/mlp.ts';
import { backwardGradientBits, ballNetwork } from '../shared/blockedJetRuns.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

// 20 points: the one-hot first layer's 20 value rows split into two 16-row chunks too.
const shape = { points: 20, directions: 3, order: 2, structure: 'collapsed' as const };

interface Case {
  widths: number[];
  kind: TangentKind;
  /** BackwardJetOptions.splitRows: undefined keeps these small reductions whole. */
  splitRows?: number;
}

/** Forward and backward over `blocks` (one flat buffer when absent): the gradient's bits. */
function gradientBits(c: Case, blocks?: ParameterBlocks): Promise<Uint32Array> {
  return backwardGradientBits(gpu, { ...c, shape }, blocks);
}

function expectSameBits(split: Uint32Array, whole: Uint32Array): void {
  const floats = new Float32Array(whole.buffer);
  expect(floats.every(Number.isFinite)).toBe(true);
  expect(floats.some((g) => g !== 0)).toBe(true);
  // Compared as one array would print 13 049 entries on a failure: name the first difference.
  const first = whole.findIndex((w, i) => w !== split[i]);
  expect(first, `first differing element ${first}`).toBe(-1);
  expect(split.length).toBe(whole.length);
}

describe('backward jet over parameter blocks', () => {
  // 40 rows of 300 weights: blocks of 13 rows, the last with row 39 and everything after W₁.
  const widths = [300, 40, 24, 1];
  const blocks = planParameterBlocks(widths, 13 * 300 * 4);
  // 10 rows of 100: blocks of rows 0–3, 4–7, 8–9, and a last block from b₁ on.
  const narrow = [100, 10, 20, 1];
  const rowless = planParameterBlocks(narrow, 1600);

  it('plans blocks of whole W₁ rows; the narrow network leaves the last block no row', () => {
    expect(blocks.blocks.map((b) => b.count / 300)).toEqual([13, 13, 13, expect.any(Number)]);
    expect(blocks.blocks[3].start).toBe(39 * 300);
    expect(rowless.blocks.map((b) => b.start)).toEqual([0, 400, 800, 1000]);
  });

  for (const [network, cut] of [
    [widths, blocks],
    [narrow, rowless],
  ] as const) {
    for (const kind of ['oneHot', 'dense'] as const) {
      for (const splitRows of [undefined, 16]) {
        const reduction = splitRows ? 'split into 16-row chunks' : 'whole';
        it(`[${network.join(', ')}], ${kind}, reduction ${reduction}: one buffer's bits`, async () => {
          const c = { widths: [...network], kind, splitRows };
          expectSameBits(await gradientBits(c, cut), await gradientBits(c));
        });
      }
    }
  }

  it('allocates what its plan lists', async () => {
    const { memory, device } = gpu;
    const options = { splitRows: 16, parameterBlocks: blocks };
    const plan = planBackwardJet(
      { architecture: ballNetwork(widths), shape, tangentKind: 'oneHot', ...options },
      device.limits,
    );
    const before = { bytes: memory.bytesInUse, count: memory.count };
    const backward = await BackwardJet.create(
      memory,
      ballNetwork(widths),
      shape,
      'oneHot',
      options,
    );
    expect(memory.bytesInUse - before.bytes).toBe(plannedBytes(plan.buffers));
    expect(memory.count - before.count).toBe(plan.buffers.length);
    backward.destroy();
    expect(memory.bytesInUse).toBe(before.bytes);
  });

  it('refuses parameters or a gradient in other blocks than planned', async () => {
    const { memory, device } = gpu;
    const architecture = ballNetwork(widths);
    const count = parameterLayout(widths).count;
    const flat = packParameters(widths, initParameters(architecture, 3));
    const forward = await ForwardJet.create(
      memory,
      { architecture, shape, tangentKind: 'oneHot' },
      memory.createFrom('parameters', flat),
    );
    const backward = await BackwardJet.create(memory, architecture, shape, 'oneHot', {
      parameterBlocks: blocks,
    });
    const io = {
      forward: forward.buffers,
      params: createBlockedTensor(memory, 'blocked parameters', blocks, flat),
      cotangent: memory.create('cotangent', layerElements(shape, 1) * 4),
      gradient: createBlockedTensor(memory, 'blocked gradient', blocks),
    };
    const encoder = device.createCommandEncoder();
    const flatParams = memory.createFrom('parameters', flat);
    expect(() => backward.encode(encoder, { ...io, params: flatParams })).toThrow(
      /params come in 1 blocks; this pass was planned for 4/,
    );
    const flatGradient = memory.create('gradient', count * 4);
    expect(() => backward.encode(encoder, { ...io, gradient: flatGradient })).toThrow(
      /gradient come in 1 blocks; this pass was planned for 4/,
    );
    const small = memory.create('small', 8);
    const withBlock = (k: number, buffer: GPUBuffer): BlockedTensor => ({
      blocks,
      buffers: io.gradient.buffers.map((b, i) => (i === k ? buffer : b)),
    });
    expect(() => backward.encode(encoder, { ...io, gradient: withBlock(1, small) })).toThrow(
      /gradient block 1 needs 3900 f32 values \(15600 bytes\), its buffer has 8 bytes/,
    );
    const aliased = withBlock(2, io.params.buffers[2]);
    expect(() => backward.encode(encoder, { ...io, gradient: aliased })).toThrow(
      /the gradient buffer must not be the parameter or cotangent buffer/,
    );
    encoder.finish();
    backward.destroy();
    forward.destroy();
    memory.destroyAll();
  });
});
