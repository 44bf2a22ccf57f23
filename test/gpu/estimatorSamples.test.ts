import { describe, expect, it } from 'vitest';
import { rowOf } from '../../src/engine/jetLayout.ts';
import { ReferenceJetEngine } from '../../src/engine/referenceEngine.ts';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { factorial } from '../../src/jet/series.ts';
import { operatorBatch } from '../../src/operators/batch.ts';
import { RandomStream } from '../../src/random/counterRandom.ts';
import {
  exactAtPoint,
  sampleEstimator,
  sparseStandardDeviation,
} from '../../src/train/estimatorSamples.ts';
import { inspectionPoint } from '../../src/train/jetInspection.ts';
import { operatorFor } from '../../src/train/operatorFor.ts';
import { pdeOf, type TrainingOptions } from '../../src/train/options.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { smallRunOptions } from '../shared/smallRuns.ts';

/**
 * The estimator panel's samples against the float64 reference on the same (trained) weights:
 * every estimator's mean is the exact operator value within 4 standard errors (plus an f32
 * allowance of 1e-4 relative: the GPU computes in f32), the exact estimator has no spread, and
 * the sparse estimator's spread is the closed form of sampling B of d coordinates without
 * replacement, so it shrinks like √((d − B)/B) ≈ 1/√B.
 */

let gpu: GpuContext;
useNodeGpu((context) => (gpu = context));

const F32_ALLOWANCE = 1e-4;

async function trainedTrainer(overrides: Partial<TrainingOptions>): Promise<Trainer> {
  const options = smallRunOptions({
    dimension: 16,
    jetsPerPoint: 4,
    points: 16,
    steps: 100,
    seed: 5,
    testPoints: 50,
    ...overrides,
  });
  const trainer = await Trainer.create(gpu.device, options);
  await trainer.train(10);
  return trainer;
}

/**
 * The exact operator at `point` in float64 on the trainer's weights, and the per-jet J_K of its
 * standard (uncollapsed) batch: for the exact Laplacian, J_2[e_i] = ∂²u/∂x_i² (+ u_t/d).
 */
async function referenceExact(trainer: Trainer, point: Float32Array) {
  const operator = operatorFor(
    pdeOf(trainer.options),
    { dimension: trainer.options.dimension, estimator: 'exact' },
    1,
  );
  const engine = new ReferenceJetEngine(trainer.architecture, await trainer.parameters());
  const batch = operatorBatch(operator, point, { seed: 0, step: 0 });
  const rows = await engine.forward(batch);
  const K = operator.order;
  const perJet = Array.from(
    { length: operator.directions },
    (_, r) => rows[rowOf(batch.shape, r, K)] * factorial(K),
  );
  return { value: operator.estimate(rows, batch.shape)[0], perJet };
}

const draw = { seed: 11, step: 1000, stream: RandomStream.jets };

function expectUnbiased(mean: number, standardError: number, exact: number): void {
  expect(Math.abs(mean - exact)).toBeLessThanOrEqual(
    4 * standardError + F32_ALLOWANCE * Math.abs(exact),
  );
}

describe('estimator samples', () => {
  it('sparse, dense and exact Laplacian estimates around the float64 exact Laplacian', async () => {
    const trainer = await trainedTrainer({});
    const point = inspectionPoint(trainer.options, 0.5);
    const reference = await referenceExact(trainer, point);
    const d = trainer.options.dimension;
    // The diagonal of the Hessian sums to Δu.
    expect(reference.perJet.reduce((a, b) => a + b, 0)).toBeCloseTo(reference.value, 10);
    const memoryBefore = trainer.memory.bytesInUse;

    const exact = await sampleEstimator(trainer, {
      point,
      estimator: 'exact',
      jetsPerPoint: 4,
      samples: 8,
      draw,
    });
    expect(exact.exact).not.toBeNull();
    expect(Math.abs((exact.exact ?? NaN) - reference.value)).toBeLessThanOrEqual(
      F32_ALLOWANCE * Math.abs(reference.value),
    );
    expect(exact.jetsPerEstimate).toBe(d);
    expect(exact.predictedStandardDeviation).toBeNull();
    const exactOperator = operatorFor(
      pdeOf(trainer.options),
      { dimension: d, estimator: 'exact' },
      1,
    );
    const gpuJets = await exactAtPoint(trainer, exactOperator, point);
    const largest = Math.max(...reference.perJet.map(Math.abs));
    gpuJets.perJet.forEach((value, i) => {
      expect(Math.abs(value - reference.perJet[i])).toBeLessThanOrEqual(F32_ALLOWANCE * largest);
    });
    expect(exact.standardDeviation).toBeLessThanOrEqual(1e-6 * Math.abs(reference.value));
    expect(Math.abs(exact.mean - reference.value)).toBeLessThanOrEqual(
      F32_ALLOWANCE * Math.abs(reference.value),
    );

    // The sd that sampling B of the d values J_2[e_i] without replacement predicts, from the
    // float64 values (sparseStandardDeviation is checked by enumeration in the unit tests).
    const sparseSd = (B: number) => sparseStandardDeviation(reference.perJet, B);
    const samples = 400;
    const spreads: number[] = [];
    for (const B of [2, 8]) {
      const sparse = await sampleEstimator(trainer, {
        point,
        estimator: 'sparse',
        jetsPerPoint: B,
        samples,
        draw,
      });
      expect(sparse.estimates.length).toBe(samples);
      expect(sparse.jetsPerEstimate).toBe(B);
      expectUnbiased(sparse.mean, sparse.standardError, reference.value);
      // The sample sd of 400 draws is within ~4 % of the true one (1/√(2·399) for a normal
      // sample; these are not normal, so allow 20 %).
      expect(Math.abs(sparse.standardDeviation / sparseSd(B) - 1)).toBeLessThan(0.2);
      // The page's prediction comes from the GPU's J_2[e_i]: f32 against float64.
      expect(Math.abs((sparse.predictedStandardDeviation ?? NaN) / sparseSd(B) - 1)).toBeLessThan(
        1e-3,
      );
      spreads.push(sparse.standardDeviation);
    }
    const expectedRatio = Math.sqrt(((d - 2) / 2) * (8 / (d - 8)));
    expect(spreads[0] / spreads[1]).toBeGreaterThan(0.8 * expectedRatio);
    expect(spreads[0] / spreads[1]).toBeLessThan(1.25 * expectedRatio);

    for (const estimator of ['rademacher', 'gaussian'] as const) {
      const dense = await sampleEstimator(trainer, {
        point,
        estimator,
        jetsPerPoint: 4,
        samples,
        draw,
      });
      expect(dense.standardDeviation).toBeGreaterThan(0);
      expectUnbiased(dense.mean, dense.standardError, reference.value);
    }
    expect(trainer.memory.bytesInUse).toBe(memoryBefore);
    trainer.dispose();
  });

  it('runs large sample sets in passes, pass c drawing with step + c', async () => {
    const trainer = await trainedTrainer({ dimension: 8, collapsed: false });
    const point = inspectionPoint(trainer.options, 0.3);
    const reference = await referenceExact(trainer, point);
    const request = { point, estimator: 'sparse' as const, jetsPerPoint: 3, draw };
    // 7 rows (1 + 3·2) of 16 units: 448 bytes per sample, so 3 000 bytes hold 6 per pass.
    const passBytes = 3000;
    const passes = await sampleEstimator(trainer, { ...request, samples: 200, passBytes });
    const first = await sampleEstimator(trainer, { ...request, samples: 6 });
    const second = await sampleEstimator(trainer, {
      ...request,
      samples: 6,
      draw: { ...draw, step: draw.step + 1 },
    });
    expect(Array.from(passes.estimates.subarray(0, 12))).toEqual([
      ...first.estimates,
      ...second.estimates,
    ]);
    expect(passes.estimates.every(Number.isFinite)).toBe(true);
    expectUnbiased(passes.mean, passes.standardError, reference.value);
    trainer.dispose();
  });

  it('u_t + Δu of a parabolic problem and Δ²u of the biharmonic one', async () => {
    const parabolic = await trainedTrainer({ pde: 'semilinear-heat', dimension: 8 });
    const origin = inspectionPoint(parabolic.options, 0);
    const heat = await referenceExact(parabolic, origin);
    const sparse = await sampleEstimator(parabolic, {
      point: origin,
      estimator: 'sparse',
      jetsPerPoint: 2,
      samples: 300,
      draw,
    });
    expect(sparse.operator).toBe('laplacian-sparse-with-time');
    expect(Math.abs((sparse.exact ?? NaN) - heat.value)).toBeLessThanOrEqual(
      F32_ALLOWANCE * Math.abs(heat.value) + 1e-6,
    );
    expectUnbiased(sparse.mean, sparse.standardError, heat.value);
    parabolic.dispose();

    const clamped = await trainedTrainer({
      pde: 'biharmonic-clamped-sin-cos',
      dimension: 3,
      estimator: 'gaussian',
      jetsPerPoint: 2,
    });
    const point = inspectionPoint(clamped.options, 0.4);
    const biharmonic = await referenceExact(clamped, point);
    const gaussian = await sampleEstimator(clamped, {
      point,
      estimator: 'gaussian',
      jetsPerPoint: 2,
      samples: 400,
      draw,
    });
    expect(Math.abs((gaussian.exact ?? NaN) - biharmonic.value)).toBeLessThanOrEqual(
      1e-3 * Math.abs(biharmonic.value),
    );
    expectUnbiased(gaussian.mean, gaussian.standardError, biharmonic.value);
    await expect(
      sampleEstimator(clamped, { point, estimator: 'sparse', jetsPerPoint: 2, samples: 10, draw }),
    ).rejects.toThrow(/Gaussian estimator and an exact one/);
    clamped.dispose();
  });
});
