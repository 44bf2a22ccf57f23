import { expect, test } from '@playwright/test';
import { run, trainFor, waitForState } from './dashboardPage.ts';

/**
 * The operator-order slider of the diagonal family Σ_i ∂^k u/∂x_i^k = f (src/pdes/sinChain.ts):
 * hidden for other problems, each of its positions one problem of the zoo; moving it to k = 4
 * rebuilds the run with 4-jets, the teaching view names them and their 4! scale, and the run
 * trains (the acceptance bar itself is test/acceptance/training.test.ts's).
 */
test('the order slider at k = 4 trains with 4-jets and the teaching view names them', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await page.goto('/?width=16&depth=2&points=32');
  await waitForState(page, 'idle');
  await expect(page.locator('#operator-order-row')).toBeHidden();

  await page.goto(
    '/?pde=diagonal-order-2&dim=4&est=exact&points=32&width=24&depth=2&lr=0.01&warmup=0&steps=400&seed=0',
  );
  const second = await waitForState(page, 'idle');
  expect(second.jets).toEqual({ order: 2, directions: 4 });
  await expect(page.locator('#operator-order-row')).toBeVisible();
  await expect(page.locator('#operator-order-output')).toHaveText('2');

  // Slide to k = 4 as a user would: the thumb moves, then the change commits.
  await page.locator('#operator-order').fill('4');
  await page.waitForFunction(
    (builds) => {
      const r = window.jetpinn.run;
      return r?.state === 'idle' && r.builds > builds && r.options.pde === 'diagonal-order-4';
    },
    second.builds,
    { timeout: 60_000 },
  );
  const fourth = await run(page);
  expect(fourth.jets).toEqual({ order: 4, directions: 4 });
  expect(fourth.options).toMatchObject({ dimension: 4, estimator: 'exact' });
  expect(page.url()).toMatch(/[?&]pde=diagonal-order-4&/);
  await expect(page.locator('#pde')).toHaveValue('diagonal-order-4');
  await expect(page.locator('#operator-order-output')).toHaveText('4');
  const explanation = page.locator('#estimate-explanation');
  await expect(explanation).toContainText('4-jets with first tangent');
  await expect(explanation).toContainText('= 24');
  await expect(page.locator('#pde-tex')).toHaveAttribute('data-tex', /\\partial\^\{4\} u/);

  const trained = await trainFor(page, 100);
  const errors = trained.evaluations.map((e) => e.relativeL2 ?? NaN);
  console.log(`order 4 in the page: relative L2 ${errors.join(', ')}`);
  expect(trained.step).toBeGreaterThanOrEqual(100);
  expect(trained.losses.at(-1)!).toBeLessThan(trained.losses[0]);
});
