import { expect, test, type Page } from '@playwright/test';
import { parseModel } from '../src/engine/modelFile.ts';
import { referenceForwardJet } from '../src/jet/referenceJet.ts';
import type { EstimatorSnapshot } from '../src/ui/estimatorPanel.ts';
import type { JetInspectorSnapshot } from '../src/ui/jetInspector.ts';
import type { RunSnapshot } from '../src/ui/runSnapshot.ts';

/**
 * The teaching panels end to end on SwiftShader: the jet inspector's output jet against the
 * float64 reference on the exported weights and against the page's own u_θ(0, 0); the estimator
 * panel's histogram against the exact value, with the exact estimator's spread at zero. Numbers
 * come from `window.jetpinn.jet` / `.estimator`, bar counts from the SVG's data attributes.
 */

async function waitForState(page: Page, state: RunSnapshot['state']): Promise<RunSnapshot> {
  await page.waitForFunction((s) => window.jetpinn?.run?.state === s, state, { timeout: 90_000 });
  return page.evaluate(() => window.jetpinn.run as RunSnapshot);
}

async function stepTimes(page: Page, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const before = await page.evaluate(() => window.jetpinn.run?.step ?? 0);
    await page.locator('#step').click();
    await page.waitForFunction(
      (n) => window.jetpinn.run?.step === n && window.jetpinn.run.state === 'paused',
      before + 1,
      { timeout: 30_000 },
    );
  }
}

/** The inspector's numbers once it has drawn the weights of `step`. */
async function inspected(page: Page, step: number, refreshes = 1): Promise<JetInspectorSnapshot> {
  await page.waitForFunction(
    ([s, n]) => window.jetpinn.jet?.step === s && window.jetpinn.jet.refreshes >= n,
    [step, refreshes] as const,
    { timeout: 60_000 },
  );
  return page.evaluate(() => window.jetpinn.jet as JetInspectorSnapshot);
}

/** The estimator panel's numbers once it has drawn with `estimator` and B. */
async function estimated(
  page: Page,
  estimator: string,
  jetsPerPoint: number,
  samples: number,
): Promise<EstimatorSnapshot> {
  await page.waitForFunction(
    ([e, b, s]) => {
      const snapshot = window.jetpinn.estimator;
      return snapshot?.estimator === e && snapshot.jetsPerPoint === b && snapshot.samples === s;
    },
    [estimator, jetsPerPoint, samples] as const,
    { timeout: 60_000 },
  );
  return page.evaluate(() => window.jetpinn.estimator as EstimatorSnapshot);
}

async function readDownload(download: import('@playwright/test').Download): Promise<string> {
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

test('jet inspector and estimator panel on a ball problem', async ({ page }, testInfo) => {
  await page.goto('/?pde=allen-cahn-two-body&dim=8&est=sparse&B=2&points=16&width=16&depth=2');
  await waitForState(page, 'idle');
  await stepTimes(page, 3);

  await page.locator('#jet-inspector summary').click();
  const jet = await inspected(page, 3);
  expect(jet.order).toBe(2);
  expect(jet.point).toHaveLength(8);
  expect(Math.hypot(...jet.point)).toBeCloseTo(0.5, 6);
  expect(jet.tangents[0]).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);

  // The float64 reference on the weights the page exports gives the same output jet.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#export-model').click(),
  ]);
  const model = parseModel(await readDownload(download));
  expect(model.metrics?.step).toBe(3);
  const reference = referenceForwardJet(model.architecture, model.parameters, {
    point: jet.point,
    tangents: jet.tangents,
  }).derivatives[0];
  const scale = Math.max(...reference.map(Math.abs));
  for (let k = 0; k <= 2; k++) {
    expect(Math.abs(jet.derivatives[k] - reference[k])).toBeLessThanOrEqual(1e-5 * scale);
    expect(Math.abs(jet.referenceDerivatives[k] - reference[k])).toBeLessThanOrEqual(1e-12 * scale);
  }
  // The sparse estimator scales J_2 by d/B.
  expect(jet.scale).toBe(4);
  expect(jet.term).toBeCloseTo(4 * jet.derivatives[2], 10);
  await expect(page.locator('#jet-inspector table.jet-table').first()).toBeVisible();

  // Another coordinate: the inspector redraws with e_5.
  await page.locator('#jet-coordinate').fill('5');
  await page.locator('#jet-coordinate').dispatchEvent('change');
  await page.waitForFunction(() => window.jetpinn.jet?.tangents[0]?.[5] === 1, null, {
    timeout: 60_000,
  });

  await page.locator('#estimator-panel summary').click();
  await page.locator('#estimator-panel-samples').fill('300');
  await page.locator('#estimator-panel-samples').dispatchEvent('change');
  const sparse = await estimated(page, 'sparse', 2, 300);
  expect(sparse.step).toBe(3);
  expect(sparse.histogramSamples).toBe(300);
  await expect(page.locator('#estimator-histogram')).toHaveAttribute('data-samples', '300');
  const counts = await page
    .locator('#estimator-histogram rect.bar')
    .evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('data-count'))));
  expect(counts.reduce((a, b) => a + b, 0)).toBe(300);
  expect(Number.isFinite(sparse.mean)).toBe(true);
  expect(sparse.exact).not.toBeNull();
  const exactValue = sparse.exact ?? NaN;
  expect(sparse.standardDeviation).toBeGreaterThan(0);
  expect(Math.abs(sparse.mean - exactValue)).toBeLessThanOrEqual(
    4 * sparse.standardError + 1e-4 * Math.abs(exactValue),
  );

  // The spread the sampling without replacement predicts (to sampling error, ~4 % here).
  const predicted = sparse.predictedStandardDeviation ?? NaN;
  expect(Math.abs(sparse.standardDeviation / predicted - 1)).toBeLessThan(0.25);

  // More jets per estimate: a smaller spread around the same value.
  await page.locator('#estimator-panel-jets').fill('6');
  await page.locator('#estimator-panel-jets').dispatchEvent('change');
  const wider = await estimated(page, 'sparse', 6, 300);
  expect(wider.standardDeviation).toBeLessThan(sparse.standardDeviation);
  expect(wider.predictedStandardDeviation ?? NaN).toBeLessThan(predicted);

  await page.locator('#estimator-panel-estimator').selectOption('exact');
  const exact = await estimated(page, 'exact', 6, 300);
  expect(exact.jetsPerEstimate).toBe(8);
  expect(exact.predictedStandardDeviation).toBeNull();
  expect(exact.standardDeviation).toBeLessThanOrEqual(1e-6 * Math.abs(exactValue));
  expect(Math.abs(exact.mean - exactValue)).toBeLessThanOrEqual(1e-5 * Math.abs(exactValue));

  await page.locator('#estimator-panel-estimator').selectOption('rademacher');
  const dense = await estimated(page, 'rademacher', 6, 300);
  expect(Math.abs(dense.mean - exactValue)).toBeLessThanOrEqual(
    4 * dense.standardError + 1e-4 * Math.abs(exactValue),
  );
  await page.locator('#estimator-panel-estimator').selectOption('sparse');
  await page.locator('#estimator-panel-jets').fill('2');
  await page.locator('#estimator-panel-jets').dispatchEvent('change');
  await estimated(page, 'sparse', 2, 300);

  const screenshot = testInfo.outputPath('teaching-panels.png');
  await page.locator('#teaching').screenshot({ path: screenshot });
  await testInfo.attach('teaching panels', { path: screenshot, contentType: 'image/png' });
});

test('the inspector reads the u_θ(0, 0) the parabolic evaluation reports', async ({ page }) => {
  await page.goto('/?pde=semilinear-heat&dim=4&est=sparse&B=2&points=16&width=16&depth=2');
  const idle = await waitForState(page, 'idle');
  const evaluation = idle.evaluations.find((e) => e.step === 0);
  expect(evaluation?.value).toBeDefined();
  const value = evaluation?.value ?? NaN;

  await page.locator('#teaching-radius').fill('0');
  await page.locator('#teaching-radius').dispatchEvent('change');
  await page.locator('#jet-inspector summary').click();
  const jet = await inspected(page, 0);
  expect(jet.point).toEqual([0, 0, 0, 0, 0]);
  // The operator's jets carry v_2 = (1/d)·e_t, so J_2 = ∂²u/∂x_0² + u_t/d.
  expect(jet.tangents[1]).toEqual([0, 0, 0, 0, 0.25]);
  expect(Math.abs(jet.derivatives[0] - value)).toBeLessThanOrEqual(
    1e-6 * Math.max(1, Math.abs(value)),
  );

  // Stepping redraws the open inspector on the new weights.
  await stepTimes(page, 1);
  const stepped = await inspected(page, 1, 2);
  expect(stepped.derivatives[0]).not.toBe(jet.derivatives[0]);

  // While training, the open inspector redraws every 200 steps without stopping the run.
  await page.locator('#play').click();
  await page.waitForFunction(
    () => (window.jetpinn.jet?.step ?? 0) >= 200 && window.jetpinn.run?.state === 'running',
    null,
    { timeout: 90_000 },
  );
  await page.locator('#pause').click();
  const paused = await waitForState(page, 'paused');
  const last = await inspected(page, paused.step);
  expect(last.step).toBe(paused.step);
});

/** Text nodes under `#teaching` outside KaTeX's output (its MathML annotation is inside it). */
function textOutsideKatex(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const root = document.getElementById('teaching');
    if (!root) throw new Error('no #teaching');
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const texts: string[] = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.parentElement?.closest('.katex')) texts.push(node.textContent ?? '');
    }
    return texts;
  });
}

test('formulas are typeset by KaTeX, from the page itself, with their TeX kept', async ({
  page,
}) => {
  const origins = new Set<string>();
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol.startsWith('http')) origins.add(url.origin);
  });
  await page.goto('/?pde=allen-cahn-two-body&dim=8&est=sparse&B=2&points=16&width=16&depth=2');
  await waitForState(page, 'idle');
  await page.locator('#jet-inspector summary').click();
  await inspected(page, 0);
  await page.locator('#estimator-panel summary').click();
  await page.waitForFunction(() => window.jetpinn.estimator?.step === 0, null, { timeout: 60_000 });

  // Every formula: PDE and exact solution, the operator and its estimator, the sentence on the
  // estimate, the jet inspector's and the estimator panel's labels and readings.
  for (const selector of [
    '#pde-tex',
    '#operator-tex',
    '#estimate-explanation',
    'label[for="teaching-radius"]',
    'label[for="jet-direction"]',
    '#jet-inspector-message',
    '#jet-reading',
    '#jet-inspector table.jet-table caption',
    'label[for="estimator-panel-jets"]',
    '#estimator-panel-message',
    '#estimator-stats dt',
  ]) {
    expect(await page.locator(`${selector} .katex`).count(), selector).toBeGreaterThan(0);
  }
  await expect(page.locator('#pde-tex .katex-display')).toHaveCount(1);
  const tex = await page.locator('#pde-tex').getAttribute('data-tex');
  expect(tex).toContain(String.raw`\Delta u + u - u^3 = f \text{ in } B^d`);
  // The source stays copyable: KaTeX's MathML annotation holds it verbatim.
  await expect(page.locator('#pde-tex annotation[encoding="application/x-tex"]')).toHaveText(
    tex ?? '',
  );

  const outside = await textOutsideKatex(page);
  expect(outside.join(' ')).toContain('Each of the 16 residual points per step pushes');
  const raw = outside.filter((text) => /\\(frac|Delta|sum|text)\b/.test(text));
  expect(raw).toEqual([]);

  // KaTeX's fonts came with the page: loaded, and nothing was fetched from another origin.
  const loaded = await page.evaluate(async () => {
    await document.fonts.ready;
    return [...document.fonts]
      .filter((font) => font.status === 'loaded')
      .map((font) => font.family.replace(/["']/g, ''));
  });
  expect(loaded).toContain('KaTeX_Main');
  expect([...origins]).toEqual([new URL(page.url()).origin]);
});
