/**
 * planForwardGradientJet on the CPU: the buffers ForwardGradientJet.create allocates (its inputs
 * are always external), the uniforms, and the per-element grids folding past the device limit.
 */
import { describe, expect, it } from 'vitest';
import { plannedBytes } from '../../../src/gpu/bufferPlan.ts';
import { noTangentDraw } from '../../shared/tangentDraws.ts';
import type { ForwardJetConfig } from '../../../src/engine/forwardJet.ts';
import { inputTileShape, planForwardGradientJet } from '../../../src/engine/forwardGradientJet.ts';
import { planParameterBlocks } from '../../../src/engine/parameterBlocks.ts';

const limits = { maxComputeWorkgroupsPerDimension: 65535 };

/** d = 3, hidden 8 and 6, N = 5, R = 2, K = 2 collapsed: V = 1 + R·(K − 1) + 1 = 4. */
const config: ForwardJetConfig = {
  architecture: { widths: [3, 8, 6, 1], activation: 'softplus', boundary: 'ball' },
  shape: { points: 5, directions: 2, order: 2, structure: 'collapsed' },
  tangentKind: 'oneHot',
};

describe('planForwardGradientJet', () => {
  it('lists two alternating jet pairs sized by the widest layer, outputs and uniforms', () => {
    const plan = planForwardGradientJet(config, limits);
    const widest = 5 * 4 * 8 * 4;
    const out = 5 * 4 * 4;
    expect(plan.buffers.map((b) => [b.label, b.bytes, b.role])).toEqual([
      ['forward gradient s (even layers)', widest, 'storage'],
      ['forward gradient s (odd layers)', widest, 'storage'],
      ['forward gradient ṡ (even layers)', widest, 'storage'],
      ['forward gradient ṡ (odd layers)', widest, 'storage'],
      ['forward gradient mlp output', out, 'storage'],
      ['forward gradient mlp output tangent', out, 'storage'],
      ['forward gradient unused binding', 4, 'storage'],
      ['forward gradient boundary', out, 'storage'],
      ['forward gradient output', out, 'storage'],
      ['forward gradient output tangent', out, 'storage'],
      ['forward gradient layer 0 params', 96, 'uniform'],
      ['forward gradient layer 1 params', 96, 'uniform'],
      ['forward gradient layer 2 params', 96, 'uniform'],
      ['forward gradient boundary params', 80, 'uniform'],
    ]);
    expect(plannedBytes(plan.buffers)).toBe(4 * widest + 5 * out + 4 + 3 * 96 + 80);
    // (3·8 + 8) + (8·6 + 6) + (6 + 1) parameters.
    expect(plan.parameterBytes).toBe(93 * 4);
  });

  it('writes the layer fields and specializations from the parameter layout', () => {
    const [first, , last] = planForwardGradientJet(config, limits).layers;
    expect(first.params.values).toEqual({
      points: 5,
      directions: 2,
      rowsPerPoint: 4,
      inputs: 3,
      outputs: 8,
      weightOffset: 0,
      biasOffset: 24,
      firstOutput: 0,
      blockOutputs: 8,
      weightFlat: 0,
      pointSource: [0, 0, 0, 0],
      tangentDraw: noTangentDraw,
    });
    expect(first.constants).toMatchObject({ INPUT: 2, ACTIVATION: 3, COLLAPSED: 1 });
    expect(last.params.values).toMatchObject({
      inputs: 6,
      outputs: 1,
      weightOffset: 86,
      firstOutput: 0,
      blockOutputs: 1,
    });
    expect(last.constants).toMatchObject({ INPUT: 0, ACTIVATION: 0 });
  });

  it('folds one invocation per (point, output) into x and y past the limit', () => {
    const big = { ...config, shape: { ...config.shape, points: 100 } };
    // Layer 0: 100·8 invocations in workgroups of 64 = 13; the boundary: ⌈100/64⌉ = 2.
    expect(planForwardGradientJet(big, limits).layers[0].grid).toEqual([13, 1, 1]);
    const narrow = planForwardGradientJet(big, { maxComputeWorkgroupsPerDimension: 4 });
    expect(narrow.layers.map((l) => l.grid)).toEqual([
      [4, 4, 1],
      [4, 3, 1],
      [2, 1, 1],
    ]);
    expect(narrow.boundary?.grid).toEqual([2, 1, 1]);
  });

  it('has no boundary buffers without a boundary factor', () => {
    const plan = planForwardGradientJet(
      { ...config, architecture: { ...config.architecture, boundary: 'none' } },
      limits,
    );
    expect(plan.boundary).toBeNull();
    expect(plan.buffers.map((b) => b.label)).not.toContain('forward gradient output');
    expect(plan.buffers).toHaveLength(10);
  });

  // STDE's large-d setup: 32 points, sparse B = 16 one-hot 2-jets collapsed, 3 × 32 tanh.
  const wide = (dimension: number, blockInner?: number): ForwardJetConfig => ({
    architecture: { widths: [dimension, 32, 32, 32, 1], activation: 'tanh', boundary: 'ball' },
    shape: { points: 32, directions: 16, order: 2, structure: 'collapsed' },
    tangentKind: 'oneHot',
    ...(blockInner === undefined ? {} : { firstLayerBlockInner: blockInner }),
  });
  const workgroups = (grid: [number, number, number]) => grid[0] * grid[1] * grid[2];

  it('splits a first layer of d = 100 000 into ≥ 512 workgroups of partials', () => {
    const plan = planForwardGradientJet(wide(100_000), limits);
    // Unsplit, the first layer is 32·32 invocations: 16 workgroups walking all of d each.
    expect(workgroups(plan.layers[0].grid)).toBe(16);
    const split = plan.split!;
    // ⌈512 / 16⌉ = 32 blocks wanted: 3125 inputs each.
    expect(split).toMatchObject({ blockInner: 3125, splits: 32, partialElements: 32 * 32 * 32 });
    expect(split.partial.entryPoint).toBe('partialAffine');
    expect(workgroups(split.partial.grid)).toBe(512);
    expect(split.partial.constants.BLOCK_INNER).toBe(3125);
    expect(plan.layers[0].constants.BLOCK_INNER).toBe(3125);
    expect(split.partial.params).toBe(plan.layers[0].params);
    // The partials hold z and ż: two floats per (block, point, output).
    const partials = plan.buffers.find((b) => b.label.includes('partials'));
    expect(partials?.bytes).toBe(2 * 4 * split.partialElements);
  });

  it('keeps small d unsplit (the bits runs had before the split) unless a block is forced', () => {
    const small = planForwardGradientJet(wide(1000), limits);
    expect(small.split).toBeNull();
    expect(small.layers[0].constants).not.toHaveProperty('BLOCK_INNER');
    expect(small.buffers.map((b) => b.label)).not.toContain(
      'forward gradient first-layer partials (z, ż)',
    );
    const forced = planForwardGradientJet(wide(1000, 300), limits).split;
    expect(forced).toMatchObject({ blockInner: 300, splits: 4 });
    expect(planForwardGradientJet(wide(100_000, 0), limits).split).toBeNull();
  });

  it('runs the first layer once per parameter block and copies b₁, ḃ₁ where it reads them', () => {
    // d = 1000, 32 rows of W₁: blocks of 10 rows, the last with 2 rows and the 2177 after W₁.
    const widths = [1000, 32, 32, 32, 1];
    const parameterBlocks = planParameterBlocks(widths, 10 * 1000 * 4);
    expect(parameterBlocks.blocks.map((b) => b.count)).toEqual([10_000, 10_000, 10_000, 4177]);
    const plan = planForwardGradientJet({ ...wide(1000, 300), parameterBlocks }, limits);
    const split = plan.split!;
    const [head, ...later] = plan.layers;
    expect(plan.moreBlocks.map((more) => more.block)).toEqual([1, 2, 3]);
    const firstLayer = [head, ...plan.moreBlocks.map((more) => more.layer)];
    // Behind the partial (z, ż); every block reads b₁ there, W₁ from its own start.
    expect(plan.biasCopy).toEqual({ at: 2 * split.partialElements });
    expect(firstLayer.map((layer) => layer.params.values)).toEqual(
      [0, 10, 20, 30].map((firstOutput) =>
        expect.objectContaining({
          firstOutput,
          blockOutputs: firstOutput === 30 ? 2 : 10,
          weightOffset: 0,
          biasOffset: 2 * split.partialElements,
        }),
      ),
    );
    expect(firstLayer.every((layer) => layer.constants.COPIED_BIAS === 1)).toBe(true);
    // 32 points × 10 units, in workgroups of 64; the partials over 4 K blocks of those units, in
    // tiles of 8 points by 8 units (4 × 2 a block; the last dispatch's 2 units take one).
    expect(firstLayer.map((layer) => workgroups(layer.grid))).toEqual([5, 5, 5, 1]);
    expect(plan.moreBlocks.map((more) => workgroups(more.partial!.grid))).toEqual([32, 32, 16]);
    // The later layers bind the last block, at its start 30 000.
    expect(later[0].params.values).toMatchObject({ weightOffset: 32_000 + 32 - 30_000 });
    expect(later[0].constants).not.toHaveProperty('COPIED_BIAS');
    const partials = plan.buffers.find((b) => b.label.includes('partials'));
    expect(partials?.bytes).toBe(4 * (2 * split.partialElements + 2 * 32));
    // Not split over its inputs: the copy has a buffer of its own, read from element 0.
    const whole = planForwardGradientJet({ ...wide(1000), parameterBlocks }, limits);
    expect(whole.biasCopy).toEqual({ at: 0 });
    expect(whole.storage.bias?.bytes).toBe(2 * 32 * 4);
    expect(whole.layers[0].params.values.biasOffset).toBe(0);
  });

  it("redraws the first layer's points and draws v at the step it copies into its draws uniform", () => {
    const draw = { seed: 3, stream: 7, scalesAt: 64, normsAt: 128 };
    const points = { storage: 'regenerated' as const, draw };
    const drawnTangent = { seed: 9, directionStream: 0x7a03 };
    const plan = planForwardGradientJet({ ...wide(1000), points, drawnTangent }, limits);
    const [first, ...later] = plan.layers;
    expect(first.constants).toMatchObject({ POINTS: 1, DRAWN_TANGENT: 1 });
    expect(first.params.values.pointSource).toEqual([3, 7, 64, 128]);
    // Only the first layer reads x; every layer draws v.
    for (const layer of later) {
      expect(layer.constants).not.toHaveProperty('POINTS');
      expect(layer.constants.DRAWN_TANGENT).toBe(1);
      expect(layer.params.values.pointSource).toEqual([0, 0, 0, 0]);
    }
    expect(plan.draws?.values).toEqual({ seed: 9, directionStream: 0x7a03, trainStep: 0 });
    expect(plan.buffers.map((b) => b.label)).toContain('forward gradient draws');
    // Stored points and a bound v: no draws uniform.
    expect(planForwardGradientJet(wide(1000), limits).draws).toBeNull();
  });

  it("shapes the first layer's tiles by what it draws", () => {
    // v alone: one unit by 64 rows, a row of v 256 at a time.
    expect(inputTileShape(false, true)).toEqual({
      units: 1,
      rows: 64,
      inputs: 256,
      sharedInputs: false,
    });
    // x drawn: 8 × 8, each tile of x (and of v) 8 rows of 32 inputs.
    const square = { units: 8, rows: 8, inputs: 32, sharedInputs: true };
    expect(inputTileShape(true, true)).toEqual(square);
    expect(inputTileShape(true, false)).toEqual(square);
    expect(inputTileShape(false, false)).toEqual({ ...square, inputs: 256, sharedInputs: false });
  });

  it("keeps a drawn v's row a workgroup: whole in narrow layers, in tiles in a wide one-hot one", () => {
    const drawnTangent = { seed: 9, directionStream: 0x7a03 };
    const plan = (d: number, extra: Partial<ForwardJetConfig> = {}) =>
      planForwardGradientJet({ ...wide(d), drawnTangent, ...extra }, limits).layers;
    // d = 1000 unsplit (forced): the first layer sums in tiles of one unit by 64 points, drawing
    // its row 256 at a time (32 units × ⌈32 points / 64⌉); the 32-wide hidden layers keep theirs
    // whole.
    const [first, ...later] = plan(1000, { firstLayerBlockInner: 0 });
    expect(first.constants).toMatchObject({
      INPUT_TILES: 1,
      TILE_UNITS: 1,
      TILE_INPUTS: 256,
      CACHED_INPUTS: 256,
    });
    expect(first.constants).not.toHaveProperty('TANGENT_ROW');
    expect(first.constants).not.toHaveProperty('SHARED_INPUTS');
    expect(workgroups(first.grid)).toBe(32);
    for (const layer of later) {
      expect(layer.constants.TANGENT_ROW).toBe(1);
      expect(layer.constants).not.toHaveProperty('INPUT_TILES');
      expect(layer.constants).not.toHaveProperty('TILE_UNITS');
    }
    // Redrawn points too: tiles of 8 points by 8 units that share x (4 × 4).
    const points = {
      storage: 'regenerated' as const,
      draw: { seed: 3, stream: 7, scalesAt: 64, normsAt: 128 },
    };
    const redrawn = plan(1000, { firstLayerBlockInner: 0, points })[0];
    expect(redrawn.constants).toMatchObject({ INPUT_TILES: 1, TILE_UNITS: 8, SHARED_INPUTS: 1 });
    expect(redrawn.constants.TILE_INPUTS).toBe(32);
    expect(workgroups(redrawn.grid)).toBe(16);
    // d = 256 fits whole; a dense first layer walks all its rows, so it draws v where it reads
    // it; a split one sums its blocks in tiles in partialAffine.
    expect(plan(256)[0].constants).toMatchObject({ TANGENT_ROW: 1 });
    expect(plan(256)[0].constants).not.toHaveProperty('INPUT_TILES');
    const dense = plan(1000, { tangentKind: 'dense', firstLayerBlockInner: 0 })[0];
    expect(dense.constants).not.toHaveProperty('TANGENT_ROW');
    expect(dense.constants).not.toHaveProperty('INPUT_TILES');
    const split = plan(1000, { firstLayerBlockInner: 250 })[0];
    expect(split.constants).not.toHaveProperty('TANGENT_ROW');
    expect(split.constants).not.toHaveProperty('INPUT_TILES');
    expect(split.constants).toMatchObject({ BLOCK_INNER: 250, TILE_UNITS: 1, TILE_INPUTS: 256 });
    // v stored: no row of it kept; the wide one-hot first layer still sums in tiles.
    const stored = planForwardGradientJet(wide(1000, 0), limits).layers[0].constants;
    expect(stored).not.toHaveProperty('TANGENT_ROW');
    expect(stored).toMatchObject({ INPUT_TILES: 1, TILE_UNITS: 8 });
  });

  it('multiplies every row of a dense first layer', () => {
    const dense = { ...wide(50_000, 20_000), tangentKind: 'dense' as const };
    // V = 1 + 16·(2 − 1) + 1 = 18 rows a point, 3 blocks.
    expect(planForwardGradientJet(dense, limits).split?.partialElements).toBe(3 * 32 * 18 * 32);
  });
});
