import { acquireBrowserGpu } from '../gpu/browserGpu.ts';
import type { GpuContext } from '../gpu/acquireDevice.ts';
import { adapterSummary } from '../gpu/adapterDescription.ts';
import { GpuError } from '../gpu/errors.ts';
import { Dashboard } from './dashboard.ts';
import { showGpuStatus } from './gpuStatus.ts';
// The page's formulas (math.ts): KaTeX's styles and fonts, bundled by Vite so they work offline,
// and copy-tex, which makes a selected formula copy as its TeX source. Loaded here, once for the
// page, so math.ts stays importable where there is no document (the unit tests).
import 'katex/dist/katex.min.css';
import 'katex/contrib/copy-tex';

async function start(): Promise<void> {
  showGpuStatus({ state: 'pending', adapter: null, message: 'Looking for a WebGPU adapter…' });
  let dashboard: Dashboard | null = null;
  // Every device the page uses, the first and any replacement after a loss, is asked for alike.
  const acquire = () =>
    acquireBrowserGpu({
      largeLimits: true,
      // A validation or out-of-memory error makes the run's numbers meaningless: stop it and say
      // why on the page rather than only in the console.
      onError: (error) => dashboard?.stop(`GPU error: ${error.message}`),
    });
  let gpu: GpuContext;
  try {
    gpu = await acquire();
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
  // A lost device is the run's to replace (RunController): training continues from a snapshot.
  dashboard = new Dashboard(gpu, acquire);
}

void start();
