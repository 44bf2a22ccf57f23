import { expect, test } from '@playwright/test';
import { pause, refreshedField, run, waitForState, waitForStep } from './dashboardPage.ts';

/**
 * The first Play convinces (issue 18): the page with no link parameters trains to relative L2
 * ≤ 2·10⁻² by step 2000 and is still falling there. The run is dashboardDefaults
 * (src/ui/dashboardOptions.ts), measured in Node at 9.42e-3 at step 2000, the same digits as here.
 * The error heatmap's range (the field views' max |u_θ − u*| on their slice) is printed, not
 * asserted: it swings up to threefold within 20 steps around step 2000 (6.8e-3 … 2.0e-2 in
 * Node, docs/landing-sweep.md), so the issue's fivefold fall from step 200 holds at some steps and
 * not at others, and a test of it would pass or fail by where a pause lands.
 */
test('the landing run reaches relative L2 ≤ 2e-2 by step 2000 and is still falling there', async ({
  page,
}) => {
  test.setTimeout(420_000);
  await page.goto('/');
  const idle = await waitForState(page, 'idle');
  expect(idle.options).toMatchObject({ pde: 'allen-cahn-two-body', dimension: 6 });

  await page.locator('#play').click();
  await waitForStep(page, 200);
  const early = await pause(page);
  const first = await refreshedField(page);
  expect(first.step).toBe(early.step);

  await page.locator('#play').click();
  await page.waitForFunction(
    () => (window.jetpinn.run?.evaluations ?? []).some((e) => e.step === 2000),
    null,
    { timeout: 380_000 },
  );
  await pause(page);
  const late = await refreshedField(page);
  const done = await run(page);
  const errorAt = (step: number) => done.evaluations.find((e) => e.step === step)?.relativeL2;
  console.log(
    `landing run: relative L2 ${done.evaluations.map((e) => `${e.step}: ${e.relativeL2?.toExponential(2)}`).join(', ')}; ` +
      `error range ${first.maxAbsError.toExponential(2)} at step ${first.step}, ` +
      `${late.maxAbsError.toExponential(2)} at step ${late.step}`,
  );
  expect(errorAt(2000)).toBeLessThanOrEqual(2e-2);
  expect(errorAt(2000)!).toBeLessThan(errorAt(1000)!);
});
