/**
 * Every GPU buffer a training run holds, from its options and the device's limits alone: the
 * trainer's own (parameters, gradient, step counter), the problem graph's (samplers, random jets,
 * u* and f, forward and backward jets, residual, reductions), the evaluation's, the gradient
 * estimate's (the backprop-free modes' directions and losses), the optimizer's, the divergence
 * guard's, and the weight average's when kept (built second). Each part is the plan its build
 * allocates from (planBallGraph, planForwardJet, …), so the sum is what Trainer.create
 * allocates, plus the reduction chains the first step adds. memoryBudget.ts derives the memory
 * estimate from it.
 */
import { parameterLayout } from '../engine/jetLayout.ts';
import { planWeightAverage } from '../engine/weightAverage.ts';
import { type PlannedBuffer, plannedBytes, storageBuffer } from '../gpu/bufferPlan.ts';
import type { EvaluationLimits } from './ballEvaluation.ts';
import { divergenceGuardBuffers, optimizerBuffers } from './enginePlans.ts';
import { planGradientEstimate } from './gradientEstimator.ts';
import { architectureOf, type TrainingOptions } from './options.ts';
import { planProblemEvaluation, planProblemGraph } from './problems.ts';

/** The device limits a training plan reads (GPUSupportedLimits has them all). */
export type TrainingLimits = EvaluationLimits;

/** WebGPU's default limits: what every adapter grants (the dashboard's estimate without a device). */
export const DEFAULT_TRAINING_LIMITS: TrainingLimits = {
  maxComputeWorkgroupStorageSize: 16_384,
  maxComputeWorkgroupsPerDimension: 65_535,
  minUniformBufferOffsetAlignment: 256,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxStorageBufferBindingSize: 2 ** 27,
};

/** The limits a plan reads, copied out of a device's GPUSupportedLimits (whose fields are getters). */
export function trainingLimitsOf(limits: TrainingLimits): TrainingLimits {
  return {
    maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    minUniformBufferOffsetAlignment: limits.minUniformBufferOffsetAlignment,
    maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
  };
}

export type TrainingPartName =
  | 'trainer'
  | 'problem graph'
  | 'evaluation'
  | 'gradient estimate'
  | 'optimizer'
  | 'divergence guard'
  | 'weight average';

/** One part of the run, in the order Trainer.create builds them. */
export interface TrainingPart {
  readonly name: TrainingPartName;
  /** What its build allocates. */
  readonly buffers: readonly PlannedBuffer[];
  /** What its reducer adds at the first step (the reduction chains are allocated on first use). */
  readonly firstStep: readonly PlannedBuffer[];
}

/** A part whose plan refused the options (too large for a kernel's indexing, an invalid combination). */
export interface TrainingPartFailure {
  readonly name: TrainingPartName;
  readonly error: Error;
}

/** The collocation batch of the step graph: jets R per point, order K, rows V. */
export interface BatchSizing {
  readonly jets: number;
  readonly order: number;
  readonly rowsPerPoint: number;
}

export interface TrainingPlan extends BatchSizing {
  readonly parameterCount: number;
  readonly parts: readonly TrainingPart[];
  /** What Trainer.create allocates through its GpuMemory. */
  readonly buffers: readonly PlannedBuffer[];
  /** What the first training step adds (reduction chains). */
  readonly firstStep: readonly PlannedBuffer[];
  /** Bytes of both lists: what the run holds while it trains. */
  readonly totalBytes: number;
}

const part = (
  name: TrainingPartName,
  buffers: readonly PlannedBuffer[],
  firstStep: readonly PlannedBuffer[] = [],
): TrainingPart => ({ name, buffers, firstStep });

/**
 * How a run executes, where that changes its buffers and not its values (Trainer.create's
 * TrainerSettings): `rollback` false drops the optimizer's copy of the step before (default true);
 * `averageDecay` β keeps an exponential moving average of the weights for views (weightAverage.ts;
 * absent: none).
 */
export interface TrainingExecution {
  rollback?: boolean;
  averageDecay?: number;
}

/**
 * Each part's plan, the ones that refuse the options apart: the memory check still sizes the
 * rest of a run one of whose kernels cannot take it (and refuses it with those numbers).
 */
export function planTrainingParts(
  options: TrainingOptions,
  limits: TrainingLimits = DEFAULT_TRAINING_LIMITS,
  execution: TrainingExecution = {},
): { parts: TrainingPart[]; failures: TrainingPartFailure[]; batch: BatchSizing | null } {
  const architecture = architectureOf(options);
  const count = parameterLayout(architecture.widths).count;
  const parts: TrainingPart[] = [];
  const failures: TrainingPartFailure[] = [];
  // Set by the problem graph's plan (a closure: TypeScript does not follow the assignment).
  const sized: { batch: BatchSizing | null } = { batch: null };
  const plan = (name: TrainingPartName, planPart: () => TrainingPart): void => {
    try {
      parts.push(planPart());
    } catch (error) {
      failures.push({ name, error: error instanceof Error ? error : new Error(String(error)) });
    }
  };
  plan('trainer', () =>
    part('trainer', [
      storageBuffer('parameters', count * 4),
      storageBuffer('gradient', count * 4),
      storageBuffer('random step counter', 4),
    ]),
  );
  // Built before the problem: its evaluation scores the average when the run keeps one.
  const { averageDecay } = execution;
  if (averageDecay !== undefined) {
    plan('weight average', () =>
      part('weight average', planWeightAverage(count, averageDecay, limits).buffers),
    );
  }
  plan('problem graph', () => {
    const graph = planProblemGraph(options, architecture, limits);
    sized.batch = graph;
    return part('problem graph', graph.buffers, graph.firstStep);
  });
  plan('evaluation', () =>
    part('evaluation', planProblemEvaluation(options, architecture, limits)),
  );
  plan('gradient estimate', () =>
    part('gradient estimate', planGradientEstimate(options, architecture.widths)),
  );
  plan('optimizer', () =>
    part('optimizer', optimizerBuffers(options.optimizer, count, limits, execution.rollback)),
  );
  plan('divergence guard', () => part('divergence guard', divergenceGuardBuffers(count, limits)));
  return { parts, failures, batch: sized.batch };
}

/**
 * Every buffer of the run `options` describes on a device with `limits`: a pure function, and
 * the only account of the run's memory (memoryBudget.ts sums it). Throws what a part's plan
 * throws for options its kernels cannot take.
 */
export function planTraining(
  options: TrainingOptions,
  limits: TrainingLimits = DEFAULT_TRAINING_LIMITS,
  execution: TrainingExecution = {},
): TrainingPlan {
  const { parts, failures, batch } = planTrainingParts(options, limits, execution);
  if (failures.length > 0 || !batch) throw failures[0].error;
  const buffers = parts.flatMap((p) => p.buffers);
  const firstStep = parts.flatMap((p) => p.firstStep);
  return {
    jets: batch.jets,
    order: batch.order,
    rowsPerPoint: batch.rowsPerPoint,
    parameterCount: parameterLayout(architectureOf(options).widths).count,
    parts,
    buffers,
    firstStep,
    totalBytes: plannedBytes(buffers) + plannedBytes(firstStep),
  };
}
