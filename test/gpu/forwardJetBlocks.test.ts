/**
 * The forward jet over parameters split into blocks (src/engine/parameterBlocks.ts) is the same
 * pass as over one buffer: the first layer runs once per block over the rows of W₁ it holds, and
 * each output unit sums the same products in the same order, so every output is the same bits.
 * Checked for the fused first layer and the layer split over its inputs, one-hot and dense
 * tangents, with blocks that cut W₁ at rows that are not a multiple of an output tile.
 */
import { describe, expect, it } from 'vitest';
import { ForwardJet, type TangentKind } from '../../src/engine/forwardJet.ts';
import { packParameters } from '../../src/engine/jetLayout.ts';
import {
  createBlockedTensor,
  planParameterBlocks,
  type ParameterBlocks,
} from '../../src/engine/parameterBlocks.ts';
import { initParameters } from '../../src/jet/mlp.ts';
import type { GpuMemory } from '../../src/gpu/gpuMemory.ts';
import { blockedPass, seededBatch } from '../shared/blockedJetRuns.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

let memory: GpuMemory;
useNodeGpu((_context, created) => (memory = created));

const { dim, architecture, shape } = blockedPass;

async function outputBits(
  kind: TangentKind,
  firstLayerBlockInner: number,
  blocks?: ParameterBlocks,
): Promise<Uint32Array> {
  const flat = packParameters(architecture.widths, initParameters(architecture, 3));
  const config = {
    architecture,
    shape,
    tangentKind: kind,
    firstLayerBlockInner,
    parameterBlocks: blocks,
  };
  const parameters = blocks
    ? createBlockedTensor(memory, 'blocked parameters', blocks, flat)
    : memory.createFrom('parameters', flat);
  const jet = await ForwardJet.create(memory, config, parameters);
  const { x, tangents } = seededBatch(shape, dim, kind);
  const output = await jet.run(x, tangents);
  jet.destroy();
  return new Uint32Array(output.buffer);
}

describe('forward jet over parameter blocks', () => {
  // 40 rows of 300 weights: blocks of 13 rows (15.6 KB), the last with 1 row and the rest.
  const blocks = planParameterBlocks(architecture.widths, 13 * dim * 4);

  it('plans blocks of whole W₁ rows, the last with everything after W₁', () => {
    expect(blocks.blocks.map((b) => b.count / dim)).toEqual([13, 13, 13, expect.any(Number)]);
    expect(blocks.blocks[3].start).toBe(39 * dim);
  });

  for (const kind of ['oneHot', 'dense'] as const) {
    for (const [name, inner] of [
      ['fused', 0],
      ['split over its inputs', 64],
    ] as const) {
      it(`${kind} tangents, first layer ${name}: the bits of one buffer`, async () => {
        const whole = await outputBits(kind, inner);
        const split = await outputBits(kind, inner, blocks);
        expect(whole.some((w) => w !== 0)).toBe(true);
        expect(Array.from(split)).toEqual(Array.from(whole));
      });
    }
  }

  it('refuses parameters that come in other blocks than planned', async () => {
    const flat = packParameters(architecture.widths, initParameters(architecture, 3));
    const parameters = memory.createFrom('parameters', flat);
    await expect(
      ForwardJet.create(
        memory,
        { architecture, shape, tangentKind: 'oneHot', parameterBlocks: blocks },
        parameters,
      ),
    ).rejects.toThrow(/1 blocks; this forward jet was planned for 4/);
  });
});
