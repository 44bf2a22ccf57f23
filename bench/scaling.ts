// Scaling in d: training it/s and GPU bytes of two-body Allen–Cahn for d = 10 … 1M, per estimator
// (sparse STDE B = 16 / 100, dense Hutchinson, exact), standard vs collapsed channels, on the STDE
// setup (DESIGN.md §4: 100 points, 3 × 128 tanh, Adam) and on a small setup a software adapter
// finishes quickly. Each measured point is the median of timed windows after a warm-up step.
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/scaling.ts
//          [--budget-s 480] (wall-clock budget of the whole sweep; the setups share it)
// Writes bench/results/scaling-<adapter>.json.
import { totalmem } from 'node:os';
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../src/train/options.ts';
import { Trainer } from '../src/train/trainer.ts';
import { estimateMemory, formatBytes, memoryProblem } from '../src/train/memoryBudget.ts';
import { numberFlag } from './lib/args.ts';
import { predictStepMs, RunBudget, type SeriesPoint } from './lib/budget.ts';
import { adapterRecord, finishMachineRecord, machineRecord } from './lib/machine.ts';
import { describeOutcome, type Outcome } from './lib/outcome.ts';
import { type ResultsHeader, writeResults } from './lib/results.ts';
import {
  type ScalingEstimator,
  type ScalingResults,
  type ScalingSetup,
} from './lib/scalingTypes.ts';
import { defaultTimingPlan, type Steppable, timeGroup } from './lib/timeConfig.ts';

const DIMENSIONS = [10, 100, 1_000, 10_000, 100_000, 1_000_000];

/** Every estimator of the sweep; GROUPS below sets the order they run in. */
const ESTIMATORS: ScalingEstimator[] = [
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

const SETUPS: ScalingSetup[] = [
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

const budgetS = numberFlag('budget-s', 480);
const machine = machineRecord();
const gpu = await acquireNodeGpu({ largeLimits: true });
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

function optionsOf(setup: ScalingSetup, estimator: ScalingEstimator, d: number): TrainingOptions {
  return resolveTrainingOptions({
    pde: 'allen-cahn-two-body',
    dimension: d,
    estimator: estimator.estimator,
    jetsPerPoint: estimator.jetsPerPoint,
    collapsed: estimator.collapsed,
    points: setup.points,
    width: setup.width,
    depth: setup.depth,
    // Never reached: no schedule end, no readbacks, no evaluation inside the timed steps.
    steps: 100_000_000,
    logEvery: 1_000_000,
    evalEvery: 0,
    testPoints: setup.points,
  });
}

function trainerSteppable(trainer: Trainer): Steppable {
  return {
    run: async (count) => {
      await trainer.train(count);
      await device.queue.onSubmittedWorkDone();
    },
    get memoryBytes() {
      return trainer.memoryBytes;
    },
    dispose: () => trainer.dispose(),
  };
}

/**
 * Estimators timed against each other (their windows alternate, timeGroup): the two structures of
 * one estimator, so a collapsed speedup is never a change in background load.
 */
const GROUPS: string[][] = [
  ['sparse-16-collapsed', 'sparse-16-standard'],
  ['exact-collapsed', 'exact-standard'],
  ['sparse-100-collapsed', 'sparse-100-standard'],
  ['rademacher-16-collapsed'],
];

/** Why this point cannot be timed (status and reason), or null when it may run. */
function precheck(
  setup: ScalingSetup,
  estimator: ScalingEstimator,
  d: number,
  budget: RunBudget,
  series: SeriesPoint[],
): { outcome: Outcome | null; estimatedBytes: number | null } {
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
  const slow = budget.refusal(predictStepMs(series, d), 1 + defaultTimingPlan.minWindows);
  return { outcome: slow ? { status: 'not-run', reason: slow } : null, estimatedBytes };
}

const results: ScalingResults['results'] = [];
try {
  for (const setup of SETUPS) {
    const budget = new RunBudget({
      totalMs: budgetS * 1000 * setup.budgetShare,
      perConfigMs: setup.perConfigS * 1000,
    });
    // Group by group in GROUPS order (the headline sparse B = 16 pair first, all d), so a spent
    // budget cuts the later estimators; each estimator predicts its step time from its own series.
    const measured = new Map<string, SeriesPoint[]>(ESTIMATORS.map((e) => [e.id, []]));
    for (const group of GROUPS) {
      for (const d of DIMENSIONS) {
        const members = group.map((id) => {
          const estimator = ESTIMATORS.find((e) => e.id === id) as ScalingEstimator;
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
        );
        runnable.forEach((m, k) => {
          const outcome = timed[k];
          m.outcome = outcome;
          if (outcome.status === 'measured') m.series.push({ x: d, ms: outcome.msPerStep.median });
          else if (outcome.probeMs !== undefined) m.series.push({ x: d, ms: outcome.probeMs });
        });
        for (const m of members) {
          const outcome = m.outcome as Outcome;
          console.log(`${setup.id} ${m.estimator.id} d=${d}: ${describeOutcome(outcome)}`);
          results.push({
            setup: setup.id,
            estimator: m.estimator.id,
            dimension: d,
            estimatedBytes: m.estimatedBytes,
            ...outcome,
          });
        }
      }
    }
  }
} finally {
  gpu.destroy();
}

const header: ResultsHeader = {
  benchmark: 'scaling',
  date: new Date().toISOString(),
  runSeconds: (performance.now() - started) / 1000,
  machine: finishMachineRecord(machine),
  adapter: adapterRecord(gpu.adapter),
  command: `npm run bench:scaling -- --budget-s ${budgetS}`,
};
const file: ScalingResults = {
  ...header,
  pde: 'allen-cahn-two-body',
  timing: defaultTimingPlan,
  budgetSeconds: budgetS,
  setups: SETUPS,
  estimators: ESTIMATORS,
  dimensions: DIMENSIONS,
  results,
};
console.log(`wrote ${writeResults(file)}`);
