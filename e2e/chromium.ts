import { existsSync } from 'node:fs';

const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The system Chromium; CHROMIUM_PATH overrides. Fails loudly: e2e tests never skip. */
export function chromiumExecutable(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `No Chromium found (looked in ${candidates.join(', ')}). Install it with ` +
        '`apt-get install -y chromium` or set CHROMIUM_PATH.',
    );
  }
  return found;
}

/** WebGPU on SwiftShader in headless Chromium (DESIGN.md section 8). */
export const webgpuChromiumArgs = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-vulkan-surface',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * The suite's browser: the page's WebGPU with Dawn's zero-fill of workgroup memory off, as the
 * Node GPU tests run (src/gpu/nodeGpu.ts says why that is safe to test with). SwiftShader pays
 * for the fill in every pipeline creation, and a page build is mostly pipeline creation: time from
 * load to a built trainer, measured here under the same load, 30 s → 13 s. One project of the
 * suite (playwright.config.ts) keeps the browser's own settings, so what users get stays covered.
 */
export const webgpuTestChromiumArgs = [
  ...webgpuChromiumArgs,
  '--enable-dawn-features=disable_workgroup_init',
];

/** The same browser with WebGPU left off, to check the page's explanation. */
export const noWebgpuChromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-features=WebGPU,Vulkan',
  '--disable-gpu',
];
