import type { Download, Page } from '@playwright/test';
import type { RunSnapshot } from '../src/ui/runSnapshot.ts';

/**
 * Reading and driving the dashboard from end-to-end tests through the numbers it exposes on
 * `window.jetpinn` (runSnapshot.ts), never through pixels.
 */

export function run(page: Page): Promise<RunSnapshot> {
  return page.evaluate(() => {
    const snapshot = window.jetpinn.run;
    if (!snapshot) throw new Error('the dashboard has not started');
    return snapshot;
  });
}

/** Waits until the run rests in `state` (the trainer is built, or the run paused). */
export async function waitForState(page: Page, state: RunSnapshot['state']): Promise<RunSnapshot> {
  await page.waitForFunction((s) => window.jetpinn?.run?.state === s, state, { timeout: 60_000 });
  return run(page);
}

/** Waits until at least `step` steps are done. */
export async function waitForStep(page: Page, step: number): Promise<void> {
  await page.waitForFunction((n) => (window.jetpinn.run?.step ?? 0) >= n, step, {
    timeout: 90_000,
  });
}

/** Pauses and waits until the run rests. */
export async function pause(page: Page): Promise<RunSnapshot> {
  await page.locator('#pause').click();
  return waitForState(page, 'paused');
}

/** Plays until at least `steps` steps are done, then pauses. */
export async function trainFor(page: Page, steps: number): Promise<RunSnapshot> {
  await page.locator('#play').click();
  await waitForStep(page, steps);
  return pause(page);
}

/** The download that clicking `selector` starts. */
export async function downloadFrom(page: Page, selector: string): Promise<Download> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator(selector).click(),
  ]);
  return download;
}

export async function readDownloadBytes(download: Download): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readDownload(download: Download): Promise<string> {
  return (await readDownloadBytes(download)).toString('utf8');
}

/** Refreshes the field views and returns them once the refresh has landed. */
export async function refreshedField(page: Page) {
  const before = await page.evaluate(() => window.jetpinn.field?.refreshes ?? 0);
  await page.locator('#field-refresh').click();
  await page.waitForFunction((n) => (window.jetpinn.field?.refreshes ?? 0) > n, before, {
    timeout: 60_000,
  });
  const field = await page.evaluate(() => window.jetpinn.field);
  if (!field) throw new Error('the page exposes no field views');
  return field;
}

/**
 * Imports a model file into the idle page through the Import control and waits until the page has
 * built the imported run (paused at the file's step).
 */
export async function importModelFile(
  page: Page,
  file: { name: string; mimeType: string; buffer: Buffer },
): Promise<void> {
  const before = await waitForState(page, 'idle');
  await page.locator('#import-file').setInputFiles(file);
  await page.waitForFunction(
    (builds) => {
      const r = window.jetpinn.run;
      return r?.state === 'paused' && r.builds > builds;
    },
    before.builds,
    { timeout: 60_000 },
  );
}
