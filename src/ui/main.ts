import { acquireBrowserGpu } from '../gpu/browserGpu.ts';
import type { GpuContext } from '../gpu/acquireDevice.ts';
import { adapterSummary } from '../gpu/adapterDescription.ts';
import { GpuError } from '../gpu/errors.ts';
import { Dashboard } from './dashboard.ts';
import { showGpuStatus } from './gpuStatus.ts';

async function start(): Promise<void> {
  showGpuStatus({ state: 'pending', adapter: null, message: 'Looking for a WebGPU adapter…' });
  let dashboard: Dashboard | null = null;
  let gpu: GpuContext;
  try {
    gpu = await acquireBrowserGpu({
      largeLimits: true,
      // A validation or out-of-memory error makes the run's numbers meaningless: stop it and say
      // why on the page rather than only in the console.
      onError: (error) => dashboard?.stop(`GPU error: ${error.message}`),
    });
  } catch (error) {
    const message = error instanceof GpuError ? error.message : `WebGPU failed: ${String(error)}`;
    showGpuStatus({ state: 'unavailable', adapter: null, message });
    return;
  }
  showGpuStatus({
    state: 'ready',
    adapter: gpu.adapter,
    message: `WebGPU ready on ${adapterSummary(gpu.adapter)}.`,
  });
  dashboard = new Dashboard(gpu);
  const lost = await gpu.lost;
  const message = `${lost.message} Reload the page.`;
  dashboard.stop(message);
  showGpuStatus({ state: 'lost', adapter: gpu.adapter, message });
}

void start();
