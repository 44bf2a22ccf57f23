import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { captureDashboard, SCREEN } from '../scripts/dashboardScreenshot.ts';

/**
 * The README picture's script runs on the page as it is: a short version of `npm run screenshot`
 * (fewer steps, a file of the test's own) gives a PNG of the first screen taken at the step asked.
 */
test('the screenshot script captures the first screen of a trained run', async ({
  page,
}, testInfo) => {
  const path = testInfo.outputPath('dashboard.png');
  const step = await captureDashboard(page, { link: '', steps: 40, path });
  expect(step).toBeGreaterThanOrEqual(40);
  const png = readFileSync(path);
  // PNG signature, then the IHDR chunk's width and height (big-endian, bytes 16–23).
  expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([SCREEN.width, SCREEN.height]);
  const field = await page.evaluate(() => window.jetpinn.field);
  expect(field?.step).toBe(step);
});
