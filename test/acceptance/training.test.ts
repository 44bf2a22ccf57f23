/**
 * The trainer's acceptance runs (the trainer issue): small networks trained to a stated accuracy
 * on SwiftShader. Each is a full training run, so they live in their own Vitest project with long
 * timeouts; the configurations were chosen to finish in under 2 minutes each on two CPU cores.
 * Calibration (the issue's): a float32 PyTorch PINN with the exact Laplacian, 3 hidden tanh
 * layers of 32, 100 points per step, Adam 1e-3 decayed linearly, reaches relative L2 4.7e-2
 * after 3000 steps on two-body Allen–Cahn at d = 10.
 * The ball runs use firstLayerGain 4 (≈ √(d + 2), options.ts): with PyTorch's init the first
 * layer sees coordinates of size 1/√d and starts almost linear. Measured here (3 × 32, 100
 * points, 2000 steps, relative L2): Allen–Cahn 5.3e-2 at gain 1 and lr 3e-3, 4.3e-2 at gain 4,
 * 3.2e-2 at gain 4 and lr 5e-3; three-body Poisson at gain 1 stalls near the best multiple of
 * 1 − ‖x‖² (0.13), at gain 4 and lr 5e-3 it reaches 3.3e-2.
 */
import { describe, expect, it } from 'vitest';
import { resolveTrainingOptions } from '../../src/train/options.ts';
import { Trainer, type StepLog } from '../../src/train/trainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

/** Means of the logged loss over consecutive windows of `window` steps. */
function windowMeans(logs: StepLog[], window: number): number[] {
  const means: number[] = [];
  for (let start = 0; start < logs.length; start += window) {
    const slice = logs.slice(start, start + window);
    means.push(slice.reduce((s, l) => s + l.loss, 0) / slice.length);
  }
  return means;
}

async function train(overrides: Record<string, unknown>): Promise<Trainer> {
  const options = resolveTrainingOptions({
    dimension: 10,
    width: 32,
    depth: 3,
    steps: 2000,
    logEvery: 50,
    evalEvery: 0,
    seed: 0,
    ...overrides,
  });
  const trainer = await Trainer.create(gpu.device, options);
  const started = performance.now();
  await trainer.train(options.steps);
  const seconds = (performance.now() - started) / 1000;
  const final = trainer.evaluations[trainer.evaluations.length - 1];
  console.log(
    `${options.pde} d=${options.dimension}: ${options.steps} steps in ${seconds.toFixed(0)} s ` +
      `(${(options.steps / seconds).toFixed(1)} it/s), final ${JSON.stringify(final)}`,
  );
  return trainer;
}

describe('trainer acceptance on SwiftShader', () => {
  // 50 points rather than the calibration's 100 halve the run (it costs what its 600 jets cost).
  // Measured (seed 0, 2000 steps): Allen–Cahn 3.9e-2 at 50 points (3.1e-2 at 100), three-body
  // Poisson 3.5e-2 (3.2e-2 at 100).
  for (const pde of ['allen-cahn-two-body', 'poisson-three-body']) {
    it(`${pde}, d = 10: relative L2 < 5e-2 within 2000 steps, loss falling`, async () => {
      const trainer = await train({
        pde,
        estimator: 'exact',
        points: 50,
        learningRate: 5e-3,
        firstLayerGain: 4,
        sampler: 'volume-uniform',
        testPoints: 4000,
      });
      const means = windowMeans(trainer.logs, 10);
      means.slice(1).forEach((m, i) => expect(m).toBeLessThan(means[i]));
      expect(trainer.evaluations.at(-1)!.relativeL2).toBeLessThan(5e-2);
      trainer.dispose();
    });
  }

  // The best multiple of 1 − ‖x‖² has relative L2 0.18 here (volume-uniform, d = 50): the bar
  // asks for a network that learned the solution's variation, not only its boundary factor.
  // Measured (seed 0): 6.2e-2 at step 500, 5.0e-2 at 1000, 4.1e-2 at 2000, 30 it/s.
  it('allen-cahn-two-body, d = 50, sparse STDE B = 8 < d: relative L2 < 6e-2 within 2000 steps', async () => {
    const trainer = await train({
      pde: 'allen-cahn-two-body',
      dimension: 50,
      estimator: 'sparse',
      jetsPerPoint: 8,
      points: 64,
      depth: 2,
      learningRate: 5e-3,
      firstLayerGain: 7.2,
      sampler: 'volume-uniform',
      testPoints: 2000,
    });
    const means = windowMeans(trainer.logs, 10);
    expect(means.at(-1)!).toBeLessThan(means[0] / 2);
    expect(trainer.evaluations.at(-1)!.relativeL2).toBeLessThan(6e-2);
    trainer.dispose();
  });

  // Clamped biharmonic Δ²u = f, u = ∂ₙu = 0 on the unit ball (clamped sin·cos chain, d = 4; the
  // best multiple of (1 − ‖x‖²)² has relative L2 1.0). Measured (seed 0, 2 × 24): exact operator,
  // 32 points, 2.7e-2, 3.1e-2, 2.5e-2, 8.5e-3 at steps 200 … 500 (1.1e-2 in a run of 800 steps);
  // Gaussian 4-jets, B = 16, unbiased loss, 16 points: 0.23, 9.7e-2, 9.5e-2, 3.4e-2 at steps 300,
  // 600, 900, 1200 (the decaying learning rate settles it at the end; 32 points reach 2.5e-2 in
  // twice the time, B = 8 with 32 points 4.7e-2). With the biased loss the Gaussian run stalls at
  // 0.2–0.3: the estimator's variance, which the biased loss adds to r², is large for the
  // fourth-order jets.
  for (const [estimator, steps, bar] of [
    ['exact', 500, 2.5e-2],
    ['gaussian', 1200, 5e-2],
  ] as const) {
    it(`biharmonic on the ball, d = 4, ${estimator}: relative L2 < ${bar} within ${steps} steps`, async () => {
      const trainer = await train({
        pde: 'biharmonic-clamped-sin-cos',
        dimension: 4,
        estimator,
        ...(estimator === 'gaussian'
          ? { jetsPerPoint: 16, collapsed: false, loss: 'unbiased', learningRate: 3e-3, points: 16 }
          : { learningRate: 1e-2, points: 32 }),
        width: 24,
        depth: 2,
        steps,
        firstLayerGain: 2.4,
        sampler: 'volume-uniform',
        testPoints: 2000,
        evalEvery: 300,
      });
      if (estimator === 'exact') {
        const means = windowMeans(trainer.logs, 4);
        expect(means.at(-1)!).toBeLessThan(means[0] / 2);
      } else {
        // The unbiased loss r₁·r₂ of fourth-order Gaussian jets is too noisy for window means to
        // show progress (measured: the last 200 steps' mean above the first's); the test error is
        // not: 0.23 at step 300, 3.4e-2 at the end.
        expect(trainer.evaluations.at(-1)!.relativeL2).toBeLessThan(
          trainer.evaluations[0].relativeL2! / 2,
        );
      }
      expect(trainer.evaluations.at(-1)!.relativeL2).toBeLessThan(bar);
      trainer.dispose();
    });
  }

  // The order-k diagonal family Σ_i ∂_i^k u = f, u* = (1 − ‖x‖²)^{k/2} Σ c_i sin(x_i + x_{i+1}),
  // d = 4, exact k-jets (all d one-hot), 2 × 24, 32 points, lr 1e-2, 500 steps. Measured (seed 0,
  // relative L2 at steps 100 … 500): k = 2: 6.3e-2, 5.9e-2, 3.2e-2, 1.4e-2, 1.6e-2; k = 4: 0.12,
  // 5.2e-2, 2.0e-2, 1.2e-2, 1.0e-2. Sparse B = 3 of d = 4 with the biased loss (64 points, lr 5e-3,
  // 800 steps) stalls at 3.5–8e-2 (k = 2) and 0.1 (k = 4): the estimator's variance, which that
  // loss adds to r², grows with the order as for the Gaussian biharmonic.
  for (const [k, bar] of [
    [2, 3e-2],
    [4, 2.5e-2],
  ] as const) {
    it(`order-${k} diagonal operator on the ball, d = 4, exact ${k}-jets: relative L2 < ${bar} within 500 steps`, async () => {
      const trainer = await train({
        pde: `diagonal-order-${k}`,
        dimension: 4,
        estimator: 'exact',
        learningRate: 1e-2,
        points: 32,
        width: 24,
        depth: 2,
        steps: 500,
        firstLayerGain: 2.4,
        sampler: 'volume-uniform',
        testPoints: 2000,
        evalEvery: 100,
      });
      const means = windowMeans(trainer.logs, 4);
      expect(means.at(-1)!).toBeLessThan(means[0] / 2);
      expect(trainer.evaluations.at(-1)!.relativeL2).toBeLessThan(bar);
      trainer.dispose();
    });
  }

  // Measured (seed 0): relative error of u(0, 0) 1.1e-2, 6.7e-3, 4.9e-3, 5.3e-3 at steps 250 … 1000
  // (3.3e-3 in a run of 3000 steps).
  it('semilinear heat, d = 10: u(0, 0) within 5% of the reference within 1000 steps', async () => {
    const trainer = await train({
      pde: 'semilinear-heat',
      estimator: 'sparse',
      jetsPerPoint: 10,
      points: 32,
      width: 16,
      depth: 2,
      steps: 1000,
      learningRate: 1e-3,
    });
    expect(trainer.evaluations.at(-1)!.pointRelativeError).toBeLessThan(5e-2);
    trainer.dispose();
  });
});
