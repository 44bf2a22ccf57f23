import { expect, test, type Page } from '@playwright/test';
import { waitForState } from './dashboardPage.ts';

/**
 * The first screen: at 1440 × 900 the controls, Play, the loss chart and the u_θ / error
 * heatmaps lie inside the viewport on load, without scrolling; at 390 px wide the page reflows
 * with nothing wider than the screen, the help and the teaching panels opened included.
 */

async function box(page: Page, selector: string) {
  const found = await page.locator(selector).boundingBox();
  if (!found) throw new Error(`${selector} is not shown`);
  return found;
}

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
}

test('at 1440 × 900 the controls, Play, the loss chart and two heatmaps are on screen', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto('/');
  await waitForState(page, 'idle');
  expect(await page.evaluate(() => [window.scrollX, window.scrollY])).toEqual([0, 0]);
  for (const selector of [
    '#pde',
    '#dimension-slider',
    '#estimator',
    '#jets-per-point',
    '#play',
    '#loss-chart',
    '#field-network',
    '#field-error',
  ]) {
    const { x, y, width, height } = await box(page, selector);
    expect(x, selector).toBeGreaterThanOrEqual(0);
    expect(y, selector).toBeGreaterThanOrEqual(0);
    expect(x + width, selector).toBeLessThanOrEqual(1440);
    expect(y + height, selector).toBeLessThanOrEqual(900);
  }
  // The heatmaps are drawn at a readable size, not squeezed to fit.
  expect((await box(page, '#field-network')).width).toBeGreaterThan(200);
  expect(await horizontalOverflow(page)).toBe(0);
});

test('at 390 px wide nothing overflows horizontally', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  await waitForState(page, 'idle');
  expect(await horizontalOverflow(page)).toBe(0);
  await page.locator('#help summary').click();
  await page.locator('#jet-inspector summary').click();
  await page.waitForFunction(() => (window.jetpinn.jet?.refreshes ?? 0) > 0, null, {
    timeout: 60_000,
  });
  await page.locator('#estimator-panel summary').click();
  await page.waitForFunction(() => window.jetpinn.estimator !== undefined, null, {
    timeout: 60_000,
  });
  expect(await horizontalOverflow(page)).toBe(0);
  // Every chart fits the screen's width.
  const right = await page
    .locator('figure.chart')
    .evaluateAll((figures) => Math.max(...figures.map((f) => f.getBoundingClientRect().right)));
  expect(right).toBeLessThanOrEqual(390);
});
