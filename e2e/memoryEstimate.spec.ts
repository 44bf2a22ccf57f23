import { expect, test } from '@playwright/test';
import { refreshedField, run, waitForState } from './dashboardPage.ts';

/**
 * The page's memory estimate against its GPU memory in use (issue 18: at ?dim=100000&B=16 the
 * page held 863 MiB and estimated 226 MiB). The estimate is the run's plan with the device's
 * limits plus the plans of the views drawn so far (src/ui/memoryEstimate.ts); both numbers come
 * from `window.jetpinn.run`.
 */

const within10Percent = (estimate: number, inUse: number) =>
  expect(Math.abs(estimate - inUse)).toBeLessThanOrEqual(0.1 * inUse);

test('at a d where the test set dominates, the estimate is within 10 % of the memory in use', async ({
  page,
}) => {
  const d = 20_000;
  await page.goto(`/?est=sparse&dim=${d}&B=16&points=32&width=32`);
  const idle = await waitForState(page, 'idle');
  expect(idle.options).toMatchObject({ dimension: d, jetsPerPoint: 16 });
  // The test set's points alone are most of what the page holds.
  expect(idle.options.testPoints * d * 4).toBeGreaterThan(0.8 * idle.memoryBytes);
  within10Percent(idle.estimatedMemoryBytes, idle.memoryBytes);
  // The views are not drawn yet; with them the estimate is more, and says what it leaves out.
  expect(idle.estimatedMemoryWithViewsBytes).toBeGreaterThan(idle.estimatedMemoryBytes);
  await expect(page.locator('#run-stats')).toContainText('with the views drawn');
  await expect(page.locator('#memory-estimate')).toContainText(
    'Not counted: the estimator panel’s sampling passes',
  );
});

test('with the field views and the jet inspector drawn, the estimate counts them', async ({
  page,
}) => {
  // The landing run, whose views hold more than the run itself.
  await page.goto('/');
  const idle = await waitForState(page, 'idle');
  within10Percent(idle.estimatedMemoryBytes, idle.memoryBytes);
  await refreshedField(page);
  await page.locator('#jet-inspector summary').click();
  await page.waitForFunction(() => (window.jetpinn.jet?.refreshes ?? 0) >= 1, null, {
    timeout: 60_000,
  });
  // The run's numbers are published at the next animation frame after a view draws.
  await page.evaluate(
    () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
  );
  const drawn = await run(page);
  expect(drawn.memoryBytes).toBeGreaterThan(2 * idle.memoryBytes);
  within10Percent(drawn.estimatedMemoryBytes, drawn.memoryBytes);
  // Every view the page has for a ball problem is drawn now.
  expect(drawn.estimatedMemoryBytes).toBe(drawn.estimatedMemoryWithViewsBytes);
});

test('a view the device cannot hold is not built, says why, and the rest is drawn', async ({
  page,
}) => {
  // The exact biharmonic's residual takes d² jets of d floats a point: 1.10 GiB in one buffer
  // at d = 420, past SwiftShader's 1 GiB binding. The run itself is 8 MiB; the slice's u_θ, u*
  // and error take one value a point.
  await page.goto('/?pde=biharmonic-clamped-sin-cos&dim=420&est=gaussian&B=4&points=16');
  const idle = await waitForState(page, 'idle');
  expect(idle.options).toMatchObject({ dimension: 420, estimator: 'gaussian' });
  await expect(page.locator('#memory-estimate')).toContainText(
    "the field slice's residual heatmap (not built: its slice chunk tangents needs 1.10 GiB in " +
      'one buffer',
  );
  await expect(page.locator('#memory-estimate')).toContainText(
    'the residual view (not built: its collocation view chunk tangents needs 1.10 GiB',
  );
  const field = await refreshedField(page);
  // The 48 × 48 grid's 1 804 cells inside the disc, against an untrained network.
  expect(field).toMatchObject({ cellsDrawn: 1804, residualCells: 0, collocationPoints: 0 });
  expect(field.maxAbsError).toBeGreaterThan(0);
  const message = page.locator('#field-message');
  await expect(message).toContainText(/^Step 0; /);
  await expect(message).toContainText(
    "The field slice's residual heatmap is not drawn for this run: its slice chunk tangents " +
      'needs 1.10 GiB',
  );
  await expect(message).toContainText('The residual view is not drawn for this run: its');
  // The jet inspector fits and inspects the fourth-order jet.
  await page.locator('#jet-inspector summary').click();
  await page.waitForFunction(() => (window.jetpinn.jet?.refreshes ?? 0) >= 1, null, {
    timeout: 60_000,
  });
  expect(await page.evaluate(() => window.jetpinn.jet?.order)).toBe(4);
  const drawn = await run(page);
  within10Percent(drawn.estimatedMemoryBytes, drawn.memoryBytes);
  expect(drawn.estimatedMemoryBytes).toBe(drawn.estimatedMemoryWithViewsBytes);
});
