// Regenerates the README's dashboard picture (docs/dashboard.png) from the real page.
// Usage: npm run screenshot  (Chromium with WebGPU on SwiftShader, as the e2e tests; a few
// minutes on a CPU). Serves the page with Vite on a free port, drives it with captureDashboard.
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumExecutable, webgpuChromiumArgs } from '../e2e/chromium.ts';
import { captureDashboard, README_SCREENSHOT } from './dashboardScreenshot.ts';

// The browser is looked up first: a machine without one fails before a server is started.
const executablePath = chromiumExecutable();
const server = await createServer({ server: { port: 0 }, logLevel: 'warn' });
await server.listen();
const address = server.resolvedUrls?.local[0];
if (!address) throw new Error('the Vite server did not report its address');
const browser = await chromium.launch({
  executablePath,
  args: webgpuChromiumArgs,
});
try {
  const page = await browser.newPage({ baseURL: address });
  const step = await captureDashboard(page, README_SCREENSHOT);
  console.log(`wrote ${README_SCREENSHOT.path}: the landing run at step ${step}, ${address}`);
} finally {
  await browser.close();
  await server.close();
}
