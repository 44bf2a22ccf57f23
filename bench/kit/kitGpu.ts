/**
 * The device a kit benchmark runs on: what `acquireNodeGpu` gives (the system's Vulkan driver, or
 * SwiftShader without one), with the adapter's own large limits; for the step breakdown also the
 * `timestamp-query` feature when the adapter has it, so its stages are timed on the GPU.
 */
import { create, globals } from 'webgpu';
import { acquireDevice, type GpuContext } from '../../src/gpu/acquireDevice.ts';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';

/**
 * The Dawn flags src/gpu/nodeGpu.ts creates its entry points with (workgroup memory not zeroed),
 * and timestamps at full resolution: Dawn quantizes them by default (to 65 536 ns here), which
 * would round a GPU's stages of tens of microseconds to 0 or 65 µs.
 */
const DAWN_FLAGS = [
  'enable-dawn-features=disable_workgroup_init',
  'disable-dawn-features=timestamp_quantization',
];

/**
 * The entry point acquireKitGpu creates, kept for the life of the process: a Dawn instance that is
 * garbage-collected takes its Vulkan instance, and every device on it, down with it.
 */
let timestampEntry: GPU | null = null;

/** An adapter whose requestDevice also asks for `features`; everything else is the adapter's. */
function withFeatures(adapter: GPUAdapter, features: GPUFeatureName[]): GPUAdapter {
  return new Proxy(adapter, {
    get(target, property) {
      if (property === 'requestDevice') {
        return (descriptor: GPUDeviceDescriptor = {}) =>
          target.requestDevice({
            ...descriptor,
            requiredFeatures: [...(descriptor.requiredFeatures ?? []), ...features],
          });
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

export async function acquireKitGpu(
  options: { timestamps?: boolean } = {},
): Promise<{ gpu: GpuContext; timestamps: boolean }> {
  if (!options.timestamps)
    return { gpu: await acquireNodeGpu({ largeLimits: true }), timestamps: false };
  // One Dawn entry point of our own that asks for timestamp-query where the adapter has it. It is
  // the process's only one: a second Vulkan instance on SwiftShader aborts the process. The kit's
  // runner has settled the driver already (it passes on the VK_ICD_FILENAMES the adapter probe
  // ended with), so this entry point finds the adapter acquireNodeGpu would.
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  Object.assign(globalThis, globals);
  timestampEntry ??= create(DAWN_FLAGS);
  const dawn = timestampEntry;
  const entry = {
    requestAdapter: async (descriptor?: GPURequestAdapterOptions) => {
      const adapter = await dawn.requestAdapter(descriptor);
      if (!adapter || !adapter.features.has('timestamp-query')) return adapter;
      return withFeatures(adapter, ['timestamp-query']);
    },
  } as unknown as GPU;
  const gpu = await acquireDevice(entry, 'node-dawn', "See run.sh's Vulkan driver lines.", {
    largeLimits: true,
  });
  return { gpu, timestamps: gpu.device.features.has('timestamp-query') };
}
