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
): readonly PlannedBuffer[] {
  return planOptimizer({ kind, parameterCount: count }, limits).buffers;
}

/**
 * DivergenceGuard.create's buffers for a gradient of `count` elements (`created`), and the chain
 * its own reducer adds at the first check (`firstStep`).
 */
export function divergenceGuardBuffers(
  count: number,
  limits: EngineLimits,
): { created: readonly PlannedBuffer[]; firstStep: readonly PlannedBuffer[] } {
  const plan = planDivergenceGuard({ gradientCount: count }, limits);
  return { created: plan.buffers, firstStep: plan.reduction.buffers };
}
