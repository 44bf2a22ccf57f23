import { describe, expect, it } from 'vitest';
import {
  collapsedSpeedups,
  flatnessRatios,
  scalingCharts,
  scalingSection,
} from '../../../bench/lib/reportSections.ts';
import type { Outcome } from '../../../bench/lib/outcome.ts';
import type { ScalingResults } from '../../../bench/lib/scalingTypes.ts';

const measured = (ms: number, memoryBytes = 2 ** 20): Outcome => ({
  status: 'measured',
  msPerStep: { median: ms, min: ms * 0.9, max: ms * 1.2, count: 3 },
  itPerSecond: { median: 1000 / ms, min: 1000 / (ms * 1.2), max: 1000 / (ms * 0.9), count: 3 },
  stepsPerWindow: 1,
  createMs: 1,
  warmupMs: ms,
  memoryBytes,
});

function results(): ScalingResults {
  const point = (estimator: string, dimension: number, outcome: Outcome) => ({
    setup: 'stde',
    estimator,
    dimension,
    estimatedBytes: 2 ** 21,
    ...outcome,
  });
  return {
    benchmark: 'scaling',
    date: '2026-01-01T00:00:00.000Z',
    runSeconds: 1,
    machine: {
      cpu: 'test',
      cores: 2,
      memoryGiB: 1,
      platform: 'test',
      node: 'v0',
      loadAtStart: 0,
      loadAtEnd: 0,
      note: '',
    },
    adapter: {
      summary: 'test adapter',
      vendor: 'test',
      architecture: 'test',
      description: '',
      isSoftware: true,
      maxBufferSize: null,
      maxStorageBufferBindingSize: null,
    },
    command: 'test',
    pde: 'allen-cahn-two-body',
    timing: { windows: 5, minWindows: 3, windowMs: 600, maxStepsPerWindow: 20 },
    budgetSeconds: 10,
    setups: [
      {
        id: 'stde',
        label: 'STDE',
        points: 100,
        width: 128,
        depth: 3,
        budgetShare: 1,
        perConfigS: 1,
      },
    ],
    estimators: [
      {
        id: 'sparse-16-collapsed',
        label: 'c',
        estimator: 'sparse',
        jetsPerPoint: 16,
        collapsed: true,
      },
      {
        id: 'sparse-16-standard',
        label: 's',
        estimator: 'sparse',
        jetsPerPoint: 16,
        collapsed: false,
      },
    ],
    dimensions: [100, 1000, 100_000],
    results: [
      point('sparse-16-collapsed', 100, measured(10)),
      point('sparse-16-standard', 100, measured(25)),
      point('sparse-16-collapsed', 1000, measured(20)),
      point('sparse-16-standard', 1000, { status: 'not-run', reason: 'too slow', probeMs: 99 }),
      point('sparse-16-collapsed', 100_000, measured(40)),
      point('sparse-16-standard', 100_000, { status: 'does-not-fit', reason: 'limit' }),
    ],
  };
}

describe('scaling report', () => {
  it('computes collapsed speedups only where both structures were measured', () => {
    expect(collapsedSpeedups(results())).toEqual([
      { setup: 'stde', jets: 16, dimension: 100, speedup: 2.5 },
    ]);
  });

  it('states t(100K)/t(100) from the medians', () => {
    expect(flatnessRatios(results())).toEqual([{ setup: 'stde', ratio: 4, low: 10, high: 40 }]);
  });

  it('charts measured points only and adds the A100 reference on the STDE setup', () => {
    const [rates, memory] = scalingCharts(results());
    const ours = rates.spec.series.filter((s) => !s.reference);
    expect(ours.map((s) => s.points.length)).toEqual([3, 1]);
    expect(rates.spec.series.filter((s) => s.reference).map((s) => s.label)).toEqual([
      'A100 (another machine): STDE, B = 100',
      'A100 (another machine): STDE, B = 16',
      'A100 (another machine): Forward Laplacian (exact)',
      'A100 (another machine): parallel backward SDGD',
    ]);
    // The not-run probe allocated its buffers, so its memory is drawn; the misfit has none.
    expect(memory.spec.series.filter((s) => !s.reference).map((s) => s.points.length)).toEqual([
      3, 1,
    ]);
  });

  it('prints every point that has no number with its reason', () => {
    const text = scalingSection(results(), 'bench/results').join('\n');
    expect(text).toContain('s, d = 1K: not run here — too slow');
    expect(text).toContain('s, d = 100K: does not fit — limit');
    expect(text).toContain('| c | 100 (83–110) | 50 (42–56) | 25 (21–28) |');
  });
});
