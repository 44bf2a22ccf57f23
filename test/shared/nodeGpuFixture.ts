import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { GpuBuffers } from '../../src/gpu/buffers.ts';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';

/**
 * One Dawn device and buffer set for a GPU test file, handed to `ready` before the tests run and
 * destroyed after them. After every test the queue is drained and no uncaptured WebGPU error
 * (validation, out-of-memory, internal) may have occurred: a kernel bound wrongly fails its test
 * even when the numbers it left behind happen to look right.
 */
export function useNodeGpu(ready: (gpu: GpuContext, buffers: GpuBuffers) => void): void {
  let gpu: GpuContext | undefined;
  let buffers: GpuBuffers | undefined;
  const gpuErrors: string[] = [];
  beforeAll(async () => {
    gpu = await acquireNodeGpu({ onError: (e) => gpuErrors.push(e.message) });
    buffers = new GpuBuffers(gpu.device);
    ready(gpu, buffers);
  });
  afterEach(async () => {
    await gpu?.device.queue.onSubmittedWorkDone();
    expect(gpuErrors).toEqual([]);
  });
  afterAll(() => {
    buffers?.destroyAll();
    gpu?.destroy();
  });
}
