import { acquireBrowserGpu } from '../gpu/browserGpu.ts';
import { adapterSummary } from '../gpu/adapterDescription.ts';
import { GpuError } from '../gpu/errors.ts';
import { showGpuStatus } from './gpuStatus.ts';

async function start(): Promise<void> {
  showGpuStatus({ state: 'pending', adapter: null, message: 'Looking for a WebGPU adapter…' });
  try {
    const gpu = await acquireBrowserGpu({ largeLimits: true });
    showGpuStatus({
      state: 'ready',
      adapter: gpu.adapter,
      message: `WebGPU ready on ${adapterSummary(gpu.adapter)}.`,
    });
    const lost = await gpu.lost;
    showGpuStatus({
      state: 'lost',
      adapter: gpu.adapter,
      message: `${lost.message} Reload the page.`,
    });
  } catch (error) {
    const message = error instanceof GpuError ? error.message : `WebGPU failed: ${String(error)}`;
    showGpuStatus({ state: 'unavailable', adapter: null, message });
  }
}

void start();
