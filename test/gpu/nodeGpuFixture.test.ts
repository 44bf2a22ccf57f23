/**
 * The GPU test fixture itself (test/shared/nodeGpuFixture.ts): its after-test check as a pure
 * function, then on real Dawn devices, through `gpu.problems()` (what the check would report),
 * that an undeclared uncaptured error or device loss is reported and a declared one is not.
 */
import { describe, expect, it } from 'vitest';
import { gpuEventProblems, useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

const none = { errors: [], losses: 0 };
const validation = { message: 'WebGPU validation error: usage MAP_READ | STORAGE', device: 'main' };
const loss = { message: 'The GPU device was lost (destroyed).', device: 'extra device 1' };

/** A validation error, not a throw: MAP_READ may only be combined with COPY_DST. */
function provokeValidationError(device: GPUDevice): void {
  device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
}

describe('the after-test check (pure)', () => {
  it('passes when nothing happened and nothing was declared', () => {
    expect(gpuEventProblems({ errors: [], losses: [] }, none)).toEqual([]);
  });

  it('fails on an undeclared error, naming the device and the message', () => {
    expect(gpuEventProblems({ errors: [validation], losses: [] }, none)).toEqual([
      `undeclared uncaptured WebGPU error on main: ${validation.message}`,
    ]);
  });

  it('passes on a declared error, and fails on one that the patterns do not cover', () => {
    const declared = { errors: [/validation error: usage/], losses: 0 };
    expect(gpuEventProblems({ errors: [validation], losses: [] }, declared)).toEqual([]);
    const other = { message: 'WebGPU out-of-memory error: too big' };
    expect(gpuEventProblems({ errors: [validation, other], losses: [] }, declared)).toEqual([
      `undeclared uncaptured WebGPU error: ${other.message}`,
    ]);
  });

  it('fails when a declared error did not occur', () => {
    const declared = { errors: [/validation/, /out-of-memory/], losses: 0 };
    expect(gpuEventProblems({ errors: [validation], losses: [] }, declared)).toEqual([
      'declared WebGPU error /out-of-memory/ did not occur',
    ]);
  });

  it('a /g pattern matches every error, not every other one', () => {
    const declared = { errors: [/validation/g], losses: 0 };
    expect(gpuEventProblems({ errors: [validation, validation], losses: [] }, declared)).toEqual(
      [],
    );
  });

  it('wants exactly the declared number of device losses', () => {
    expect(gpuEventProblems({ errors: [], losses: [loss] }, none)).toEqual([
      `1 device loss(es), 0 declared: ${loss.message} on extra device 1`,
    ]);
    expect(gpuEventProblems({ errors: [], losses: [loss] }, { errors: [], losses: 1 })).toEqual([]);
    expect(gpuEventProblems({ errors: [], losses: [] }, { errors: [], losses: 1 })).toEqual([
      'declared 1 device loss(es), 0 occurred',
    ]);
  });
});

describe('the fixture on Dawn', () => {
  it('reports an undeclared validation error, and not once it is declared', async () => {
    provokeValidationError(gpu.device);
    const problems = await gpu.problems();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^undeclared uncaptured WebGPU error on main: WebGPU validation/);
    expect(gpu.errors.map((e) => e.kind)).toEqual(['validation']);
    gpu.expectErrors(/^WebGPU validation error: /);
    expect(await gpu.problems()).toEqual([]);
  });

  it('reports a declared error that has not occurred, until it does', async () => {
    gpu.expectErrors(/^WebGPU validation error: /);
    expect(await gpu.problems(50)).toEqual([
      'declared WebGPU error /^WebGPU validation error: / did not occur',
    ]);
    provokeValidationError(gpu.device);
    expect(await gpu.problems()).toEqual([]);
  });

  it('checks the errors of an extra device too', async () => {
    const other = await gpu.acquire();
    expect(other.device).not.toBe(gpu.device);
    provokeValidationError(other.device);
    expect(await gpu.problems()).toEqual([
      expect.stringMatching(/^undeclared uncaptured WebGPU error on extra device \d+: WebGPU/),
    ]);
    gpu.expectErrors(/validation/);
    expect(await gpu.problems()).toEqual([]);
  });

  it('reports an undeclared device loss, and not once it is declared', async () => {
    const other = await gpu.acquire();
    other.device.destroy(); // not through other.destroy(): this simulates a loss
    await other.lost;
    expect(await gpu.problems()).toEqual([
      expect.stringMatching(/^1 device loss\(es\), 0 declared: The GPU device was lost/),
    ]);
    gpu.expectDeviceLoss();
    expect(await gpu.problems()).toEqual([]);
    expect(gpu.losses.map((l) => l.kind)).toEqual(['device-lost']);
  });

  it('a device destroyed through its context is not a loss', async () => {
    const other = await gpu.acquire();
    other.destroy();
    expect(await gpu.problems()).toEqual([]);
  });

  it('starts every test with no errors, losses or declarations', async () => {
    expect(gpu.errors).toEqual([]);
    expect(gpu.losses).toEqual([]);
    expect(await gpu.problems(0)).toEqual([]);
  });
});
