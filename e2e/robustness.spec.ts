import { expect, test } from '@playwright/test';
import type { RunSnapshot } from '../src/ui/runSnapshot.ts';
import { pause, refreshedField, run, waitForState, waitForStep } from './dashboardPage.ts';

/**
 * The page survives losing its GPU device: the test destroys the device between two training
 * chunks (window.jetpinn.loseDevice), the run acquires a new one, restores the last CPU snapshot
 * and goes on, and its losses are those of a run that never lost anything.
 */

/** The logged losses by step. */
function lossesByStep(snapshot: RunSnapshot): Map<number, number> {
  return new Map(snapshot.lossSteps.map((step, i) => [step, snapshot.losses[i]]));
}

// A small network keeps both runs quick on SwiftShader.
const link = '/?dim=6&B=2&points=32&width=16&depth=2&steps=3000&seed=3';

for (const { when, immediately } of [
  { when: 'between two chunks', immediately: false },
  { when: 'in the middle of a chunk', immediately: true },
]) {
  test(`a device lost ${when} is replaced and training continues on the same trajectory`, async ({
    page,
  }, testInfo) => {
    await page.goto(link);
    await waitForState(page, 'idle');
    await page.locator('#play').click();
    await waitForStep(page, 70);

    const lost = await page.evaluate(async (now) => {
      const loseDevice = window.jetpinn.loseDevice;
      if (!loseDevice) throw new Error('the page exposes no loseDevice hook');
      return loseDevice(now);
    }, immediately);
    if (!lost) throw new Error('there was no run to lose the device of');
    const { snapshotEvery } = await run(page);
    expect(snapshotEvery).toBeGreaterThan(0);
    expect(lost.snapshotStep % snapshotEvery).toBe(0);
    // Between chunks, the last snapshot is the last multiple of snapshotEvery reached. In the
    // middle of one, a snapshot whose readback was already done may still land after the loss.
    const resumes = immediately
      ? [lost.snapshotStep, lost.snapshotStep + snapshotEvery]
      : [Math.floor(lost.step / snapshotEvery) * snapshotEvery];
    if (!immediately) expect(lost.snapshotStep).toBe(resumes[0]);

    await page.waitForFunction(() => (window.jetpinn.run?.recoveries.length ?? 0) >= 1, null, {
      timeout: 60_000,
    });
    await waitForStep(page, lost.step + 40);
    const recovered = await pause(page);
    expect(recovered.recoveries).toHaveLength(1);
    const [recovery] = recovered.recoveries;
    expect(recovery.reason).toBe('destroyed');
    expect(resumes).toContain(recovery.resumedFromStep);
    expect(recovery.lostAtStep).toBeGreaterThanOrEqual(lost.step);
    expect(recovery.lostAtStep).toBeGreaterThanOrEqual(recovery.resumedFromStep);
    expect(recovery.lostAtStep - recovery.resumedFromStep).toBeLessThanOrEqual(snapshotEvery);
    const message = page.locator('#recovery-message');
    await expect(message).toBeVisible();
    await expect(message).toContainText(
      `GPU device lost at step ${recovery.lostAtStep}; recovered from the snapshot at step ` +
        `${recovery.resumedFromStep}`,
    );
    // The recomputed steps replace the first report of them: one log per logged step, in order.
    expect(recovered.lossSteps).toEqual([...recovered.lossSteps].sort((a, b) => a - b));
    expect(new Set(recovered.lossSteps).size).toBe(recovered.lossSteps.length);
    const screenshot = testInfo.outputPath('recovered.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    await testInfo.attach('dashboard after a device loss', {
      path: screenshot,
      contentType: 'image/png',
    });

    // The same link in a fresh page, never losing its device, up to the same step.
    await page.goto(link);
    await waitForState(page, 'idle');
    await page.locator('#play').click();
    await waitForStep(page, recovered.step);
    const uninterrupted = await pause(page);
    expect(uninterrupted.recoveries).toHaveLength(0);

    const reference = lossesByStep(uninterrupted);
    const afterRecovery = recovered.lossSteps.filter((step) => step > recovery.resumedFromStep);
    expect(afterRecovery.length).toBeGreaterThanOrEqual(8);
    for (const step of recovered.lossSteps) expect(reference.has(step)).toBe(true);
    // Bit for bit: same seed, same points and jets, deterministic reductions, same device kind.
    expect(afterRecovery.map((step) => lossesByStep(recovered).get(step))).toEqual(
      afterRecovery.map((step) => reference.get(step)),
    );
    expect(recovered.losses).toEqual(recovered.lossSteps.map((step) => reference.get(step)));
  });
}

test('a device lost while paused is replaced at once; the views work without pressing Play', async ({
  page,
}) => {
  await page.goto(link);
  await waitForState(page, 'idle');
  await page.locator('#play').click();
  await waitForStep(page, 60);
  const paused = await pause(page);
  const lost = await page.evaluate(() => window.jetpinn.loseDevice?.() ?? null);
  if (!lost) throw new Error('there was no run to lose the device of');
  expect(lost.step).toBe(paused.step);
  const expectedResume = Math.floor(paused.step / paused.snapshotEvery) * paused.snapshotEvery;

  await page.waitForFunction(() => (window.jetpinn.run?.recoveries.length ?? 0) >= 1, null, {
    timeout: 60_000,
  });
  const recovered = await run(page);
  expect(recovered.recoveries[0]).toMatchObject({
    reason: 'destroyed',
    lostAtStep: paused.step,
    resumedFromStep: expectedResume,
  });
  // The run rests at the snapshot, its history cut back to it, and still paused.
  expect(recovered.state).toBe('paused');
  expect(recovered.step).toBe(expectedResume);
  expect(Math.max(...recovered.lossSteps)).toBe(expectedResume);
  await expect(page.locator('#recovery-message')).toContainText(
    `recovered from the snapshot at step ${expectedResume}`,
  );

  // The new device evaluates the slice at once (the views may have refreshed by themselves
  // while training, on the lost device: this is the refresh after the button).
  const field = await refreshedField(page);
  expect(field.step).toBe(expectedResume);
  expect(Number.isFinite(field.maxAbsError)).toBe(true);
  await expect(page.locator('#field-message')).not.toContainText('Could not');
});
