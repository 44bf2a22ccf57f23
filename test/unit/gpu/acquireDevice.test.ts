import { describe, expect, it } from 'vitest';
import { acquireDevice } from '../../../src/gpu/acquireDevice.ts';
import { adapterSummary, describeAdapter } from '../../../src/gpu/adapterDescription.ts';
import { GpuUnavailableError } from '../../../src/gpu/errors.ts';

const hint = 'Install the thing.';

/** A stand-in for navigator.gpu whose requestAdapter answers as told. */
function fakeGpu(requestAdapter: () => Promise<GPUAdapter | null>): GPU {
  return { requestAdapter } as unknown as GPU;
}

describe('acquireDevice without a usable adapter', () => {
  it('no WebGPU at all: says so and what to do', async () => {
    const error = await acquireDevice(undefined, 'browser', hint).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuUnavailableError);
    expect((error as Error).message).toBe(`WebGPU is not available. ${hint}`);
  });

  it('no adapter: a clear error with the hint', async () => {
    const gpu = fakeGpu(() => Promise.resolve(null));
    await expect(acquireDevice(gpu, 'node-dawn', hint)).rejects.toThrow(
      `WebGPU found no usable GPU adapter. ${hint}`,
    );
  });

  it('requestAdapter that never answers: times out instead of hanging', async () => {
    const gpu = fakeGpu(() => new Promise<GPUAdapter | null>(() => undefined));
    const started = Date.now();
    await expect(acquireDevice(gpu, 'browser', hint, { timeoutMs: 50 })).rejects.toThrow(
      /did not answer within 50 ms/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('requestAdapter that throws: wrapped with the hint', async () => {
    const gpu = fakeGpu(() => Promise.reject(new Error('driver exploded')));
    await expect(acquireDevice(gpu, 'browser', hint)).rejects.toThrow(
      /requestAdapter\(\) failed: Error: driver exploded\. Install the thing\./,
    );
  });
});

describe('describeAdapter', () => {
  function fakeAdapter(info: Partial<GPUAdapterInfo>): GPUAdapter {
    return {
      info: { vendor: '', architecture: '', device: '', description: '', ...info },
      features: new Set(['timestamp-query', 'shader-f16']),
      limits: Object.create({ maxBufferSize: 268435456, maxStorageBufferBindingSize: 134217728 }),
    } as unknown as GPUAdapter;
  }

  it('marks SwiftShader and fallback adapters as software, reads limits from getters', () => {
    const swift = describeAdapter(
      fakeAdapter({
        vendor: 'google',
        architecture: 'swiftshader',
        description: 'SwiftShader driver',
      }),
      'node-dawn',
    );
    expect(swift.isSoftware).toBe(true);
    expect(swift.limits).toEqual({
      maxBufferSize: 268435456,
      maxStorageBufferBindingSize: 134217728,
    });
    expect(swift.features).toEqual(['shader-f16', 'timestamp-query']);
    expect(adapterSummary(swift)).toBe('google swiftshader (SwiftShader driver, software)');

    const fallback = describeAdapter(
      fakeAdapter({ vendor: 'x', isFallbackAdapter: true }),
      'browser',
    );
    expect(fallback.isSoftware).toBe(true);

    const nvidia = describeAdapter(
      fakeAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100' }),
      'browser',
    );
    expect(nvidia.isSoftware).toBe(false);
    expect(adapterSummary(nvidia)).toBe('nvidia hopper (NVIDIA H100, hardware)');
  });
});
