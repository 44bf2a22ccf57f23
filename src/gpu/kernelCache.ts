import { createComposedKernel } from './composeShader.ts';
import type { ComputeKernel, KernelOptions, ShaderSource } from './kernel.ts';

const caches = new WeakMap<GPUDevice, Map<string, Promise<ComputeKernel>>>();

/**
 * A kernel compiled once per device, WGSL files and options. A training run builds the same
 * pipelines for every batch shape it meets, and pipeline creation is the slow part of a rebuild
 * (seconds on SwiftShader). `parts` are composed in order (libraries first); a failed compilation
 * is not cached, so the error surfaces again on the next call.
 */
export function cachedKernel(
  device: GPUDevice,
  parts: readonly ShaderSource[],
  options: KernelOptions = {},
): Promise<ComputeKernel> {
  let cache = caches.get(device);
  if (!cache) {
    cache = new Map();
    caches.set(device, cache);
  }
  const key = JSON.stringify([
    parts.map((p) => p.name),
    options.entryPoint ?? '',
    options.constants ?? {},
  ]);
  let kernel = cache.get(key);
  if (!kernel) {
    kernel = createComposedKernel(device, parts, options);
    kernel.catch(() => cache.delete(key));
    cache.set(key, kernel);
  }
  return kernel;
}
