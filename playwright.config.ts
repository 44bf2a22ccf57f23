import { defineConfig } from '@playwright/test';
import { chromiumExecutable, webgpuChromiumArgs, webgpuTestChromiumArgs } from './e2e/chromium.ts';

const bundlePort = 5199;
const devPort = 5198;
const bundle = 'test-results/e2e-bundle';

// Playwright cannot download its own browsers here: the suite drives the system Chromium
// (Debian's `chromium` package), whose SwiftShader gives WebGPU on machines without a GPU.
export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results/e2e',
  projects: [
    {
      // The built bundle (vite build, then vite preview), as a deployed page is served: a page
      // loads 9 files instead of the dev server's 215 modules (measured here in a fresh context:
      // 0.5–0.9 s to load against 2.2–2.5 s, over about 50 page loads of the suite), and a
      // source edit while the suite runs cannot reload a page mid-test.
      name: 'chromium',
      use: {
        baseURL: `http://localhost:${bundlePort}/`,
        launchOptions: { executablePath: chromiumExecutable(), args: webgpuTestChromiumArgs },
      },
    },
    {
      // The page as users get it: `npm start`'s dev server, and the browser's own settings
      // (workgroup memory zero-filled): the adapter, and a first Play that builds, trains,
      // charts and exports.
      name: 'chromium-defaults',
      testMatch: ['gpuStatus.spec.ts', 'dashboard.spec.ts'],
      grep: /acquires a WebGPU adapter|Play trains/,
      use: {
        baseURL: `http://localhost:${devPort}/`,
        launchOptions: { executablePath: chromiumExecutable(), args: webgpuChromiumArgs },
      },
    },
  ],
  webServer: [
    {
      command:
        `npx vite build --outDir ${bundle} --emptyOutDir --logLevel warn && ` +
        `npx vite preview --outDir ${bundle} --port ${bundlePort} --strictPort`,
      url: `http://localhost:${bundlePort}/`,
      reuseExistingServer: false,
      timeout: 120_000,
    },
    {
      command: `npx vite --port ${devPort} --strictPort`,
      url: `http://localhost:${devPort}/`,
      reuseExistingServer: false,
      timeout: 120_000,
    },
  ],
});
