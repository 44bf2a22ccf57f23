/**
 * planParameterBlocks on the CPU: the flat parameter vector cut into buffers of whole W₁ rows,
 * the last holding everything after W₁, and the forward jet's plan over such blocks.
 */
import { describe, expect, it } from 'vitest';
import { planForwardJet } from '../../../src/engine/forwardJet.ts';
import { parameterLayout } from '../../../src/engine/jetLayout.ts';
import {
  firstLayerRows,
  ParameterBlockError,
  planParameterBlocks,
} from '../../../src/engine/parameterBlocks.ts';

const GiB = 2 ** 30;

describe('planParameterBlocks', () => {
  it('keeps a vector that fits in one block', () => {
    const widths = [100, 128, 128, 128, 1];
    const count = parameterLayout(widths).count;
    expect(planParameterBlocks(widths, count * 4)).toEqual({
      count,
      blocks: [{ start: 0, count }],
    });
  });

  it('cuts d = 10⁷, 3 × 128, into 1 GiB blocks of 26 rows of W₁ (40 MB each)', () => {
    const widths = [10_000_000, 128, 128, 128, 1];
    const { count } = parameterLayout(widths);
    const plan = planParameterBlocks(widths, GiB);
    // After W₁: b₁ (128), two hidden layers (128·128 + 128 each), the output layer (129).
    const rest = 128 + 2 * (128 * 128 + 128) + 129;
    expect(count).toBe(128 * 10_000_000 + rest);
    const rows = plan.blocks.map((b) => firstLayerRows(b, 10_000_000, 128).rows);
    expect(rows).toEqual([26, 26, 26, 26, 24]);
    expect(plan.blocks.every((b) => b.count * 4 <= GiB)).toBe(true);
    expect(plan.blocks.at(-1)?.count).toBe(24 * 10_000_000 + rest);
    // Contiguous and complete.
    let next = 0;
    for (const block of plan.blocks) {
      expect(block.start).toBe(next);
      next += block.count;
    }
    expect(next).toBe(count);
  });

  it('ends with a block of no W₁ rows when the rows divide evenly', () => {
    // 4 rows of 10 per block; the rest (4 + 5 = 9 floats) does not fit beside 4 rows.
    const widths = [10, 8, 1];
    const plan = planParameterBlocks(widths, 40 * 4);
    expect(plan.blocks).toEqual([
      { start: 0, count: 40 },
      { start: 40, count: 40 },
      { start: 80, count: 17 },
    ]);
    expect(firstLayerRows(plan.blocks[2], 10, 8)).toEqual({ firstRow: 8, rows: 0 });
  });

  it('ends the rows-only blocks short rather than past W₁', () => {
    // 10 rows of 100, 4 rows a block; beside the rest (10 + 220 + 21 floats) one row fits, so 9
    // rows go to rows-only blocks: 4, 4 and a short 2 (not 4, past W₁), the rest alone.
    const widths = [100, 10, 20, 1];
    const plan = planParameterBlocks(widths, 400 * 4);
    expect(plan.blocks.map((b) => firstLayerRows(b, 100, 10).rows)).toEqual([4, 4, 2, 0]);
    expect(plan.blocks.at(-1)).toEqual({ start: 1000, count: 251 });
  });

  it('refuses a block smaller than one W₁ row, or than everything after W₁', () => {
    expect(() => planParameterBlocks([1000, 8, 1], 3996)).toThrow(ParameterBlockError);
    expect(() => planParameterBlocks([1000, 8, 1], 3996)).toThrow(/one row .* 4000 bytes/);
    expect(() => planParameterBlocks([10, 64, 64, 1], 40 * 4)).toThrow(/after the first layer/);
    expect(() => planParameterBlocks([10, 8, 1], 0)).toThrow(/at least one float/);
  });
});

describe('planForwardJet over parameter blocks', () => {
  const limits = { maxComputeWorkgroupStorageSize: 16384, maxComputeWorkgroupsPerDimension: 65535 };
  const architecture = {
    widths: [300, 40, 24, 1],
    activation: 'tanh' as const,
    boundary: 'none' as const,
  };
  const shape = { points: 4, directions: 2, order: 2, structure: 'collapsed' as const };
  const blocks = planParameterBlocks(architecture.widths, 13 * 300 * 4);
  const plan = planForwardJet(
    { architecture, shape, tangentKind: 'oneHot', parameterBlocks: blocks },
    limits,
  );
  const restStart = 39 * 300;

  it('runs the first layer once per block over its rows, with a uniform each', () => {
    const first = [plan.layers[0], ...plan.moreBlocks.map((m) => m.product)];
    expect(plan.moreBlocks.map((m) => m.block)).toEqual([1, 2, 3]);
    expect(first.map((d) => d.params.values)).toMatchObject([
      { firstOutput: 0, blockOutputs: 13, weightOffset: 0, biasOffset: 40 * 300 - restStart },
      { firstOutput: 13, blockOutputs: 13, weightOffset: 0 },
      { firstOutput: 26, blockOutputs: 13, weightOffset: 0 },
      { firstOutput: 39, blockOutputs: 1, weightOffset: 0 },
    ]);
    // One output tile of 32 covers 13 rows.
    expect(first.map((d) => d.grid[0])).toEqual([1, 1, 1, 1]);
    expect(new Set(first.map((d) => d.params.buffer)).size).toBe(4);
  });

  it('reads the later layers from the last block, offsets rebased to its start', () => {
    const { layers } = parameterLayout(architecture.widths);
    expect(plan.layers[1].params.values).toMatchObject({
      weightOffset: layers[1].weightOffset - restStart,
      biasOffset: layers[1].biasOffset - restStart,
      firstOutput: 0,
      blockOutputs: 24,
    });
    expect(plan.layers[2].params.values).toMatchObject({
      weightOffset: layers[2].weightOffset - restStart,
    });
  });

  it('splits every block over its inputs alike, each block summing its own units', () => {
    const split = planForwardJet(
      {
        architecture,
        shape,
        tangentKind: 'oneHot',
        parameterBlocks: blocks,
        firstLayerBlockInner: 64,
      },
      limits,
    );
    expect(split.split?.splits).toBe(5);
    expect(split.moreBlocks.map((m) => m.product.entryPoint)).toEqual(
      Array(3).fill('partialProducts'),
    );
    // sumPartials: N·rows units of 64 invocations; a block's sum shares its product's uniform.
    expect(split.moreBlocks.map((m) => m.sum?.grid[0])).toEqual([1, 1, 1]);
    for (const more of split.moreBlocks) expect(more.sum?.params).toBe(more.product.params);
    expect(split.layers[0].params.values).toMatchObject({ biasOffset: split.split?.biasAt });
  });

  it('refuses blocks of another network', () => {
    expect(() =>
      planForwardJet(
        {
          architecture,
          shape,
          tangentKind: 'oneHot',
          parameterBlocks: planParameterBlocks([301, 40, 24, 1], 13 * 301 * 4),
        },
        limits,
      ),
    ).toThrow(/blocks hold .* parameters/);
  });
});
