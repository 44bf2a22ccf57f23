import { expect, test } from '@playwright/test';
import { waitForState } from './dashboardPage.ts';

/**
 * Classroom mode: `hide=` in a link hides the named controls (and their labels and emptied
 * groups), the link's values still apply, and the URL keeps the list as other settings change.
 */

test('a classroom link hides the chosen controls and keeps hiding them', async ({
  page,
}, testInfo) => {
  await page.goto('/?dim=6&B=2&points=32&width=16&depth=2&hide=pde,dim,act,seed,fields,export');
  const first = await waitForState(page, 'idle');
  // Hidden controls still take the link's values.
  expect(first.options).toMatchObject({ dimension: 6, jetsPerPoint: 2, width: 16 });
  expect(first.optionsMessage).toBe('');
  expect(await page.evaluate(() => window.jetpinn.classroom)).toEqual({
    hidden: ['pde', 'dim', 'act', 'seed', 'fields', 'export'],
  });

  for (const id of ['pde', 'dimension', 'dimension-slider', 'activation', 'seed']) {
    await expect(page.locator(`#${id}`)).toBeHidden();
  }
  for (const id of ['pde', 'dimension', 'activation', 'seed']) {
    await expect(page.locator(`label[for="${id}"]`)).toBeHidden();
  }
  await expect(page.locator('#field-views')).toBeHidden();
  await expect(page.locator('#export-model')).toBeHidden();
  await expect(page.locator('#export-csv')).toBeHidden();
  // What the lesson is about stays.
  for (const id of ['estimator', 'jets-per-point', 'width', 'depth', 'learning-rate', 'steps']) {
    await expect(page.locator(`#${id}`)).toBeVisible();
  }
  await expect(page.locator('#play')).toBeVisible();
  await expect(page.locator('#teaching')).toBeVisible();
  await expect(page.locator('#classroom-note')).toContainText('hides pde, dim, act, seed');

  // The help text documents the mode.
  await page.locator('#help summary').click();
  await expect(page.locator('#classroom-help')).toBeVisible();
  await expect(page.locator('#classroom-help')).toContainText('hide=');

  // Another setting rebuilds the run; the link still hides the same controls.
  await page.locator('#estimator').selectOption('rademacher');
  await page.waitForFunction(
    () =>
      window.jetpinn.run?.state === 'idle' && window.jetpinn.run.options.estimator === 'rademacher',
    null,
    { timeout: 60_000 },
  );
  const url = new URL(page.url());
  expect(url.searchParams.get('hide')).toBe('pde,dim,act,seed,fields,export');
  expect(url.searchParams.get('est')).toBe('rademacher');
  const shot = testInfo.outputPath('classroom.png');
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach('classroom mode', { path: shot, contentType: 'image/png' });

  await page.goto(url.toString());
  await waitForState(page, 'idle');
  await expect(page.locator('#dimension')).toBeHidden();
  await expect(page.locator('#estimator')).toHaveValue('rademacher');
});

test('an unknown name in hide= is reported as text and hides nothing else', async ({ page }) => {
  await page.goto('/?hide=dim,<b>x</b>');
  await waitForState(page, 'idle');
  const message = page.locator('#options-message');
  await expect(message).toContainText('hide: unknown control "<b>x</b>"');
  expect(await message.locator('*').count()).toBe(0);
  await expect(page.locator('#dimension')).toBeHidden();
  await expect(page.locator('#pde')).toBeVisible();
});
