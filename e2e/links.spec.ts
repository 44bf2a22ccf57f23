import { expect, test } from '@playwright/test';
import { dashboardDefaults } from '../src/ui/dashboardOptions.ts';
import { waitForState } from './dashboardPage.ts';

/**
 * A link's values are checked against each other, not each against the defaults: B = 16 stands
 * with the link's own d = 1000 (the default d = 10 would refuse it), and a combination that
 * cannot run is refused with both of its keys named.
 */

test('a link keeps B = 16 with its own d = 1000', async ({ page }) => {
  expect(dashboardDefaults.dimension).toBeLessThan(16);
  await page.goto('/?dim=1000&B=16&points=32&width=32');
  const idle = await waitForState(page, 'idle');
  expect(idle.optionsMessage).toBe('');
  expect(idle.options).toMatchObject({ dimension: 1000, jetsPerPoint: 16, points: 32, width: 32 });
  await expect(page.locator('#options-message')).toBeHidden();
  await expect(page.locator('#jets-output')).toHaveText('16');
});

test('an impossible combination is refused naming both keys', async ({ page }) => {
  await page.goto('/?dim=6&B=8&width=24');
  const idle = await waitForState(page, 'idle');
  const message = page.locator('#options-message');
  await expect(message).toBeVisible();
  await expect(message).toContainText('dim and B do not fit together');
  await expect(message).toContainText('jetsPerPoint = 8 of d = 6');
  expect(idle.options).toMatchObject({
    dimension: dashboardDefaults.dimension,
    jetsPerPoint: dashboardDefaults.jetsPerPoint,
    width: 24,
  });
});
