import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { parseModel } from '../src/engine/modelFile.ts';
import { readDownload, run, trainFor, waitForState } from './dashboardPage.ts';

/**
 * The dashboard end to end on SwiftShader: numbers come from `window.jetpinn.run`, which the
 * page fills from the same history it draws (runSnapshot.ts), never from pixels.
 */

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

test('Play trains, the chart shows every logged loss, Step takes one step, exports work', async ({
  page,
}, testInfo) => {
  await page.goto('/');
  const idle = await waitForState(page, 'idle');
  expect(idle.step).toBe(0);
  expect(idle.options).toMatchObject({ pde: 'allen-cahn-two-body', dimension: 6 });
  expect(idle.memoryBytes).toBeGreaterThan(0);

  const trained = await trainFor(page, 40);
  const losses = trained.losses;
  expect(losses.length).toBeGreaterThanOrEqual(8);
  for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
  const half = Math.floor(losses.length / 2);
  expect(mean(losses.slice(half))).toBeLessThan(mean(losses.slice(0, half)));
  expect(trained.iterationsPerSecond).toBeGreaterThan(0);

  // The raw loss path has one vertex per log (well below the 1000-point downsampling).
  const path = page.locator('#loss-chart path.series-loss');
  await expect(path).toHaveAttribute('data-points', String(losses.length));
  const d = (await path.getAttribute('d')) ?? '';
  expect(d.split(/[ML]/).filter((s) => s.trim() !== '').length).toBe(losses.length);
  expect((await run(page)).lossChartPoints).toBe(losses.length);

  // GPU memory over time: readings while training, the last one what the run holds now.
  const memory = (await run(page)).memorySamples;
  expect(memory.length).toBeGreaterThanOrEqual(2);
  expect(memory.at(-1)?.bytes).toBe(trained.memoryBytes);
  expect(memory.at(-1)?.step).toBe(trained.step);
  for (const sample of memory) expect(sample.bytes).toBeGreaterThan(0);
  await expect(page.locator('#memory-chart path.series-memory')).toHaveAttribute(
    'data-points',
    String(memory.length),
  );

  const before = trained.step;
  await page.locator('#step').click();
  await expect.poll(async () => (await run(page)).step).toBe(before + 1);
  await page.waitForTimeout(500);
  const stepped = await run(page);
  expect(stepped.step).toBe(before + 1);
  expect(stepped.state).toBe('paused');

  const screenshot = testInfo.outputPath('dashboard.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  await testInfo.attach('dashboard after training', { path: screenshot, contentType: 'image/png' });

  const [modelDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#export-model').click(),
  ]);
  const modelText = await readDownload(modelDownload);
  const model = parseModel(modelText);
  expect(model.architecture.widths).toEqual([6, 32, 32, 32, 1]);
  expect(model.training).toMatchObject({ pde: 'allen-cahn-two-body', dimension: 6, seed: 0 });
  expect(model.metrics?.step).toBe(before + 1);

  // The command-line tool (Dawn in Node) accepts the page's export and scores it on the test set
  // the page's options name.
  const modelPath = testInfo.outputPath('exported-model.json');
  writeFileSync(modelPath, modelText);
  const cli = ['--import', 'tsx', '--import', './scripts/register-node-loaders.mjs'];
  const { stdout } = await promisify(execFile)(process.execPath, [
    ...cli,
    ...['src/cli/main.ts', 'eval', '--model', modelPath, '--json'],
  ]);
  const score = JSON.parse(stdout) as { relativeL2: number; testPoints: number; pde: string };
  expect(score).toMatchObject({ pde: 'allen-cahn-two-body', testPoints: 2000 });
  expect(score.relativeL2).toBeGreaterThan(0);
  expect(score.relativeL2).toBeLessThan(10);

  const [csvDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#export-csv').click(),
  ]);
  const csv = (await readDownload(csvDownload)).trim().split('\n');
  expect(csv[0]).toBe('step,loss,gradient_norm,learning_rate,relative_l2,relative_l1');
  // One row per logged step plus the evaluation of the untrained network at step 0 (the step
  // taken above may have logged one more loss).
  expect(csv.length).toBe(1 + stepped.losses.length + 1);
});

test('settings rebuild the run and go into the URL; the link reproduces the run', async ({
  page,
}) => {
  // Values no thumb position stands on (log-scale points, width off the slider's step of 4)
  // must survive other settings changing.
  await page.goto('/?points=100&width=30');
  const first = await waitForState(page, 'idle');
  expect(first.options).toMatchObject({ points: 100, width: 30 });

  await page.locator('#dimension').fill('20');
  await page.locator('#dimension').press('Enter');
  await page.locator('#estimator').selectOption('rademacher');
  await page.waitForFunction(
    (builds) => {
      const r = window.jetpinn.run;
      return (
        r?.state === 'idle' &&
        r.builds >= builds + 2 &&
        r.options.dimension === 20 &&
        r.options.estimator === 'rademacher'
      );
    },
    first.builds,
    { timeout: 60_000 },
  );
  const url = new URL(page.url());
  expect(url.searchParams.get('dim')).toBe('20');
  expect(url.searchParams.get('est')).toBe('rademacher');
  expect(url.searchParams.get('points')).toBe('100');
  expect(url.searchParams.get('width')).toBe('30');
  await expect(page.locator('#estimate-explanation')).toContainText('every entry ±1');
  await expect(page.locator('#operator-tex')).toHaveAttribute('data-tex', /v_b/);

  const trained = await trainFor(page, 20);
  const firstLosses = trained.losses.slice(0, 4);
  expect(firstLosses.length).toBe(4);

  await page.goto(url.toString());
  const restored = await waitForState(page, 'idle');
  expect(restored.options).toEqual(trained.options);
  expect(restored.optionsMessage).toBe('');
  await expect(page.locator('#dimension')).toHaveValue('20');
  await expect(page.locator('#estimator')).toHaveValue('rademacher');
  const replayed = await trainFor(page, 20);
  // Same seed, same points, same jets, deterministic reductions: the same losses, bit for bit.
  expect(replayed.losses.slice(0, 4)).toEqual(firstLosses);
});

test('a malformed link shows why and falls back to the defaults, as text', async ({ page }) => {
  page.on('dialog', (dialog) => {
    throw new Error(`the link opened a dialog: ${dialog.message()}`);
  });
  await page.goto('/?dim=-5&pde=<script>alert(1)</script>&lr=fast');
  const snapshot = await waitForState(page, 'idle');
  expect(snapshot.options).toMatchObject({
    pde: 'allen-cahn-two-body',
    dimension: 6,
    learningRate: 0.005,
  });
  const message = page.locator('#options-message');
  await expect(message).toBeVisible();
  await expect(message).toContainText('dim: dimension must be an integer');
  await expect(message).toContainText('<script>alert(1)</script>');
  await expect(message).toContainText('lr: learningRate must be a finite number');
  expect(await message.locator('*').count()).toBe(0);
  expect(await page.locator('script', { hasText: 'alert' }).count()).toBe(0);
  // The page rewrites the link to the setup it actually runs.
  const url = new URL(page.url());
  expect(url.searchParams.get('dim')).toBe('6');
  expect(url.searchParams.get('pde')).toBe('allen-cahn-two-body');
});

test('a divergence stops the run, marks the step and keeps the weights', async ({ page }) => {
  // A deep linear network with a huge constant step, taken at once (no warm-up), overflows
  // float32 on its second step.
  await page.goto('/?act=identity&depth=6&lr=10&sched=constant&warmup=0');
  await waitForState(page, 'idle');
  await page.locator('#play').click();
  const diverged = await waitForState(page, 'diverged');
  expect(diverged.divergedAt).toBe(2);
  // Update 1 made the loss overflow: the last good weights are those of step 0.
  expect(diverged.step).toBe(0);
  expect(diverged.message).toContain('diverged at step 2');
  await expect(page.locator('#run-message')).toHaveAttribute('data-state', 'diverged');
  await expect(page.locator('#loss-chart .marker')).toHaveCount(1);
  await expect(page.locator('#loss-chart .marker').first()).toContainText('diverged at step 2');
  await expect(page.locator('#play')).toBeDisabled();

  // A smaller learning rate continues from the last good weights instead of starting over.
  await page.evaluate(() => {
    const slider = document.querySelector<HTMLInputElement>('#learning-rate')!;
    slider.value = '500';
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    slider.dispatchEvent(new Event('change', { bubbles: true }));
  });
  // Step 0 again: the run waits for Play as a fresh one does.
  const resumed = await waitForState(page, 'idle');
  expect(resumed.options.learningRate).toBeLessThan(1);
  expect(resumed.step).toBe(0);
  expect(resumed.divergedAt).toBe(2);
  // …and trains on at the smaller rate.
  const continued = await trainFor(page, 5);
  expect(continued.losses.every(Number.isFinite)).toBe(true);
  expect(continued.state).toBe('paused');
});

test('semilinear heat trains and reports u(0, 0) and its error against the reference', async ({
  page,
}) => {
  // d = 10 has a tabulated reference; a small network keeps the d one-hot terminal jets per
  // point quick on SwiftShader, yet big enough that the buffers the estimate counts dominate
  // the few fixed ones it leaves out.
  await page.goto('/?dim=10&B=2&points=64&width=32&depth=2');
  const first = await waitForState(page, 'idle');
  await page.locator('#pde').selectOption('semilinear-heat');
  await page.waitForFunction(
    (builds) => {
      const r = window.jetpinn.run;
      return r?.state === 'idle' && r.builds > builds && r.options.pde === 'semilinear-heat';
    },
    first.builds,
    { timeout: 60_000 },
  );
  expect(new URL(page.url()).searchParams.get('pde')).toBe('semilinear-heat');
  await expect(page.locator('#operator-tex')).toHaveAttribute('data-tex', /u_t\+\\Delta u/);
  await expect(page.locator('#estimate-explanation')).toContainText('terminal loss');

  const trained = await trainFor(page, 20);
  for (const loss of trained.losses) expect(Number.isFinite(loss)).toBe(true);
  const evaluation = trained.evaluations.at(-1);
  expect(Number.isFinite(evaluation?.value)).toBe(true);
  expect(Number.isFinite(evaluation?.pointRelativeError)).toBe(true);
  // The estimate counts the terminal batch: it lands near what the trainer allocated.
  expect(trained.estimatedMemoryBytes / trained.memoryBytes).toBeGreaterThan(0.9);
  expect(trained.estimatedMemoryBytes / trained.memoryBytes).toBeLessThan(1.1);
});

test('the field views draw u_θ, u* and the error on a slice through the ball', async ({ page }) => {
  // A small network keeps the slice's forward pass and the training quick on SwiftShader.
  await page.goto('/?dim=6&B=2&points=32&width=16&depth=2');
  await waitForState(page, 'idle');
  await trainFor(page, 20);
  await page.locator('#field-j').fill('4');
  await page.locator('#field-j').dispatchEvent('change');
  await page.waitForFunction(() => (window.jetpinn.field?.refreshes ?? 0) >= 1, null, {
    timeout: 30_000,
  });
  const field = await page.evaluate(() => window.jetpinn.field);
  if (!field) throw new Error('the page exposes no field views');
  expect(field).toMatchObject({ i: 0, j: 4, resolution: 48 });
  expect(field.step).toBe((await run(page)).step);
  expect(Number.isFinite(field.maxAbsError)).toBe(true);
  expect(field.maxAbsError).toBeGreaterThan(0);
  // Grid cells of [−1, 1]² whose centres lie inside the unit disc, counted independently.
  const centres = Array.from({ length: 48 }, (_, a) => -1 + (2 * a + 1) / 48);
  const cells = centres.flatMap((x) => centres.filter((y) => x * x + y * y < 1)).length;
  expect(field.cellsDrawn).toBe(cells);
  for (const id of ['field-network', 'field-exact', 'field-error', 'field-residual']) {
    await expect(page.locator(`#${id} canvas`)).toHaveAttribute('data-cells', String(cells));
  }
  // The residual of a barely trained network is far from zero, and finite everywhere.
  expect(field.residualCells).toBe(cells);
  expect(Number.isFinite(field.maxAbsResidual)).toBe(true);
  expect(field.maxAbsResidual).toBeGreaterThan(0);
  // The scatter shows the collocation points of the step the slice shows, one dot each.
  expect(field.collocationStep).toBe(field.step);
  expect(field.collocationPoints).toBe(32);
  await expect(page.locator('#residual-radius .dots')).toHaveAttribute('data-points', '32');
  await expect(page.locator('#residual-radius .dots circle')).toHaveCount(32);
  expect(Number.isFinite(field.collocationRmsResidual)).toBe(true);
  expect(field.collocationRmsResidual).toBeGreaterThan(0);
  // The residual statistics chart takes the same numbers, one point per measured step.
  const stats = (await run(page)).residualStats;
  expect(stats.at(-1)).toMatchObject({ step: field.step, rms: field.collocationRmsResidual });
  expect(stats.at(-1)?.maxAbs).toBeGreaterThanOrEqual(field.collocationRmsResidual);
  await expect(page.locator('#residual-chart path.series-residual-rms')).toHaveAttribute(
    'data-points',
    String(stats.length),
  );

  // Refresh on demand evaluates again, at the same step while paused.
  await page.locator('#field-refresh').click();
  await page.waitForFunction(() => (window.jetpinn.field?.refreshes ?? 0) >= 2, null, {
    timeout: 30_000,
  });
  const fieldShot = test.info().outputPath('field.png');
  await page.locator('#field-views').screenshot({ path: fieldShot });
  await test.info().attach('field views', { path: fieldShot, contentType: 'image/png' });
});
