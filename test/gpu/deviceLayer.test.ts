import { describe, expect, it } from 'vitest';
import { adapterSummary } from '../../src/gpu/adapterDescription.ts';
import type { GpuMemory } from '../../src/gpu/gpuMemory.ts';
import { Saxpy } from '../../src/gpu/elementwise.ts';
import { BindingError, LimitError, ShaderCompileError } from '../../src/gpu/errors.ts';
import { createKernel } from '../../src/gpu/kernel.ts';
import saxpyCode from '../../shaders/elementwise.wgsl?raw';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

// No skip path: if Dawn cannot get an adapter, beforeAll throws and every test here fails.
let memory: GpuMemory;
const gpu = useNodeGpu((context, b) => {
  memory = b;
  console.log(`GPU tests run on: ${adapterSummary(context.adapter)}`);
});

describe('device layer on Dawn', () => {
  it('describes the adapter it acquired', () => {
    const a = gpu.adapter;
    expect(a.runtime).toBe('node-dawn');
    expect(a.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(a.limits.maxComputeWorkgroupsPerDimension).toBeGreaterThanOrEqual(65535);
    expect(typeof a.isSoftware).toBe('boolean');
    if (a.architecture === 'swiftshader') expect(a.isSoftware).toBe(true);
  });

  it('computes SAXPY to float32 rounding of the float64 result', async () => {
    const n = 1000; // not a multiple of the workgroup size: the tail must be handled
    const x = new Float32Array(n);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = Math.sin(i) * 10;
      y[i] = Math.cos(3 * i) - 0.5;
    }
    const a = -1.75;
    const out = await (await Saxpy.create(gpu.device)).run(memory, a, x, y);
    expect(out.length).toBe(n);
    for (let i = 0; i < n; i++) {
      const exact = a * x[i] + y[i]; // float64
      // One rounding of the product and one of the sum (a fused multiply-add rounds once).
      const tolerance = 2 * 2 ** -24 * (Math.abs(a * x[i]) + Math.abs(y[i]));
      expect(Math.abs(out[i] - exact)).toBeLessThanOrEqual(tolerance);
    }
    expect(memory.count).toBe(0); // the helper freed its buffers
  });

  it('reports WGSL compile errors with file, line and message', async () => {
    const code =
      '@group(0) @binding(0) var<storage, read_write> y: array<f32>;\n\n' +
      '@compute @workgroup_size(1)\nfn main() {\n  let bad: i32 = 1.5;\n  y[0] = 1.0;\n}\n';
    const error = await createKernel(gpu.device, { name: 'broken.wgsl', code }).catch((e) => e);
    expect(error).toBeInstanceOf(ShaderCompileError);
    const compileError = error as ShaderCompileError;
    expect(compileError.diagnostics[0].line).toBe(5);
    expect(compileError.message).toContain('broken.wgsl:5:');
    expect(compileError.message).toContain('let bad: i32 = 1.5;');
  });

  it('derives the bind group layout from the WGSL, unused bindings included', async () => {
    const code =
      '@group(0) @binding(0) var<storage, read_write> used: array<f32>;\n' +
      '@group(0) @binding(3) var<storage, read> unused: array<vec4<f32>>;\n' +
      'struct P { n: u32, s: f32 }\n@group(0) @binding(1) var<uniform> p: P;\n' +
      'override WG: u32 = 32;\n' +
      '@compute @workgroup_size(WG) fn main(@builtin(global_invocation_id) g: vec3<u32>) {\n' +
      '  if (g.x < p.n) { used[g.x] = p.s; }\n}\n';
    const kernel = await createKernel(
      gpu.device,
      { name: 'layout.wgsl', code },
      { constants: { WG: 16 } },
    );
    expect(kernel.workgroupSize).toEqual([16, 1, 1]);
    const byName = Object.fromEntries(kernel.bindings.map((b) => [b.name, b]));
    expect(byName.used).toMatchObject({
      binding: 0,
      kind: 'storage',
      runtimeStride: 4,
      minBytes: 4,
    });
    expect(byName.unused).toMatchObject({
      binding: 3,
      kind: 'read-only-storage',
      runtimeStride: 16,
    });
    expect(byName.p).toMatchObject({ binding: 1, kind: 'uniform', minBytes: 8, runtimeStride: 0 });
  });

  it('refuses mismatched buffers before WebGPU sees them, naming kernel, binding and sizes', async () => {
    const kernel = await createKernel(gpu.device, { name: 'elementwise.wgsl', code: saxpyCode });
    const params = memory.create('params', 8, 'uniform');
    const x = memory.create('x', 64);
    const tiny = memory.create('tiny', 4, 'uniform');
    expect(() => kernel.bind({ params: tiny, x, y: x })).toThrow(
      /elementwise\.wgsl:saxpy: binding 'params' \(@group\(0\) @binding\(0\)\) needs at least 8 bytes, got 4/,
    );
    expect(() => kernel.bind({ params, x })).toThrow(/binding 'y' was not given/);
    expect(() => kernel.bind({ params, x, y: x, z: x })).toThrow(/no binding named 'z'/);
    expect(() => kernel.bind({ params: x, x, y: x })).toThrow(/needs a buffer with UNIFORM usage/);
    expect(() => kernel.bind({ params, x: { buffer: x, size: 6 }, y: x })).toThrow(BindingError);

    const bindGroup = kernel.bind({ params, x, y: x });
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    expect(() => kernel.dispatch(pass, bindGroup, 70_000)).toThrow(
      /elementwise\.wgsl:saxpy: 70000 workgroups along x \(limit 65535 per dimension\)/,
    );
    pass.end();
    encoder.finish();
    memory.destroyAll();
  });

  it('refuses a buffer larger than the device allows before allocating', () => {
    const before = memory.bytesInUse;
    const tooBig = gpu.device.limits.maxBufferSize + 4;
    expect(() => memory.create('huge', tooBig)).toThrow(LimitError);
    expect(() => memory.create('huge', tooBig)).toThrow(new RegExp(`${tooBig} bytes exceeds`));
    expect(memory.bytesInUse).toBe(before);
  });

  it('surfaces uncaptured WebGPU errors as typed errors', async () => {
    gpu.expectErrors(/^WebGPU validation error: .*MapRead/s);
    // A MAP_READ buffer may only be combined with COPY_DST: a validation error, not a throw.
    gpu.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
    await gpu.device.queue.onSubmittedWorkDone();
    await new Promise((r) => setTimeout(r, 50));
    const runtimeErrors = gpu.errors; // this test's, as the fixture's onError received them
    expect(runtimeErrors.length).toBeGreaterThan(0);
    expect(runtimeErrors[0].kind).toBe('validation');
    expect(runtimeErrors[0].message).toMatch(/^WebGPU validation error: /);
  });
});

describe('device loss', () => {
  it('resolves `lost` with a typed error when the device goes away', async () => {
    gpu.expectDeviceLoss();
    const other = await gpu.acquire();
    other.device.destroy(); // not through other.destroy(): this simulates a loss
    const lost = await other.lost;
    expect(lost.kind).toBe('device-lost');
    expect(lost.message).toMatch(/The GPU device was lost/);
  });
});
