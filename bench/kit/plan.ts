/**
 * What the GPU kit measures and how long each part may take (README: "Measuring on a GPU machine
 * without Node"). The full plan is sized for a lent GPU machine whose whole loan is about 15
 * minutes with start-up: every benchmark runs in its own process under its own budget, and the
 * kit stops by itself within KIT_LIMITS.totalSeconds. The quick plan runs the same code on tiny
 * sizes, for the test that proves the kit is self-contained (SwiftShader, two busy cores).
 *
 * Benchmarks that later issues add join the plan as they land; the kit writes at most
 * KIT_LIMITS.maxResultFiles files, one per benchmark plus the kit's own summary.
 */
import type { AccuracyPlan } from '../lib/accuracyRun.ts';
import type { BreakdownPlan } from '../lib/breakdownRun.ts';
import type { HighOrderPlan } from '../lib/highOrderRun.ts';
import { defaultHighOrderPlan } from '../lib/highOrderRun.ts';
import type { KernelPlan } from '../lib/kernelsRun.ts';
import { scaleConfigs, type ScaleRunPlan } from '../lib/scaleRun.ts';
import { SCALE_DIMENSIONS } from '../lib/scaleTypes.ts';
import { SCALING_ESTIMATORS, SCALING_GROUPS, type ScalingPlan } from '../lib/scalingRun.ts';
import { STDE_ACCURACY_STEPS } from '../lib/stdeReference.ts';
import type { TimingPlan } from '../lib/timeConfig.ts';

/** The limits the kit is built and run against (the lent machines' terms). */
export const KIT_LIMITS = {
  /** `npm run gpu:kit` refuses to leave a larger gpu-kit/ (the carry limit is 64 MiB). */
  maxKitBytes: 60 * 2 ** 20,
  /** The whole kit run, from the first benchmark's start to the summary (run.sh unpacks before). */
  totalSeconds: 340,
  /** What run.sh promises in all, unpacking included. */
  runShSeconds: 360,
  /** Quick mode (the test), unpacking included. */
  quickSeconds: 120,
  /** JSON files written to --out: one per benchmark and the summary. */
  maxResultFiles: 7,
  /** A benchmark process may overrun its budget by this much before it is stopped. */
  graceSeconds: 20,
} as const;

export type KitBenchmarkName =
  'scaling' | 'jetKernels' | 'stepBreakdown' | 'stdeAccuracy' | 'highOrder' | 'scale';

export interface KitBenchmark {
  name: KitBenchmarkName;
  /** What it measures, for the summary and BENCHMARKS.md. */
  label: string;
  /** Its share of the run, s (later benchmarks get less when earlier ones ran over). */
  budgetSeconds: number;
}

export interface KitPlan {
  quick: boolean;
  /** The runner stops every benchmark by then (s after its start). */
  totalSeconds: number;
  benchmarks: KitBenchmark[];
  scaling: Omit<ScalingPlan, 'budgetSeconds' | 'command' | 'log'>;
  jetKernels: Omit<KernelPlan, 'budgetSeconds' | 'log'>;
  stepBreakdown: Omit<BreakdownPlan, 'budgetSeconds' | 'command' | 'log' | 'gpuTimestamps'>;
  highOrder: Omit<HighOrderPlan, 'budgetSeconds' | 'command' | 'log'>;
  stdeAccuracy: Omit<AccuracyPlan, 'budgetSeconds' | 'command' | 'log'>;
  scale: Omit<ScaleRunPlan, 'budgetSeconds' | 'command' | 'log' | 'progress' | 'onResults'>;
}

/** Windows that suit a GPU: steps of a millisecond or less, so many steps per window. */
const gpuTiming: TimingPlan = { windows: 5, minWindows: 3, windowMs: 250, maxStepsPerWindow: 500 };
const quickTiming: TimingPlan = { windows: 2, minWindows: 2, windowMs: 100, maxStepsPerWindow: 4 };

const stdeSetup = {
  id: 'stde',
  label: 'STDE: 100 points, 3 × 128 tanh',
  points: 100,
  width: 128,
  depth: 3,
  budgetShare: 1,
  perConfigS: 25,
};

/**
 * GPU memory the kit's scale runs may hold: the lent machines have 78 GiB or more, and STDE's
 * backprop + Adam at d = 10M plans 19.4 GiB (WebGPU cannot say what a device has).
 */
const KIT_SCALE_BUDGET_BYTES = 48 * 2 ** 30;

/**
 * bench:scale's configurations, SDZE's headline first at each d (SPSA), then STDE's, the forward
 * gradient and subspace SPSA: a process stopped at its time limit keeps what ran first.
 */
function kitScaleConfigs() {
  const order = ['spsa', 'backprop', 'forward-gradient', 'spsa-subspace'];
  return scaleConfigs('sgd').sort(
    (a, b) => order.indexOf(a.gradientEstimator) - order.indexOf(b.gradientEstimator),
  );
}

/** The headline estimators of the sweep: sparse STDE B = 16 and 100 and the exact Laplacian. */
const kitEstimators = SCALING_ESTIMATORS.filter((e) => e.estimator !== 'rademacher');

export const FULL_KIT_PLAN: KitPlan = {
  quick: false,
  totalSeconds: KIT_LIMITS.totalSeconds,
  benchmarks: [
    {
      name: 'scaling',
      label: 'it/s and memory vs d, STDE setup, d = 100 … 1M',
      budgetSeconds: 95,
    },
    { name: 'jetKernels', label: 'jet kernels vs plain matmul, h = 128 … 1024', budgetSeconds: 40 },
    {
      name: 'stepBreakdown',
      label: 'stages of a step at d = 100 / 100K / 1M',
      budgetSeconds: 20,
    },
    {
      name: 'stdeAccuracy',
      label: "STDE's accuracy runs: d = 1000 B = 16, d = 100 B = 100, 10 000 steps",
      budgetSeconds: 85,
    },
    { name: 'highOrder', label: "high-order operators and STDE's Table 11", budgetSeconds: 35 },
    {
      name: 'scale',
      label: "d = 1M and 10M: SDZE's modes and STDE's, built and stepped where they fit",
      budgetSeconds: 60,
    },
  ],
  scaling: {
    setups: [stdeSetup],
    estimators: kitEstimators,
    groups: SCALING_GROUPS,
    dimensions: [100, 1_000, 10_000, 100_000, 1_000_000],
    timing: gpuTiming,
  },
  jetKernels: {
    points: 100,
    widths: [128, 256, 512, 1024],
    jets: [
      { label: 'Laplacian', order: 2, directions: 16 },
      { label: 'order 4', order: 4, directions: 4 },
    ],
    warmup: 3,
    minReps: 10,
    maxReps: 60,
    targetMs: 3000,
  },
  stepBreakdown: {
    dimensions: [100, 100_000, 1_000_000],
    setup: { points: 100, width: 128, depth: 3, jets: 16 },
    repetitions: 5,
  },
  highOrder: { ...defaultHighOrderPlan(0), timing: gpuTiming, perConfigMs: 15_000 },
  stdeAccuracy: {
    configs: [
      { dimension: 1000, jetsPerPoint: 16 },
      { dimension: 100, jetsPerPoint: 100 },
    ],
    steps: STDE_ACCURACY_STEPS,
    policy: 'partial',
  },
  scale: {
    configs: kitScaleConfigs(),
    dimensions: SCALE_DIMENSIONS,
    warmupSteps: 1,
    timedSteps: 3,
    budgetBytes: KIT_SCALE_BUDGET_BYTES,
  },
};

export const QUICK_KIT_PLAN: KitPlan = {
  quick: true,
  totalSeconds: 110,
  benchmarks: [
    { name: 'scaling', label: 'it/s and memory vs d (tiny)', budgetSeconds: 20 },
    { name: 'jetKernels', label: 'jet kernels vs plain matmul (tiny)', budgetSeconds: 10 },
    { name: 'stepBreakdown', label: 'stages of a step (tiny)', budgetSeconds: 10 },
    { name: 'stdeAccuracy', label: 'accuracy run (tiny, 20 steps)', budgetSeconds: 15 },
    { name: 'highOrder', label: 'high-order operators (tiny)', budgetSeconds: 25 },
    { name: 'scale', label: 'scale modes (tiny d)', budgetSeconds: 15 },
  ],
  scaling: {
    setups: [
      {
        id: 'quick',
        label: 'quick: 8 points, 2 × 16 tanh',
        points: 8,
        width: 16,
        depth: 2,
        budgetShare: 1,
        perConfigS: 6,
      },
    ],
    estimators: SCALING_ESTIMATORS.filter((e) =>
      ['sparse-16-collapsed', 'sparse-16-standard', 'exact-collapsed'].includes(e.id),
    ),
    groups: SCALING_GROUPS,
    dimensions: [100, 1000],
    timing: quickTiming,
  },
  jetKernels: {
    points: 4,
    widths: [32],
    jets: [{ label: 'Laplacian', order: 2, directions: 16 }],
    warmup: 1,
    minReps: 2,
    maxReps: 3,
    targetMs: 200,
  },
  stepBreakdown: {
    dimensions: [100, 1000],
    setup: { points: 8, width: 16, depth: 2, jets: 4 },
    repetitions: 2,
  },
  highOrder: {
    operatorSetup: { points: 4, width: 16, depth: 2, jets: 4 },
    table11Points: 8,
    table11Sizes: [{ depth: 2, width: 16 }],
    timing: quickTiming,
    perConfigMs: 10_000,
  },
  stdeAccuracy: {
    configs: [{ dimension: 10, jetsPerPoint: 4 }],
    steps: 20,
    policy: 'partial',
    overrides: { points: 8, width: 16, depth: 2, testPoints: 128, evalEvery: 10 },
  },
  // The scale setup (100 points, 3 × 128) at d = 100: the same code, seconds on two cores.
  scale: { configs: kitScaleConfigs(), dimensions: [100], warmupSteps: 0, timedSteps: 1 },
};

export const kitPlan = (quick: boolean): KitPlan => (quick ? QUICK_KIT_PLAN : FULL_KIT_PLAN);
