/**
 * planOptimizer on the CPU: the buffers GpuAdam.create and GpuSgd.create allocate, the workgroups
 * of a step, and the options refused before anything is compiled.
 */
import { describe, expect, it } from 'vitest';
import { plannedBytes } from '../../../src/gpu/bufferPlan.ts';
import { LimitError } from '../../../src/gpu/errors.ts';
import { optimizerCost, planOptimizer } from '../../../src/engine/optimizers.ts';
import { planParameterBlocks } from '../../../src/engine/parameterBlocks.ts';

const limits = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  minUniformBufferOffsetAlignment: 256,
};

describe('planOptimizer', () => {
  it('plans Adam: a 32-slot hyperparameter ring, the moments and the previous θ, m, v apart', () => {
    const plan = planOptimizer({ kind: 'adam', parameterCount: 1000 }, limits);
    expect(plan.buffers.map((b) => [b.label, b.bytes, b.role])).toEqual([
      // The 36-byte Hyper struct takes one 256-byte slot per step.
      ['adam hyperparameters', 32 * 256, 'uniform'],
      ['adam unguarded', 4, 'storage'],
      ['adam m', 4000, 'storage'],
      ['adam v', 4000, 'storage'],
      // One buffer per tensor: none is larger than θ, so the copy meets no binding limit first.
      ['adam previous θ', 4000, 'storage'],
      ['adam previous m', 4000, 'storage'],
      ['adam previous v', 4000, 'storage'],
    ]);
    expect(plan.rollbackBytes).toBe(12000);
    expect(plan.entryPoint).toBe('adam_step');
    expect(plan.workgroups).toBe(4);
    expect(plan.adam).toEqual({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  });

  it('plans SGD with 4-byte stand-ins for the moments its bind group layout lists', () => {
    const plan = planOptimizer(
      { kind: 'sgd', parameterCount: 1000, uniformSlots: 2, workgroupSize: 64 },
      { ...limits, minUniformBufferOffsetAlignment: 64 },
    );
    // Hyper is 17 words (68 bytes): each slot takes two 64-byte alignment steps.
    expect(plan.buffers.map((b) => [b.label, b.bytes])).toEqual([
      ['sgd hyperparameters', 2 * 128],
      ['sgd unguarded', 4],
      ['sgd unused m', 4],
      ['sgd unused v', 4],
      ['sgd previous θ', 4000],
      ['sgd unused previous m', 4],
      ['sgd unused previous v', 4],
    ]);
    expect(plannedBytes(plan.buffers)).toBe(256 + 20 + 4000);
    expect(plan.rollbackBytes).toBe(4000);
    expect(plan.workgroups).toBe(16);
    expect(plan.constants).toEqual({ WORKGROUP_SIZE: 64 });
  });

  it('without the rollback copy binds the stand-ins of an unchecked step and writes θ, m, v once', () => {
    const on = planOptimizer({ kind: 'adam', parameterCount: 1000 }, limits);
    const off = planOptimizer({ kind: 'adam', parameterCount: 1000, rollback: false }, limits);
    expect(off.state.previous).toBeNull();
    expect(off.rollbackBytes).toBe(0);
    expect(off.buffers.slice(4).map((b) => [b.label, b.bytes])).toEqual([
      ['adam unchecked loss', 4],
      ['adam unchecked verdict', 4],
      // optimizersChecked.wgsl binds the inline entries' norm partials.
      ['adam unused norm partials', 4],
    ]);
    expect(plannedBytes(on.buffers) - plannedBytes(off.buffers)).toBe(12000 - 12);
    // Per parameter and step: read θ, g, m, v; write θ, m, v (and their copy with the rollback).
    expect(on.bytesPerParameter).toEqual({ read: 16, written: 24 });
    expect(off.bytesPerParameter).toEqual({ read: 16, written: 12 });
    const sgd = (rollback: boolean) =>
      planOptimizer({ kind: 'sgd', parameterCount: 1000, rollback }, limits).bytesPerParameter;
    expect(sgd(true)).toEqual({ read: 8, written: 8 });
    expect(sgd(false)).toEqual({ read: 8, written: 4 });
  });

  it('plans an inline update: no gradient read, a norm partial per workgroup of each block', () => {
    const blocks = planParameterBlocks([10, 30, 1], 7 * 40);
    const plan = planOptimizer(
      {
        kind: 'sgd',
        parameterCount: blocks.count,
        blocks,
        rollback: false,
        gradient: 'inline',
        workgroupSize: 64,
      },
      limits,
    );
    expect(plan.entryPoint).toBe('sgd_inline');
    expect(plan.bytesPerParameter).toEqual({ read: 4, written: 4 });
    const workgroups = blocks.blocks.map((b) => Math.ceil(b.count / 64));
    expect(plan.blockWorkgroups).toEqual(workgroups);
    expect(plan.normPartials?.count).toBe(workgroups.reduce((a, b) => a + b, 0));
    expect(plan.normPartials?.partialStarts).toEqual(
      workgroups.map((_, k) => workgroups.slice(0, k).reduce((a, b) => a + b, 0)),
    );
    expect(plan.buffers.map((b) => b.label)).toContain('sgd inline gradient norm partials');
    // θ read and written, the 2q = 6 loss words read per parameter and a word per partial; per
    // parameter the update (2), three terms (4 + 7 + 2 each) and the norm's square and sum (2).
    const P = blocks.count;
    const partials = plan.normPartials?.count ?? 0;
    expect(optimizerCost(plan, 3)).toEqual({
      flops: P * (2 + 3 * 13 + 2) + partials,
      bytesRead: 4 * P * (1 + 6),
      bytesWritten: 4 * (P + partials),
    });
    // The forward gradient's: one ∇L·v word read per parameter, one term without a coefficient.
    expect(optimizerCost(plan, 1, 'directional')).toEqual({
      flops: P * (2 + 9 + 2) + partials,
      bytesRead: 4 * P * (1 + 1),
      bytesWritten: 4 * (P + partials),
    });
    expect(() => optimizerCost(plan)).toThrow(/needs its q ≥ 1 directions/);
    expect(() =>
      planOptimizer({ kind: 'adam', parameterCount: 100, gradient: 'inline' }, limits),
    ).toThrow(/no rollback copy/);
    expect(() =>
      planOptimizer(
        {
          kind: 'sgd',
          parameterCount: 100,
          rollback: false,
          gradient: 'inline',
          workgroupSize: 48,
        },
        limits,
      ),
    ).toThrow(/power of two, got 48/);
  });

  it('refuses bad hyperparameters, counts, workgroup sizes and slot counts', () => {
    const plan = (config: object) =>
      planOptimizer({ kind: 'adam', parameterCount: 10, ...config }, limits);
    expect(() => plan({ beta1: 1 })).toThrow(/adam: beta1 must be in \[0, 1\), got 1/);
    expect(() => plan({ epsilon: 0 })).toThrow(/epsilon must be finite and > 0/);
    expect(() => plan({ weightDecay: -1 })).toThrow(/weightDecay must be finite and ≥ 0/);
    expect(() => plan({ parameterCount: 0 })).toThrow(/parameterCount must be a positive u32/);
    expect(() => plan({ workgroupSize: 512 })).toThrow(LimitError);
    expect(() => plan({ uniformSlots: 0 })).toThrow(/uniformSlots must be a positive integer/);
  });

  it('plans one buffer per block of each tensor, a dispatch per block and a Hyper slot per block', () => {
    // [300, 16, 16, 1]: 5105 parameters; 6000-byte blocks hold 5 rows of W₁ (1500 floats) each,
    // the last 1 row and the 305 parameters after W₁.
    const blocks = planParameterBlocks([300, 16, 16, 1], 6000);
    expect(blocks.blocks.map((b) => b.count)).toEqual([1500, 1500, 1500, 605]);
    const one = planOptimizer({ kind: 'adam', parameterCount: 5105 }, limits);
    const plan = planOptimizer({ kind: 'adam', parameterCount: 5105, blocks }, limits);
    const labels = plan.buffers.map((b) => [b.label, b.bytes]);
    expect(labels.slice(0, 6)).toEqual([
      ['adam hyperparameters', 4 * 32 * 256],
      ['adam unguarded', 4],
      ['adam m (block 0)', 6000],
      ['adam m (block 1)', 6000],
      ['adam m (block 2)', 6000],
      ['adam m (block 3)', 2420],
    ]);
    expect(labels.map(([label]) => label)).toContain('adam previous θ (block 3)');
    expect(plan.buffers).toHaveLength(2 + 5 * 4);
    // The same tensors in more buffers; only the ring grows, by a slot per block and step.
    expect(plannedBytes(plan.buffers) - plannedBytes(one.buffers)).toBe(3 * 32 * 256);
    expect(plan.ringSlots).toBe(4 * 32);
    expect(plan.uniformSlots).toBe(32);
    expect(plan.blockWorkgroups).toEqual([6, 6, 6, 3]);
    expect(plan.workgroups).toBe(21);
    expect(plan.rollbackBytes).toBe(one.rollbackBytes);
    expect(one.blocks).toEqual({ count: 5105, blocks: [{ start: 0, count: 5105 }] });
    expect(one.blockWorkgroups).toEqual([one.workgroups]);
    // SGD's stand-ins stay one 4-byte buffer each, bound with every block.
    const sgd = planOptimizer({ kind: 'sgd', parameterCount: 5105, blocks }, limits);
    expect(sgd.state.m.map((b) => [b.label, b.bytes])).toEqual([['sgd unused m', 4]]);
    expect(sgd.state.previous?.theta.map((b) => b.bytes)).toEqual([6000, 6000, 6000, 2420]);
  });

  it('refuses blocks that do not tile the parameters', () => {
    const plan = (blocks: { start: number; count: number }[], count = 10) =>
      planOptimizer({ kind: 'adam', parameterCount: 10, blocks: { count, blocks } }, limits);
    expect(() => plan([{ start: 0, count: 11 }], 11)).toThrow(/blocks of 11 parameters for 10/);
    expect(() =>
      plan([
        { start: 0, count: 4 },
        { start: 5, count: 5 },
      ]),
    ).toThrow(/block 1 holds 5 elements from 5; the blocks must be non-empty and contiguous/);
    expect(() =>
      plan([
        { start: 0, count: 4 },
        { start: 4, count: 5 },
      ]),
    ).toThrow(/2 blocks hold 9 elements of a vector of 10/);
    expect(() => plan([])).toThrow(/0 blocks hold 0 elements/);
  });
});
