import { describe, expect, it } from 'vitest';
import { packParameters } from '../../src/engine/jetLayout.ts';
import { planWeightAverage } from '../../src/engine/weightAverage.ts';
import { plannedBytes } from '../../src/gpu/bufferPlan.ts';
import { readBlockedTensor } from '../../src/engine/parameterBlocks.ts';
import { estimateMemory } from '../../src/train/memoryBudget.ts';
import { DivergenceError, Trainer } from '../../src/train/trainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { smallRunOptions } from '../shared/smallRuns.ts';

const gpu = useNodeGpu();

async function packedParameters(trainer: Trainer): Promise<Float32Array> {
  return packParameters(trainer.architecture.widths, await trainer.parameters());
}

describe('weight average (shaders/weightAverage.wgsl)', () => {
  it('follows ā ← β·ā + (1 − β)·θ from θ_0 in float64 to f32 rounding, and never touches training', async () => {
    const options = smallRunOptions({ steps: 12, logEvery: 3 });
    const decay = 0.8;
    const averaged = await Trainer.create(gpu.device, options, undefined, undefined, {
      averageDecay: decay,
    });
    const plain = await Trainer.create(gpu.device, options);
    const count = packParameters(averaged.architecture.widths, await averaged.parameters()).length;
    const reference = Float64Array.from(await packedParameters(averaged));
    // Before any step the views show the initial weights themselves.
    expect(await readBlockedTensor(gpu.device, averaged.viewParameterTensor)).toEqual(
      await packedParameters(averaged),
    );
    for (let step = 1; step <= 12; step++) {
      await averaged.train(1);
      const theta = await packedParameters(averaged);
      for (let i = 0; i < count; i++) reference[i] = decay * reference[i] + (1 - decay) * theta[i];
    }
    const gpuAverage = await readBlockedTensor(gpu.device, averaged.viewParameterTensor);
    const theta = await packedParameters(averaged);
    let moved = 0;
    for (let i = 0; i < count; i++) {
      // 12 f32 updates of |ā| ≲ 1: each rounds at 2⁻²⁴ relative, twice.
      expect(Math.abs(gpuAverage[i] - reference[i])).toBeLessThanOrEqual(
        4e-6 * Math.max(1, Math.abs(reference[i])),
      );
      moved = Math.max(moved, Math.abs(gpuAverage[i] - theta[i]));
    }
    // The average lags the weights: it is not θ (a kernel that copied θ would pass the above only
    // if the weights had not moved, and they have).
    expect(moved).toBeGreaterThan(1e-4);
    // Training never reads the average: the same weights and logs bit for bit.
    await plain.train(12);
    expect(await packedParameters(plain)).toEqual(theta);
    expect(plain.logs).toEqual(averaged.logs);
    // Without an average the views show the trained weights.
    expect(await plain.viewParameters()).toEqual(await plain.parameters());
    // The plan counts its buffers: the run's memory grows by the average's planned bytes.
    const planned = planWeightAverage(count, decay, gpu.device.limits);
    expect(averaged.memoryBytes - plain.memoryBytes).toBe(plannedBytes(planned.buffers));
    const limit = gpu.device.limits.maxStorageBufferBindingSize;
    expect(
      estimateMemory(options, limit, gpu.device.limits, { averageDecay: decay }).totalBytes -
        estimateMemory(options, limit, gpu.device.limits).totalBytes,
    ).toBe(averaged.memoryBytes - plain.memoryBytes);
    averaged.dispose();
    plain.dispose();
  });

  it('evaluations and viewParameters score the average, not the trained weights', async () => {
    const options = smallRunOptions({ steps: 12, logEvery: 3 });
    const averaged = await Trainer.create(gpu.device, options, undefined, undefined, {
      averageDecay: 0.8,
    });
    await averaged.train(12);
    const average = await readBlockedTensor(gpu.device, averaged.viewParameterTensor);
    expect(packParameters(averaged.architecture.widths, await averaged.viewParameters())).toEqual(
      average,
    );
    // A run started at ā (no average of its own) and one at θ: the averaged run's evaluation is
    // the first's bit for bit, and not the second's (θ has moved away from ā).
    const atAverage = await Trainer.create(gpu.device, options, {
      step: 12,
      parameters: average,
      moments: null,
    });
    const atTrained = await Trainer.create(gpu.device, options, {
      step: 12,
      parameters: await packedParameters(averaged),
      moments: null,
    });
    const scored = await averaged.evaluate();
    expect(scored).toEqual(await atAverage.evaluate());
    const trainedScore = await atTrained.evaluate();
    expect(scored.relativeL2).toBeGreaterThan(0);
    expect(Math.abs((scored.relativeL2 ?? 0) - (trainedScore.relativeL2 ?? 0))).toBeGreaterThan(
      1e-4 * (trainedScore.relativeL2 ?? 0),
    );
    for (const trainer of [averaged, atAverage, atTrained]) trainer.dispose();
  });

  for (const rollback of [true, false]) {
    it(`a divergence (${rollback ? 'with' : 'without'} the rollback copy) restarts the average at the kept weights`, async () => {
      // A deep linear network with a constant step of 1 overflows float32 at step 3 (seed 7).
      const options = smallRunOptions({
        activation: 'identity',
        depth: 6,
        learningRate: 1,
        logEvery: 1,
        steps: 200,
      });
      const trainer = await Trainer.create(gpu.device, options, undefined, undefined, {
        averageDecay: 0.9,
        rollback,
      });
      const error = await trainer.train(200).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DivergenceError);
      const kept = await packedParameters(trainer);
      const average = await readBlockedTensor(gpu.device, trainer.viewParameterTensor);
      expect(average).toEqual(kept);
      trainer.dispose();
    });
  }

  it('refuses a decay outside [0, 1) before anything is built', () => {
    for (const decay of [1, -0.1, Number.NaN]) {
      expect(() => planWeightAverage(10, decay, gpu.device.limits)).toThrow(
        /decay must be in \[0, 1\)/,
      );
    }
  });
});
