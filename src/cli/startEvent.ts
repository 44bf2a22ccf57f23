/**
 * `jetpinn train`'s start line and its JSON `start` record: the run, the GPU and its buffers, and
 * what the parameters cost in this mode and in the others (parameterMemory.ts): bytes per
 * parameter and the largest d that fits this device and budget. Pure: the caller reads the
 * trainer and the device.
 */
import { planOptimizer } from '../engine/optimizers.ts';
import { completeLimits, type MemoryLimits } from '../train/memoryBudget.ts';
import type { TrainingOptions } from '../train/options.ts';
import {
  describeLargestDimension,
  describeModeMemory,
  type ModeMemory,
  parameterMemory,
} from '../train/parameterMemory.ts';
import { inlineGradient } from '../train/trainingPlan.ts';
import type { TrainPlan } from './trainPlan.ts';

/** What the start line says of the trainer and the device it was built on. */
export interface StartFacts {
  /** The trainer's step (the checkpoint's when resuming). */
  step: number;
  parameters: number;
  /** Trainer.memoryBytes. */
  memoryBytes: number;
  /** Bytes of each buffer θ is split into (Trainer.parameterBlocks); one entry when unsplit. */
  parameterBlockBytes: readonly number[];
  adapter: { description: string; isSoftware: boolean };
  /** The device's limits, with the run's budget. */
  limits: MemoryLimits;
}

function describeRun(options: TrainingOptions, parameters: number): string {
  const jets = options.estimator === 'exact' ? 'all d' : String(options.jetsPerPoint);
  return (
    `${options.pde}, d = ${options.dimension}, ${options.estimator} estimator (${jets} jets` +
    `${options.collapsed ? ', collapsed' : ''}), ${options.points} points/step, ` +
    `${options.depth}×${options.width} ${options.activation} (${parameters} parameters), ` +
    `${options.optimizer} lr ${options.learningRate} ${options.schedule}, seed ${options.seed}`
  );
}

/** Bytes of the optimizer's rollback copy of θ (and Adam's m, v): its plan's rollbackBytes. */
function rollbackBytes(options: TrainingOptions, parameters: number, limits: MemoryLimits) {
  const plan = planOptimizer(
    { kind: options.optimizer, parameterCount: parameters },
    completeLimits(limits),
  );
  return plan.rollbackBytes;
}

/** A mode's entry in the JSON record. */
function modeRecord(memory: ModeMemory) {
  const mode = {
    mode: memory.mode.label,
    gradientEstimator: memory.mode.gradientEstimator,
    optimizer: memory.mode.optimizer,
  };
  if (!memory.available) return { ...mode, unavailable: memory.reason };
  return {
    ...mode,
    bytesPerParameter: memory.bytesPerParameter,
    totalBytes: memory.totalBytes,
    fits: memory.fits,
    largestDimension: memory.largestDimension,
  };
}

/** The current mode's clause of the GPU line. */
function currentModeText(memory: ModeMemory): string {
  if (!memory.available) return `${memory.mode.label}: ${describeModeMemory(memory)}`;
  return (
    `${memory.mode.label} holds ${memory.bytesPerParameter.toFixed(1)} B/param, ` +
    `${describeLargestDimension(memory.largestDimension)} here`
  );
}

/** The split of θ across buffers, when there is one. */
function blocksText(blockBytes: readonly number[]): string {
  if (blockBytes.length < 2) return '';
  const largest = Math.max(...blockBytes);
  return (
    ` (θ and each tensor of its layout in ${blockBytes.length} buffers of at most ` +
    `${(largest / 2 ** 20).toFixed(1)} MiB, split between rows of the first layer's weight)`
  );
}

export function startEvent(plan: TrainPlan, facts: StartFacts) {
  const { options } = plan;
  const { parameters, adapter, limits } = facts;
  const rollback = plan.rollback ? rollbackBytes(options, parameters, limits) : 0;
  const { current, others } = parameterMemory(options, limits, { rollback: plan.rollback });
  const currentRecord = modeRecord(current);
  const fields = {
    step: facts.step,
    stopAt: plan.stopAt,
    steps: options.steps,
    parameters,
    memoryBytes: facts.memoryBytes,
    parameterBlocks: facts.parameterBlockBytes.length,
    rollbackBytes: rollback,
    mode: currentRecord.mode,
    bytesPerParameter: current.available ? current.bytesPerParameter : null,
    largestDimension: current.available ? current.largestDimension : null,
    otherModes: others.map(modeRecord),
    adapter: adapter.description,
    software: adapter.isSoftware,
  };
  const text =
    `${plan.resume ? `resuming at step ${facts.step}` : 'training'}: ` +
    `${describeRun(options, parameters)}\n` +
    `GPU: ${adapter.description}${adapter.isSoftware ? ' (software)' : ''}, ` +
    `${(facts.memoryBytes / 2 ** 20).toFixed(1)} MiB of buffers` +
    blocksText(facts.parameterBlockBytes) +
    (plan.rollback
      ? ` (${(rollback / 2 ** 20).toFixed(1)} MiB of them the rollback copy, ` +
        `${rollbackBytes(options, 1, limits)} B/param/step; --no-rollback drops it)`
      : ', no rollback copy (a divergence keeps the last checkpoint)') +
    (inlineGradient(options, { rollback: plan.rollback })
      ? options.gradientEstimator === 'spsa'
        ? ", SPSA's trial point and gradient read and summed inline, not stored"
        : ", the forward gradient's v drawn where read and its gradient summed inline, not stored"
      : '') +
    `; ${currentModeText(current)}\n` +
    `other modes here: ${others.map((m) => `${m.mode.label} ${describeModeMemory(m)}`).join('; ')}`;
  return { fields, text };
}
