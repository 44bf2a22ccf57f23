/**
 * Bounded submits end to end (src/train/boundedSubmits.ts): with a bound of 0 every stage of a
 * step is a command buffer of its own, and the run is bit-identical to the one-submit run of the
 * default bound: the logged losses and gradient norms and the final weights and Adam moments, byte
 * for byte, for each gradient estimator and without the rollback copy.
 */
import { describe, expect, it } from 'vitest';
import type { TrainingOptions } from '../../src/train/options.ts';
import { Trainer, type TrainerSettings } from '../../src/train/trainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { smallRunOptions } from '../shared/smallRuns.ts';

const gpu = useNodeGpu();

const bytes = (values: Float32Array) =>
  Buffer.from(values.buffer, values.byteOffset, values.byteLength);

async function run(options: TrainingOptions, settings: TrainerSettings) {
  const trainer = await Trainer.create(gpu.device, options, undefined, undefined, settings);
  try {
    await trainer.train(options.steps);
    const state = await trainer.state();
    return {
      submits: trainer.submitsInLastStep,
      logs: trainer.logs.map((log) => [log.loss, log.gradientNorm]),
      parameters: bytes(state.parameters),
      moments: state.moments && [bytes(state.moments.m), bytes(state.moments.v)],
    };
  } finally {
    trainer.dispose();
  }
}

describe('bounded submits', () => {
  // Stages of a step: the ball graph's draw, exact source, forward jet (one per dispatch: the 3
  // layers and the boundary factor) and loss (2q times for SPSA, after each trial point, then the
  // gradient write; the forward-gradient pass is one stage, with v before and its scale after),
  // the backward jet's 12 dispatches for backprop (the boundary transpose; per layer from the
  // last its weight gradient and bias gradient, and for the hidden ones their input cotangent and
  // activation transpose; the one-hot tangents' scatter), then the trainer's gradient reduction
  // and update.
  const backprop = 1 + 1 + 4 + 1 + 12 + 2;
  for (const [name, overrides, rollback, stages] of [
    ['backprop', { gradientEstimator: 'backprop' }, true, backprop],
    ['backprop without the rollback copy', { gradientEstimator: 'backprop' }, false, backprop],
    ['SPSA, q = 2', { gradientEstimator: 'spsa', perturbationDirections: 2 }, true, 4 * 8 + 3],
    ['the forward gradient', { gradientEstimator: 'forward-gradient' }, true, 8],
  ] as const) {
    it(`${name}: a submit at every stage boundary, bit-identical to one submit a step`, async () => {
      const options = smallRunOptions({
        ...overrides,
        width: 8,
        points: 8,
        steps: 10,
        logEvery: 1,
      });
      const whole = await run(options, { rollback });
      const split = await run(options, { rollback, submitBoundMs: 0 });
      expect(whole.submits).toBe(1);
      expect(split.submits).toBe(stages);
      expect(split.logs).toHaveLength(10);
      expect(split.logs.flat().every(Number.isFinite)).toBe(true);
      expect(split.logs).toEqual(whole.logs);
      // Buffers compare byte by byte.
      expect(split.parameters).toEqual(whole.parameters);
      expect(split.moments).not.toBeNull();
      expect(split.moments).toEqual(whole.moments);
    }, 120_000);
  }

  it('refuses a negative bound before allocating', async () => {
    await expect(
      Trainer.create(gpu.device, smallRunOptions(), undefined, undefined, { submitBoundMs: -1 }),
    ).rejects.toThrow(/submit bound/);
  });
});
