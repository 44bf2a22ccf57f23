import { chromium, expect, test } from '@playwright/test';
import { chromiumExecutable, noWebgpuChromiumArgs } from './chromium.ts';
import type { GpuStatus } from '../src/ui/gpuStatus.ts';

async function readStatus(page: import('@playwright/test').Page): Promise<GpuStatus> {
  await page.waitForFunction(
    () => window.jetpinn?.gpu && window.jetpinn.gpu.state !== 'pending',
    null,
    {
      timeout: 60_000,
    },
  );
  return page.evaluate(() => window.jetpinn.gpu);
}

test('the page acquires a WebGPU adapter and shows it', async ({ page }) => {
  await page.goto('/');
  const status = await readStatus(page);
  expect(status.state, status.message).toBe('ready');
  expect(status.adapter).not.toBeNull();
  const adapter = status.adapter!;
  console.log(`e2e adapter: ${adapter.vendor} ${adapter.architecture} (${adapter.description})`);
  expect(adapter.runtime).toBe('browser');
  expect(adapter.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
  // The CI machine has no GPU: the adapter there is SwiftShader and must be reported as software.
  if (adapter.architecture.includes('swiftshader')) expect(adapter.isSoftware).toBe(true);
  await expect(page.locator('#gpu-state')).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('#adapter-details')).toContainText('Software adapter');
});

test('without WebGPU the page explains what to do', async ({ baseURL }) => {
  const browser = await chromium.launch({
    executablePath: chromiumExecutable(),
    args: noWebgpuChromiumArgs,
  });
  try {
    const page = await browser.newPage();
    await page.goto(baseURL!);
    const status = await readStatus(page);
    expect(status.state).toBe('unavailable');
    expect(status.message).toMatch(/WebGPU/);
    expect(status.message).toMatch(/enable-unsafe-webgpu|browser with WebGPU/);
    await expect(page.locator('#gpu-state')).toHaveAttribute('data-state', 'unavailable');
  } finally {
    await browser.close();
  }
});
