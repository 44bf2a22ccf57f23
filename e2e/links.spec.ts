import { expect, test } from '@playwright/test';
import { dashboardDefaults } from '../src/ui/dashboardOptions.ts';
import { waitForState } from './dashboardPage.ts';

/**
 * A link's values are checked against each other, not each against the defaults: B = 16 sparse
 * jets stand with the link's own d = 1000 (the default d = 6 would refuse them), and a
 * combination that cannot run is refused with every one of its keys named. The links name the sparse
 * estimator: the landing run's exact one uses every direction, so B ≤ d does not apply to it.
 */

test('a link keeps B = 16 with its own d = 1000', async ({ page }) => {
  expect(dashboardDefaults.dimension).toBeLessThan(16);
  await page.goto('/?est=sparse&dim=1000&B=16&points=32&width=32');
  const idle = await waitForState(page, 'idle');
  expect(idle.optionsMessage).toBe('');
  expect(idle.options).toMatchObject({ dimension: 1000, jetsPerPoint: 16, points: 32, width: 32 });
  await expect(page.locator('#options-message')).toBeHidden();
  await expect(page.locator('#jets-output')).toHaveText('16');
});

test('an impossible combination is refused naming every key in it', async ({ page }) => {
  // Sparse jets, d = 4, B = 8: each of the three is needed for the failure (the default exact
  // estimator or B = 4 would run, and without d = 4 the message would be another one).
  await page.goto('/?est=sparse&dim=4&B=8&width=24');
  const idle = await waitForState(page, 'idle');
  const message = page.locator('#options-message');
  await expect(message).toBeVisible();
  await expect(message).toContainText('dim, est and B do not fit together');
  await expect(message).toContainText('jetsPerPoint = 8 of d = 4');
  await expect(message).toContainText('all ignored');
  expect(idle.options).toMatchObject({
    estimator: dashboardDefaults.estimator,
    dimension: dashboardDefaults.dimension,
    jetsPerPoint: dashboardDefaults.jetsPerPoint,
    width: 24,
  });
});
