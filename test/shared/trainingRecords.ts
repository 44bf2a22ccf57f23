/**
 * What the bit-for-bit trainer tests compare between two executions of one run (parameter blocks
 * or not, the inline two-point estimate or the stored one): every logged loss and gradient norm,
 * the evaluations, the weights, the shown (averaged) weights and Adam's moments as bits.
 */
import { packParameters } from '../../src/engine/jetLayout.ts';
import type { TrainingOptions } from '../../src/train/options.ts';
import { Trainer, type TrainerSettings } from '../../src/train/trainer.ts';

export interface TrainingRecord {
  losses: number[];
  norms: number[];
  evaluations: unknown[];
  weights: Uint32Array;
  /** Whether the weights moved from the start (a run that did nothing would match itself). */
  moved: boolean;
  view: Uint32Array;
  moments: Uint32Array | null;
  memory: number;
  /** Buffers θ was split into. */
  blocks: number;
}

export const bits = (values: Float32Array) => new Uint32Array(values.buffer.slice(0));

/** Trains `options.steps` steps of a fresh run with `settings` and records it. */
export async function recordTraining(
  device: GPUDevice,
  options: TrainingOptions,
  settings: TrainerSettings,
): Promise<TrainingRecord> {
  const trainer = await Trainer.create(device, options, undefined, undefined, settings);
  try {
    const start = bits((await trainer.state()).parameters);
    await trainer.train(options.steps);
    const widths = trainer.architecture.widths;
    const state = await trainer.state();
    return {
      losses: trainer.logs.map((l) => l.loss),
      norms: trainer.logs.map((l) => l.gradientNorm),
      evaluations: trainer.evaluations,
      weights: bits(state.parameters),
      moved: bits(state.parameters).some((word, i) => word !== start[i]),
      view: bits(packParameters(widths, await trainer.viewParameters())),
      moments: state.moments
        ? bits(Float32Array.from([...state.moments.m, ...state.moments.v]))
        : null,
      memory: trainer.memoryBytes,
      blocks: trainer.parameterBlocks.blocks.length,
    };
  } finally {
    trainer.dispose();
  }
}
