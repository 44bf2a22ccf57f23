/**
 * planBackwardJet on the CPU: the dispatches in recording order with their uniform fields and
 * grids, the scratch and uniform buffers BackwardJet.create allocates, the 1-D grids folding
 * at a small maxComputeWorkgroupsPerDimension, and the dispatches over parameter blocks.
 */
import { describe, expect, it } from 'vitest';
import { plannedBytes } from '../../../src/gpu/bufferPlan.ts';
import { noTangentDraw } from '../../shared/tangentDraws.ts';
import { type BackwardJetConfig, planBackwardJet } from '../../../src/engine/backwardJet.ts';
import { backwardJetCost } from '../../../src/engine/backwardJetCost.ts';
import { planParameterBlocks } from '../../../src/engine/parameterBlocks.ts';

const limits = { maxComputeWorkgroupsPerDimension: 65535 };

/** d = 3, one hidden layer of 8, N = 5, R = 2, K = 2 standard: V = 5, 25 rows in all. */
const small: BackwardJetConfig = {
  architecture: { widths: [3, 8, 1], activation: 'tanh', boundary: 'ball' },
  shape: { points: 5, directions: 2, order: 2, structure: 'standard' },
  tangentKind: 'dense',
  // 16-row chunks split both layers' 25-row reductions in two.
  splitRows: 16,
};

describe('planBackwardJet', () => {
  it('records the boundary transpose, then each layer from the last', () => {
    const plan = planBackwardJet(small, limits);
    expect(plan.steps.map((s) => [s.kind, s.layer])).toEqual([
      ['boundaryTranspose', 1],
      ['weightGradient', 1],
      ['biasGradient', 1],
      ['reduceSplits', 1],
      ['inputCotangent', 1],
      ['activationTranspose', 1],
      ['weightGradient', 0],
      ['biasGradient', 0],
      ['reduceSplits', 0],
    ]);
    expect(plan.steps.map((s) => s.params.values)).toEqual([
      { points: 5, width: 1, directions: 2 },
      // Layer 1 (8 → 1, weights at 32): 1·(8 + 1) = 9 results per split slice.
      {
        reduction: 25,
        inputs: 8,
        outputs: 1,
        rowsPerPoint: 5,
        directions: 2,
        chunk: 16,
        // One dispatch over every unit and column of W: one parameter block.
        firstOutput: 0,
        blockOutputs: 1,
        firstColumn: 0,
        endColumn: 8,
        destinationOffset: 0,
        splitStride: 9,
        // 1 column tile × 2 splits: the items folded over y and z.
        columnTiles: 1,
        splits: 2,
        pointSource: [0, 0, 0, 0],
        tangentDraw: noTangentDraw,
      },
      // db in the same chunks, value rows every 5, after W (8) in each 9-element slice.
      {
        reduction: 25,
        outputs: 1,
        chunk: 16,
        splits: 2,
        valueStride: 5,
        rowScale: 1,
        biasOffset: 8,
        splitStride: 9,
      },
      { count: 9, splits: 2, offset: 32, sliceOffset: 0, sliceStride: 9 },
      { rows: 25, inputs: 8, outputs: 1, weightOffset: 32 },
      { points: 5, width: 8, directions: 2 },
      {
        reduction: 25,
        inputs: 3,
        outputs: 8,
        rowsPerPoint: 5,
        directions: 2,
        chunk: 16,
        firstOutput: 0,
        blockOutputs: 8,
        firstColumn: 0,
        endColumn: 3,
        destinationOffset: 0,
        splitStride: 32,
        columnTiles: 1,
        splits: 2,
        pointSource: [0, 0, 0, 0],
        tangentDraw: noTangentDraw,
      },
      {
        reduction: 25,
        outputs: 8,
        chunk: 16,
        splits: 2,
        valueStride: 5,
        rowScale: 1,
        biasOffset: 24,
        splitStride: 32,
      },
      { count: 32, splits: 2, offset: 0, sliceOffset: 0, sliceStride: 32 },
    ]);
    expect(plan.steps.map((s) => s.grid)).toEqual([
      [1, 1, 1],
      // ⌈1/4⌉ row tiles on x; ⌈8/64⌉ column tiles × 2 splits on y.
      [1, 2, 1],
      // 1 unit × 2 splits: one workgroup.
      [1, 1, 1],
      [1, 1, 1],
      [1, 1, 1],
      [1, 1, 1],
      // 8 outputs: 2 row threads of 4 outputs each, one row tile.
      [1, 2, 1],
      [1, 1, 1],
      [1, 1, 1],
    ]);
    expect(plan.steps.map((s) => s.split)).toEqual([
      false,
      true,
      true,
      false,
      false,
      false,
      true,
      true,
      false,
    ]);
    expect(plan.steps.every((s) => s.block === 0)).toBe(true);
  });

  it('lists the scratch buffers and one uniform per step', () => {
    const plan = planBackwardJet(small, limits);
    expect(plan.buffers.map((b) => [b.label, b.bytes, b.role])).toEqual([
      ['backward m̄', 25 * 4, 'storage'],
      ['backward hidden cotangent A', 25 * 8 * 4, 'storage'],
      ['backward hidden cotangent B', 25 * 8 * 4, 'storage'],
      // The larger of the two layers' 2 slices: 2·32 floats.
      ['backward split slices', 64 * 4, 'storage'],
      ['backward boundary params', 12, 'uniform'],
      // 14 words, then the vec4 pointSource at byte 64 and the 7-word tangentDraw at 80 (sized 32).
      ['backward layer 1 weight gradient params', 112, 'uniform'],
      ['backward layer 1 bias gradient params', 32, 'uniform'],
      ['backward layer 1 reduce params', 20, 'uniform'],
      ['backward layer 1 input cotangent params', 16, 'uniform'],
      ['backward layer 0 activation params', 12, 'uniform'],
      ['backward layer 0 weight gradient params', 112, 'uniform'],
      ['backward layer 0 bias gradient params', 32, 'uniform'],
      ['backward layer 0 reduce params', 20, 'uniform'],
    ]);
    expect(plannedBytes(plan.buffers)).toBe(
      100 + 1600 + 256 + 12 + 112 + 32 + 20 + 16 + 12 + 112 + 32 + 20,
    );
  });

  it('needs no m̄, split slices or hidden cotangents where there is nothing to hold', () => {
    const plan = planBackwardJet(
      {
        architecture: { widths: [3, 1], activation: 'tanh', boundary: 'none' },
        shape: { points: 5, directions: 2, order: 2, structure: 'standard' },
        tangentKind: 'dense',
      },
      limits,
    );
    expect(plan.steps.map((s) => s.kind)).toEqual(['weightGradient', 'biasGradient']);
    expect(plan.buffers.map((b) => b.label)).toEqual([
      'backward layer 0 weight gradient params',
      'backward layer 0 bias gradient params',
    ]);
  });

  it('scatters one-hot tangent rows for K > 0, reducing only the value rows', () => {
    const oneHot = { ...small, tangentKind: 'oneHot' as const, splitRows: undefined };
    const steps = planBackwardJet(oneHot, limits).steps;
    expect(steps.map((s) => s.kind).slice(-3)).toEqual([
      'weightGradient',
      'biasGradient',
      'scatterTangents',
    ]);
    expect(steps.at(-3)?.params.values).toMatchObject({ reduction: 5 });
    // The reduction runs over the 5 points, point p's value row being row 5p.
    expect(steps.at(-2)?.params.values).toMatchObject({
      reduction: 5,
      valueStride: 1,
      rowScale: 5,
    });
    expect(steps.at(-1)?.params.values).toEqual({
      points: 5,
      directions: 2,
      outputs: 8,
      inputs: 3,
      rowsPerPoint: 5,
      firstOutput: 0,
      blockOutputs: 8,
      weightOffset: 0,
    });
    const orderZero = { ...oneHot, shape: { ...oneHot.shape, order: 0 } };
    expect(planBackwardJet(orderZero, limits).steps.map((s) => s.kind)).not.toContain(
      'scatterTangents',
    );
  });

  it('folds the per-element dispatches into y, and the input-cotangent row tiles into z', () => {
    // K = 0: one row per point, N = 1000. Boundary transpose: ⌈1000/64⌉ = 16 workgroups;
    // activation transpose: ⌈1000·8/64⌉ = 125; input cotangent: ⌈1000/64⌉ = 16 row tiles.
    const config: BackwardJetConfig = {
      architecture: { widths: [3, 8, 1], activation: 'sin', boundary: 'ball' },
      shape: { points: 1000, directions: 1, order: 0, structure: 'standard' },
      tangentKind: 'dense',
    };
    const gridOf = (max: number, kind: string) =>
      planBackwardJet(config, { maxComputeWorkgroupsPerDimension: max }).steps.find(
        (s) => s.kind === kind,
      )?.grid;
    expect(gridOf(65535, 'boundaryTranspose')).toEqual([16, 1, 1]);
    expect(gridOf(65535, 'activationTranspose')).toEqual([125, 1, 1]);
    expect(gridOf(65535, 'inputCotangent')).toEqual([1, 16, 1]);
    expect(gridOf(12, 'boundaryTranspose')).toEqual([12, 2, 1]);
    expect(gridOf(12, 'activationTranspose')).toEqual([12, 11, 1]);
    expect(gridOf(12, 'inputCotangent')).toEqual([1, 12, 2]);
  });

  it("folds the weight gradient's column tiles and splits over y and z, row tiles on x", () => {
    // d = 300: ⌈300/64⌉ = 5 column tiles of the first layer, 80 outputs: 2 row tiles of 64.
    const config: BackwardJetConfig = {
      architecture: { widths: [300, 80, 24, 1], activation: 'tanh', boundary: 'ball' },
      shape: { points: 12, directions: 3, order: 2, structure: 'collapsed' },
      tangentKind: 'dense',
    };
    const firstLayer = (max: number) =>
      planBackwardJet(config, { maxComputeWorkgroupsPerDimension: max }).steps.find(
        (s) => s.kind === 'weightGradient' && s.layer === 0,
      );
    expect(firstLayer(65535)?.grid).toEqual([2, 5, 1]);
    // 4 per dimension: the 5 items in 2 rows of 4 along y, the last row's 3 surplus.
    expect(firstLayer(4)?.grid).toEqual([2, 4, 2]);
    expect(firstLayer(4)?.params.values).toMatchObject({ columnTiles: 5, splits: 1 });
    // d = 150, one-hot: ⌈150/64⌉ = 3 column tiles × 2 splits of the 20 value rows in 16-row
    // chunks, 6 items in 2 rows of 4 along y (the last row's 2 surplus), one row tile of 4 units.
    const split = planBackwardJet(
      {
        architecture: { widths: [150, 4, 8, 1], activation: 'tanh', boundary: 'ball' },
        shape: { points: 20, directions: 3, order: 2, structure: 'collapsed' },
        tangentKind: 'oneHot',
        splitRows: 16,
      },
      { maxComputeWorkgroupsPerDimension: 4 },
    ).steps.find((s) => s.kind === 'weightGradient' && s.layer === 0);
    expect(split?.grid).toEqual([1, 4, 2]);
    expect(split?.params.values).toMatchObject({ columnTiles: 3, splits: 2 });
    // The same work on any grid: the costs do not see the fold.
    const folded = backwardJetCost(
      planBackwardJet(config, { maxComputeWorkgroupsPerDimension: 4 }),
    );
    expect(folded).toEqual(backwardJetCost(planBackwardJet(config, limits)));
  });

  it('keeps every grid dimension of the first layer at d = 10⁷ within 65 535', () => {
    // 156 250 column tiles of W₁: three rows of y.
    const widths = [10_000_000, 128, 128, 128, 1];
    const config: BackwardJetConfig = {
      architecture: { widths, activation: 'tanh', boundary: 'ball' },
      shape: { points: 100, directions: 16, order: 2, structure: 'collapsed' },
      tangentKind: 'oneHot',
    };
    const whole = planBackwardJet(config, limits).steps.find(
      (s) => s.kind === 'weightGradient' && s.layer === 0,
    );
    expect(whole?.grid).toEqual([2, 65535, 3]);
    expect(whole?.params.values).toMatchObject({ columnTiles: 156_250, splits: 1 });
    const blocked = planBackwardJet(
      { ...config, parameterBlocks: planParameterBlocks(widths, 2 ** 30) },
      limits,
    ).steps.filter((s) => s.layer === 0);
    // Blocks of 26 rows of W₁ (24 in the last): one row tile each; db₁'s 128 units in 2
    // workgroups.
    expect(blocked.map((s) => [s.kind, s.grid])).toEqual([
      ...[0, 1, 2, 3, 4].map(() => ['weightGradient', [1, 65535, 3]]),
      ['biasGradient', [2, 1, 1]],
      ...[0, 1, 2, 3, 4].map(() => ['scatterTangents', [1, 1, 1]]),
    ]);
  });

  it('refuses what the kernels cannot take', () => {
    const order17 = { ...small, shape: { ...small.shape, order: 17 } };
    expect(() => planBackwardJet(order17, limits)).toThrow(/order 17 exceeds the kernels' maximum/);
    expect(() => planBackwardJet({ ...small, splitRows: 0 }, limits)).toThrow(
      /splitRows must be a positive integer/,
    );
  });
});

describe('planBackwardJet over parameter blocks', () => {
  // W₁ is 40 rows of 300: blocks of 13 rows, the last with row 39 and everything after W₁
  // (flat index 11 700 on; b₁ at 12 000, W₂ at 12 040, b₂ at 13 000, W₃ at 13 024).
  const widths = [300, 40, 24, 1];
  const blocked: BackwardJetConfig = {
    architecture: { widths, activation: 'tanh', boundary: 'ball' },
    shape: { points: 20, directions: 3, order: 2, structure: 'collapsed' },
    tangentKind: 'oneHot',
    // The one-hot first layer's 20 value rows in two chunks.
    splitRows: 16,
    parameterBlocks: planParameterBlocks(widths, 13 * 300 * 4),
  };
  const one: BackwardJetConfig = { ...blocked, parameterBlocks: undefined };

  it('runs the first layer per block, its bias once, and the later layers in the last block', () => {
    const plan = planBackwardJet(blocked, limits);
    const firstLayer = plan.steps.filter((s) => s.layer === 0 && s.kind !== 'activationTranspose');
    expect(firstLayer.map((s) => [s.kind, s.block, s.params.buffer.label])).toEqual([
      ...[0, 1, 2, 3].map((k) => [
        'weightGradient',
        k,
        `backward layer 0 block ${k} weight gradient params`,
      ]),
      ['biasGradient', 3, 'backward layer 0 bias gradient params'],
      ...[0, 1, 2, 3].map((k) => ['reduceSplits', k, `backward layer 0 block ${k} reduce params`]),
      ...[0, 1, 2, 3].map((k) => [
        'scatterTangents',
        k,
        `backward one-hot scatter block ${k} params`,
      ]),
    ]);
    const [, second, , last, bias] = firstLayer;
    // The split slices hold the whole layer; block 1's rows 13…25 start at 13·300 there.
    expect(second.params.values).toMatchObject({
      firstOutput: 13,
      blockOutputs: 13,
      firstColumn: 0,
      endColumn: 300,
      destinationOffset: 3900,
    });
    // One row tile; 5 column tiles × 2 splits.
    expect(second.grid).toEqual([1, 10, 1]);
    expect(last.params.values).toMatchObject({ firstOutput: 39, blockOutputs: 1 });
    // db₁ for all 40 units over the 20 points (value rows 5p), after W₁ in the slices.
    expect(bias.params.values).toEqual({
      reduction: 20,
      outputs: 40,
      chunk: 16,
      splits: 2,
      valueStride: 1,
      rowScale: 5,
      biasOffset: 12_000,
      splitStride: 12_040,
    });
    // 40 units × 2 splits.
    expect(bias.grid).toEqual([2, 1, 1]);
    // Block 1's rows into its own buffer; the last block's row 39 runs on through b₁.
    expect(firstLayer[6].params.values).toEqual({
      count: 3900,
      splits: 2,
      offset: 0,
      sliceOffset: 3900,
      sliceStride: 12_040,
    });
    expect(firstLayer[8].params.values).toEqual({
      count: 340,
      splits: 2,
      offset: 0,
      sliceOffset: 11_700,
      sliceStride: 12_040,
    });
    expect(firstLayer[10].params.values).toMatchObject({
      firstOutput: 13,
      blockOutputs: 13,
      weightOffset: 0,
    });
    const later = plan.steps.filter((s) => s.layer > 0);
    expect(later.every((s) => s.block === 3)).toBe(true);
    const input = later.find((s) => s.kind === 'inputCotangent' && s.layer === 1);
    expect(input?.params.values).toMatchObject({ weightOffset: 12_040 - 11_700 });
    const reduce = later.find((s) => s.kind === 'reduceSplits' && s.layer === 1);
    expect(reduce?.params.values).toMatchObject({ offset: 12_040 - 11_700, sliceOffset: 0 });
  });

  it('plans the split slices of one block and sums its costs', () => {
    const split = planBackwardJet(blocked, limits);
    const whole = planBackwardJet(one, limits);
    expect(split.scratch).toEqual(whole.scratch);
    // Four blocks add 3 weight-gradient, 3 reduce and 3 scatter dispatches, each a uniform.
    expect(split.buffers.length - whole.buffers.length).toBe(9);
    const a = backwardJetCost(split);
    const b = backwardJetCost(whole);
    expect(a.flops).toBe(b.flops);
    expect(a.bytesWritten).toBe(b.bytesWritten);
    // Row tiles cut at block edges read more.
    expect(a.bytesRead).toBeGreaterThan(b.bytesRead);
  });

  it('writes db₁ into a last block that holds no row of W₁', () => {
    // [100, 10, 20, 1] in 1600-byte blocks: rows 0–3, 4–7, 8–9, then b₁ (flat 1000) on.
    const config: BackwardJetConfig = {
      architecture: { widths: [100, 10, 20, 1], activation: 'tanh', boundary: 'none' },
      shape: { points: 3, directions: 2, order: 2, structure: 'standard' },
      tangentKind: 'dense',
      parameterBlocks: planParameterBlocks([100, 10, 20, 1], 1600),
    };
    const steps = planBackwardJet(config, limits).steps.filter((s) => s.layer === 0);
    expect(steps.map((s) => [s.kind, s.block])).toEqual([
      ['weightGradient', 0],
      ['weightGradient', 1],
      ['weightGradient', 2],
      ['biasGradient', 3],
    ]);
    expect(steps.map((s) => s.params.values)).toMatchObject([
      { firstOutput: 0, blockOutputs: 4, endColumn: 100, destinationOffset: 0 },
      { firstOutput: 4, blockOutputs: 4, endColumn: 100, destinationOffset: 0 },
      { firstOutput: 8, blockOutputs: 2, endColumn: 100, destinationOffset: 0 },
      { outputs: 10, splits: 1, biasOffset: 0 },
    ]);
    expect(steps.map((s) => s.grid)).toEqual([
      [1, 2, 1],
      [1, 2, 1],
      [1, 2, 1],
      [1, 1, 1],
    ]);
  });

  it('refuses blocks that are not whole rows of W₁ or do not cover the parameters', () => {
    const count = 13_049;
    const cut = (starts: number[]) => ({
      count,
      blocks: starts.map((start, k) => ({ start, count: (starts[k + 1] ?? count) - start })),
    });
    expect(() => planBackwardJet({ ...one, parameterBlocks: cut([0, 450]) }, limits)).toThrow(
      /parameter block 0 holds \[0, 450\)/,
    );
    expect(() => planBackwardJet({ ...one, parameterBlocks: cut([0, 12_300]) }, limits)).toThrow(
      /parameter block 0 holds \[0, 12300\)/,
    );
    expect(() =>
      planBackwardJet(
        { ...one, parameterBlocks: { count: 12, blocks: [{ start: 0, count: 12 }] } },
        limits,
      ),
    ).toThrow(/the parameter blocks hold 12 parameters; widths \[300,40,24,1\] have 13049/);
  });
});
