import { expect, test } from '@playwright/test';
import { parseModel } from '../src/engine/modelFile.ts';
import { parseSafetensorsModel } from '../src/engine/safetensorsModel.ts';
import {
  downloadFrom,
  importModelFile,
  readDownload,
  readDownloadBytes,
  refreshedField,
  run,
  trainFor,
  waitForState,
} from './dashboardPage.ts';

/**
 * The safetensors round trip in the page: "Export model (safetensors)" writes the same model as
 * the JSON export (weights, options, metrics), and "Import model" loads that file into another
 * setup, which takes over the run and evaluates the same numbers; a damaged file changes nothing.
 */

test('a safetensors export imports into another page as the same model', async ({ page }) => {
  await page.goto('/?dim=6&B=2&points=32&width=16&depth=2&seed=5');
  await waitForState(page, 'idle');
  const trained = await trainFor(page, 20);
  const trainedField = await refreshedField(page);
  const json = await readDownload(await downloadFrom(page, '#export-model'));
  const file = await downloadFrom(page, '#export-safetensors');
  expect(file.suggestedFilename()).toMatch(/-model\.safetensors$/);
  const bytes = await readDownloadBytes(file);
  expect(parseSafetensorsModel(bytes)).toEqual(parseModel(json));

  await page.goto('/?pde=poisson-two-body&dim=8&width=24&depth=3&seed=1');
  await importModelFile(page, {
    name: 'exported.safetensors',
    mimeType: 'application/octet-stream',
    buffer: bytes,
  });
  const imported = await run(page);
  expect(imported.importMessage).toContain('Imported exported.safetensors');
  expect(imported.options).toEqual(trained.options);
  expect(imported.step).toBe(trained.step);
  const importedField = await refreshedField(page);
  expect(importedField.maxAbsError).toBe(trainedField.maxAbsError);
  expect(importedField.maxAbsResidual).toBe(trainedField.maxAbsResidual);
});

test('a damaged safetensors file is refused with the reason and changes nothing', async ({
  page,
}) => {
  await page.goto('/?dim=6&B=2&points=32&width=16&depth=2');
  const before = await waitForState(page, 'idle');
  const file = await downloadFrom(page, '#export-safetensors');
  const bytes = await readDownloadBytes(file);
  const cases = [
    { name: 'cut.safetensors', buffer: bytes.subarray(0, bytes.length - 4), reason: 'truncated' },
    { name: 'empty.safetensors', buffer: Buffer.alloc(0), reason: 'fewer than the 8-byte' },
  ];
  for (const { name, buffer, reason } of cases) {
    await page.locator('#import-file').setInputFiles({
      name,
      mimeType: 'application/octet-stream',
      buffer,
    });
    await expect(page.locator('#import-message')).toContainText('Not imported');
    await expect(page.locator('#import-message')).toContainText(reason);
    const after = await run(page);
    expect(after.options).toEqual(before.options);
    expect(after.builds).toBe(before.builds);
    expect(after.state).toBe('idle');
  }
});
