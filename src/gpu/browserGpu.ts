import { acquireDevice, type AcquireOptions, type GpuContext } from './acquireDevice.ts';

const browserHint =
  'Use a browser with WebGPU enabled (Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows), ' +
  'serve the page from https:// or http://localhost (WebGPU needs a secure context), and check ' +
  'that hardware acceleration is on. On Linux Chromium may need --enable-unsafe-webgpu ' +
  '--enable-features=Vulkan.';

/** The page's WebGPU device. */
export function acquireBrowserGpu(options: AcquireOptions = {}): Promise<GpuContext> {
  const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
  const hint =
    typeof isSecureContext !== 'undefined' && !isSecureContext
      ? `This page is not a secure context. ${browserHint}`
      : browserHint;
  return acquireDevice(gpu, 'browser', hint, options);
}
