/**
 * planForwardJet on the CPU: the buffer list ForwardJet.create allocates (labels, bytes, roles)
 * for small configurations worked out by hand, the uniform fields against the WGSL, and the point
 * groups folding into the grid at a small maxComputeWorkgroupsPerDimension.
 */
import { describe, expect, it } from 'vitest';
import { plannedBytes } from '../../../src/gpu/bufferPlan.ts';
import {
  BOUNDARY_BLOCK,
  type ForwardJetConfig,
  JetShapeError,
  planForwardJet,
  SPLIT_MIN_INPUTS,
} from '../../../src/engine/forwardJet.ts';
import { noTangentDraw } from '../../shared/tangentDraws.ts';

const limits = { maxComputeWorkgroupStorageSize: 16384, maxComputeWorkgroupsPerDimension: 65535 };

const rows = (plan: { buffers: readonly { label: string; bytes: number; role: string }[] }) =>
  plan.buffers.map((b) => [b.label, b.bytes, b.role]);

/** d = 3, one hidden layer of 8, N = 5, R = 2, K = 2 standard: V = 1 + R·K = 5 rows per point. */
const small: ForwardJetConfig = {
  architecture: { widths: [3, 8, 1], activation: 'tanh', boundary: 'ball' },
  shape: { points: 5, directions: 2, order: 2, structure: 'standard' },
  tangentKind: 'dense',
};

describe('planForwardJet', () => {
  it('lists every buffer of a small dense pass with its bytes', () => {
    const plan = planForwardJet(small, limits);
    // A layer of width h holds N·V·h = 25·h floats; N·R·K = 20 tangent slots of d = 3.
    expect(rows(plan)).toEqual([
      ['forward jet x', 5 * 3 * 4, 'storage'],
      ['forward jet tangents', 20 * 3 * 4, 'storage'],
      ['forward jet z0', 25 * 8 * 4, 'storage'],
      ['forward jet s0', 25 * 8 * 4, 'storage'],
      ['forward jet mlp output', 25 * 4, 'storage'],
      ['forward jet boundary', 25 * 4, 'storage'],
      ['forward jet output', 25 * 4, 'storage'],
      ['forward jet unused index', 4, 'storage'],
      ['forward jet unused output', 4, 'storage'],
      // LayerParams: 12 u32, then the vec4<u32> pointSource at offset 48 and the 7-word
      // DenseTangentDraw at 64 (a struct member is 16-byte aligned and sized in a uniform);
      // BoundaryParams: 5 u32, then pointSource at 32 and tangentDraw at 48.
      ['forward jet layer 0 params', 96, 'uniform'],
      ['forward jet layer 1 params', 96, 'uniform'],
      ['forward jet boundary params', 80, 'uniform'],
    ]);
    expect(plannedBytes(plan.buffers)).toBe(2480);
    expect(plan.inputElements).toEqual({ x: 15, tangents: 60, tangentIndex: 0 });
  });

  it('writes each LayerParams field, and the tiling, from the shape and parameter layout', () => {
    const [hidden, last] = planForwardJet(small, limits).layers;
    // Width 8: 2 invocations across outputs, 128-row tiles; all 5 points fit one workgroup.
    expect(hidden.params.values).toEqual({
      points: 5,
      directions: 2,
      rowsPerPoint: 5,
      inputs: 3,
      outputs: 8,
      weightOffset: 0,
      biasOffset: 24,
      weightFlat: 0,
      firstOutput: 0,
      blockOutputs: 8,
      pointsPerGroup: 5,
      pointGroups: 1,
      pointSource: [0, 0, 0, 0],
      tangentDraw: noTangentDraw,
    });
    expect(hidden.constants).toMatchObject({ ACTIVATION: 1, INPUT: 1, THREADS_OUTS: 2 });
    expect(hidden.constants).not.toHaveProperty('TANGENTS');
    expect(last.params.values).toMatchObject({
      inputs: 8,
      outputs: 1,
      weightOffset: 32,
      weightFlat: 32,
    });
    expect(last.params.values).toMatchObject({ biasOffset: 40 });
    expect(last.constants).toMatchObject({ ACTIVATION: 0, INPUT: 0, THREADS_OUTS: 1 });
    expect(hidden.grid).toEqual([1, 1, 1]);
  });

  it('plans regenerated dense tangents: no tangent buffer, the draw in the first layer only', () => {
    const draw = {
      seed: 9,
      stream: 2,
      range: 3,
      distribution: 'gaussian',
      extraOrder: 2,
      extraIndex: 1,
      extraCoefficient: 0.25,
    } as const;
    const config = { ...small, tangentSource: { storage: 'regenerated', draw } } as const;
    expect(() => planForwardJet(config, limits)).toThrow(/bind it as an external input/);
    const plan = planForwardJet(config, limits, { externalInputs: true });
    expect(plan.inputElements).toEqual({ x: 15, tangents: 0, tangentIndex: 0 });
    expect(rows(plan)).toContainEqual(['forward jet unused tangents', 4, 'storage']);
    const [first, last] = plan.layers;
    // The uniform's words: the draw's; its distribution is the override GAUSSIAN_TANGENTS.
    const words = { seed: 9, stream: 2, range: 3, extraOrder: 2, extraIndex: 1 };
    expect(first.params.values.tangentDraw).toEqual({ ...words, extraCoefficient: 0.25 });
    expect(first.constants).toMatchObject({ TANGENTS: 1, GAUSSIAN_TANGENTS: 1 });
    expect(last.params.values.tangentDraw).toEqual(noTangentDraw);
    expect(last.constants).not.toHaveProperty('TANGENTS');
    expect(last.constants).not.toHaveProperty('GAUSSIAN_TANGENTS');
    expect(plan.boundary?.params.values.tangentDraw).toEqual({ ...words, extraCoefficient: 0.25 });
    expect(plan.boundary?.constants).toMatchObject({ TANGENTS: 1, GAUSSIAN_TANGENTS: 1 });
    // Rademacher signs: TANGENTS alone, the key such a pipeline had.
    const signs = {
      ...config,
      tangentSource: { storage: 'regenerated', draw: { ...draw, distribution: 'rademacher' } },
    } as const;
    const signed = planForwardJet(signs, limits, { externalInputs: true });
    expect(signed.layers[0].constants).toMatchObject({ TANGENTS: 1 });
    expect(signed.layers[0].constants).not.toHaveProperty('GAUSSIAN_TANGENTS');
    expect(() =>
      planForwardJet({ ...config, tangentKind: 'oneHot' }, limits, { externalInputs: true }),
    ).toThrow(/only dense tangents are regenerated/);
  });

  it('splits a dense boundary sum over d past one block, into N·R·S·K shares', () => {
    const at = (d: number, change: Partial<ForwardJetConfig> = {}) =>
      planForwardJet(
        { ...small, architecture: { ...small.architecture, widths: [d, 8, 1] }, ...change },
        limits,
      ).boundary;
    // d = 5000 > BOUNDARY_BLOCK: ⌈5000/4096⌉ = 2 blocks, one workgroup per (point, jet, block).
    const split = at(5000);
    expect(BOUNDARY_BLOCK).toBe(4096);
    expect(split?.params.values).toMatchObject({ dim: 5000, blocks: 2, block: 4096 });
    expect(split?.normBlocks?.grid).toEqual([5 * 2 * 2, 1, 1]);
    expect(split?.normBlocks?.shares).toMatchObject({
      label: 'forward jet boundary shares',
      bytes: 5 * 2 * 2 * 2 * 4,
    });
    // One block, one-hot tangents, or a block of 0: applyBoundary sums d itself.
    for (const unsplit of [
      at(4096),
      at(5000, { tangentKind: 'oneHot' }),
      at(5000, { boundaryBlock: 0 }),
    ]) {
      expect(unsplit?.params.values).toMatchObject({ blocks: 0, block: 0 });
      expect(unsplit?.normBlocks).toBeNull();
    }
    expect(at(300, { boundaryBlock: 64 })?.params.values).toMatchObject({ blocks: 5, block: 64 });
  });

  it('plans one-hot indices, and no inputs at all when external ones are bound', () => {
    const oneHot = { ...small, tangentKind: 'oneHot' as const };
    const own = rows(planForwardJet(oneHot, limits));
    expect(own).toContainEqual(['forward jet tangents', 20 * 4, 'storage']);
    expect(own).toContainEqual(['forward jet tangent index', 20 * 4, 'storage']);
    expect(own.map((r) => r[0])).not.toContain('forward jet unused index');

    const external = planForwardJet(oneHot, limits, { externalInputs: true });
    expect(external.storage.inputs).toBeNull();
    const labels = external.buffers.map((b) => b.label);
    for (const input of ['x', 'tangents', 'tangent index']) {
      expect(labels).not.toContain(`forward jet ${input}`);
    }
    expect(plannedBytes(external.buffers)).toBe(
      plannedBytes(planForwardJet(oneHot, limits).buffers) - (60 + 80 + 80),
    );
  });

  it('lists shared layer storage once: one z and two alternating σ(z) buffers', () => {
    const config: ForwardJetConfig = {
      architecture: { widths: [5, 12, 9, 12, 7, 1], activation: 'tanh', boundary: 'none' },
      shape: { points: 9, directions: 3, order: 2, structure: 'collapsed' },
      tangentKind: 'oneHot',
      layerStorage: 'reused',
    };
    const plan = planForwardJet(config, limits);
    // Collapsed: V = 1 + R·(K − 1) + 1 = 5; the widest hidden layer (12) sizes every buffer.
    const widest = 9 * 5 * 12 * 4;
    const { preActivations, activations } = plan.storage;
    expect(new Set(preActivations).size).toBe(1);
    expect(activations.map((b) => b.label)).toEqual([
      'forward jet s (even layers)',
      'forward jet s (odd layers)',
      'forward jet s (even layers)',
      'forward jet s (odd layers)',
    ]);
    expect(rows(plan).filter((r) => /forward jet [zs] /.test(r[0] as string))).toEqual([
      ['forward jet z (reused by every layer)', widest, 'storage'],
      ['forward jet s (even layers)', widest, 'storage'],
      ['forward jet s (odd layers)', widest, 'storage'],
    ]);
    // No boundary factor: no boundary jet, no separate output, no boundary uniform.
    expect(plan.storage.output).toBeNull();
    expect(plan.buffers.filter((b) => b.role === 'uniform')).toHaveLength(5);
  });

  it('folds point groups into y and z, and boundary workgroups into x and y, past the limit', () => {
    // Width 40 on one-hot inputs: 32-row tiles of 1 row per point, so 32 points per workgroup and
    // ⌈200/32⌉ = 7 point groups; the output layer (2 rows per point, 256-row tiles) takes 128
    // points per workgroup, 2 groups; the boundary has ⌈200/64⌉ = 4 workgroups.
    const config: ForwardJetConfig = {
      architecture: { widths: [2, 40, 1], activation: 'sin', boundary: 'ball2' },
      shape: { points: 200, directions: 1, order: 1, structure: 'standard' },
      tangentKind: 'oneHot',
    };
    const wide = planForwardJet(config, limits);
    expect(wide.layers.map((l) => l.params.values.pointGroups)).toEqual([7, 2]);
    expect(wide.layers.map((l) => l.grid)).toEqual([
      [2, 7, 1],
      [1, 2, 1],
    ]);
    expect(wide.boundary?.grid).toEqual([4, 1, 1]);

    const narrow = planForwardJet(config, { ...limits, maxComputeWorkgroupsPerDimension: 3 });
    expect(narrow.layers.map((l) => l.grid)).toEqual([
      [2, 3, 3],
      [1, 2, 1],
    ]);
    expect(narrow.boundary?.grid).toEqual([3, 2, 1]);
    // The grids differ, the work does not.
    expect(narrow.layers.map((l) => l.params.values)).toEqual(
      wide.layers.map((l) => l.params.values),
    );
  });

  describe('the first layer split over its inputs', () => {
    /** The STDE setup: 32 points, 3 × 32 tanh, B = 16 one-hot jets of order 2, collapsed. */
    const stde = (d: number, firstLayerBlockInner?: number): ForwardJetConfig => ({
      architecture: { widths: [d, 32, 32, 32, 1], activation: 'tanh', boundary: 'none' },
      shape: { points: 32, directions: 16, order: 2, structure: 'collapsed' },
      tangentKind: 'oneHot',
      firstLayerBlockInner,
    });
    const workgroups = (grid: readonly number[]) => grid[0] * grid[1] * grid[2];

    it('keeps the fused kernel below SPLIT_MIN_INPUTS, and when told 0', () => {
      for (const d of [100, SPLIT_MIN_INPUTS - 1]) {
        const plan = planForwardJet(stde(d), limits);
        expect(plan.split).toBeNull();
        expect(plan.storage.partials).toBeNull();
        expect(plan.layers[0]).toMatchObject({ entryPoint: 'layer', grid: [1, 1, 1] });
        expect(plan.layers[0].constants).not.toHaveProperty('BLOCK_INNER');
      }
      expect(planForwardJet(stde(100_000, 0), limits).split).toBeNull();
    });

    it('splits d = 100K and 1M into at least 512 workgroups, with S × N × width partials', () => {
      // One workgroup fused (one output tile of 32, one group of 32 points); blocks of
      // ⌊d/512/16⌋·16 inputs: 192 → S = 521 at 100K, 1952 → S = 513 at 1M.
      for (const [d, blockInner, splits] of [
        [100_000, 192, 521],
        [1_000_000, 1952, 513],
      ]) {
        const plan = planForwardJet(stde(d), limits);
        const partialElements = splits * 32 * 32;
        expect(plan.split).toMatchObject({ blockInner, splits, partialElements });
        expect(plan.layers[0]).toMatchObject({
          entryPoint: 'partialProducts',
          grid: [1, splits, 1],
        });
        expect(workgroups(plan.layers[0].grid)).toBeGreaterThanOrEqual(512);
        expect(plan.layers[0].constants.BLOCK_INNER).toBe(blockInner);
        // sumPartials: one invocation per unit, 32·32/64 workgroups, layer 0's own uniform.
        expect(plan.split?.sum).toMatchObject({ entryPoint: 'sumPartials', grid: [16, 1, 1] });
        expect(plan.split?.sum.params).toBe(plan.layers[0].params);
        expect(plan.layers.slice(1).map((l) => l.entryPoint)).toEqual(['layer', 'layer', 'layer']);
        // The partial sums, then the copy of the first layer's 32 biases that sumPartials reads.
        expect(plan.split?.biasAt).toBe(partialElements);
        expect(plan.layers[0].params.values).toMatchObject({ biasOffset: partialElements });
        const partials = plan.buffers.filter((b) => b.label === 'forward jet first-layer partials');
        expect(partials).toEqual([
          {
            label: 'forward jet first-layer partials',
            bytes: (partialElements + 32) * 4,
            role: 'storage',
          },
        ]);
        // The uniforms are one per layer, as unsplit.
        expect(plan.buffers.filter((b) => b.role === 'uniform')).toHaveLength(4);
        expect(plannedBytes(plan.buffers)).toBe(
          plannedBytes(planForwardJet(stde(d, 0), limits).buffers) + (partialElements + 32) * 4,
        );
      }
    });

    it('forces a block rounded up to whole tiles, and folds blocks past the grid limit', () => {
      // Width 32: TILE_INNER = 16, so 50 → 64 and ⌈300/64⌉ = 5 blocks, the last of 44 inputs.
      const plan = planForwardJet(stde(300, 50), limits);
      expect(plan.split).toMatchObject({ blockInner: 64, splits: 5, partialElements: 5 * 32 * 32 });
      expect(plan.layers[0].grid).toEqual([1, 5, 1]);
      // Dense tangents multiply every row: M = V = 1 + 16·1 + 1 = 18 rows per point.
      const dense = planForwardJet({ ...stde(300, 64), tangentKind: 'dense' }, limits);
      expect(dense.split?.partialElements).toBe(5 * 32 * 18 * 32);
      const narrow = planForwardJet(stde(300, 16), {
        ...limits,
        maxComputeWorkgroupsPerDimension: 7,
      });
      expect(narrow.split?.splits).toBe(19);
      expect(narrow.layers[0].grid).toEqual([1, 7, 3]);
      expect(() => planForwardJet(stde(300, -1), limits)).toThrow(JetShapeError);
      // A block that covers every input is no split.
      expect(planForwardJet(stde(300, 512), limits).split).toBeNull();
    });
  });

  it('refuses a configuration the kernels cannot take, before planning anything', () => {
    const order9 = { ...small, shape: { ...small.shape, order: 9 } };
    expect(() => planForwardJet(order9, limits)).toThrow(JetShapeError);
    expect(() => planForwardJet(order9, limits)).toThrow(
      /jet order K must be an integer in 1\.\.8/,
    );
  });
});
