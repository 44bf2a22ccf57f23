/** What we tell the user (and record next to benchmark numbers) about the adapter in use. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (SwiftShader, llvmpipe, WARP) or an adapter that reports itself as fallback. */
  isSoftware: boolean;
  isFallbackAdapter: boolean;
  /** Where WebGPU came from: the page's navigator.gpu or Dawn in Node. */
  runtime: 'browser' | 'node-dawn';
  features: string[];
  limits: Record<string, number>;
}

const softwareMarkers = ['swiftshader', 'llvmpipe', 'lavapipe', 'softpipe', 'warp', 'basic render'];

/** GPUAdapterInfo gained isFallbackAdapter late; older browsers expose it on the adapter instead. */
interface AdapterWithFallback extends GPUAdapter {
  readonly isFallbackAdapter?: boolean;
}

export function limitsRecord(limits: GPUSupportedLimits): Record<string, number> {
  const record: Record<string, number> = {};
  // GPUSupportedLimits exposes its values as prototype getters, so Object.keys sees nothing.
  for (const key in limits) {
    const value = (limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') record[key] = value;
  }
  return record;
}

export function describeAdapter(
  adapter: GPUAdapter,
  runtime: AdapterDescription['runtime'],
): AdapterDescription {
  const info = adapter.info;
  const isFallbackAdapter =
    (info.isFallbackAdapter as boolean | undefined) ??
    (adapter as AdapterWithFallback).isFallbackAdapter ??
    false;
  const text =
    `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isSoftware: isFallbackAdapter || softwareMarkers.some((m) => text.includes(m)),
    isFallbackAdapter,
    runtime,
    features: [...adapter.features].sort(),
    limits: limitsRecord(adapter.limits),
  };
}

/** One line for logs and the page header, e.g. "google swiftshader (SwiftShader driver 5.0.0, software)". */
export function adapterSummary(a: AdapterDescription): string {
  const name = [a.vendor, a.architecture].filter((s) => s).join(' ') || 'unknown adapter';
  const detail = [a.description || a.device, a.isSoftware ? 'software' : 'hardware']
    .filter((s) => s)
    .join(', ');
  return `${name} (${detail})`;
}
