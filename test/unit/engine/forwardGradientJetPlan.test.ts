/**
 * planForwardGradientJet on the CPU: the buffers ForwardGradientJet.create allocates (its inputs
 * are always external), the uniforms, and the per-element grids folding past the device limit.
 */
import { describe, expect, it } from 'vitest';
import { plannedBytes } from '../../../src/gpu/bufferPlan.ts';
import type { ForwardJetConfig } from '../../../src/engine/forwardJet.ts';
import { planForwardGradientJet } from '../../../src/engine/forwardGradientJet.ts';

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
      ['forward gradient layer 0 params', 28, 'uniform'],
      ['forward gradient layer 1 params', 28, 'uniform'],
      ['forward gradient layer 2 params', 28, 'uniform'],
      ['forward gradient boundary params', 48, 'uniform'],
    ]);
    expect(plannedBytes(plan.buffers)).toBe(4 * widest + 5 * out + 4 + 3 * 28 + 48);
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
    });
    expect(first.constants).toMatchObject({ INPUT: 2, ACTIVATION: 3, COLLAPSED: 1 });
    expect(last.params.values).toMatchObject({ inputs: 6, outputs: 1, weightOffset: 86 });
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

  it('multiplies every row of a dense first layer', () => {
    const dense = { ...wide(50_000, 20_000), tangentKind: 'dense' as const };
    // V = 1 + 16·(2 − 1) + 1 = 18 rows a point, 3 blocks.
    expect(planForwardGradientJet(dense, limits).split?.partialElements).toBe(3 * 32 * 18 * 32);
  });
});
