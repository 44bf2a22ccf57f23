/**
 * The engine's plans (src/engine: planForwardJet, planBackwardJet, …) as the trainer's plans use
 * them: the buffer list each engine build allocates, for the configurations the problem graphs,
 * estimators and the trainer build. The training plan (trainingPlan.ts) and the memory estimate
 * add these lists up; nothing here sizes a buffer itself.
 */
import { planBackwardJet } from '../engine/backwardJet.ts';
import { planDivergenceGuard } from '../engine/divergenceGuard.ts';
import { planForwardGradientJet } from '../engine/forwardGradientJet.ts';
import type { ForwardJetConfig, TangentKind } from '../engine/forwardJet.ts';
import { planForwardJet } from '../engine/forwardJet.ts';
import type { JetShape } from '../engine/jetLayout.ts';
import { type OptimizerKind, planOptimizer } from '../engine/optimizers.ts';
import { planReducer } from '../engine/reductions.ts';
import type { PlannedBuffer } from '../gpu/bufferPlan.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';

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
  architecture: MlpArchitecture,
  shape: JetShape,
  tangentKind: TangentKind,
  limits: EngineLimits,
): readonly PlannedBuffer[] {
  return planBackwardJet({ architecture, shape, tangentKind }, limits).buffers;
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

/** GpuAdam.create's or GpuSgd.create's buffers for `count` parameters. */
export function optimizerBuffers(
  kind: OptimizerKind,
  count: number,
  limits: EngineLimits,
  rollback = true,
): readonly PlannedBuffer[] {
  return planOptimizer({ kind, parameterCount: count, rollback }, limits).buffers;
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
 * DivergenceGuard.create's buffers for a gradient of `count` elements: its own and the chain it
 * adds to its reducer.
 */
export function divergenceGuardBuffers(
  count: number,
  limits: EngineLimits,
): readonly PlannedBuffer[] {
  const plan = planDivergenceGuard({ gradientCount: count }, limits);
  return [...plan.buffers, ...plan.reduction.buffers];
}
