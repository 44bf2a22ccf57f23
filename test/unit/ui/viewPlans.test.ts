/**
 * The plans of the page's views on the CPU (src/ui/viewPlans.ts, src/train/fieldSlice.ts,
 * src/train/jetInspection.ts): which views a problem has, how the field slice's batch of points
 * stays a few MiB at any d, and the buffers each view lists. test/gpu/viewPlans.test.ts checks
 * the same lists against what the views allocate.
 */
import { describe, expect, it } from 'vitest';
import { largestPlanned, plannedBytes } from '../../../src/gpu/bufferPlan.ts';
import { findPde } from '../../../src/pdes/index.ts';
import {
  insideCount,
  chunkRanges,
  planCollocationResidual,
  planFieldSlice,
  SLICE_BATCH_BYTES,
  slicePoints,
} from '../../../src/train/fieldSlice.ts';
import { planJetInspection } from '../../../src/train/jetInspection.ts';
import { architectureOf, resolveTrainingOptions } from '../../../src/train/options.ts';
import { DEFAULT_TRAINING_LIMITS } from '../../../src/train/trainingPlan.ts';
import { baseFor, dashboardDefaults } from '../../../src/ui/dashboardOptions.ts';
import { FIELD_RESOLUTION, planViews } from '../../../src/ui/viewPlans.ts';

const limits = DEFAULT_TRAINING_LIMITS;
const allenCahn = findPde('allen-cahn-two-body');
if (allenCahn.domain !== 'ball') throw new Error('a ball problem was expected');

/** The dashboard's run with sparse STDE at d = 10 (its sizes are what these numbers were taken at). */
const options = (overrides: Record<string, unknown>) =>
  resolveTrainingOptions({
    ...dashboardDefaults,
    dimension: 10,
    estimator: 'sparse',
    ...overrides,
  });

describe('the field slice plan', () => {
  it('holds the whole grid in one batch at small d, and 4 MiB of points at large d', () => {
    const cells = insideCount(FIELD_RESOLUTION);
    expect(cells).toBe(1804);
    const small = planFieldSlice(allenCahn, architectureOf(options({})), FIELD_RESOLUTION, limits);
    expect(small).toMatchObject({ count: cells, batch: cells });
    expect(small.named.points.bytes).toBe(cells * 10 * 4);

    const d = 100_000;
    const large = planFieldSlice(
      allenCahn,
      architectureOf(options({ dimension: d, jetsPerPoint: 16, points: 32 })),
      FIELD_RESOLUTION,
      limits,
    );
    expect(large.batch).toBe(Math.floor(SLICE_BATCH_BYTES / (4 * d)));
    expect(large.named.points.bytes).toBeLessThanOrEqual(SLICE_BATCH_BYTES);
    // The grid's results stay whole: two rows, u* and r per cell inside.
    expect(large.named.rows.bytes).toBe(cells * 2 * 4);
    expect(large.named.residual?.bytes).toBe(cells * 4);
    // The batches, not the 722 MB the grid's points would take at full d.
    expect(plannedBytes(large.buffers)).toBeLessThan(cells * d * 4);
    expect(large.residual?.named.residual.bytes).toBe(large.batch * 4);
    // Without its residual: the values' buffers alone, none of the exact operator's d jets.
    const values = planFieldSlice(
      allenCahn,
      architectureOf(options({ dimension: d, jetsPerPoint: 16, points: 32 })),
      FIELD_RESOLUTION,
      limits,
      SLICE_BATCH_BYTES,
      false,
    );
    expect(values.residual).toBeNull();
    expect(values.named.residual).toBeNull();
    const residualBuffers = [...(large.residual?.buffers ?? []), large.named.residual];
    expect(values.buffers).toEqual(large.buffers.filter((b) => !residualBuffers.includes(b)));
    expect(plannedBytes(large.buffers) - plannedBytes(values.buffers)).toBe(
      plannedBytes(residualBuffers.filter((b) => b !== null)),
    );
  });

  it('puts at least one point in a batch, however large d', () => {
    const plan = planFieldSlice(
      allenCahn,
      architectureOf(options({ dimension: 2_000_000, jetsPerPoint: 16, points: 8 })),
      FIELD_RESOLUTION,
      limits,
    );
    expect(plan.batch).toBe(1);
  });

  it('writes batch after batch of the grid points, the short last one included', () => {
    const slice = { i: 2, j: 0, resolution: 6 };
    const all = slicePoints(3, slice);
    const count = insideCount(6);
    expect(all.length).toBe(count * 3);
    const firsts = Array.from({ length: Math.ceil(count / 5) }, (_, b) => 5 * b);
    const batches = firsts.map((first) => slicePoints(3, slice, first, 5));
    expect(count % 5).not.toBe(0);
    expect(batches.at(-1)?.length).toBe((count % 5) * 3);
    expect(Array.from(batches.flatMap((b) => Array.from(b)))).toEqual(Array.from(all));
    // Every coordinate but i and j is 0.
    for (let p = 0; p < count; p++) expect(all[p * 3 + 1]).toBe(0);
  });
});

describe('the residual view and the inspector plans', () => {
  it("the residual view draws the run's own points and takes them through the exact residual", () => {
    const run = options({ dimension: 20, points: 24 });
    const plan = planCollocationResidual(allenCahn, run, architectureOf(run), limits);
    // The step, then the range of points of the chunk being written.
    expect(plan.counter.bytes).toBe(3 * 4);
    // Regenerated: no N·d buffer, the scales and ‖x‖² alone (one block of sums a point).
    expect(plan.draw.source.storage).toBe('regenerated');
    expect(plan.draw.named.points.bytes).toBe(4);
    expect(plan.draw.named.partials.bytes).toBe(24 * (1 + 2 + 1) * 4);
    // 24 points of 1 + 20 + 1 collapsed rows fit one chunk of 16 384 rows: one range.
    expect(plan.residual.chunk).toBe(24);
    expect(plan.ranges.bytes).toBe(2 * 4);
    expect(plan.residual.named.chunkPoints.bytes).toBe(24 * 20 * 4);
    expect(plan.residual.named.residual.bytes).toBe(24 * 4);
    expect(plan.buffers).toEqual([
      plan.counter,
      plan.ranges,
      ...plan.draw.buffers,
      ...plan.residual.buffers,
    ]);
    // At d = 10⁶ with 300 points the view holds one point's coordinates, not 1.12 GiB of them.
    const large = options({ dimension: 1_000_000, points: 300, jetsPerPoint: 16 });
    const atScale = planCollocationResidual(allenCahn, large, architectureOf(large), limits);
    expect(atScale.residual.chunk).toBe(1);
    expect(atScale.residual.named.chunkPoints.bytes).toBe(1_000_000 * 4);
    expect(atScale.ranges.bytes).toBe(300 * 2 * 4);
    // A point's 10⁶ + 2 rows go through in groups of 16 384 (exactResidual.ts DirectionGroups):
    // its largest buffer is the groups' one-hot tangent table (8 bytes a direction, 8.1 MB), not
    // the 128 MB of one point's jets at width 32 nor the 1.2 GB the points would take.
    expect(atScale.residual.groups?.size).toBe(16_382);
    const largest = largestPlanned(atScale.buffers);
    expect(largest?.label).toBe('collocation view group tangent coefficients');
    expect(largest?.bytes).toBe(Math.ceil(1e6 / 16_382) * 16_382 * 2 * 4);
  });

  it('covers every point once with the residual chunks, the last one short', () => {
    expect(Array.from(chunkRanges(24, 5))).toEqual([0, 5, 5, 5, 10, 5, 15, 5, 20, 4]);
    expect(Array.from(chunkRanges(24, 24))).toEqual([0, 24]);
    expect(Array.from(chunkRanges(3, 1))).toEqual([0, 1, 1, 1, 2, 1]);
  });

  it("the inspector holds one point's jet of the operator's order", () => {
    const architecture = architectureOf(options({ dimension: 1000, jetsPerPoint: 16 }));
    const second = planJetInspection(architecture, 2, limits);
    const labels = second.map((b) => b.label);
    expect(labels).toContain('forward jet x');
    expect(second.find((b) => b.label === 'forward jet x')?.bytes).toBe(1000 * 4);
    // Dense tangents v_1, v_2 of d values each.
    expect(second.find((b) => b.label === 'forward jet tangents')?.bytes).toBe(2 * 1000 * 4);
    expect(plannedBytes(planJetInspection(architecture, 3, limits))).toBeGreaterThan(
      plannedBytes(second),
    );
    expect(() => planJetInspection(architecture, 0, limits)).toThrow(/order/);
  });
});

describe('the views a run has', () => {
  const names = (candidate: Record<string, unknown>) =>
    planViews(resolveTrainingOptions(candidate), limits).views.map((v) => v.name);

  it('a ball problem: the field slice, the residual view and the inspector', () => {
    expect(names({ ...dashboardDefaults })).toEqual([
      'field slice',
      'residual view',
      'jet inspector',
    ]);
  });

  it('a parabolic problem: the inspector, on (x, t)', () => {
    expect(names(baseFor(dashboardDefaults, 'semilinear-heat'))).toEqual(['jet inspector']);
  });

  it('a box problem: none', () => {
    expect(names(baseFor(dashboardDefaults, 'kdv-2d'))).toEqual([]);
  });

  it("the gPINN run's inspector pushes its operator's 7-jets (∂_jΔu)", () => {
    const run = options({ gpinnWeight: 0.1 });
    const inspector = planViews(run, limits).views.find((v) => v.name === 'jet inspector');
    expect(inspector?.buffers).toEqual(planJetInspection(architectureOf(run), 7, limits));
  });

  it("each view's bytes are its buffers'", () => {
    for (const view of planViews(options({ dimension: 300 }), limits).views) {
      expect(view.bytes).toBe(plannedBytes(view.buffers));
    }
  });
});
