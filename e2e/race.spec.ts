import { expect, test } from '@playwright/test';
import { waitForState } from './dashboardPage.ts';

/**
 * The race view from a link: two estimators train the link's problem in turns on the page's
 * device, both curves are drawn, and both start from the same untrained error (same weights, same
 * seed, same test set). test/gpu/race.test.ts shows each lane is bit for bit its solo run.
 */
test('a race of two estimators from a link runs both interleaved, shows both curves, and both start from the same loss', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await page.goto(
    '/?dim=4&B=2&points=16&width=8&depth=2&warmup=0&steps=150&seed=3&race=est:sparse,B:2|est:exact',
  );
  await waitForState(page, 'idle');
  await expect(page.locator('#race-lanes')).toHaveValue('est:sparse,B:2|est:exact');
  await page.locator('#race-start').click();
  await page.waitForFunction(() => window.jetpinn.race?.state === 'done', null, {
    timeout: 150_000,
  });
  const race = await page.evaluate(() => window.jetpinn.race!);
  expect(race.progress.map((lane) => lane.label)).toEqual(['sparse B = 2', 'exact']);
  expect(race.progress.map((lane) => lane.step)).toEqual([150, 150]);
  // Interleaved: the lanes alternate turn by turn (50 steps each), not one after the other.
  expect(race.chunks.map((chunk) => chunk.lane)).toEqual([0, 1, 0, 1, 0, 1]);
  const [sparse, exact] = race.progress;
  expect(sparse.evaluations[0]).toEqual(exact.evaluations[0]);
  expect(sparse.logs[0].step).toBe(exact.logs[0].step);
  // Both lanes trained: their error fell from the shared start.
  for (const lane of race.progress) {
    expect(lane.evaluations.at(-1)!.relativeL2!).toBeLessThan(lane.evaluations[0].relativeL2!);
  }
  for (const chart of ['#race-step-chart', '#race-time-chart']) {
    for (const lane of ['lane0', 'lane1']) {
      const points = await page.locator(`${chart} path.series-${lane}`).getAttribute('data-points');
      expect(Number(points), `${chart} ${lane}`).toBeGreaterThanOrEqual(4);
    }
  }
  await expect(page.locator('#race-table tbody tr')).toHaveCount(2);
  expect(page.url()).toContain('race=est%3Asparse%2CB%3A2%7Cest%3Aexact');
});

test('a classroom link fixes the race: hide=race hides the lane editor, the race stays', async ({
  page,
}) => {
  await page.goto('/?dim=4&B=2&points=16&width=8&depth=2&race=est:sparse,B:2|est:exact&hide=race');
  await waitForState(page, 'idle');
  await expect(page.locator('#race-lanes')).toBeHidden();
  await expect(page.locator('label[for="race-lanes"]')).toBeHidden();
  await expect(page.locator('#race-start')).toBeVisible();
  await expect(page.locator('#race-start')).toBeEnabled();
  expect(await page.evaluate(() => window.jetpinn.race?.lanes)).toBe('est:sparse,B:2|est:exact');
  expect(new URL(page.url()).searchParams.get('race')).toBe('est:sparse,B:2|est:exact');
});
