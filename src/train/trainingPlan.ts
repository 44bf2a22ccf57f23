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
import {
  ParameterBlockError,
  type ParameterBlocks,
  plannedBlockBuffers,
  planParameterBlocks,
  singleBlock,
} from '../engine/parameterBlocks.ts';
import { planWeightAverage } from '../engine/weightAverage.ts';
import { type PlannedBuffer, plannedBytes, storageBuffer } from '../gpu/bufferPlan.ts';
import type { EvaluationLimits } from './ballEvaluation.ts';
import { divergenceGuardBuffers, guardedPartials, optimizerBuffers } from './enginePlans.ts';
import { planGradientEstimate } from './gradientEstimator.ts';
import { architectureOf, pdeOf, type TrainingOptions } from './options.ts';
import { planProblemEvaluation, planProblemGraph } from './problems.ts';

/**
 * The device limits a training plan reads (GPUSupportedLimits has them all). maxBufferSize, with
 * the binding limit, bounds a parameter block (parameterBlocks.ts); absent, the binding limit
 * alone does.
 */
export type TrainingLimits = EvaluationLimits & Partial<Pick<GPUSupportedLimits, 'maxBufferSize'>>;

/** WebGPU's default limits: what every adapter grants (the dashboard's estimate without a device). */
export const DEFAULT_TRAINING_LIMITS: TrainingLimits = {
  maxComputeWorkgroupStorageSize: 16_384,
  maxComputeWorkgroupsPerDimension: 65_535,
  minUniformBufferOffsetAlignment: 256,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxStorageBufferBindingSize: 2 ** 27,
  maxBufferSize: 2 ** 28,
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
    maxBufferSize: limits.maxBufferSize,
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
  /**
   * Bytes of the largest parameter block (parameterBlocks.ts): the parameters and every tensor
   * of their layout are split into buffers of at most this size. Default: the device's binding
   * and buffer limits, so only a network too large for one binding is split; a smaller value
   * splits sooner (tests; the CLI's --parameter-block). It may not exceed the device's limits.
   */
  parameterBlockBytes?: number;
}

/** The parameter blocks of a run: buffers of at most the execution's, or the device's, size. */
export function trainingParameterBlocks(
  widths: readonly number[],
  limits: Pick<TrainingLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>,
  execution: TrainingExecution = {},
): ParameterBlocks {
  const device = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize ?? Infinity);
  const bytes = execution.parameterBlockBytes ?? device;
  if (bytes > device) {
    throw new ParameterBlockError(
      `a parameter block of ${bytes} bytes is larger than the device binds in one buffer ` +
        `(${device} bytes)`,
    );
  }
  return planParameterBlocks(widths, bytes);
}

/**
 * Whether the run's gradient is estimated inline, stored nowhere: full-direction SPSA or the
 * forward gradient on a ball problem without the rollback copy. SPSA's loss pass reads its trial
 * point θ ± εz_j inline (zerothOrder.ts), the forward gradient's tangent pass draws v where it
 * reads it (forwardGradient.ts), and the update sums g from the 2q losses or from ∇L·v; so with
 * SGD θ is the run's only parameter-sized tensor. With the copy, the guard checks a stored
 * gradient before the update; the subspace family and the other problems store a trial point.
 */
export function inlineGradient(options: TrainingOptions, execution: TrainingExecution): boolean {
  return (
    (options.gradientEstimator === 'spsa' || options.gradientEstimator === 'forward-gradient') &&
    execution.rollback === false &&
    pdeOf(options).domain === 'ball'
  );
}

/**
 * Whether a run can take parameters split into blocks: the ball problems, whose forward,
 * parameter-tangent and backward jet passes and parameter directions run per block; not the box
 * and parabolic problems' passes.
 */
export function takesParameterBlocks(options: TrainingOptions): boolean {
  return pdeOf(options).domain === 'ball';
}

/**
 * The blocks every part of the run is planned with. A split the run cannot take (a pass that
 * binds θ whole) is recorded as the problem graph's failure, and the parts are
 * sized unsplit, so the estimate still counts every buffer and names the one past the binding.
 */
function runParameterBlocks(
  options: TrainingOptions,
  widths: readonly number[],
  limits: TrainingLimits,
  execution: TrainingExecution,
  failures: TrainingPartFailure[],
): ParameterBlocks {
  const unsplit = singleBlock(parameterLayout(widths).count);
  let blocks: ParameterBlocks;
  try {
    blocks = trainingParameterBlocks(widths, limits, execution);
  } catch (error) {
    failures.push({
      name: 'trainer',
      error: error instanceof Error ? error : new Error(String(error)),
    });
    return unsplit;
  }
  if (blocks.blocks.length === 1 || takesParameterBlocks(options)) return blocks;
  // A box or parabolic problem's passes bind θ whole.
  failures.push({
    name: 'problem graph',
    error: new ParameterBlockError(
      `${blocks.count} parameters need ${blocks.blocks.length} buffers, and only the ball ` +
        `problems take split parameters, not ${options.pde}`,
    ),
  });
  return unsplit;
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
  const parameterBlocks = runParameterBlocks(
    options,
    architecture.widths,
    limits,
    execution,
    failures,
  );
  const inline = inlineGradient(options, execution);
  plan('trainer', () =>
    part('trainer', [
      ...plannedBlockBuffers('parameters', parameterBlocks),
      ...(inline ? [] : plannedBlockBuffers('gradient', parameterBlocks)),
      storageBuffer('random step counter', 4),
    ]),
  );
  // Built before the problem: its evaluation scores the average when the run keeps one.
  const { averageDecay } = execution;
  if (averageDecay !== undefined) {
    plan('weight average', () =>
      part('weight average', planWeightAverage(parameterBlocks, averageDecay, limits).buffers),
    );
  }
  plan('problem graph', () => {
    const graph = planProblemGraph(options, architecture, limits, parameterBlocks, inline);
    sized.batch = graph;
    return part('problem graph', graph.buffers, graph.firstStep);
  });
  plan('evaluation', () =>
    part('evaluation', planProblemEvaluation(options, architecture, limits, parameterBlocks)),
  );
  plan('gradient estimate', () =>
    part(
      'gradient estimate',
      planGradientEstimate(options, architecture.widths, parameterBlocks, inline),
    ),
  );
  const update = {
    rollback: execution.rollback,
    gradient: inline ? 'inline' : 'stored',
  } as const;
  plan('optimizer', () =>
    part('optimizer', optimizerBuffers(options.optimizer, parameterBlocks, limits, update)),
  );
  // Inline, the guard reduces the update's norm partials for the logged norm, not a gradient.
  plan('divergence guard', () =>
    part(
      'divergence guard',
      divergenceGuardBuffers(
        inline ? guardedPartials(options.optimizer, parameterBlocks, limits) : parameterBlocks,
        limits,
      ),
    ),
  );
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
