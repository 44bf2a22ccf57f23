/**
 * planBackwardJet on the CPU: the dispatches in recording order with their uniform fields and
 * grids, the scratch and uniform buffers BackwardJet.create allocates, and the 1-D grids folding
 * at a small maxComputeWorkgroupsPerDimension.
 */
import { describe, expect, it } from 'vitest';
import { plannedBytes } from '../../../src/gpu/bufferPlan.ts';
import { type BackwardJetConfig, planBackwardJet } from '../../../src/engine/backwardJet.ts';

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
      ['reduceSplits', 1],
      ['inputCotangent', 1],
      ['activationTranspose', 1],
      ['weightGradient', 0],
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
        destinationOffset: 0,
        splitStride: 9,
        pointSource: [0, 0, 0, 0],
      },
      { count: 9, splits: 2, offset: 32 },
      { rows: 25, inputs: 8, outputs: 1, weightOffset: 32 },
      { points: 5, width: 8, directions: 2 },
      {
        reduction: 25,
        inputs: 3,
        outputs: 8,
        rowsPerPoint: 5,
        directions: 2,
        chunk: 16,
        destinationOffset: 0,
        splitStride: 32,
        pointSource: [0, 0, 0, 0],
      },
      { count: 32, splits: 2, offset: 0 },
    ]);
    expect(plan.steps.map((s) => s.grid)).toEqual([
      [1, 1, 1],
      // ⌈(8 + 1)/64⌉ input tiles, ⌈1/4⌉ output tiles, 2 splits.
      [1, 1, 2],
      [1, 1, 1],
      [1, 1, 1],
      [1, 1, 1],
      // 8 outputs: 2 row threads of 4 outputs each.
      [1, 1, 2],
      [1, 1, 1],
    ]);
    expect(plan.steps.map((s) => s.split)).toEqual([false, true, false, false, false, true, false]);
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
      ['backward layer 1 weight gradient params', 48, 'uniform'],
      ['backward layer 1 reduce params', 12, 'uniform'],
      ['backward layer 1 input cotangent params', 16, 'uniform'],
      ['backward layer 0 activation params', 12, 'uniform'],
      ['backward layer 0 weight gradient params', 48, 'uniform'],
      ['backward layer 0 reduce params', 12, 'uniform'],
    ]);
    expect(plannedBytes(plan.buffers)).toBe(100 + 1600 + 256 + 12 + 48 + 12 + 16 + 12 + 48 + 12);
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
    expect(plan.steps.map((s) => s.kind)).toEqual(['weightGradient']);
    expect(plan.buffers.map((b) => b.label)).toEqual(['backward layer 0 weight gradient params']);
  });

  it('scatters one-hot tangent rows for K > 0, reducing only the value rows', () => {
    const oneHot = { ...small, tangentKind: 'oneHot' as const, splitRows: undefined };
    const steps = planBackwardJet(oneHot, limits).steps;
    expect(steps.map((s) => s.kind).slice(-2)).toEqual(['weightGradient', 'scatterTangents']);
    expect(steps.at(-2)?.params.values).toMatchObject({ reduction: 5 });
    expect(steps.at(-1)?.params.values).toEqual({
      points: 5,
      directions: 2,
      outputs: 8,
      inputs: 3,
      rowsPerPoint: 5,
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

  it('refuses what the kernels cannot take', () => {
    const order17 = { ...small, shape: { ...small.shape, order: 17 } };
    expect(() => planBackwardJet(order17, limits)).toThrow(/order 17 exceeds the kernels' maximum/);
    expect(() => planBackwardJet({ ...small, splitRows: 0 }, limits)).toThrow(
      /splitRows must be a positive integer/,
    );
  });
});
