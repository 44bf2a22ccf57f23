/**
 * The scale benchmark's plans (bench/lib/scaleRun.ts, pure: no GPU) and its BENCHMARKS.md
 * section (bench/lib/reportScale.ts): the split plan says what splitting would need and that it
 * is not implemented, a configuration without a time says why, a quick check is labelled.
 */
import { describe, expect, it } from 'vitest';
import { FULL_KIT_PLAN, KIT_LIMITS, QUICK_KIT_PLAN } from '../../../bench/kit/plan.ts';
import { scaleSummary } from '../../../bench/kit/summaries.ts';
import { buildReport } from '../../../bench/lib/report.ts';
import { resolveTrainingOptions } from '../../../src/train/options.ts';
import { inputsOf } from '../../../bench/lib/reportFiles.ts';
import { scaleSection, scaleTargetRows, splitCell } from '../../../bench/lib/reportScale.ts';
import {
  planScale,
  type ScaleLimits,
  scaleConfigs,
  scaleOptions,
} from '../../../bench/lib/scaleRun.ts';
import {
  SCALE_DIMENSIONS,
  SCALE_SETUP,
  type ScaleOutcome,
  type ScaleResults,
} from '../../../bench/lib/scaleTypes.ts';

const GiB = 2 ** 30;
/** SwiftShader here: 1 GiB per binding and buffer; the CLI's 4 GiB budget; no host check. */
const SWIFTSHADER: ScaleLimits = {
  maxStorageBufferBindingSize: GiB,
  maxBufferSize: GiB,
  budgetBytes: 4 * GiB,
  hostBytes: null,
};
const [stde, spsa, subspace, forwardGradient] = scaleConfigs();

const measured = (ms: number, memoryBytes: number): ScaleOutcome => ({
  status: 'measured',
  createMs: 2000,
  warmupMs: [2 * ms],
  stepMs: [ms, 1.5 * ms],
  msPerStep: { median: 1.25 * ms, min: ms, max: 1.5 * ms, count: 2 },
  memoryBytes,
  predictedRunSeconds: (10_000 * 1.25 * ms) / 1000,
});

function results(dimensions = SCALE_DIMENSIONS): ScaleResults {
  const outcomes: Record<string, ScaleOutcome> = {
    [`${stde.id}@1000000`]: measured(200_000, 2.7 * GiB),
    [`${spsa.id}@1000000`]: measured(500_000, 1.7 * GiB),
    [`${subspace.id}@1000000`]: {
      status: 'not-run',
      reason: 'one warm-up step took 2900 s; a timed step would overrun the 3600 s budget',
      probeMs: 2_900_000,
    },
  };
  const configs = [stde, spsa, subspace];
  return {
    benchmark: 'scale',
    date: '2026-12-05T00:00:00.000Z',
    runSeconds: 4000,
    machine: {
      cpu: 'test',
      cores: 2,
      memoryGiB: 23.5,
      platform: 'test',
      node: 'v20',
      loadAtStart: 1,
      loadAtEnd: 2,
      note: '',
    },
    adapter: {
      summary: 'google swiftshader (software)',
      vendor: 'google',
      architecture: 'swiftshader',
      description: '',
      isSoftware: true,
      maxBufferSize: GiB,
      maxStorageBufferBindingSize: GiB,
    },
    command: 'npm run bench:scale',
    setup: { ...SCALE_SETUP },
    dimensions,
    defaultDimensions: dimensions === SCALE_DIMENSIONS,
    warmupSteps: 1,
    timedSteps: 2,
    budgetSeconds: 3600,
    fullRunSteps: 10_000,
    limits: { ...SWIFTSHADER, hostBytes: 11.75 * GiB },
    configs,
    results: dimensions.flatMap((d) =>
      configs.map((c) => {
        const plan = planScale(scaleOptions(c, d), SWIFTSHADER, c.rollback);
        return {
          config: c.id,
          dimension: d,
          plan,
          outcome: plan.problem
            ? { status: 'does-not-fit' as const, reason: plan.problem }
            : (outcomes[`${c.id}@${d}`] ?? measured(1000, 2 ** 20)),
        };
      }),
    ),
  };
}

describe('scale plans', () => {
  it('run every configuration without the rollback copy, SDZE with SGD by default', () => {
    expect(
      [stde, spsa, subspace].map((c) => [c.gradientEstimator, c.optimizer, c.rollback]),
    ).toEqual([
      ['backprop', 'adam', false],
      ['spsa', 'sgd', false],
      ['spsa-subspace', 'sgd', false],
    ]);
    expect([forwardGradient.gradientEstimator, forwardGradient.rollback]).toEqual([
      'forward-gradient',
      false,
    ]);
    expect(scaleConfigs('adam')[1].optimizer).toBe('adam');
  });

  it('fit SwiftShader at d = 1M in one binding each, the rollback copy too', () => {
    const plan = planScale(scaleOptions(stde, 1_000_000), SWIFTSHADER, false);
    expect(plan.problem).toBeNull();
    expect(plan.overBinding).toEqual([]);
    expect(plan.largest).toEqual({ label: 'parameters', bytes: plan.weightsBytes });
    // θ, g, m, v: 16 bytes per parameter (parameterMemory.test.ts).
    expect(plan.bytesPerParameter).toBeCloseTo(16, 1);
    // θ, m and v before the step, one buffer each: 12 B per parameter more, no larger buffer.
    const kept = planScale(scaleOptions(stde, 1_000_000), SWIFTSHADER, true);
    expect(kept.problem).toBeNull();
    expect(kept.largest).toEqual(plan.largest);
    // The update without the copy binds three 4-byte stand-ins (loss, verdict, norm partials).
    expect(kept.totalBytes - plan.totalBytes).toBe(12 * plan.parameterCount - 12);
    expect(splitCell(plan)).toBe('one binding each (largest 488.4 MiB ≤ 1.00 GiB)');
  });

  it('at d = 10M split SPSA, backprop and the forward gradient into parameter blocks', () => {
    const plan = planScale(scaleOptions(spsa, 10_000_000), SWIFTSHADER, false);
    // 26 rows of W₁ (40 MB each) per 1 GiB block: 5 blocks, none past the binding; the budget
    // alone refuses the run here.
    expect(plan.parameterBlocks).toBe(5);
    expect(plan.overBinding).toEqual([]);
    expect(plan.largest).toEqual({
      label: 'parameters (block 0)',
      bytes: 26 * 10_000_000 * 4,
    });
    // θ alone is parameter-sized: SPSA without the copy stores no trial point or gradient.
    expect(plan.problem).toMatch(
      /^the run needs about 5\.10 GiB of GPU memory in all, over the budget/,
    );
    expect(splitCell(plan)).toBe(
      '5 parameter blocks; one binding each (largest 991.8 MiB ≤ 1.00 GiB)',
    );
    // Backprop + Adam in the same blocks: θ, g, m, v, 5 buffers each, refused by the budget.
    const backprop = planScale(scaleOptions(stde, 10_000_000), SWIFTSHADER, false);
    expect(backprop.parameterBlocks).toBe(5);
    expect(backprop.overBinding).toEqual([]);
    expect(backprop.problem).toMatch(/^the run needs about 19\.40 GiB of GPU memory in all/);
    // The forward gradient's tangent pass takes the same blocks; with stored points (here on
    // purpose: regenerated ones store none) the 100·d floats are one buffer, which no split
    // covers: named with the bindings it would need.
    const tangent = planScale(
      resolveTrainingOptions({
        ...scaleOptions(stde, 10_000_000, 'stored'),
        gradientEstimator: 'forward-gradient',
        perturbationDirections: 1,
      }),
      SWIFTSHADER,
      false,
    );
    expect(tangent.parameterBlocks).toBe(5);
    expect(tangent.overBinding).toEqual([
      { label: 'samplers.wgsl:ball points', bytes: 4_000_000_000, bindingsAtLeast: 4 },
    ]);
    expect(splitCell(tangent)).toBe(
      'needs splitting, which this mode does not take: samplers.wgsl:ball points 3.73 GiB → ≥ 4 ' +
        'bindings of 1.00 GiB',
    );
    // A file recorded before parameter blocks has no count: its refusal says when it was made.
    expect(splitCell({ ...tangent, parameterBlocks: undefined })).toMatch(
      /^needs splitting \(recorded before parameter blocks existed\): samplers.wgsl:ball points/,
    );
  });
});

describe('the scale section of BENCHMARKS.md', () => {
  const section = scaleSection(results());
  const rows = section.filter((l) => l.startsWith('| ') && !l.startsWith('| configuration'));

  it('has a row per configuration and d, times where measured, the reason where not', () => {
    expect(rows).toHaveLength(6);
    expect(rows[0]).toContain('| STDE: sparse B = 16, backprop + Adam | 1M | 128 033 281 |');
    expect(rows[0]).toContain('| 250 s (200–300) | 690 h |');
    expect(rows[2]).toContain('not run here (one warm-up step: 2900 s)');
    expect(rows[2]).toContain('(from one warm-up step)');
    for (const row of rows.slice(3)) expect(row).toContain('does not fit');
    const text = section.join('\n');
    expect(text).toContain('Why some configurations have no time:');
    expect(text).toContain(
      'θ and every tensor of its layout (gradient, optimizer state, v of the forward gradient',
    );
    expect(text).not.toContain('A quick check');
  });

  it('labels a run at other d as a quick check', () => {
    const quick = scaleSection(results([1000, 20_000]));
    expect(quick[0]).toMatch(
      /^> \*\*A quick check, not the benchmark:\*\* this file ran at d = 1K, 20K/,
    );
  });

  it('states the d = 10M targets from the plans, θ split into blocks', () => {
    const [spsaRow, adamRow] = scaleTargetRows(results());
    // Regenerated points (the scale runs' default), θ split: the 4 GiB budget refuses SPSA.
    expect(spsaRow[1]).toBe('does not fit; planned 5.10 GiB, 1.07× the weights');
    expect(spsaRow[2]).toBe('**not met**');
    expect(adamRow[1]).toBe(
      "planned 19.40 GiB, 1.02× θ, g, m, v, in 5 parameter blocks (the plan of the current code on the run's limits)",
    );
    expect(adamRow[2]).toBe('**met**');
    expect(scaleTargetRows(null)[0][2]).toBe('not measured');
  });

  it('lists a later run at d = 10M alone after the full one, and takes its rows for the targets', () => {
    const full = { path: 'bench/results/scale-a.json', data: results() };
    const tenMillion = results([10_000_000]);
    const spsaAt10M = tenMillion.results.find((r) => r.config === spsa.id);
    if (!spsaAt10M) throw new Error('no SPSA row');
    spsaAt10M.outcome = measured(2_800_000, 10.6 * GiB);
    const later = {
      path: 'bench/results/scale-a-dims10000000.json',
      data: { ...tenMillion, date: '2026-12-07T00:00:00.000Z' },
    };
    const inputs = inputsOf([later, full]);
    expect(inputs.scale?.path).toBe(full.path);
    expect(inputs.laterScale?.map((r) => r.path)).toEqual([later.path]);
    const { markdown } = buildReport(inputs, [], []);
    expect(markdown).toContain(
      'A later run at d = 10M alone, from `bench/results/scale-a-dims10000000.json`',
    );
    const [spsaRow] = scaleTargetRows(full.data, [later.data]);
    expect(spsaRow[1]).toBe('2.22× (10.60 GiB measured), 3500 s per step');
    expect(spsaRow[2]).toBe('**not met**');
    // An older 10M-only run stays out.
    const older = { ...later, data: { ...later.data, date: '2026-12-01T00:00:00.000Z' } };
    expect(inputsOf([older, full]).laterScale).toEqual([]);
  });

  it('lists a later run at d = 1M alone, and keeps runs at other d out', () => {
    const full = { path: 'bench/results/scale-a.json', data: results() };
    const date = '2026-12-08T00:00:00.000Z';
    const oneMillion = {
      path: 'bench/results/scale-a-dims1000000.json',
      data: { ...results([1_000_000]), date },
    };
    const quick = {
      path: 'bench/results/scale-a-dims1000.json',
      data: { ...results([1000]), date },
    };
    const inputs = inputsOf([oneMillion, quick, full]);
    expect(inputs.laterScale?.map((r) => r.path)).toEqual([oneMillion.path]);
    const { markdown } = buildReport(inputs, [], []);
    expect(markdown).toContain(
      'A later run at d = 1M alone, from `bench/results/scale-a-dims1000000.json`',
    );
    expect(markdown).toMatch(/\| scale, d = 1M +\|/);
    // A run at one of the benchmark's own d is no quick check.
    expect(markdown).not.toContain('this file ran at d = 1M,');
    // Its d = 1M rows are no target's: the targets keep the full run's d = 10M rows.
    expect(scaleTargetRows(full.data, [oneMillion.data])).toEqual(scaleTargetRows(full.data));
  });

  it('goes into § 1 after the memory per parameter, and the runs table, from the newest full run', () => {
    const full = { path: 'bench/results/scale-a.json', data: results() };
    const quick = {
      path: 'bench/results/scale-a-dims1000.json',
      data: { ...results([1000]), date: '2026-12-06T00:00:00.000Z' },
    };
    const inputs = inputsOf([quick, full]);
    expect(inputs.scale?.path).toBe(full.path);
    const { markdown } = buildReport(inputs, [], ['### Memory per parameter by mode', '']);
    const at = markdown.indexOf('### Scale: d = 1M and 10M');
    expect(at).toBeGreaterThan(markdown.indexOf('### Memory per parameter by mode'));
    expect(at).toBeLessThan(markdown.indexOf('## 2. High-order operators'));
    expect(markdown).toMatch(/\| scale \| 2026-12-05 00:00 \|/);
    expect(buildReport(inputsOf([])).markdown).toContain('Not run (no scale results file');
  });
});

describe("the GPU kit's scale run", () => {
  it('runs all four modes at d = 1M and 10M, SPSA first at each, within the kit', () => {
    const { scale } = FULL_KIT_PLAN;
    expect(scale.dimensions).toEqual([1_000_000, 10_000_000]);
    expect(scale.configs.map((c) => c.id)).toEqual([
      spsa.id,
      stde.id,
      forwardGradient.id,
      subspace.id,
    ]);
    // STDE's backprop + Adam at d = 10M plans 19.4 GiB: past the CLI's 4 GiB, within the kit's.
    expect(scale.budgetBytes).toBe(48 * GiB);
    for (const plan of [FULL_KIT_PLAN, QUICK_KIT_PLAN]) {
      const seconds = plan.benchmarks.reduce((sum, b) => sum + b.budgetSeconds, 0);
      expect(seconds).toBeLessThanOrEqual(plan.totalSeconds);
      // One file per benchmark and the kit's summary.
      expect(plan.benchmarks.length + 1).toBeLessThanOrEqual(KIT_LIMITS.maxResultFiles);
    }
  });

  it("summarises each d's configurations in one line", () => {
    const summary = scaleSummary(results([1_000_000]));
    expect(summary).toBe(
      `d = 1M: ${stde.id} 250000 ms/step 2.70 GiB, ${spsa.id} 625000 ms/step 1.70 GiB, ` +
        `${subspace.id} not-run`,
    );
  });
});
