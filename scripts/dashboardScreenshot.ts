// The README's picture of the dashboard, taken from the real page: the page at 1440 × 900 (the
// first screen the README promises), a link's run trained for some steps, paused, the field views
// refreshed to that step, and the viewport saved as a PNG. The e2e suite calls captureDashboard on
// its own page (e2e/screenshot.spec.ts), so the script cannot silently stop working.
import type { Page } from '@playwright/test';

export interface ScreenshotPlan {
  /** The link after the page's address, e.g. '' for the landing run or '?pde=kdv-2d'. */
  link: string;
  /** Steps trained before the picture. */
  steps: number;
  /** Where the PNG is written. */
  path: string;
}

export const SCREEN = { width: 1440, height: 900 } as const;

/** The committed picture: the landing run (no link parameters) after 2000 steps, its bar's step. */
export const README_SCREENSHOT: ScreenshotPlan = {
  link: '',
  steps: 2000,
  path: 'docs/dashboard.png',
};

/**
 * Opens `plan.link` on `page` (whose base URL serves the dashboard), trains `plan.steps` steps,
 * pauses, refreshes the field views and writes the first screen to `plan.path`. Returns the step
 * shown. Drives the page through the same controls and `window.jetpinn` numbers as the e2e tests.
 */
export async function captureDashboard(page: Page, plan: ScreenshotPlan): Promise<number> {
  await page.setViewportSize(SCREEN);
  await page.goto(`/${plan.link}`);
  await page.waitForFunction(() => window.jetpinn?.run?.state === 'idle', null, {
    timeout: 120_000,
  });
  await page.locator('#play').click();
  await page.waitForFunction((n) => (window.jetpinn.run?.step ?? 0) >= n, plan.steps, {
    timeout: 600_000,
  });
  await page.locator('#pause').click();
  await page.waitForFunction(() => window.jetpinn.run?.state === 'paused', null, {
    timeout: 60_000,
  });
  const before = await page.evaluate(() => window.jetpinn.field?.refreshes ?? 0);
  await page.locator('#field-refresh').click();
  await page.waitForFunction((n) => (window.jetpinn.field?.refreshes ?? 0) > n, before, {
    timeout: 60_000,
  });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: plan.path });
  return page.evaluate(() => window.jetpinn.run?.step ?? 0);
}
