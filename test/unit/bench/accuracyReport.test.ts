import { describe, expect, it } from 'vitest';
import { buildReport } from '../../../bench/lib/report.ts';
import {
  accuracyComparisons,
  accuracyTargetCell,
  isStdeSetup,
} from '../../../bench/lib/reportSections.ts';
import type {
  AccuracyPoint,
  AccuracyRun,
  StdeAccuracyResults,
} from '../../../bench/lib/stdeAccuracyTypes.ts';
import { resolveTrainingOptions } from '../../../src/train/options.ts';

const point = (step: number, relativeL2: number): AccuracyPoint => ({
  step,
  relativeL2,
  relativeL1: relativeL2 / 2,
  loss: 1,
});

function measured(dimension: number, jets: number, stde: number, l2s: number[]): AccuracyRun {
  const curve = l2s.map((l2, i) => point(i * 1000, l2));
  const trained = curve.slice(1);
  const best = trained.reduce((a, b) => ((b.relativeL2 ?? 1) < (a.relativeL2 ?? 1) ? b : a));
  return {
    status: 'measured',
    dimension,
    jetsPerPoint: jets,
    options: resolveTrainingOptions({ dimension, jetsPerPoint: jets }),
    stdeBestRelativeL2: stde,
    probe: {
      createMs: 1,
      warmupMs: 1,
      steps: 2,
      ms: 2,
      itPerSecond: 1000,
      evaluationMs: 1,
      evaluations: 2,
      predictedSeconds: 10,
      memoryBytes: 1,
    },
    steps: 2000,
    final: curve[curve.length - 1],
    best,
    bestRelativeL1: Math.min(...trained.map((p) => p.relativeL1 ?? 1)),
    curve,
    itPerSecond: 1000,
    trainingSeconds: 2,
    evaluationSeconds: 1,
    wallSeconds: 3,
    memoryBytes: 1,
  };
}

const notRun: AccuracyRun = {
  status: 'not-run',
  dimension: 1000,
  jetsPerPoint: 16,
  options: resolveTrainingOptions({ dimension: 1000, jetsPerPoint: 16 }),
  stdeBestRelativeL2: 7.1e-4,
  reason: 'over budget',
  probe: null,
  curve: [],
};

function results(runs: AccuracyRun[], extra: Partial<StdeAccuracyResults> = {}) {
  const data: StdeAccuracyResults = {
    benchmark: 'stdeAccuracy',
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
    steps: 10_000,
    shortened: false,
    referenceSteps: 10_000,
    budgetSeconds: 60,
    firstLayerGain: 1,
    referenceSource: 'test',
    runs,
    ...extra,
  };
  return data;
}

/** The targets table's accuracy row of the report built from these results alone. */
function accuracyRow(data: StdeAccuracyResults): string {
  const { markdown } = buildReport({
    kernels: null,
    scaling: null,
    breakdown: null,
    highOrder: null,
    gpinn: null,
    peer: null,
    earlierPeerRuns: [],
    accuracy: { path: 'test.json', data },
  });
  const row = markdown.split('\n').find((l) => l.startsWith("| Accuracy: match or beat STDE's"));
  if (row === undefined) throw new Error('the report has no accuracy row');
  return row;
}

describe('accuracy against STDE in the report', () => {
  it('compares the best evaluation after step 0 with STDE, and only trained configurations', () => {
    const data = results([measured(100, 16, 1.9e-2, [0.9, 1.5e-2, 1.1e-2, 1.3e-2]), notRun]);
    expect(accuracyComparisons(data).map((c) => [c.label, c.ours, c.stde])).toEqual([
      ['d = 100, B = 16', 1.1e-2, 1.9e-2],
      ['d = 1K, B = 16', null, 7.1e-4],
    ]);
    expect(accuracyTargetCell(data)).toBe(
      "d = 100, B = 16: best 1.1e-2 vs STDE's 1.9e-2; d = 1K, B = 16: not run here",
    );
    expect(accuracyRow(data)).toContain('**met** on the 1 of 2 configurations trained');
  });

  it('is not met when one trained configuration is worse than STDE', () => {
    const data = results([
      measured(100, 16, 1.9e-2, [0.9, 1.5e-2]),
      measured(100, 100, 1.0e-2, [0.9, 1.2e-2]),
    ]);
    expect(accuracyRow(data)).toMatch(/\| \*\*not met\*\* +\|$/);
  });

  it('does not judge a shortened run or one with another first-layer gain', () => {
    const runs = [measured(100, 16, 1.9e-2, [0.9, 1.5e-2])];
    expect(isStdeSetup(results(runs))).toBe(true);
    for (const extra of [{ shortened: true, steps: 500 }, { firstLayerGain: 4 }]) {
      const data = results(runs, extra);
      expect(isStdeSetup(data)).toBe(false);
      expect(accuracyRow(data)).toMatch(/\| not measured +\|$/);
    }
    expect(accuracyTargetCell(results(runs, { shortened: true, steps: 500 }))).toMatch(
      /^shortened run only \(500 steps, not 10 000\): /,
    );
  });
});
