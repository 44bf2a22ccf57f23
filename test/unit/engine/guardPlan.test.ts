/**
 * planReducer and planDivergenceGuard on the CPU: the pass chain of a reduction (its Params and
 * records) and the guard's buffers; and the status buffer decoded through the reflected Status
 * struct of finiteCheck.wgsl.
 */
import { describe, expect, it } from 'vitest';
import { plannedBytes } from '../../../src/gpu/bufferPlan.ts';
import {
  decodeGuardStatus,
  planDivergenceGuard,
  statusBytes,
} from '../../../src/engine/divergenceGuard.ts';
import { planParameterBlocks } from '../../../src/engine/parameterBlocks.ts';
import { planReducer } from '../../../src/engine/reductions.ts';
import { parameterTraffic } from '../../../src/train/enginePlans.ts';

const limits = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupStorageSize: 16384,
  minUniformBufferOffsetAlignment: 256,
};

describe('planReducer', () => {
  it('chains passes of 1024-element tiles until one record is left', () => {
    // 300 000 elements → 293 records → the result.
    const plan = planReducer(300_000, {}, limits);
    expect(plan.tile).toBe(1024);
    expect(plan.passes.map((p) => [p.params, p.paramsOffset, p.workgroups])).toEqual([
      [{ count: 300_000, total: 300_000, inputIsRecords: 0, isFinal: 0 }, 0, 293],
      [{ count: 293, total: 300_000, inputIsRecords: 1, isFinal: 1 }, 256, 1],
    ]);
    expect(plan.buffers.map((b) => [b.label, b.bytes, b.role])).toEqual([
      ['reduce 300000 params', 2 * 256, 'uniform'],
      ['reduce 300000 records 0', 293 * 16, 'storage'],
    ]);
    expect(plan.paramsBytes).toBe(16);
  });

  it('follows the workgroup shape: 64 × 2 elements per workgroup take three passes', () => {
    const plan = planReducer(300_000, { workgroupSize: 64, itemsPerThread: 2 }, limits);
    expect(plan.constants).toEqual({ WORKGROUP_SIZE: 64, ITEMS_PER_THREAD: 2 });
    expect(plan.passes.map((p) => p.workgroups)).toEqual([2344, 19, 1]);
    expect(plannedBytes(plan.buffers)).toBe(3 * 256 + 2344 * 16 + 19 * 16);
  });

  it('refuses an n or a workgroup shape the kernel cannot take', () => {
    expect(() => planReducer(0, {}, limits)).toThrow(/n must be an integer in \[1, 2\^32 − 1\)/);
    expect(() => planReducer(10, { workgroupSize: 96 }, limits)).toThrow(/power of two/);
    expect(() => planReducer(10, { workgroupSize: 512 }, limits)).toThrow(/exceeds the device/);
  });
});

describe('planDivergenceGuard', () => {
  it('scans 1024 elements per workgroup by default, and takes a smaller workgroup', () => {
    expect(planDivergenceGuard({ gradientCount: 300_000 }, limits).scan).toEqual({
      constants: { WORKGROUP_SIZE: 256, SCAN_ITEMS: 4 },
      workgroups: [293],
    });
    // One invocation of 4 elements per workgroup: past 65 535 workgroups, the grid folds.
    const tiny = planDivergenceGuard({ gradientCount: 300_000, scanWorkgroupSize: 1 }, limits);
    expect(tiny.scan.workgroups).toEqual([75_000]);
    for (const size of [0, 1.5, 512]) {
      expect(() =>
        planDivergenceGuard({ gradientCount: 10, scanWorkgroupSize: size }, limits),
      ).toThrow(`divergence guard scan: workgroupSize ${size} is outside [1, 256]`);
    }
  });

  it('lists the status, the gradient statistics, the no-loss stand-in, the verdict and the params ring', () => {
    const plan = planDivergenceGuard({ gradientCount: 1000, uniformSlots: 4 }, limits);
    expect(plan.buffers.map((b) => [b.label, b.bytes, b.role])).toEqual([
      ['divergence status', 32, 'storage'],
      ['gradient stats', 32, 'storage'],
      ['no loss', 4, 'storage'],
      ['divergence verdict', 4, 'storage'],
      ['divergence check params', 4 * 256, 'uniform'],
    ]);
    // The first check reduces 1000 elements in one pass: only its Params slot.
    expect(plan.reduction.buffers.map((b) => [b.label, b.bytes])).toEqual([
      ['reduce 1000 params', 256],
    ]);
  });
});

describe('planDivergenceGuard over parameter blocks', () => {
  it('scans and reduces each block, combines the results and pushes a Params slot per block', () => {
    const blocks = planParameterBlocks([300, 16, 16, 1], 6000);
    const plan = planDivergenceGuard({ gradientCount: 5105, blocks, uniformSlots: 4 }, limits);
    expect(plan.scan.workgroups).toEqual([2, 2, 2, 1]);
    expect(plan.ringSlots).toBe(16);
    expect(plan.buffers.at(-1)).toEqual({
      label: 'divergence check params',
      bytes: 16 * 256,
      role: 'uniform',
    });
    expect(plan.reduction.reductions.map((r) => r.n)).toEqual([1500, 1500, 1500, 605]);
    // The three full blocks share one chain; the results' slots are 256 bytes apart.
    expect(plan.reduction.buffers.map((b) => [b.label, b.bytes, b.role])).toEqual([
      ['reduce 1500 params', 2 * 256, 'uniform'],
      ['reduce 1500 records 0', 2 * 16, 'storage'],
      ['reduce 605 params', 256, 'uniform'],
      ['reduce 5105 block results', 4 * 256, 'storage'],
      ['reduce 5105 combine params', 16, 'uniform'],
    ]);
    expect(plan.reduction.combine?.params.values).toEqual({
      count: 4,
      total: 5105,
      inputIsRecords: 1,
      isFinal: 1,
    });
    // One block: the chain alone, no combine.
    const one = planDivergenceGuard({ gradientCount: 5105 }, limits);
    expect(one.reduction.combine).toBeNull();
    expect(one.reduction.buffers).toEqual(planReducer(5105, {}, limits).buffers);
    expect(() => planDivergenceGuard({ gradientCount: 5104, blocks }, limits)).toThrow(
      /blocks of 5105 elements for a gradient of 5104/,
    );
  });
});

describe('bytes moved per parameter per step (backprop + Adam)', () => {
  it('is 48 with the rollback copy: g written, read by the guard and by Adam, θ, m, v and their copy written', () => {
    const guard = planDivergenceGuard({ gradientCount: 1000 }, limits);
    expect(guard.bytesReadPerElement).toBe(4);
    const traffic = parameterTraffic('adam', true, {
      ...limits,
      maxComputeWorkgroupsPerDimension: 65535,
    });
    expect(traffic).toEqual({
      gradient: 4,
      guard: 4,
      optimizer: { read: 16, written: 24 },
      total: 48,
      perLoggedStep: 0,
    });
  });

  it('is 32 without it: read θ, g, m, v, write θ, m, v and the gradient once (+4 on a logged step)', () => {
    const guard = planDivergenceGuard({ gradientCount: 1000, rollback: false }, limits);
    expect(guard.bytesReadPerElement).toBe(0);
    const traffic = parameterTraffic('adam', false, {
      ...limits,
      maxComputeWorkgroupsPerDimension: 65535,
    });
    expect(traffic.total).toBe(32);
    expect(traffic.total).toBeLessThanOrEqual(32);
    expect(traffic.perLoggedStep).toBe(4);
    expect(
      parameterTraffic('sgd', true, { ...limits, maxComputeWorkgroupsPerDimension: 65535 }).total,
    ).toBe(4 + 4 + 8 + 8);
    expect(
      parameterTraffic('sgd', false, { ...limits, maxComputeWorkgroupsPerDimension: 65535 }).total,
    ).toBe(4 + 8 + 4);
  });
});

describe('decodeGuardStatus', () => {
  it('reads each Status field at the offset finiteCheck.wgsl gives it', () => {
    expect(statusBytes).toBe(32);
    const nanBits = 0x7fc00001;
    const infinityBits = 0x7f800000;
    // tripped, step, source, gradientIndex, lossBits, gradientBits, lastCheckedStep, checks
    const words = new Uint32Array([1, 7, 3, 5, nanBits, infinityBits, 9, 4]);
    expect(decodeGuardStatus(words)).toEqual({
      tripped: true,
      step: 7,
      source: 'loss and gradient',
      gradientIndex: 5,
      lossValue: NaN,
      gradientValue: Infinity,
      lossBits: nanBits,
      gradientBits: infinityBits,
      lastCheckedStep: 9,
      checks: 4,
    });
    expect(decodeGuardStatus(new Uint32Array(8))).toMatchObject({
      tripped: false,
      step: null,
      source: null,
      lastCheckedStep: null,
      checks: 0,
    });
  });
});
