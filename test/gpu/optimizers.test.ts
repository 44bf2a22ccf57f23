import { describe, expect, it } from 'vitest';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { type GpuMemory, readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { GpuAdam, GpuSgd, type AdamOptions } from '../../src/engine/optimizers.ts';
import { type BlockedTensor, singleBlock, wholeTensor } from '../../src/engine/parameterBlocks.ts';

let gpu: GpuContext;
let memory: GpuMemory;
useNodeGpu((g, b) => {
  gpu = g;
  memory = b;
});

const u = 2 ** -24; // f32 unit roundoff

/** Not a multiple of the workgroup size (256): the last workgroup is partly idle. */
const P = 1037;

function initialParams(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.cos(0.37 * i + 0.1));
}

/**
 * A different gradient every step, with per-element magnitudes from 1e-10 (where ε matters) to
 * 1e2, both signs, and some elements whose gradient is always exactly 0.
 */
const gradientScales = [1e-10, 1e-6, 1e-3, 1e-2, 0.1, 1, 10, 100];

function gradientAt(step: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    if (i % 97 === 5) return 0;
    return gradientScales[i % 8] * Math.sin(1.3 * i + 0.7 * step + 0.2);
  });
}

function learningRateAt(step: number): number {
  return 0.02 * (1 - step / 20); // a decaying schedule: each step writes a different lr
}

/** Adam / AdamW (PyTorch's conventions) in float64, written from the formulas, not the shader. */
class ReferenceAdam {
  readonly m: Float64Array;
  readonly v: Float64Array;
  constructor(
    readonly theta: Float64Array,
    private readonly o: Required<Pick<AdamOptions, 'beta1' | 'beta2' | 'epsilon' | 'weightDecay'>>,
  ) {
    this.m = new Float64Array(theta.length);
    this.v = new Float64Array(theta.length);
  }
  step(t: number, lr: number, g: Float32Array): void {
    const { beta1, beta2, epsilon, weightDecay } = this.o;
    for (let i = 0; i < this.theta.length; i++) {
      this.m[i] = beta1 * this.m[i] + (1 - beta1) * g[i];
      this.v[i] = beta2 * this.v[i] + (1 - beta2) * g[i] * g[i];
      const mHat = this.m[i] / (1 - beta1 ** t);
      const vHat = this.v[i] / (1 - beta2 ** t);
      this.theta[i] =
        this.theta[i] * (1 - lr * weightDecay) - (lr * mHat) / (Math.sqrt(vHat) + epsilon);
    }
  }
}

const defaults = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 };

/** Largest |g| each element sees over `steps` steps: the scale of its m (and, squared, of v). */
function gradientScale(steps: number, n: number): Float64Array {
  const scale = new Float64Array(n);
  for (let t = 1; t <= steps; t++) {
    gradientAt(t, n).forEach((g, i) => (scale[i] = Math.max(scale[i], Math.abs(g))));
  }
  return scale;
}

/**
 * Runs 10 Adam steps on the GPU: steps 1–5 one submit each, steps 6–10 recorded into ONE command
 * encoder (so the per-step uniforms must not overwrite each other), each with its own gradient.
 */
async function runAdam(
  options: AdamOptions,
): Promise<{ theta: Float32Array; m: Float32Array; v: Float32Array }> {
  const adam = await GpuAdam.create(memory, P, options);
  const params = memory.createFrom('theta', initialParams(P));
  const gradients = Array.from({ length: 10 }, (_, k) =>
    memory.createFrom(`g${k + 1}`, gradientAt(k + 1, P)),
  );
  const device = gpu.device;
  const theta = wholeTensor(params, P);
  const g = gradients.map((buffer) => wholeTensor(buffer, P));
  for (let t = 1; t <= 5; t++) {
    const encoder = device.createCommandEncoder();
    adam.encodeStep(encoder, {
      params: theta,
      gradient: g[t - 1],
      learningRate: learningRateAt(t),
      step: t,
    });
    device.queue.submit([encoder.finish()]);
  }
  const encoder = device.createCommandEncoder();
  for (let t = 6; t <= 10; t++) {
    adam.encodeStep(encoder, {
      params: theta,
      gradient: g[t - 1],
      learningRate: learningRateAt(t),
      step: t,
    });
  }
  device.queue.submit([encoder.finish()]);
  const thetaAfter = await readFloat32(device, params, P);
  const { m, v } = await adam.downloadMoments();
  adam.destroy();
  memory.destroy(params);
  gradients.forEach((buffer) => memory.destroy(buffer));
  return { theta: thetaAfter, m, v };
}

function referenceAdam(options: typeof defaults): ReferenceAdam {
  const reference = new ReferenceAdam(Float64Array.from(initialParams(P)), options);
  for (let t = 1; t <= 10; t++) reference.step(t, learningRateAt(t), gradientAt(t, P));
  return reference;
}

/**
 * Tolerances (f32 against float64): θ within 1e-6 of the parameter scale (|θ| ≤ 1 here; ten
 * roundings of θ alone can reach 6e-7); m within 1e-6 of its element's gradient scale s_i, v within
 * 1e-6·s_i² (a few roundings per step, damped by β).
 */
function expectMatchesReference(
  gpuResult: { theta: Float32Array; m: Float32Array; v: Float32Array },
  reference: ReferenceAdam,
): void {
  const scale = gradientScale(10, P);
  let worstTheta = 0;
  for (let i = 0; i < P; i++) {
    worstTheta = Math.max(worstTheta, Math.abs(gpuResult.theta[i] - reference.theta[i]));
    expect(Math.abs(gpuResult.m[i] - reference.m[i])).toBeLessThanOrEqual(1e-6 * scale[i]);
    expect(Math.abs(gpuResult.v[i] - reference.v[i])).toBeLessThanOrEqual(1e-6 * scale[i] ** 2);
  }
  expect(worstTheta).toBeLessThanOrEqual(1e-6);
}

describe('GpuAdam', () => {
  it('matches a float64 Adam over 10 steps with varied gradients and a learning-rate schedule', async () => {
    const result = await runAdam({});
    const reference = referenceAdam(defaults);
    expectMatchesReference(result, reference);
    // Elements whose gradient is always 0 never move: 0/(0 + ε) = 0.
    const initial = initialParams(P);
    expect(result.theta[5]).toBe(initial[5]);
    expect(result.m[5]).toBe(0);
    // Adam moves every other element by roughly lr per step, so the test exercises real updates.
    expect(Math.abs(result.theta[3] - initial[3])).toBeGreaterThan(0.01);
  });

  it('applies decoupled weight decay (AdamW) against the float64 reference', async () => {
    const options = { ...defaults, weightDecay: 0.5, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 };
    const result = await runAdam(options);
    expectMatchesReference(result, referenceAdam(options));
    // The decay is visible: without it the result differs by far more than the tolerance.
    const undecayed = referenceAdam({ ...options, weightDecay: 0 });
    expect(Math.abs(result.theta[3] - undecayed.theta[3])).toBeGreaterThan(1e-3);
  });

  it('corrects the bias: the first step moves each parameter by lr·sign(g)', async () => {
    const adam = await GpuAdam.create(memory, 4);
    const theta0 = new Float32Array([0.5, -0.25, 1, 2]);
    const g = new Float32Array([3, -1e-3, 40, -0.5]);
    const params = memory.createFrom('theta', theta0);
    const gradient = memory.createFrom('g', g);
    const encoder = gpu.device.createCommandEncoder();
    const lr = 1e-3;
    adam.encodeStep(encoder, {
      params: wholeTensor(params, 4),
      gradient: wholeTensor(gradient, 4),
      learningRate: lr,
      step: 1,
    });
    gpu.device.queue.submit([encoder.finish()]);
    const theta1 = await readFloat32(gpu.device, params, 4);
    // Without bias correction the step would be lr·(1−β1)/sqrt(1−β2) ≈ 3.2·lr.
    theta0.forEach((t, i) => {
      expect(Math.abs(theta1[i] - (t - lr * Math.sign(g[i])))).toBeLessThanOrEqual(
        u * Math.abs(t) + 1e-4 * lr,
      );
    });
    adam.destroy();
    memory.destroy(params);
    memory.destroy(gradient);
  });

  it('round-trips its moments for checkpoints, and reset() zeroes them', async () => {
    const device = gpu.device;
    const first = await GpuAdam.create(memory, P);
    const params = memory.createFrom('theta', initialParams(P));
    const step = async (adam: GpuAdam, theta: GPUBuffer, t: number): Promise<void> => {
      const gradient = memory.createFrom('g', gradientAt(t, P));
      const encoder = device.createCommandEncoder();
      adam.encodeStep(encoder, {
        params: wholeTensor(theta, P),
        gradient: wholeTensor(gradient, P),
        learningRate: learningRateAt(t),
        step: t,
      });
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      memory.destroy(gradient);
    };
    for (let t = 1; t <= 3; t++) await step(first, params, t);
    const moments = await first.downloadMoments();
    const resumed = await GpuAdam.create(memory, P);
    resumed.uploadMoments(moments);
    const resumedParams = memory.createFrom('theta copy', await readFloat32(device, params, P));
    for (let t = 4; t <= 6; t++) {
      await step(first, params, t);
      await step(resumed, resumedParams, t);
    }
    const a = await readFloat32(device, params, P);
    const b = await readFloat32(device, resumedParams, P);
    expect(new Uint32Array(b.buffer)).toEqual(new Uint32Array(a.buffer));

    first.reset();
    const cleared = await first.downloadMoments();
    expect(cleared.m.every((x) => x === 0) && cleared.v.every((x) => x === 0)).toBe(true);
    expect(() => first.uploadMoments({ m: new Float32Array(3), v: new Float32Array(P) })).toThrow(
      RangeError,
    );
    first.destroy();
    resumed.destroy();
    memory.destroy(params);
    memory.destroy(resumedParams);
  });

  it('refuses invalid steps, learning rates, options and bindings', async () => {
    await expect(GpuAdam.create(memory, P, { beta1: 1 })).rejects.toThrow(
      /beta1 must be in \[0, 1\)/,
    );
    await expect(GpuAdam.create(memory, 0)).rejects.toThrow(/parameterCount/);
    const adam = await GpuAdam.create(memory, P);
    const params = memory.create('theta', 4 * P);
    const small = memory.create('small', 4 * (P - 1));
    const theta = wholeTensor(params, P);
    // wholeTensor refuses a short buffer itself: build the tensor by hand to reach the optimizer.
    const shortGradient: BlockedTensor = { blocks: singleBlock(P), buffers: [small] };
    const encoder = gpu.device.createCommandEncoder();
    expect(() =>
      adam.encodeStep(encoder, { params: theta, gradient: theta, learningRate: 1e-3, step: 0 }),
    ).toThrow(/step must be an integer ≥ 1/);
    expect(() =>
      adam.encodeStep(encoder, { params: theta, gradient: theta, learningRate: NaN, step: 1 }),
    ).toThrow(/learningRate/);
    expect(() =>
      adam.encodeStep(encoder, {
        params: theta,
        gradient: shortGradient,
        learningRate: 1e-3,
        step: 1,
      }),
    ).toThrow(/adam: gradient \(block 0\) holds 4144 bytes, fewer than 1037 floats/);
    // A tensor split otherwise than the optimizer's parameters is refused.
    const split: BlockedTensor = {
      blocks: {
        count: P,
        blocks: [
          { start: 0, count: 500 },
          { start: 500, count: P - 500 },
        ],
      },
      buffers: [params, params],
    };
    expect(() =>
      adam.encodeStep(encoder, { params: split, gradient: theta, learningRate: 1e-3, step: 1 }),
    ).toThrow(/adam: params is split into blocks \[0\+500, 500\+537\] in 2 buffers/);
    encoder.finish();
    adam.destroy();
    memory.destroy(params);
    memory.destroy(small);
  });
});

describe('GpuSgd', () => {
  it('takes θ ← θ − lr·g to within one rounding of the product and one of the difference', async () => {
    const sgd = await GpuSgd.create(memory, P);
    const theta0 = initialParams(P);
    const g = gradientAt(1, P);
    const params = memory.createFrom('theta', theta0);
    const gradient = memory.createFrom('g', g);
    const lr = 0.0123;
    const encoder = gpu.device.createCommandEncoder();
    sgd.encodeStep(encoder, {
      params: wholeTensor(params, P),
      gradient: wholeTensor(gradient, P),
      learningRate: lr,
    });
    gpu.device.queue.submit([encoder.finish()]);
    const theta1 = await readFloat32(gpu.device, params, P);
    const lr32 = Math.fround(lr);
    for (let i = 0; i < P; i++) {
      const exact = theta0[i] - lr32 * g[i];
      expect(Math.abs(theta1[i] - exact)).toBeLessThanOrEqual(
        u * (Math.abs(exact) + Math.abs(lr32 * g[i])),
      );
    }
    sgd.destroy();
    memory.destroy(params);
    memory.destroy(gradient);
  });

  it('keeps θ before its last update for the divergence restore', async () => {
    const sgd = await GpuSgd.create(memory, P);
    const params = memory.createFrom('theta', initialParams(P));
    const gradient = memory.createFrom('g', gradientAt(1, P));
    const theta = wholeTensor(params, P);
    const update = (encoder: GPUCommandEncoder) =>
      sgd.encodeStep(encoder, {
        params: theta,
        gradient: wholeTensor(gradient, P),
        learningRate: 0.5,
      });
    for (let t = 1; t <= 2; t++) {
      const encoder = gpu.device.createCommandEncoder();
      update(encoder);
      gpu.device.queue.submit([encoder.finish()]);
    }
    const afterSecond = await readFloat32(gpu.device, params, P);
    const encoder = gpu.device.createCommandEncoder();
    update(encoder);
    sgd.encodeRestorePrevious(encoder, theta);
    gpu.device.queue.submit([encoder.finish()]);
    const restored = await readFloat32(gpu.device, params, P);
    expect(new Uint32Array(restored.buffer)).toEqual(new Uint32Array(afterSecond.buffer));
    // The third update did move θ: the restore is what brought it back.
    const third = gpu.device.createCommandEncoder();
    update(third);
    gpu.device.queue.submit([third.finish()]);
    const moved = await readFloat32(gpu.device, params, P);
    expect(new Uint32Array(moved.buffer)).not.toEqual(new Uint32Array(afterSecond.buffer));
    sgd.destroy();
    memory.destroy(params);
    memory.destroy(gradient);
  });

  it('covers more than 65 535 workgroups with a 2-D grid (workgroupSize 1, 70 000 parameters)', async () => {
    const n = 70_000;
    const sgd = await GpuSgd.create(memory, n, { workgroupSize: 1 });
    const params = memory.createFrom('theta', new Float32Array(n).fill(1));
    const gradient = memory.createFrom(
      'g',
      Float32Array.from({ length: n }, (_, i) => i % 7),
    );
    const encoder = gpu.device.createCommandEncoder();
    sgd.encodeStep(encoder, {
      params: wholeTensor(params, n),
      gradient: wholeTensor(gradient, n),
      learningRate: 0.5,
    });
    gpu.device.queue.submit([encoder.finish()]);
    const theta = await readFloat32(gpu.device, params, n);
    theta.forEach((t, i) => {
      if (t !== 1 - 0.5 * (i % 7)) expect.fail(`θ[${i}] = ${t}, expected ${1 - 0.5 * (i % 7)}`);
    });
    sgd.destroy();
    memory.destroy(params);
    memory.destroy(gradient);
  });
});
