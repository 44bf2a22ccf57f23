import { expect, test } from '@playwright/test';
import { run, waitForState } from './dashboardPage.ts';

/**
 * The box problems (2-D KdV, 2-D KP, 1-D g-KdV) in the dashboard's PDE select: the form shows the
 * d and jets the problem fixes and lets nobody move them, the teaching view gives the construction,
 * the ball's views step aside, and a link trains 2-D KdV to the acceptance bar of
 * test/acceptance/highOrder.test.ts.
 */

/** Waits until a run of `pde` (built after build `builds`) rests. */
async function waitForPde(page: import('@playwright/test').Page, pde: string, builds: number) {
  await page.waitForFunction(
    ([id, n]) => {
      const r = window.jetpinn.run;
      return r?.state === 'idle' && r.builds > Number(n) && r.options.pde === id;
    },
    [pde, builds] as const,
    { timeout: 60_000 },
  );
  return run(page);
}

test('selecting 2-D KdV fixes d, the estimator and B; leaving it restores the ball setup', async ({
  page,
}) => {
  await page.goto('/?width=16&depth=2&points=32');
  const first = await waitForState(page, 'idle');
  await page.locator('#pde').selectOption('kdv-2d');
  const kdv = await waitForPde(page, 'kdv-2d', first.builds);
  expect(kdv.options).toMatchObject({ dimension: 2, estimator: 'exact', jetsPerPoint: 3 });
  expect(page.url()).toMatch(/[?&]pde=kdv-2d&dim=2&est=exact&B=3&/);
  for (const id of ['#dimension', '#dimension-slider', '#estimator', '#jets-per-point']) {
    await expect(page.locator(id)).toBeDisabled();
  }
  await expect(page.locator('#dimension')).toHaveValue('2');
  await expect(page.locator('#estimator')).toHaveValue('exact');
  await expect(page.locator('#estimate-explanation')).toContainText('3 jets of order 5');
  await expect(page.locator('#pde-tex')).toHaveAttribute('data-tex', /u_\{ty\}/);
  // The slice through the ball and the sampled-jet panels have nothing to show on the box.
  await expect(page.locator('#field-views')).toBeHidden();
  await expect(page.locator('#teaching-panels')).toBeHidden();
  // The estimate counts what the trainer allocates for the three 5-jets and the face data.
  expect(kdv.estimatedMemoryBytes / kdv.memoryBytes).toBeGreaterThan(0.9);
  expect(kdv.estimatedMemoryBytes / kdv.memoryBytes).toBeLessThan(1.1);

  await page.locator('#pde').selectOption('allen-cahn-two-body');
  const ball = await waitForPde(page, 'allen-cahn-two-body', kdv.builds);
  // The landing run's setup (dashboardDefaults): d = 6 with the exact Laplacian, whose B slider
  // stays off because it uses every direction.
  expect(ball.options).toMatchObject({ dimension: 6, estimator: 'exact', jetsPerPoint: 4 });
  for (const id of ['#dimension', '#dimension-slider', '#estimator']) {
    await expect(page.locator(id)).toBeEnabled();
  }
  await expect(page.locator('#jets-per-point')).toBeDisabled();
  await expect(page.locator('#field-views')).toBeVisible();
  expect(ball.optionsMessage).toBe('');
});

test('a 2-D KdV link trains to the acceptance bar against the exact kink', async ({ page }) => {
  test.setTimeout(240_000);
  // The acceptance run's settings (highOrder.test.ts: 2 × 24, 64 points, Adam 1e-2 decayed
  // linearly, no warm-up, 400 steps, seed 0; measured 1.76e-2 there, bar 3.5e-2), on the page's
  // test set.
  await page.goto(
    '/?pde=kdv-2d&points=64&width=24&depth=2&lr=0.01&sched=linear&warmup=0&steps=400&seed=0',
  );
  await waitForState(page, 'idle');
  await page.locator('#play').click();
  await page.waitForFunction(() => window.jetpinn.run?.state === 'done', null, {
    timeout: 200_000,
  });
  const done = await run(page);
  expect(done.step).toBe(400);
  const errors = done.evaluations.map((e) => e.relativeL2);
  console.log(`2-D KdV in the page: relative L2 ${errors.join(', ')}`);
  const last = done.evaluations.at(-1);
  expect(last?.step).toBe(400);
  expect(last?.relativeL2).toBeLessThan(3.5e-2);
  expect(errors[0]).toBeGreaterThan(0.1);
});
