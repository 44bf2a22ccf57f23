/**
 * A WebGPU device for one command. WebGPU reports validation and out-of-memory errors
 * asynchronously instead of throwing, so a command could otherwise print or save numbers from
 * a failed dispatch: they are collected here, printed as they come, and `assertHealthy` refuses
 * to go on once any arrived. The device is always destroyed, or Node would not exit.
 */
import type { GpuContext } from '../gpu/acquireDevice.ts';
import type { GpuError } from '../gpu/errors.ts';
import { acquireNodeGpu } from '../gpu/nodeGpu.ts';
import type { CliIo } from './io.ts';

export interface GpuSession {
  readonly gpu: GpuContext;
  /** Throws if WebGPU reported any error so far. */
  assertHealthy(): void;
}

export async function withNodeGpu<T>(
  io: CliIo,
  work: (session: GpuSession) => Promise<T>,
): Promise<T> {
  const errors: GpuError[] = [];
  const gpu = await acquireNodeGpu({
    // Large problems need the adapter's own buffer limits, not WebGPU's defaults.
    largeLimits: true,
    onError: (error) => {
      errors.push(error);
      io.stderr(`${error.message}\n`);
    },
  });
  try {
    return await work({
      gpu,
      assertHealthy: () => {
        if (errors.length > 0) {
          throw new Error(
            `WebGPU reported ${errors.length} error(s) (above); results were discarded`,
          );
        }
      },
    });
  } finally {
    gpu.destroy();
  }
}
