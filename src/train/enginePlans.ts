/**
 * The engine's plans (src/engine: planForwardJet, planBackwardJet, …) as the trainer's plans use
 * them: the buffer list each engine build allocates, for the configurations the problem graphs,
 * estimators and the trainer build. The training plan (trainingPlan.ts) and the memory estimate
 * add these lists up; nothing here sizes a buffer itself.
 */
import { planBackwardJet } from '../engine/backwardJet.ts';
import { planDivergenceGuard } from '../engine/divergenceGuard.ts';
import { planForwardGradientJet } from '../engine/forwardGradientJet.ts';
import type { ForwardJetConfig } from '../engine/forwardJet.ts';
import { planForwardJet } from '../engine/forwardJet.ts';
import { type OptimizerConfig, type OptimizerKind, planOptimizer } from '../engine/optimizers.ts';
import type { ParameterBlocks } from '../engine/parameterBlocks.ts';
import { planReducer } from '../engine/reductions.ts';
import type { PlannedBuffer } from '../gpu/bufferPlan.ts';

/** The device limits the plans read (GPUSupportedLimits has them all). */
export type EngineLimits = Pick<
  GPUSupportedLimits,
  | 'maxComputeWorkgroupStorageSize'
  | 'maxComputeWorkgroupsPerDimension'
  | 'minUniformBufferOffsetAlignment'
  | 'maxComputeInvocationsPerWorkgroup'
  | 'maxComputeWorkgroupSizeX'
>;

/** ForwardJet.create's buffers; `externalInputs` when x and the tangents are bound from outside. */
export function forwardJetBuffers(
  config: ForwardJetConfig,
  externalInputs: boolean,
  limits: EngineLimits,
): readonly PlannedBuffer[] {
  return planForwardJet(config, limits, { externalInputs }).buffers;
}

/** ForwardGradientJet.create's buffers (its inputs are always external). */
export function forwardGradientJetBuffers(
  config: ForwardJetConfig,
  limits: EngineLimits,
): readonly PlannedBuffer[] {
  return planForwardGradientJet(config, limits).buffers;
}

/** BackwardJet.create's buffers. */
export function backwardJetBuffers(
  forward: Pick<ForwardJetConfig, 'architecture' | 'shape' | 'tangentKind' | 'parameterBlocks'>,
  limits: EngineLimits,
): readonly PlannedBuffer[] {
  const { architecture, shape, tangentKind, parameterBlocks } = forward;
  return planBackwardJet({ architecture, shape, tangentKind, parameterBlocks }, limits).buffers;
}

/**
 * The pass chains a GpuReducer allocates when it first reduces each distinct length n (at the
 * first step, not when it is created): a uniform of a slot per pass and the records of every pass
 * but the last.
 */
export function reducerBuffers(
  lengths: readonly number[],
  limits: EngineLimits,
): readonly PlannedBuffer[] {
  return [...new Set(lengths)].flatMap((n) => planReducer(n, {}, limits).buffers);
}

/** The count and, when given, the blocks of a plan's `parameters`. */
function countAndBlocks(parameters: number | ParameterBlocks): {
  count: number;
  blocks?: ParameterBlocks;
} {
  return typeof parameters === 'number'
    ? { count: parameters }
    : { count: parameters.count, blocks: parameters };
}

/**
 * GpuAdam.create's or GpuSgd.create's buffers for `parameters` parameters in one buffer, or held
 * in the blocks `parameters`.
 */
export function optimizerBuffers(
  kind: OptimizerKind,
  parameters: number | ParameterBlocks,
  limits: EngineLimits,
  update: Pick<OptimizerConfig, 'rollback' | 'gradient'> = {},
): readonly PlannedBuffer[] {
  const { count, blocks } = countAndBlocks(parameters);
  return planOptimizer({ kind, parameterCount: count, blocks, ...update }, limits).buffers;
}

/**
 * How many norm partials the inline update of `kind` writes over `parameters` (one per
 * workgroup, OptimizerPlan.normPartials): the vector whose norm is the logged gradient norm of an
 * inline-gradient run, which its divergence guard reduces.
 */
export function guardedPartials(
  kind: OptimizerKind,
  parameters: number | ParameterBlocks,
  limits: EngineLimits,
): number {
  const { count, blocks } = countAndBlocks(parameters);
  const config: OptimizerConfig = {
    kind,
    parameterCount: count,
    blocks,
    rollback: false,
    gradient: 'inline',
  };
  const partials = planOptimizer(config, limits).normPartials;
  if (!partials) throw new Error('an inline update plans its norm partials');
  return partials.count;
}

/** Bytes per parameter a backprop step moves through the gradient, the guard and the update. */
export interface ParameterTraffic {
  /** The gradient written once by the backward pass. */
  gradient: number;
  /** The divergence guard's reads of the gradient (DivergenceGuardPlan.bytesReadPerElement). */
  guard: number;
  /** The optimizer's reads and writes (OptimizerPlan.bytesPerParameter). */
  optimizer: { read: number; written: number };
  total: number;
  /** Added on a step that logs the gradient norm: its reduction without the rollback copy. */
  perLoggedStep: number;
}

/**
 * The bytes per parameter one training step moves outside the jets: the gradient's write, the
 * guard's and the optimizer's traffic, for a run with or without the rollback copy. Pure.
 */
export function parameterTraffic(
  kind: OptimizerKind,
  rollback: boolean,
  limits: EngineLimits,
): ParameterTraffic {
  const optimizer = planOptimizer({ kind, parameterCount: 1, rollback }, limits).bytesPerParameter;
  const guard = planDivergenceGuard({ gradientCount: 1, rollback }, limits).bytesReadPerElement;
  const gradient = 4;
  return {
    gradient,
    guard,
    optimizer,
    total: gradient + guard + optimizer.read + optimizer.written,
    perLoggedStep: rollback ? 0 : 4,
  };
}

/**
 * DivergenceGuard.create's buffers for a gradient of `gradient` elements in one buffer, or held in
 * the blocks `gradient`: its own, the chains it adds to its reducer and, with several blocks, the
 * combine's scratch.
 */
export function divergenceGuardBuffers(
  gradient: number | ParameterBlocks,
  limits: EngineLimits,
): readonly PlannedBuffer[] {
  const { count, blocks } = countAndBlocks(gradient);
  const plan = planDivergenceGuard({ gradientCount: count, blocks }, limits);
  return [...plan.buffers, ...plan.reduction.buffers];
}
