import { expect, test, type Page } from '@playwright/test';
import { run, trainFor, waitForState } from './dashboardPage.ts';

/**
 * The "rollback copy" box (issue 15): unticked, the run drops the optimizer's GPU copy of the
 * step before (θ, m, v with Adam: 12 B per parameter), the link says rollback=false, and the run
 * goes on from where it was with the same numbers.
 */

/** Unticks or ticks the box and waits until the run is rebuilt and resting again. */
async function setRollback(page: Page, on: boolean) {
  const before = await run(page);
  await page.locator('#rollback').setChecked(on);
  await page.waitForFunction(
    ({ builds, on }) => {
      const r = window.jetpinn.run;
      return (
        r !== undefined &&
        r.builds > builds &&
        r.rollback === on &&
        (r.state === 'idle' || r.state === 'paused')
      );
    },
    { builds: before.builds, on },
    { timeout: 60_000 },
  );
  return run(page);
}

test('without the rollback copy the run holds 12 B per parameter less, as estimated', async ({
  page,
}) => {
  const [d, width] = [20_000, 32];
  const link = `/?est=sparse&dim=${d}&B=16&points=32&width=${width}&depth=3`;
  await page.goto(link);
  const kept = await waitForState(page, 'idle');
  expect(kept.rollback).toBe(true);
  await expect(page.locator('#rollback')).toBeChecked();
  await expect(page.locator('#memory-estimate')).toContainText('12.0 B of it the rollback copy');

  const dropped = await setRollback(page, false);
  expect(new URL(page.url()).searchParams.get('rollback')).toBe('false');
  // d → 32 → 32 → 32 → 1 with Adam; without the copy the update binds three 4-byte stand-ins
  // (the loss and verdict of a step that has none, the inline entries' norm partials).
  const parameters = (d + 1) * width + 2 * (width + 1) * width + (width + 1);
  expect(kept.memoryBytes - dropped.memoryBytes).toBe(12 * parameters - 12);
  expect(kept.estimatedMemoryBytes - dropped.estimatedMemoryBytes).toBe(12 * parameters - 12);
  await expect(page.locator('#memory-estimate')).toContainText('without the rollback copy');

  // The link opens the same run without the copy.
  await page.goto(new URL(page.url()).search);
  const reopened = await waitForState(page, 'idle');
  expect(reopened.rollback).toBe(false);
  await expect(page.locator('#rollback')).not.toBeChecked();
  expect(reopened.memoryBytes).toBe(dropped.memoryBytes);
});

test('unticking the copy mid-run continues it bit for bit; a bad value is named', async ({
  page,
}) => {
  const link = '/?steps=30&warmup=0';
  await page.goto(link);
  await waitForState(page, 'idle');
  await page.locator('#play').click();
  const straight = await waitForState(page, 'done');

  await page.goto(`${link}&rollback=maybe`);
  const first = await waitForState(page, 'idle');
  expect(first.optionsMessage).toContain('rollback must be true or false, got "maybe"');
  expect(first.rollback).toBe(true);
  const paused = await trainFor(page, 10);
  const dropped = await setRollback(page, false);
  expect(dropped.step).toBe(paused.step);
  await page.locator('#play').click();
  const resumed = await waitForState(page, 'done');
  expect(resumed.lossSteps).toEqual(straight.lossSteps);
  expect(resumed.losses).toEqual(straight.losses);
});
