/**
 * The scaling sweep as a function (bench/scaling.ts is its command line, the GPU kit another
 * caller): training it/s and GPU bytes of two-body Allen–Cahn per estimator, standard vs collapsed
 * channels, for every setup and d of a plan, under the plan's wall-clock budget. Each measured
 * point is the median of timed windows after a warm-up step (timeConfig.ts).
 */
import { totalmem } from 'node:os';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../../src/train/options.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { estimateMemory, formatBytes, memoryProblem } from '../../src/train/memoryBudget.ts';
import { predictStepMs, RunBudget, type SeriesPoint } from './budget.ts';
import { adapterRecord, finishMachineRecord, machineRecord } from './machine.ts';
import { describeOutcome, type Outcome } from './outcome.ts';
import type { ScalingEstimator, ScalingResults, ScalingSetup } from './scalingTypes.ts';
import { defaultTimingPlan, type Steppable, type TimingPlan, timeGroup } from './timeConfig.ts';

export const SCALING_DIMENSIONS = [10, 100, 1_000, 10_000, 100_000, 1_000_000];

/** Every estimator of the sweep; SCALING_GROUPS sets the order they run in. */
export const SCALING_ESTIMATORS: ScalingEstimator[] = [
  {
    id: 'sparse-16-collapsed',
    label: 'sparse STDE B = 16, collapsed',
    estimator: 'sparse',
    jetsPerPoint: 16,
    collapsed: true,
  },
  {
    id: 'sparse-16-standard',
    label: 'sparse STDE B = 16, standard',
    estimator: 'sparse',
    jetsPerPoint: 16,
    collapsed: false,
  },
  {
    id: 'exact-collapsed',
    label: 'exact (collapsed = Forward Laplacian)',
    estimator: 'exact',
    jetsPerPoint: 16,
    collapsed: true,
  },
  {
    id: 'sparse-100-collapsed',
    label: 'sparse STDE B = 100, collapsed',
    estimator: 'sparse',
    jetsPerPoint: 100,
    collapsed: true,
  },
  {
    id: 'rademacher-16-collapsed',
    label: 'dense Hutchinson (Rademacher) B = 16, collapsed',
    estimator: 'rademacher',
    jetsPerPoint: 16,
    collapsed: true,
  },
  {
    // The same jets redrawn where they are read: no N·R·K·d buffer (1.19 GiB at d = 10⁵).
    id: 'rademacher-16-collapsed-regenerated',
    label: 'dense Hutchinson (Rademacher) B = 16, collapsed, tangents regenerated',
    estimator: 'rademacher',
    jetsPerPoint: 16,
    collapsed: true,
    tangentStorage: 'regenerated',
  },
  {
    id: 'exact-standard',
    label: 'exact, standard',
    estimator: 'exact',
    jetsPerPoint: 16,
    collapsed: false,
  },
  {
    id: 'sparse-100-standard',
    label: 'sparse STDE B = 100, standard',
    estimator: 'sparse',
    jetsPerPoint: 100,
    collapsed: false,
  },
];

export const SCALING_SETUPS: ScalingSetup[] = [
  {
    id: 'small',
    label: 'small: 32 points, 3 × 32 tanh',
    points: 32,
    width: 32,
    depth: 3,
    budgetShare: 0.45,
    perConfigS: 60,
  },
  {
    id: 'stde',
    label: 'STDE: 100 points, 3 × 128 tanh',
    points: 100,
    width: 128,
    depth: 3,
    budgetShare: 0.55,
    perConfigS: 60,
  },
];

/**
 * Estimators timed against each other (their windows alternate, timeGroup): the two structures of
 * one estimator, so a collapsed speedup is never a change in background load.
 */
export const SCALING_GROUPS: string[][] = [
  ['sparse-16-collapsed', 'sparse-16-standard'],
  ['exact-collapsed', 'exact-standard'],
  ['sparse-100-collapsed', 'sparse-100-standard'],
  ['rademacher-16-collapsed', 'rademacher-16-collapsed-regenerated'],
];

export interface ScalingPlan {
  setups: ScalingSetup[];
  /** Estimators run, in the order of `groups` (ids of `groups` not listed here are skipped). */
  estimators: ScalingEstimator[];
  groups: string[][];
  dimensions: number[];
  timing: TimingPlan;
  /** Wall-clock budget of the whole sweep; the setups share it by their budgetShare. */
  budgetSeconds: number;
  /** The command recorded in the results file. */
  command: string;
  /** Progress lines (one per configuration). */
  log?: (line: string) => void;
  /** The results so far, after every d of every group (the kit writes them as it goes). */
  onProgress?: (partial: ScalingResults) => void;
}

export const defaultScalingPlan = (budgetSeconds: number): ScalingPlan => ({
  setups: SCALING_SETUPS,
  estimators: SCALING_ESTIMATORS,
  groups: SCALING_GROUPS,
  dimensions: SCALING_DIMENSIONS,
  timing: defaultTimingPlan,
  budgetSeconds,
  command: `npm run bench:scaling -- --budget-s ${budgetSeconds}`,
});

export async function runScaling(gpu: GpuContext, plan: ScalingPlan): Promise<ScalingResults> {
  const log = plan.log ?? console.log;
  const machine = machineRecord();
  const device = gpu.device;
  /** The device's binding limits; the total is bounded by the host-RAM check below instead. */
  const limits = {
    maxBufferSize: device.limits.maxBufferSize,
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    budgetBytes: Number.POSITIVE_INFINITY,
  };
  /** A software adapter allocates in host RAM, which the other jobs on the machine share. */
  const hostBytes = gpu.adapter.isSoftware ? totalmem() / 2 : Infinity;
  const started = performance.now();

  const optionsOf = (
    setup: ScalingSetup,
    estimator: ScalingEstimator,
    d: number,
  ): TrainingOptions =>
    resolveTrainingOptions({
      pde: 'allen-cahn-two-body',
      dimension: d,
      estimator: estimator.estimator,
      jetsPerPoint: estimator.jetsPerPoint,
      collapsed: estimator.collapsed,
      tangentStorage: estimator.tangentStorage ?? 'stored',
      points: setup.points,
      width: setup.width,
      depth: setup.depth,
      // Never reached: no schedule end, no readbacks, no evaluation inside the timed steps.
      steps: 100_000_000,
      logEvery: 1_000_000,
      evalEvery: 0,
      testPoints: setup.points,
    });

  const trainerSteppable = (trainer: Trainer): Steppable => ({
    run: async (count) => {
      await trainer.train(count);
      await device.queue.onSubmittedWorkDone();
    },
    get memoryBytes() {
      return trainer.memoryBytes;
    },
    dispose: () => trainer.dispose(),
  });

  /** Why this point cannot be timed (status and reason), or null when it may run. */
  const precheck = (
    setup: ScalingSetup,
    estimator: ScalingEstimator,
    d: number,
    budget: RunBudget,
    series: SeriesPoint[],
  ): { outcome: Outcome | null; estimatedBytes: number | null } => {
    if (estimator.estimator === 'sparse' && estimator.jetsPerPoint > d) {
      return {
        outcome: {
          status: 'not-applicable',
          reason: `sparse STDE draws B = ${estimator.jetsPerPoint} of d = ${d} coordinates without replacement`,
        },
        estimatedBytes: null,
      };
    }
    const estimate = estimateMemory(
      optionsOf(setup, estimator, d),
      limits.maxStorageBufferBindingSize,
    );
    const estimatedBytes = estimate.totalBytes;
    const refusal = memoryProblem(estimate, limits);
    if (refusal) return { outcome: { status: 'does-not-fit', reason: refusal }, estimatedBytes };
    if (estimate.totalBytes > hostBytes) {
      return {
        outcome: {
          status: 'does-not-fit',
          reason:
            `estimated ${formatBytes(estimate.totalBytes)} of buffers; the software adapter ` +
            `allocates in host RAM and this run allows itself ${formatBytes(hostBytes)} (half of it)`,
        },
        estimatedBytes,
      };
    }
    const slow = budget.refusal(predictStepMs(series, d), 1 + plan.timing.minWindows);
    return { outcome: slow ? { status: 'not-run', reason: slow } : null, estimatedBytes };
  };

  const byId = new Map(plan.estimators.map((e) => [e.id, e]));
  const groups = plan.groups
    .map((group) => group.filter((id) => byId.has(id)))
    .filter((group) => group.length > 0);
  const results: ScalingResults['results'] = [];
  const assemble = (): ScalingResults => ({
    benchmark: 'scaling',
    date: new Date().toISOString(),
    runSeconds: (performance.now() - started) / 1000,
    machine: finishMachineRecord(machine),
    adapter: adapterRecord(gpu.adapter),
    command: plan.command,
    pde: 'allen-cahn-two-body',
    timing: plan.timing,
    budgetSeconds: plan.budgetSeconds,
    setups: plan.setups,
    estimators: plan.estimators,
    dimensions: plan.dimensions,
    results,
  });
  for (const setup of plan.setups) {
    const budget = new RunBudget({
      totalMs: plan.budgetSeconds * 1000 * setup.budgetShare,
      perConfigMs: setup.perConfigS * 1000,
    });
    // Group by group in `groups` order (the headline sparse B = 16 pair first, all d), so a spent
    // budget cuts the later estimators; each estimator predicts its step time from its own series.
    const measured = new Map<string, SeriesPoint[]>(plan.estimators.map((e) => [e.id, []]));
    for (const group of groups) {
      for (const d of plan.dimensions) {
        const members = group.map((id) => {
          const estimator = byId.get(id) as ScalingEstimator;
          const series = measured.get(id) ?? [];
          return { estimator, series, ...precheck(setup, estimator, d, budget, series) };
        });
        const runnable = members.filter((m) => m.outcome === null);
        const timed = await timeGroup(
          device,
          budget,
          runnable.map((m) => async () => {
            const trainer = await Trainer.create(
              device,
              optionsOf(setup, m.estimator, d),
              undefined,
              limits.budgetBytes,
            );
            return trainerSteppable(trainer);
          }),
          plan.timing,
        );
        runnable.forEach((m, k) => {
          const outcome = timed[k];
          m.outcome = outcome;
          if (outcome.status === 'measured') m.series.push({ x: d, ms: outcome.msPerStep.median });
          else if (outcome.probeMs !== undefined) m.series.push({ x: d, ms: outcome.probeMs });
        });
        for (const m of members) {
          const outcome = m.outcome as Outcome;
          log(`${setup.id} ${m.estimator.id} d=${d}: ${describeOutcome(outcome)}`);
          results.push({
            setup: setup.id,
            estimator: m.estimator.id,
            dimension: d,
            estimatedBytes: m.estimatedBytes,
            ...outcome,
          });
        }
        plan.onProgress?.(assemble());
      }
    }
  }

  return assemble();
}
