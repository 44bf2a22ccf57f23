import { describeAdapter, type AdapterDescription } from './adapterDescription.ts';
import {
  GpuDeviceLostError,
  GpuRuntimeError,
  GpuUnavailableError,
  type GpuError,
} from './errors.ts';

/** Limits the engine may ask for beyond the WebGPU defaults when a problem needs them. */
export const largeLimitNames = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
] as const;

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
  /** Request the adapter's own (larger) values of `largeLimitNames` instead of the defaults. */
  largeLimits?: boolean;
  /** Called once when the device is lost (not when we destroy it ourselves). */
  onDeviceLost?: (error: GpuDeviceLostError) => void;
  /** Called for every uncaptured validation / out-of-memory / internal error. */
  onError?: (error: GpuError) => void;
  /** requestAdapter/requestDevice never hang longer than this. */
  timeoutMs?: number;
}

export interface GpuContext {
  device: GPUDevice;
  adapter: AdapterDescription;
  /** Resolves if the device is lost for any reason other than our own destroy(). */
  lost: Promise<GpuDeviceLostError>;
  /** Destroys the device; the `lost` promise then stays pending. */
  destroy(): void;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new GpuUnavailableError(`${what} did not answer within ${ms} ms.`)),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Turns a WebGPU entry point (navigator.gpu or Dawn's GPU object) into a ready device plus a
 * description of its adapter. `unavailableHint` says what to install or enable on this runtime.
 */
export async function acquireDevice(
  gpu: GPU | undefined,
  runtime: AdapterDescription['runtime'],
  unavailableHint: string,
  options: AcquireOptions = {},
): Promise<GpuContext> {
  if (!gpu) throw new GpuUnavailableError(`WebGPU is not available. ${unavailableHint}`);
  const timeoutMs = options.timeoutMs ?? 20_000;
  const adapter = await withTimeout(
    gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' }),
    timeoutMs,
    'navigator.gpu.requestAdapter()',
  ).catch((error: unknown) => {
    if (error instanceof GpuUnavailableError) throw error;
    throw new GpuUnavailableError(`requestAdapter() failed: ${String(error)}. ${unavailableHint}`);
  });
  if (!adapter) {
    throw new GpuUnavailableError(`WebGPU found no usable GPU adapter. ${unavailableHint}`);
  }

  const requiredLimits: Record<string, number> = {};
  if (options.largeLimits) {
    for (const name of largeLimitNames) requiredLimits[name] = adapter.limits[name];
  }
  const device = await withTimeout(
    adapter.requestDevice({ requiredLimits }),
    timeoutMs,
    'GPUAdapter.requestDevice()',
  );

  let destroyedByUs = false;
  const lost = new Promise<GpuDeviceLostError>((resolve) => {
    void device.lost.then((info) => {
      if (destroyedByUs) return;
      const error = new GpuDeviceLostError(info.reason ?? 'unknown', info.message);
      options.onDeviceLost?.(error);
      resolve(error);
    });
  });
  device.addEventListener('uncapturederror', (event) => {
    const gpuError = (event as GPUUncapturedErrorEvent).error;
    const kind =
      gpuError instanceof GPUOutOfMemoryError
        ? 'out-of-memory'
        : gpuError instanceof GPUValidationError
          ? 'validation'
          : 'internal';
    const error = new GpuRuntimeError(kind, gpuError.message);
    if (options.onError) options.onError(error);
    else console.error(error.message);
  });

  return {
    device,
    adapter: describeAdapter(adapter, runtime),
    lost,
    destroy() {
      destroyedByUs = true;
      device.destroy();
    },
  };
}
