import { expect, test } from '@playwright/test';
import { run, trainFor, waitForState } from './dashboardPage.ts';

/**
 * The first-layer gain control: a link sets it and the control shows it; changing it rewrites the
 * link and restarts the run from freshly drawn weights (it changes the initial network, like the
 * seed); a bad value in a link is refused with a message naming `gain`; a classroom link can hide
 * it.
 */
const setup = 'pde=poisson-three-body&dim=10&B=2&points=32&width=16&depth=2&seed=3';

test('a link sets the gain; changing the control rewrites the link and restarts the run', async ({
  page,
}) => {
  await page.goto(`/?${setup}&gain=4`);
  const first = await waitForState(page, 'idle');
  expect(first.options).toMatchObject({ pde: 'poisson-three-body', dimension: 10 });
  expect(first.options.firstLayerGain).toBe(4);
  expect(first.optionsMessage).toBe('');
  await expect(page.locator('#first-layer-gain')).toHaveValue('4');
  await expect(page.locator('#first-layer-gain-hint')).toContainText('√(d+2)');

  const trained = await trainFor(page, 10);
  expect(trained.step).toBeGreaterThanOrEqual(10);
  const lossAtGain4 = trained.losses[0];
  expect(Number.isFinite(lossAtGain4)).toBe(true);

  await page.locator('#first-layer-gain').fill('2');
  await page.locator('#first-layer-gain').press('Enter');
  await page.waitForFunction(
    (builds) => {
      const r = window.jetpinn.run;
      return r?.state === 'idle' && r.builds > builds && r.options.firstLayerGain === 2;
    },
    trained.builds,
    { timeout: 60_000 },
  );
  const after = await run(page);
  // A restart, not a continuation: step 0, no history, every other option as before.
  expect(after.step).toBe(0);
  expect(after.losses).toEqual([]);
  expect(after.options).toEqual({ ...trained.options, firstLayerGain: 2 });
  expect(new URL(page.url()).searchParams.get('gain')).toBe('2');

  // The gain reaches the initial weights: the same seed's first logged loss differs.
  const retrained = await trainFor(page, 10);
  expect(retrained.lossSteps[0]).toBe(trained.lossSteps[0]);
  expect(Number.isFinite(retrained.losses[0])).toBe(true);
  expect(retrained.losses[0]).not.toBe(lossAtGain4);
});

test('a bad gain in a link is refused by name and the fan-in gain stands in', async ({ page }) => {
  await page.goto(`/?${setup}&gain=0`);
  const snapshot = await waitForState(page, 'idle');
  expect(snapshot.options.firstLayerGain).toBe(1);
  // The rest of the link still applies.
  expect(snapshot.options).toMatchObject({ pde: 'poisson-three-body', dimension: 10 });
  const message = page.locator('#options-message');
  await expect(message).toBeVisible();
  await expect(message).toContainText('gain: firstLayerGain must be a finite number in (0, 1000]');
  await expect(page.locator('#first-layer-gain')).toHaveValue('1');
  expect(new URL(page.url()).searchParams.get('gain')).toBe('1');

  // A value typed into the control that the trainer refuses is not applied either.
  await page.locator('#first-layer-gain').fill('-1');
  await page.locator('#first-layer-gain').press('Enter');
  await expect(message).toContainText('Not applied: firstLayerGain must be');
  await expect(page.locator('#first-layer-gain')).toHaveValue('1');
  expect((await run(page)).options.firstLayerGain).toBe(1);
});

test('a classroom link hides the gain and the gradient select', async ({ page }) => {
  await page.goto(`/?${setup}&gain=3&hide=gain,grad`);
  const snapshot = await waitForState(page, 'idle');
  expect(snapshot.options.firstLayerGain).toBe(3);
  expect(snapshot.optionsMessage).toBe('');
  for (const id of ['first-layer-gain', 'first-layer-gain-hint', 'gradient-estimator']) {
    await expect(page.locator(`#${id}`)).toBeHidden();
  }
  await expect(page.locator('label[for="first-layer-gain"]')).toBeHidden();
  await expect(page.locator('#activation')).toBeVisible();
  await expect(page.locator('#classroom-note')).toContainText('hides gain, grad');
});
