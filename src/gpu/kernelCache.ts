import { tellBuildListeners } from './buildEvents.ts';
import { createComposedKernel } from './composeShader.ts';
import type { ComputeKernel, KernelOptions, ShaderSource } from './kernel.ts';

const caches = new WeakMap<GPUDevice, Map<string, Promise<ComputeKernel>>>();

/**
 * The one way hosts get a kernel: compiled once per device, WGSL files and options. A training run builds the same
 * pipelines for every batch shape it meets, and pipeline creation is the slow part of a rebuild
 * (seconds on SwiftShader). `source` is one file or several composed in order (libraries first);
 * a failed compilation is not cached, so the error surfaces again on the next call. Parts are
 * keyed by name: a name stands for one text (generated WGSL names what it was generated for).
 */
export function cachedKernel(
  device: GPUDevice,
  source: ShaderSource | readonly ShaderSource[],
  options: KernelOptions = {},
): Promise<ComputeKernel> {
  const parts: readonly ShaderSource[] = 'code' in source ? [source] : source;
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
    tellBuildListeners(device, (listener) => listener.kernelCompiling?.(key));
    kernel = createComposedKernel(device, parts, options);
    const compiled = () => tellBuildListeners(device, (listener) => listener.kernelCompiled?.(key));
    kernel.then(compiled, compiled);
    kernel.catch(() => cache.delete(key));
    cache.set(key, kernel);
  }
  return kernel;
}
