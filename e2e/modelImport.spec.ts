import { expect, test } from '@playwright/test';
import { parseModel } from '../src/engine/modelFile.ts';
import {
  downloadFrom,
  importModelFile,
  readDownload,
  refreshedField,
  run,
  trainFor,
  waitForState,
} from './dashboardPage.ts';

/**
 * Importing a model: a model the page exported is loaded into another page (another setup),
 * which takes over its options, weights and step and evaluates it; a broken file is refused with
 * its reason and leaves the run as it was.
 */

test('a model exported by the page imports into another page and is evaluated', async ({
  page,
}, testInfo) => {
  await page.goto('/?dim=6&B=2&points=32&width=16&depth=2&seed=5');
  await waitForState(page, 'idle');
  const trained = await trainFor(page, 30);
  const trainedField = await refreshedField(page);
  const text = await readDownload(await downloadFrom(page, '#export-model'));
  const model = parseModel(text);
  expect(model.metrics?.step).toBe(trained.step);

  // Another setup entirely: PDE, d, network and seed all differ.
  await page.goto('/?pde=poisson-two-body&dim=8&width=24&depth=3&seed=1');
  await importModelFile(page, {
    name: 'exported-model.json',
    mimeType: 'application/json',
    buffer: Buffer.from(text),
  });
  const imported = await run(page);
  expect(imported.importMessage).toContain('Imported exported-model.json');
  expect(imported.options).toMatchObject({
    pde: trained.options.pde,
    dimension: 6,
    width: 16,
    depth: 2,
    seed: 5,
  });
  expect(imported.step).toBe(trained.step);
  const url = new URL(page.url());
  expect(url.searchParams.get('dim')).toBe('6');
  expect(url.searchParams.get('seed')).toBe('5');
  await expect(page.locator('#dimension')).toHaveValue('6');
  // Scored against the exact solution on import.
  const evaluation = imported.evaluations.at(-1);
  expect(evaluation?.step).toBe(trained.step);
  expect(Number.isFinite(evaluation?.relativeL2)).toBe(true);
  expect(evaluation?.relativeL2).toBeGreaterThan(0);

  // The same weights on the same slice: the same numbers as in the page that trained them.
  const importedField = await refreshedField(page);
  expect(importedField.step).toBe(trained.step);
  expect(importedField.maxAbsError).toBe(trainedField.maxAbsError);
  expect(importedField.maxAbsResidual).toBe(trainedField.maxAbsResidual);
  expect(importedField.collocationRmsResidual).toBe(trainedField.collocationRmsResidual);
  const shot = testInfo.outputPath('imported.png');
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach('dashboard after importing a model', {
    path: shot,
    contentType: 'image/png',
  });

  // Training goes on from the imported weights.
  await page.locator('#step').click();
  await expect.poll(async () => (await run(page)).step).toBe(trained.step + 1);
});

test('a broken model file is refused with the reason and changes nothing', async ({ page }) => {
  await page.goto('/?dim=6&B=2&points=32&width=16&depth=2');
  const before = await waitForState(page, 'idle');
  const broken = [
    {
      name: 'truncated.json',
      text: '{"format":"jetpinn-model","version":1,"archi',
      reason: 'JSON',
    },
    {
      name: 'polluted.json',
      text: '{"format":"jetpinn-model","version":1,"__proto__":{"polluted":1}}',
      reason: '__proto__',
    },
    { name: '<img src=x onerror=alert(1)>.json', text: '[]', reason: 'not a usable model' },
  ];
  page.on('dialog', (dialog) => {
    throw new Error(`the import opened a dialog: ${dialog.message()}`);
  });
  for (const { name, text, reason } of broken) {
    await page.locator('#import-file').setInputFiles({
      name,
      mimeType: 'application/json',
      buffer: Buffer.from(text),
    });
    await expect(page.locator('#import-message')).toContainText('Not imported');
    await expect(page.locator('#import-message')).toContainText(reason);
    expect(await page.locator('#import-message *').count()).toBe(0);
    const after = await run(page);
    expect(after.options).toEqual(before.options);
    expect(after.builds).toBe(before.builds);
    expect(after.state).toBe('idle');
  }
  expect(await page.evaluate(() => (({}) as Record<string, unknown>).polluted)).toBeUndefined();
  expect(await page.locator('img').count()).toBe(0);
});
