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
      ['forward gradient boundary params', 20, 'uniform'],
    ]);
    expect(plannedBytes(plan.buffers)).toBe(4 * widest + 5 * out + 4 + 3 * 28 + 20);
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
});
