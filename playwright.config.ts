import { defineConfig } from '@playwright/test';
import { chromiumExecutable, webgpuChromiumArgs, webgpuTestChromiumArgs } from './e2e/chromium.ts';

const port = 5199;

// Playwright cannot download its own browsers here: the suite drives the system Chromium
// (Debian's `chromium` package), whose SwiftShader gives WebGPU on machines without a GPU.
export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results/e2e',
  use: { baseURL: `http://localhost:${port}/` },
  projects: [
    {
      name: 'chromium',
      use: {
        launchOptions: { executablePath: chromiumExecutable(), args: webgpuTestChromiumArgs },
      },
    },
    {
      // The browser as users get it (workgroup memory zero-filled): the adapter, and a first
      // Play that builds, trains, charts and exports.
      name: 'chromium-defaults',
      testMatch: ['gpuStatus.spec.ts', 'dashboard.spec.ts'],
      grep: /acquires a WebGPU adapter|Play trains/,
      use: { launchOptions: { executablePath: chromiumExecutable(), args: webgpuChromiumArgs } },
    },
  ],
  webServer: {
    command: `npx vite --port ${port} --strictPort`,
    url: `http://localhost:${port}/`,
    reuseExistingServer: false,
    timeout: 120_000,
  },
});
