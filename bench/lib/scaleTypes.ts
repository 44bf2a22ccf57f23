/** The shape of bench/results/scale-<adapter>.json (bench/scale.ts, bench/lib/scaleRun.ts). */
import type { PointStorage } from '../../src/engine/pointSource.ts';
import type { GradientEstimator, OptimizerName } from '../../src/train/options.ts';
import type { ResultsHeader } from './results.ts';
import type { Spread } from './stats.ts';

/** The sizes: SDZE's 10M, STDE's 1M. */
export const SCALE_DIMENSIONS = [1_000_000, 10_000_000];

/**
 * The setup both seeds share here: two-body Allen–Cahn on the unit ball, 3 × 128 tanh, 100
 * collocation points, the Laplacian from sparse STDE jets (B = 16, collapsed). The test set is as
 * small as the batch, as in the scaling sweep: no evaluation runs inside the timed steps, and
 * STDE's 20 000 points would only add an evaluation batch the size of one binding.
 */
export const SCALE_SETUP = {
  pde: 'allen-cahn-two-body',
  depth: 3,
  width: 128,
  activation: 'tanh',
  points: 100,
  estimator: 'sparse',
  jetsPerPoint: 16,
  collapsed: true,
  testPoints: 100,
} as const;

/** One way of training the scale setup: STDE's (backprop) or SDZE's (SPSA, subspace SPSA). */
export interface ScaleConfig {
  id: string;
  label: string;
  /** Whose setup it reproduces. */
  seed: 'STDE' | 'SDZE';
  gradientEstimator: GradientEstimator;
  optimizer: OptimizerName;
  /** Whether the optimizer's rollback copy is kept (TrainerSettings.rollback). */
  rollback: boolean;
  /** The zeroth-order settings, where they apply (the defaults of src/train/options.ts). */
  perturbation?: { scale: number; directions: number; subspaceRank?: number; period?: number };
}

/** A buffer past the device's binding limit, and how many bindings it would take split. */
export interface OverBinding {
  label: string;
  bytes: number;
  /** ceil(bytes / binding limit): the fewest bindings a split would use (none covers it). */
  bindingsAtLeast: number;
}

/** The training plan of one configuration at one d (src/train/trainingPlan.ts), before any build. */
export interface ScalePlan {
  parameterCount: number;
  /** 4 bytes per parameter: θ alone. */
  weightsBytes: number;
  /** Every planned buffer, the first step's reduction chains included (the memory estimate). */
  totalBytes: number;
  /**
   * Bytes per parameter of the parameter-sized buffers (src/train/parameterMemory.ts: the slope
   * in the parameter count); null where that plan refused the options.
   */
  bytesPerParameter: number | null;
  /** Planned bytes per training part (trainer, problem graph, evaluation, optimizer, …). */
  parts: { name: string; bytes: number }[];
  /** The largest single buffer: the one that meets the binding limit first. */
  largest: { label: string; bytes: number };
  /** min(maxStorageBufferBindingSize, maxBufferSize) of the device. */
  bindingLimitBytes: number;
  /**
   * Buffers θ and every tensor of its layout are split into (src/engine/parameterBlocks.ts): 1
   * where θ fits one binding, or where the problem takes no split (then overBinding names them).
   * Absent in files from before the split existed.
   */
  parameterBlocks?: number;
  /** Every buffer past that limit; empty: every tensor fits one binding, split or not. */
  overBinding: OverBinding[];
  /** Why the device refuses the run (src/train/memoryBudget.ts memoryProblem), or null. */
  problem: string | null;
}

export interface ScaleMeasured {
  status: 'measured';
  /** Trainer.create: pipelines and buffers. */
  createMs: number;
  /** Each untimed warm-up step, ms (the first step touches every buffer for the first time). */
  warmupMs: number[];
  /** Each timed step in order, ms (submitted, then waited for with onSubmittedWorkDone). */
  stepMs: number[];
  msPerStep: Spread;
  /** Trainer.memoryBytes after the steps: every GPU buffer the run holds. */
  memoryBytes: number;
  /** fullRunSteps × the median step, s: predicted from this adapter's steps, not measured. */
  predictedRunSeconds: number;
}

export interface ScaleNotMeasured {
  /**
   * does-not-fit: refused by the plan (the reason has the numbers); not-run: it fits, but its
   * steps would not end within the run's time budget (the reason has the prediction); failed: it
   * was tried and errored.
   */
  status: 'does-not-fit' | 'not-run' | 'failed';
  reason: string;
  /** The one (warm-up) step run before deciding, ms: a probe, not a median. */
  probeMs?: number;
}

export type ScaleOutcome = ScaleMeasured | ScaleNotMeasured;

export interface ScaleResult {
  config: string;
  dimension: number;
  plan: ScalePlan;
  outcome: ScaleOutcome;
}

export interface ScaleResults extends ResultsHeader {
  benchmark: 'scale';
  setup: {
    pde: string;
    depth: number;
    width: number;
    activation: string;
    points: number;
    estimator: string;
    jetsPerPoint: number;
    collapsed: boolean;
    testPoints: number;
    /** How each step's collocation points are held; absent in files from before it existed: stored. */
    pointStorage?: PointStorage;
  };
  dimensions: number[];
  /** True when the run covered d = 1M and 10M, the benchmark's own; false for a quick check. */
  defaultDimensions: boolean;
  warmupSteps: number;
  /** Timed steps wanted per configuration; fewer where the budget ran out (msPerStep.count). */
  timedSteps: number;
  /** Wall-clock budget of the whole run, s (null: none). */
  budgetSeconds: number | null;
  /** The full run the prediction is for (STDE's 10 000 steps). */
  fullRunSteps: number;
  /** What the plans were checked against: the device's limits, the budget, the host's share. */
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    budgetBytes: number;
    /** A software adapter allocates in host RAM: the share of it the run allows itself. */
    hostBytes: number | null;
  };
  configs: ScaleConfig[];
  results: ScaleResult[];
}
