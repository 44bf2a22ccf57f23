/**
 * Backprop-free gradient estimates on the GPU (DESIGN.md §6):
 *  - common random numbers: the two-point estimate (L(θ + εz) − L(θ − εz))/(2ε) on a fixed
 *    Allen–Cahn problem, with both losses at the same step (CRN) or at different steps
 *    (independent draws). Without CRN the spatial noise of the loss is divided by ε, so its
 *    variance grows like 1/ε²; with CRN it does not depend on ε. Measured over 24 steps at
 *    ε = 1e-2, 1e-3, 1e-4.
 *  - unbiasedness on the quadratic toy loss L(θ) = (1/P)·Σ(θ_i − c_i)², whose gradient
 *    (2/P)(θ − c) is known in closed form: the mean of S estimates (a new step, hence new
 *    directions and, with T₀ = 1, a new subspace, per sample) equals it within 4 standard errors
 *    in every coordinate and along the gradient itself, for full SPSA, subspace SPSA and the
 *    forward gradient.
 */
import { describe, expect, it } from 'vitest';
import elementwiseCode from '../../shaders/elementwise.wgsl?raw';
import { packParameters, parameterLayout } from '../../src/engine/jetLayout.ts';
import { wholeTensor } from '../../src/engine/parameterBlocks.ts';
import {
  decodeReductionResult,
  GpuReducer,
  reductionResultBytes,
  reductionWord,
} from '../../src/engine/reductions.ts';
import { type GpuMemory, readBuffer, readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { cachedKernel } from '../../src/gpu/kernelCache.ts';
import { initParameters } from '../../src/jet/mlp.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { GpuStepCounter } from '../../src/random/stepCounter.ts';
import { CotangentDot } from '../../src/train/cotangentDot.ts';
import { ForwardGradientEstimator } from '../../src/train/forwardGradient.ts';
import { architectureOf } from '../../src/train/options.ts';
import type { DirectionFamily } from '../../src/train/parameterDirections.ts';
import { createProblem } from '../../src/train/problems.ts';
import { type LossProbe, ZerothOrderEstimator } from '../../src/train/zerothOrder.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { smallProblemOptions } from '../shared/smallRuns.ts';
import { oneCommandBuffer, type StepEncoder } from '../../src/train/boundedSubmits.ts';

let memory: GpuMemory;
useNodeGpu((_gpu, b) => {
  memory = b;
});

function variance(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
}

describe('common random numbers', () => {
  it('keep the two-point estimate ε-independent; independent draws grow like 1/ε²', async () => {
    const options = smallProblemOptions({ seed: 5, testPoints: 64, gradientEstimator: 'spsa' });
    const architecture = architectureOf(options);
    const theta = packParameters(architecture.widths, initParameters(architecture, 5));
    const params = memory.createFrom('θ', theta);
    const trial = memory.create('trial θ', theta.byteLength);
    const counter = new GpuStepCounter(memory);
    const { graph, evaluation } = await createProblem(
      memory,
      options,
      architecture,
      { trained: wholeTensor(params, theta.length), evaluated: wholeTensor(params, theta.length) },
      counter,
    );
    graph.setLossParameters(wholeTensor(trial, theta.length));
    const device = memory.device;
    const lossAt = async (point: Float32Array, step: number): Promise<number> => {
      memory.write(trial, point);
      counter.set(step);
      const encoder = device.createCommandEncoder();
      graph.encodeLoss(oneCommandBuffer(encoder));
      device.queue.submit([encoder.finish()]);
      const bytes = await readBuffer(device, graph.lossStats, reductionResultBytes);
      return decodeReductionResult(bytes).mean;
    };
    const random = new SeededRandom(9);
    const z = Float64Array.from(theta, () => random.normal());

    // The same step and θ: bit-identical losses (the draws and the reduction order are fixed).
    expect(await lossAt(theta, 3)).toBe(await lossAt(theta, 3));

    const steps = Array.from({ length: 24 }, (_, s) => s + 1);
    const results: { epsilon: number; crn: number; independent: number }[] = [];
    for (const epsilon of [1e-2, 1e-3, 1e-4]) {
      const plus = Float32Array.from(theta, (t, i) => t + epsilon * z[i]);
      const minus = Float32Array.from(theta, (t, i) => t - epsilon * z[i]);
      const crn: number[] = [];
      const independent: number[] = [];
      for (const s of steps) {
        const up = await lossAt(plus, s);
        crn.push((up - (await lossAt(minus, s))) / (2 * epsilon));
        independent.push((up - (await lossAt(minus, s + 1000))) / (2 * epsilon));
      }
      results.push({ epsilon, crn: variance(crn), independent: variance(independent) });
    }
    for (const r of results) {
      console.log(
        `ε = ${r.epsilon}: variance with CRN ${r.crn.toExponential(3)}, independent ` +
          `${r.independent.toExponential(3)}, ratio ${(r.independent / r.crn).toExponential(2)}`,
      );
    }
    for (const r of results) expect(r.independent / r.crn).toBeGreaterThan(10);
    // At the default ε = 1e-3 the gap is orders of magnitude.
    expect(results[1].independent / results[1].crn).toBeGreaterThan(1e3);
    for (let k = 1; k < results.length; k++) {
      // ε 10× smaller: 1/ε² predicts 100× more variance without CRN, none with it.
      const growth = results[k].independent / results[k - 1].independent;
      expect(growth).toBeGreaterThan(30);
      expect(growth).toBeLessThan(300);
      const crnGrowth = results[k].crn / results[k - 1].crn;
      expect(crnGrowth).toBeGreaterThan(0.5);
      expect(crnGrowth).toBeLessThan(2);
    }
    graph.destroy();
    evaluation.destroy();
    counter.destroy();
    memory.destroy(params);
    memory.destroy(trial);
  }, 120_000);
});

/** L(θ) = (1/P)·Σ(θ_i − c_i)², as copy, θ − c (elementwise.wgsl) and a deterministic reduction. */
class QuadraticLoss implements LossProbe {
  readonly lossWord = reductionWord.meanOfSquares;
  private constructor(
    readonly lossStats: GPUBuffer,
    private readonly encode: (encoder: GPUCommandEncoder) => void,
  ) {}

  static async create(trial: GPUBuffer, c: Float32Array): Promise<QuadraticLoss> {
    const n = c.length;
    const kernel = await cachedKernel(memory.device, [
      { name: 'elementwise.wgsl', code: elementwiseCode },
    ]);
    const params = new ArrayBuffer(16);
    new Uint32Array(params, 0, 1)[0] = n;
    new Float32Array(params, 4, 1)[0] = -1;
    const difference = memory.create('θ − c', n * 4);
    const bindGroup = kernel.bind({
      params: memory.createFrom('saxpy params', new Uint8Array(params), 'uniform'),
      x: memory.createFrom('c', c),
      y: difference,
    });
    const reducer = await GpuReducer.create(memory);
    const lossStats = memory.create('toy loss', reductionResultBytes);
    return new QuadraticLoss(lossStats, (encoder) => {
      encoder.copyBufferToBuffer(trial, 0, difference, 0, n * 4);
      const pass = encoder.beginComputePass();
      kernel.dispatch(pass, bindGroup, kernel.workgroupsFor(n));
      reducer.encode(pass, difference, n, lossStats);
      pass.end();
    });
  }

  encodeLoss(steps: StepEncoder): void {
    this.encode(steps.encoder);
  }
}

interface Toy {
  widths: number[];
  theta: Float32Array;
  c: Float32Array;
  gradient: Float64Array;
}

function toyProblem(): Toy {
  const widths = [3, 4, 2];
  const count = parameterLayout(widths).count;
  const random = new SeededRandom(4);
  const theta = Float32Array.from({ length: count }, () => random.normal());
  const c = Float32Array.from({ length: count }, () => random.normal());
  const gradient = Float64Array.from(theta, (t, i) => (2 / count) * (t - c[i]));
  return { widths, theta, c, gradient };
}

/**
 * S estimates at steps 1..S, recorded in chunks of command buffers: each step copies its number
 * into the step counter on the GPU, records the estimate and copies the gradient out.
 */
async function sampleEstimates(
  count: number,
  samples: number,
  counter: GpuStepCounter,
  gradient: GPUBuffer,
  encodeEstimate: (encoder: GPUCommandEncoder) => void,
): Promise<Float32Array> {
  const device = memory.device;
  const steps = memory.createFrom(
    'steps',
    Uint32Array.from({ length: samples }, (_, s) => s + 1),
  );
  const out = memory.create('estimates', samples * count * 4);
  const chunk = 250;
  for (let first = 0; first < samples; first += chunk) {
    const encoder = device.createCommandEncoder();
    for (let s = first; s < Math.min(samples, first + chunk); s++) {
      encoder.copyBufferToBuffer(steps, 4 * s, counter.buffer, 0, 4);
      encodeEstimate(encoder);
      encoder.copyBufferToBuffer(gradient, 0, out, 4 * s * count, 4 * count);
    }
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  }
  const values = await readFloat32(device, out, samples * count);
  memory.destroy(steps);
  memory.destroy(out);
  return values;
}

/** Mean within 4 standard errors of the true gradient: per coordinate and along g. */
function expectUnbiased(estimates: Float32Array, truth: Float64Array, samples: number): void {
  const P = truth.length;
  const norm2 = truth.reduce((s, g) => s + g * g, 0);
  const projections: number[] = [];
  for (let s = 0; s < samples; s++) {
    let dot = 0;
    for (let i = 0; i < P; i++) dot += estimates[s * P + i] * truth[i];
    projections.push(dot / norm2);
  }
  const projectionMean = projections.reduce((a, b) => a + b, 0) / samples;
  const projectionError = Math.sqrt(variance(projections) / samples);
  let worst = 0;
  for (let i = 0; i < P; i++) {
    const column = Array.from({ length: samples }, (_, s) => estimates[s * P + i]);
    const mean = column.reduce((a, b) => a + b, 0) / samples;
    const standardError = Math.sqrt(variance(column) / samples);
    worst = Math.max(worst, Math.abs(mean - truth[i]) / standardError);
  }
  console.log(
    `worst coordinate |mean − g|/SE = ${worst.toFixed(2)}; along g: ${projectionMean.toFixed(4)} ± ${projectionError.toFixed(4)} (1 expected)`,
  );
  expect(worst).toBeLessThan(4);
  expect(Math.abs(projectionMean - 1)).toBeLessThan(4 * projectionError);
  // The check has power: a 10 % scale error along g would be more than 4 standard errors off.
  expect(projectionError).toBeLessThan(0.025);
}

describe('unbiased on a quadratic toy loss (mean of S estimates vs the closed-form gradient)', () => {
  // Subspace estimates are products of four normals: heavier tails, so more samples for the
  // same standard error.
  const families: [string, DirectionFamily, number, number][] = [
    ['full SPSA, q = 1', { kind: 'full' }, 1, 4000],
    ['full SPSA, q = 2', { kind: 'full' }, 2, 2500],
    ['subspace SPSA, r = 3, T₀ = 1', { kind: 'subspace', rank: 3, period: 1 }, 1, 8000],
  ];
  for (const [name, family, directions, samples] of families) {
    it(
      name,
      async () => {
        const toy = toyProblem();
        const P = toy.theta.length;
        const params = memory.createFrom('θ', toy.theta);
        const gradient = memory.create('gradient', P * 4);
        const counter = new GpuStepCounter(memory);
        const probe = await QuadraticLoss.create(gradient, toy.c);
        const estimator = await ZerothOrderEstimator.create(
          memory,
          { widths: toy.widths, seed: 3, epsilon: 1e-2, directions, family },
          {
            parameters: wholeTensor(params, P),
            trial: wholeTensor(gradient, P),
            gradient: wholeTensor(gradient, P),
            stepCounter: counter.buffer,
          },
          probe,
        );
        const estimates = await sampleEstimates(P, samples, counter, gradient, (encoder) =>
          estimator.encodeGradient(oneCommandBuffer(encoder)),
        );
        expectUnbiased(estimates, toy.gradient, samples);
        // θ itself is never perturbed.
        expect(await readFloat32(memory.device, params, P)).toEqual(toy.theta);
        estimator.destroy();
      },
      120_000,
    );
  }

  it('forward gradient (∇L·v)·v', async () => {
    const toy = toyProblem();
    const P = toy.theta.length;
    const params = memory.createFrom('θ', toy.theta);
    const gradient = memory.create('gradient', P * 4);
    const counter = new GpuStepCounter(memory);
    const truth = memory.createFrom('∇L', Float32Array.from(toy.gradient));
    const reducer = await GpuReducer.create(memory);
    // The toy's directional derivative ∇L·v as the graph's would be: Σ ∇L_i·v_i, v read from
    // the buffer the estimator binds as the tangent.
    let dot: CotangentDot | null = null;
    const estimator = await ForwardGradientEstimator.create(
      memory,
      { widths: toy.widths, seed: 3 },
      {
        parameters: wholeTensor(params, P),
        gradient: wholeTensor(gradient, P),
        stepCounter: counter.buffer,
      },
      {
        setTangentParameters: () => undefined,
        encodeDirectionalDerivative: (steps, result) => {
          if (!dot) throw new Error('not ready');
          dot.encode(steps.encoder, result);
        },
      },
    );
    dot = await CotangentDot.create(memory, reducer, P, 1, {
      cotangent: truth,
      tangent: gradient,
    });
    const samples = 4000;
    const estimates = await sampleEstimates(P, samples, counter, gradient, (encoder) =>
      estimator.encodeGradient(oneCommandBuffer(encoder)),
    );
    expectUnbiased(estimates, toy.gradient, samples);
    estimator.destroy();
  }, 120_000);
});
