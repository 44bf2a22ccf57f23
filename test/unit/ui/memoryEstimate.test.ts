/**
 * The page's memory estimate on the CPU (src/ui/memoryEstimate.ts): the run's plan with the
 * device's limits (the issue's link, ?dim=100000&B=16&points=32&width=32, held 863 MiB against an
 * estimate of about 226 MiB made with WebGPU's default binding size, which shrinks the test set's
 * batch), plus the views' plans; what it leaves out; the refusal and the d slider's top.
 */
import { describe, expect, it } from 'vitest';
import { estimateMemory, formatBytes, largestFitting } from '../../../src/train/memoryBudget.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../../../src/train/options.ts';
import type { TrainingExecution } from '../../../src/train/trainingPlan.ts';
import { dashboardDefaults } from '../../../src/ui/dashboardOptions.ts';
import {
  type BufferLimits,
  estimatePageMemory,
  heldBytes,
  leftOutText,
  maxDimension,
  memoryRefusal,
  pageExecution,
  pageStorage,
  parameterMemoryText,
  storageText,
  viewDropped,
  viewLeftOut,
} from '../../../src/ui/memoryEstimate.ts';

/** What SwiftShader's adapter grants in Chromium and Dawn. */
const device = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };
const MiB = 2 ** 20;

/** The dashboard's run with sparse STDE at d = 10 (its sizes are what these numbers were taken at). */
const options = (overrides: Record<string, unknown>) =>
  resolveTrainingOptions({
    ...dashboardDefaults,
    dimension: 10,
    estimator: 'sparse',
    ...overrides,
  });
const issueLink = options({ dimension: 100_000, jetsPerPoint: 16, points: 32, width: 32 });
/** The page's own controls: SPSA (with Adam, the page's optimizer), 3 × 128, 300 points. */
const pageSpsa = (dimension: number) =>
  options({
    dimension,
    jetsPerPoint: 16,
    points: 300,
    width: 128,
    depth: 3,
    gradientEstimator: 'spsa',
  });

/** Whether the page builds `base` at d with the storage it chooses (pageStorage) and its views. */
function pageFitsAt(
  base: TrainingOptions,
  d: number,
  limits: BufferLimits,
  execution?: TrainingExecution,
): boolean {
  const run = pageStorage({ ...base, dimension: d }, limits, execution).options;
  return memoryRefusal(estimatePageMemory(run, limits, execution), limits) === null;
}

describe("the page's memory estimate", () => {
  it("sizes the run with the device's limits: the issue's test set of 2 000 points", () => {
    const d = 100_000;
    const estimate = estimatePageMemory(issueLink, device);
    // A batch of the test set's points is the run's largest buffer: 671 of the 2 000 points, the
    // most that fit 256 MiB (testSet.ts EVALUATION_BATCH_BYTES; the whole set before that cap).
    expect(estimate.run.largest.bytes).toBe(671 * d * 4);
    expect(estimate.run.totalBytes).toBe(
      estimateMemory(issueLink, device.maxStorageBufferBindingSize, device).totalBytes,
    );
    // 863.6 MiB as the issue measured it, plus the forward jet's first-layer partials (4.5 MiB:
    // the first layer is split over d from d = 4096 on, forwardJet.ts firstLayerSplit) and the
    // ball draws' block sums (0.2 MiB: 25 blocks of 4096 coordinates a point, samplers.wgsl), less
    // the 1 329 test points a batch no longer holds (507.0 MiB) and their jets.
    expect(estimate.run.totalBytes / MiB).toBeCloseTo(360.3, 1);
    // What the page estimated before: the default 128 MiB binding holds 335 test points, not 671.
    expect(estimateMemory(issueLink).totalBytes).toBeLessThan(0.7 * estimate.run.totalBytes);
  });

  it('adds the views, each counted once drawn', () => {
    const estimate = estimatePageMemory(issueLink, device);
    const views = estimate.views.map((v) => v.name);
    expect(views).toEqual(['field slice', 'residual view', 'jet inspector']);
    const viewBytes = estimate.views.reduce((sum, v) => sum + v.bytes, 0);
    expect(estimate.totalBytes).toBe(estimate.run.totalBytes + viewBytes);
    expect(heldBytes(estimate, [])).toBe(estimate.run.totalBytes);
    expect(heldBytes(estimate, views)).toBe(estimate.totalBytes);
    const slice = estimate.views[0].bytes;
    expect(heldBytes(estimate, ['field slice'])).toBe(estimate.run.totalBytes + slice);
    // The slice's points go in batches: its views stay a fraction of the run at d = 10⁵.
    expect(viewBytes).toBeLessThan(0.3 * estimate.run.totalBytes);
    expect(estimate.largestBytes).toBe(estimate.run.largest.bytes);
    expect(estimate.leftOut).toEqual([]);
    expect(leftOutText(estimate)).toMatch(
      /^Not counted: the estimator panel’s sampling passes, freed/,
    );
  });

  it('leaves out, and says so, a view the device cannot bind: the exact biharmonic slice', () => {
    // The slice's residual takes the exact Δ²u, d² dense jets: 62 500 · 4 · 250 floats at d = 250.
    const biharmonic = options({
      pde: 'biharmonic-clamped-sin-cos',
      dimension: 250,
      estimator: 'gaussian',
      jetsPerPoint: 4,
    });
    const limits = { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 };
    const estimate = estimatePageMemory(biharmonic, limits);
    expect(estimate.leftOut.map((v) => v.name)).toEqual(['residual view']);
    // The slice without its residual heatmap: u_θ, u* and the error take one value a point.
    expect(estimate.views.map((v) => v.name)).toEqual(['field slice', 'jet inspector']);
    const [slice] = estimate.views;
    expect(viewDropped(estimate, 'field slice')).toEqual({
      what: 'residual heatmap',
      reason: expect.stringMatching(/^its slice chunk tangents needs 238\.4 MiB in one buffer/),
    });
    expect(slice.buffers.some((b) => b.label.includes('chunk'))).toBe(false);
    expect(viewLeftOut(estimate, 'field slice')).toBeNull();
    expect(leftOutText(estimate)).toMatch(
      /^Not counted: the field slice's residual heatmap \(not built: its slice chunk .*; the residual view \(not built: its collocation view chunk/,
    );
    // The run itself trains: the views that cannot be drawn do not refuse it.
    expect(memoryRefusal(estimate, limits)).toBeNull();
  });

  it('leaves out the views that would take the page over the budget, and still trains the run', () => {
    const full = estimatePageMemory(issueLink, device);
    const [slice, residual, inspector] = full.views;
    expect(residual.bytes).toBeGreaterThan(inspector.bytes);
    // Room for the run, the slice and the inspector: the residual view is left out, the
    // inspector after it still taken.
    const budgetBytes = full.run.totalBytes + slice.bytes + inspector.bytes;
    const limits = { ...device, budgetBytes };
    const estimate = estimatePageMemory(issueLink, limits);
    expect(estimate.views.map((v) => v.name)).toEqual(['field slice', 'jet inspector']);
    expect(estimate.totalBytes).toBe(budgetBytes);
    expect(viewLeftOut(estimate, 'residual view')).toBe(
      `its ${formatBytes(residual.bytes)} would take the page to ` +
        `${formatBytes(budgetBytes - inspector.bytes + residual.bytes)}, over the budget of ` +
        formatBytes(budgetBytes),
    );
    expect(viewLeftOut(estimate, 'field slice')).toBeNull();
    expect(leftOutText(estimate)).toMatch(/^Not counted: the residual view \(not built: its /);
    expect(memoryRefusal(estimate, limits)).toBeNull();
    // The run alone over the budget is refused, with its number.
    const refusal = memoryRefusal(full, { ...device, budgetBytes: full.run.totalBytes - 1 });
    expect(refusal).toMatch(/the run needs about 360\.3 MiB of GPU memory in all, over the budget/);
  });

  it("tops the d slider at the run's own top, the views that do not fit left out", () => {
    const base = options({ points: 32, width: 32 });
    const limits = { ...device, budgetBytes: 2 ** 30 };
    const top = maxDimension(base, limits);
    expect(pageFitsAt(base, top, limits)).toBe(true);
    expect(pageFitsAt(base, top + 1, limits)).toBe(false);
    // The run's own top with its points redrawn (the least it can store): the views add nothing.
    const redrawn = { ...base, pointStorage: 'regenerated' } as const;
    expect(top).toBe(largestFitting(redrawn, limits, 'dimension', 10_000_000));
    expect(top).toBeGreaterThan(largestFitting(base, limits, 'dimension', 10_000_000));
    // There the views are those that fit beside the run, within the budget.
    const atTop = estimatePageMemory(
      pageStorage({ ...base, dimension: top }, limits).options,
      limits,
    );
    expect(atTop.totalBytes).toBeLessThanOrEqual(2 ** 30);
    expect(atTop.leftOut.length).toBeGreaterThan(0);
  });

  it("fits every d below the slider's top: SPSA with 300 points", () => {
    const spsa = pageSpsa(1000);
    const without = pageExecution(false);
    const top = maxDimension(spsa, device, without);
    // Counted against the run, the views stopped the bisection at 622 456 while 10⁶ fitted (the
    // residual view's N·d points, which it held then, left it out past 9·10⁵, not at 8·10⁵).
    expect(top).toBeGreaterThan(1_000_000);
    for (let d = 100_000; d <= top; d += 100_000) {
      expect(pageFitsAt(spsa, d, device, without), `d = ${d}`).toBe(true);
    }
  });

  it('redraws the collocation points where only that fits: SPSA at d = 10⁶ with 300 points', () => {
    // The page's own controls, "rollback copy" unticked.
    const spsa = pageSpsa(1_000_000);
    // As the page runs it: no rollback copy, the field views' weight average.
    const without = pageExecution(false);
    // Stored, one step's 300 points are 1.12 GiB in one buffer.
    expect(memoryRefusal(estimatePageMemory(spsa, device, without), device)).toMatch(
      /the collocation points need 1\.12 GiB in one buffer/,
    );
    const choice = pageStorage(spsa, device, without);
    expect(choice.regenerated).toEqual(['pointStorage']);
    expect(choice.options).toEqual({ ...spsa, pointStorage: 'regenerated' });
    const estimate = estimatePageMemory(choice.options, device, without);
    expect(memoryRefusal(estimate, device)).toBeNull();
    // Every view is drawn whole: the exact Laplacian's 10⁶ + 2 rows a point go through in groups
    // of 16 384 (exactResidual.ts), where one point's jets took 1.5 GiB and left out the residual
    // view and the slice's residual heatmap.
    expect(estimate.leftOut).toEqual([]);
    expect(viewDropped(estimate, 'field slice')).toBeNull();
    expect(estimate.views.map((v) => v.name)).toEqual([
      'field slice',
      'residual view',
      'jet inspector',
    ]);
    expect(Math.max(...estimate.views.map((v) => v.bytes))).toBeLessThan(64 * MiB);
    expect(storageText(choice)).toMatch(/^Its collocation points are redrawn where they are read/);
    // A run that fits stored stays stored, even from options that said otherwise.
    const small = pageStorage({ ...spsa, dimension: 1000, pointStorage: 'regenerated' }, device);
    expect(small).toEqual({ options: { ...spsa, dimension: 1000 }, regenerated: [] });
    expect(storageText(small)).toBe('');
  });

  it("names the mode's bytes per parameter and the largest d that fits", () => {
    const base = options({ dimension: 1000, points: 32, width: 32, jetsPerPoint: 16 });
    const limits = { ...device, budgetBytes: 2 ** 30 };
    expect(base.estimator).toBe('sparse');
    // Sparse jets are the cheapest estimator, so this d is the slider's top too.
    const top = maxDimension(base, limits);
    // θ, g, Adam's m, v and the rollback copy of θ, m, v: 7 floats (parameterMemory.test.ts).
    expect(parameterMemoryText(base, limits)).toBe(
      `backprop + Adam holds 28.0 B per parameter (12.0 B of it the rollback copy after a ` +
        `divergence; unticking "rollback copy" or the CLI's --no-rollback leaves it out); ` +
        `d ≤ ${top} with these settings`,
    );
    // SGD's rollback copy is θ alone.
    expect(parameterMemoryText({ ...base, optimizer: 'sgd' }, limits)).toMatch(
      /^backprop \+ SGD holds 12\.0 B per parameter \(4\.0 B of it the rollback copy .*\); d ≤ \d+ with these settings$/,
    );
    const kdv = resolveTrainingOptions({ pde: 'kdv-2d' });
    expect(parameterMemoryText(kdv, limits)).toMatch(/leaves it out\); d fixed by the problem/);
  });

  it('counts a run without the rollback copy as 12 B per parameter less, and fits a larger d', () => {
    const base = options({ dimension: 1000, points: 32, width: 32, jetsPerPoint: 16 });
    const limits = { ...device, budgetBytes: 2 ** 30 };
    const without = { rollback: false };
    const withTop = maxDimension(base, limits);
    const withoutTop = maxDimension(base, limits, without);
    // 12 of 28 B per parameter go, but the jets and test points that grow with d stay: 1.74×
    // (1.23× while the views were counted against the run, which fixed their share).
    expect(withoutTop / withTop).toBeGreaterThan(1.6);
    expect(pageFitsAt(base, withoutTop, limits, without)).toBe(true);
    expect(pageFitsAt(base, withoutTop + 1, limits, without)).toBe(false);
    // 1000 → 32 → 32 → 32 → 1: the copy of θ, m, v is 12 B a parameter; without it the update
    // binds three 4-byte stand-ins (the loss and verdict of a step that has none, the two-point
    // entries' norm partials).
    const parameters = 1001 * 32 + 2 * 33 * 32 + 33;
    expect(
      estimatePageMemory(base, limits).run.totalBytes -
        estimatePageMemory(base, limits, without).run.totalBytes,
    ).toBe(12 * parameters - 12);
    expect(parameterMemoryText(base, limits, without)).toBe(
      `backprop + Adam holds 16.0 B per parameter without the rollback copy (12.0 B more with ` +
        `it): a divergence goes back to the last snapshot; d ≤ ${withoutTop} with these settings`,
    );
  });
});
