import { expect, test } from '@playwright/test';
import { run, trainFor, waitForState } from './dashboardPage.ts';

/**
 * The backprop-free modes in the page: a link selects the gradient estimator, the control shows
 * it, the run trains with finite losses, and it holds less GPU memory than backprop on the same
 * setup (no stored layer jets).
 */
const setup = 'dim=6&B=2&points=64&width=16&depth=4&seed=2';

test('SPSA from a link trains with finite losses and less GPU memory than backprop', async ({
  page,
}) => {
  await page.goto(`/?${setup}&grad=backprop`);
  const backprop = await waitForState(page, 'idle');
  expect(backprop.options.gradientEstimator).toBe('backprop');

  await page.goto(`/?${setup}&grad=spsa`);
  const idle = await waitForState(page, 'idle');
  expect(idle.options.gradientEstimator).toBe('spsa');
  await expect(page.locator('#gradient-estimator')).toHaveValue('spsa');
  expect(idle.memoryBytes).toBeLessThan(backprop.memoryBytes);

  const trained = await trainFor(page, 20);
  expect(trained.losses.length).toBeGreaterThan(0);
  expect(trained.losses.every(Number.isFinite)).toBe(true);
  expect((await run(page)).options.gradientEstimator).toBe('spsa');
  expect(page.url()).toContain('grad=spsa');
});

test('choosing the forward gradient in the control applies it and the run trains on', async ({
  page,
}) => {
  await page.goto(`/?${setup}`);
  await waitForState(page, 'idle');
  await page.locator('#gradient-estimator').selectOption('forward-gradient');
  await page.waitForFunction(
    () => window.jetpinn.run?.options.gradientEstimator === 'forward-gradient',
  );
  expect(page.url()).toContain('grad=forward-gradient');
  const trained = await trainFor(page, 10);
  expect(trained.losses.every(Number.isFinite)).toBe(true);
});
