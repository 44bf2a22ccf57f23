/**
 * Inline gradient estimates (trainingPlan.ts inlineGradient): without the rollback copy a
 * full-direction SPSA or forward-gradient run on a ball problem stores no trial point, no v and no
 * gradient. SPSA's loss pass reads θ ± εz_j (jetForward.wgsl PERTURBED) and the update sums g from
 * the 2q losses; the forward gradient's tangent pass draws v where it reads it
 * (jetForwardTangent.wgsl DRAWN_TANGENT) and the update sums (∇L·v)·v (optimizersChecked.wgsl's
 * inline entries). Each must train the same trajectory as its stored estimate, which a run with
 * the rollback copy still uses (the copy's update and the checked one take bit-identical steps):
 * the same losses, weights, moments and evaluations byte for byte, the logged gradient norm to
 * rounding, in one buffer and in 6 parameter blocks; and hold one parameter-sized tensor fewer
 * than before (two with SGD).
 */
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { parameterLayout } from '../../src/engine/jetLayout.ts';
import { estimateMemory } from '../../src/train/memoryBudget.ts';
import { architectureOf, type TrainingOptions } from '../../src/train/options.ts';
import { planTraining, inlineGradient } from '../../src/train/trainingPlan.ts';
import type { TrainerSettings } from '../../src/train/trainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { recordTraining } from '../shared/trainingRecords.ts';
import { smallRunOptions } from '../shared/smallRuns.ts';

let gpu: GpuContext;
useNodeGpu((context) => {
  gpu = context;
});

/** d = 300, 2 hidden layers of 16 (5105 parameters), q = 2 directions. */
function spsaRun(overrides: Partial<TrainingOptions> = {}): TrainingOptions {
  return smallRunOptions({
    dimension: 300,
    steps: 6,
    logEvery: 1,
    evalEvery: 3,
    testPoints: 100,
    gradientEstimator: 'spsa',
    perturbationDirections: 2,
    ...overrides,
  });
}

const forwardGradient = {
  gradientEstimator: 'forward-gradient',
  perturbationDirections: 1,
} as const satisfies Partial<TrainingOptions>;

describe('inline gradient estimates', () => {
  const cases: [string, Partial<TrainingOptions>, TrainerSettings][] = [
    ['SPSA + SGD', { optimizer: 'sgd', learningRate: 1e-9 }, {}],
    ['SPSA + Adam', {}, {}],
    ['SPSA + Adam in 6 parameter blocks', {}, { parameterBlockBytes: 3600 }],
    ['forward gradient + Adam', forwardGradient, {}],
    [
      'forward gradient + SGD in 6 parameter blocks',
      { ...forwardGradient, optimizer: 'sgd', learningRate: 1e-9 },
      { parameterBlockBytes: 3600 },
    ],
  ];
  for (const [name, overrides, settings] of cases) {
    it(`${name}: the stored estimate's trajectory, bit for bit`, async () => {
      const options = spsaRun(overrides);
      expect(inlineGradient(options, { rollback: false })).toBe(true);
      expect(inlineGradient(options, { rollback: true })).toBe(false);
      const stored = await recordTraining(gpu.device, options, { ...settings, rollback: true });
      const inline = await recordTraining(gpu.device, options, { ...settings, rollback: false });
      expect(stored.moved).toBe(true);
      expect(inline.losses).toEqual(stored.losses);
      expect(inline.weights).toEqual(stored.weights);
      expect(inline.moments).toEqual(stored.moments);
      expect(inline.evaluations).toEqual(stored.evaluations);
      expect(inline.evaluations).toHaveLength(2);
      // The norm of the update's per-workgroup norms: ‖g‖, summed in another order.
      inline.norms.forEach((norm, k) => {
        expect(norm).toBeGreaterThan(0);
        expect(Math.abs(norm - stored.norms[k])).toBeLessThanOrEqual(1e-5 * stored.norms[k]);
      });
      const execution = { ...settings, rollback: false };
      const limits = gpu.device.limits;
      expect(
        estimateMemory(options, limits.maxStorageBufferBindingSize, limits, execution).totalBytes,
      ).toBe(inline.memory);
    }, 120_000);
  }

  for (const [name, overrides] of [
    ['SPSA', {}],
    ['the forward gradient', forwardGradient],
  ] as const) {
    it(`${name} plans no gradient, trial point or v: θ is the only parameter-sized tensor of SGD`, () => {
      const options = spsaRun({ ...overrides, optimizer: 'sgd' });
      const count = parameterLayout(architectureOf(options).widths).count;
      const plan = planTraining(options, gpu.device.limits, { rollback: false });
      expect(plan.parameterCount).toBe(count);
      const sized = (buffers: typeof plan.buffers) =>
        buffers.filter((b) => b.bytes === 4 * count).map((b) => b.label);
      expect(sized(plan.buffers)).toEqual(['parameters']);
      expect(plan.buffers.map((b) => b.label)).not.toContain('gradient');
      // The stored estimate (with the copy) holds θ, the gradient (its trial point) and the copy.
      const stored = planTraining(options, gpu.device.limits, { rollback: true });
      expect(sized(stored.buffers)).toEqual(['parameters', 'gradient', 'sgd previous θ']);
    });
  }

  it('keeps the stored trial point for the subspace family', () => {
    const options = spsaRun({ gradientEstimator: 'spsa-subspace' });
    expect(inlineGradient(options, { rollback: false })).toBe(false);
  });
});
