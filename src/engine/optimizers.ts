import optimizersCode from '../../shaders/optimizers.wgsl?raw';
import type { GpuBuffers } from '../gpu/buffers.ts';
import { readFloat32 } from '../gpu/buffers.ts';
import { LimitError } from '../gpu/errors.ts';
import { createKernel, type BufferBinding, type ComputeKernel } from '../gpu/kernel.ts';
import type { DivergenceGuard } from './divergenceGuard.ts';
import {
  BindGroupCache,
  dispatchLinear,
  inComputePass,
  resolveBinding,
  UniformRing,
  type ComputeTarget,
} from '../gpu/dispatch.ts';

export interface OptimizerStep {
  /** The flat parameter buffer (jetLayout.ts), updated in place. */
  params: BufferBinding;
  /** The gradient, same layout. */
  gradient: BufferBinding;
  /** This step's learning rate; written with the step, so a schedule needs no recompile. */
  learningRate: number;
  /** While this guard is tripped the update is skipped: θ (and m, v) stay bit-identical. */
  guard?: DivergenceGuard;
}

export interface AdamStep extends OptimizerStep {
  /** The Adam step count t ≥ 1 of the bias corrections 1 − β^t, kept by the host (no readback). */
  step: number;
}

export interface UpdateKernelOptions {
  /** Steps that may be recorded between two queue submits (see UniformRing); default 32. */
  uniformSlots?: number;
  /** Invocations per workgroup (default 256). */
  workgroupSize?: number;
}

export interface AdamOptions extends UpdateKernelOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /**
   * Decoupled weight decay λ (AdamW as in PyTorch): θ ← θ − lr·λ·θ besides the Adam step, not
   * added to the gradient. Default 0, which is plain Adam.
   */
  weightDecay?: number;
}

/** The Hyper struct of shaders/optimizers.wgsl (9 words, padded to the 16-byte uniform size). */
const hyperBytes = 48;

function validateCount(what: string, count: number): void {
  if (!Number.isInteger(count) || count < 1 || count >= 2 ** 32) {
    throw new RangeError(`${what}: parameterCount must be a positive u32 integer, got ${count}`);
  }
}

/** One entry point of optimizers.wgsl plus what every step needs: uniform ring, bind groups. */
class UpdateKernel {
  private readonly ring: UniformRing;
  private readonly bindGroups: BindGroupCache;
  /** Status word 0 that is never set: the "guard" of an unguarded step. */
  private readonly neverTripped: GPUBuffer;

  private constructor(
    private readonly buffers: GpuBuffers,
    private readonly kernel: ComputeKernel,
    private readonly name: string,
    readonly count: number,
    uniformSlots: number,
  ) {
    this.ring = new UniformRing(buffers, `${name} hyperparameters`, hyperBytes, uniformSlots);
    this.bindGroups = new BindGroupCache(kernel);
    this.neverTripped = buffers.create(`${name} unguarded`, 4);
  }

  static async create(
    buffers: GpuBuffers,
    entryPoint: 'adam_step' | 'sgd_step',
    name: string,
    count: number,
    options: UpdateKernelOptions,
  ): Promise<UpdateKernel> {
    validateCount(name, count);
    const device = buffers.device;
    const workgroupSize = options.workgroupSize ?? 256;
    if (
      !Number.isInteger(workgroupSize) ||
      workgroupSize < 1 ||
      workgroupSize > device.limits.maxComputeInvocationsPerWorkgroup ||
      workgroupSize > device.limits.maxComputeWorkgroupSizeX
    ) {
      throw new LimitError(
        `${name}: workgroupSize ${workgroupSize} is outside [1, ${device.limits.maxComputeInvocationsPerWorkgroup}]`,
      );
    }
    const kernel = await createKernel(
      device,
      { name: 'optimizers.wgsl', code: optimizersCode },
      { entryPoint, constants: { WORKGROUP_SIZE: workgroupSize } },
    );
    return new UpdateKernel(buffers, kernel, name, count, options.uniformSlots ?? 32);
  }

  encode(
    target: ComputeTarget,
    step: OptimizerStep,
    hyper: ArrayBuffer,
    state: { m: GPUBuffer; v: GPUBuffer; previous: GPUBuffer },
  ): void {
    const params = resolveBinding(step.params);
    const gradient = resolveBinding(step.gradient);
    for (const [what, binding] of [
      ['params', params],
      ['gradient', gradient],
    ] as const) {
      if (binding.size < 4 * this.count) {
        throw new RangeError(
          `${this.name}: ${what} binding holds ${binding.size} bytes, fewer than ${this.count} floats`,
        );
      }
    }
    const bindGroup = this.bindGroups.get({
      hyper: this.ring.push(hyper),
      gradient,
      theta: params,
      m: state.m,
      v: state.v,
      guard: step.guard?.statusBuffer ?? this.neverTripped,
      previous: state.previous,
    });
    const maxPerDimension = this.buffers.device.limits.maxComputeWorkgroupsPerDimension;
    inComputePass(target, this.name, (pass) => {
      dispatchLinear(
        this.kernel,
        pass,
        bindGroup,
        this.kernel.workgroupsFor(this.count),
        maxPerDimension,
      );
    });
  }

  destroy(): void {
    this.ring.destroy();
    this.buffers.destroy(this.neverTripped);
  }
}

/** The f32 fields of the Hyper struct, in order after `count`. */
const hyperFields = [
  'stepSize',
  'beta1',
  'oneMinusBeta1',
  'beta2',
  'oneMinusBeta2',
  'epsilon',
  'decay',
  'inverseBias2',
] as const;
type HyperField = (typeof hyperFields)[number];

function hyperparameters(count: number, values: Partial<Record<HyperField, number>>): ArrayBuffer {
  const data = new ArrayBuffer(hyperBytes);
  new Uint32Array(data, 0, 1)[0] = count;
  const floats = new Float32Array(data);
  hyperFields.forEach((field, i) => {
    floats[i + 1] = values[field] ?? 0;
  });
  return data;
}

function validateLearningRate(what: string, learningRate: number): void {
  if (!Number.isFinite(learningRate) || learningRate < 0) {
    throw new RangeError(`${what}: learningRate must be finite and ≥ 0, got ${learningRate}`);
  }
}

/**
 * Adam over the flat parameter buffer, one dispatch per step (shaders/optimizers.wgsl). The
 * moments m and v live on the GPU in the same flat layout as the parameters; the host keeps the
 * step count and writes it with the learning rate, so a step needs no readback.
 */
export class GpuAdam {
  /** First moment m, parameterCount floats. */
  readonly m: GPUBuffer;
  /** Second moment v, parameterCount floats. */
  readonly v: GPUBuffer;
  /** θ, m and v as they were before the last applied update (optimizers.wgsl). */
  private readonly previous: GPUBuffer;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;

  private constructor(
    private readonly buffers: GpuBuffers,
    private readonly update: UpdateKernel,
    readonly parameterCount: number,
    options: AdamOptions,
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    // WebGPU zero-initialises new buffers: fresh moments are m = v = 0.
    this.m = buffers.create('adam m', 4 * parameterCount);
    this.v = buffers.create('adam v', 4 * parameterCount);
    this.previous = buffers.create('adam previous θ, m, v', 12 * parameterCount);
  }

  static async create(
    buffers: GpuBuffers,
    parameterCount: number,
    options: AdamOptions = {},
  ): Promise<GpuAdam> {
    for (const [name, value] of [
      ['beta1', options.beta1 ?? 0.9],
      ['beta2', options.beta2 ?? 0.999],
    ] as const) {
      if (!(value >= 0 && value < 1))
        throw new RangeError(`adam: ${name} must be in [0, 1), got ${value}`);
    }
    const epsilon = options.epsilon ?? 1e-8;
    if (!(epsilon > 0 && Number.isFinite(epsilon))) {
      throw new RangeError(`adam: epsilon must be finite and > 0, got ${epsilon}`);
    }
    const weightDecay = options.weightDecay ?? 0;
    if (!(weightDecay >= 0 && Number.isFinite(weightDecay))) {
      throw new RangeError(`adam: weightDecay must be finite and ≥ 0, got ${weightDecay}`);
    }
    const update = await UpdateKernel.create(buffers, 'adam_step', 'adam', parameterCount, options);
    return new GpuAdam(buffers, update, parameterCount, options);
  }

  /**
   * Records step t of Adam. Its hyperparameters are written to the queue now (queue.writeBuffer),
   * so submit the encoder before recording more than `uniformSlots` further steps.
   */
  encodeStep(target: ComputeTarget, step: AdamStep): void {
    const { learningRate, step: t } = step;
    validateLearningRate('adam', learningRate);
    if (!Number.isInteger(t) || t < 1)
      throw new RangeError(`adam: step must be an integer ≥ 1, got ${t}`);
    // Bias corrections in float64: f32 sees each derived constant rounded once.
    const bias1 = 1 - this.beta1 ** t;
    const bias2 = 1 - this.beta2 ** t;
    const hyper = hyperparameters(this.parameterCount, {
      stepSize: learningRate / bias1,
      beta1: this.beta1,
      oneMinusBeta1: 1 - this.beta1,
      beta2: this.beta2,
      oneMinusBeta2: 1 - this.beta2,
      epsilon: this.epsilon,
      decay: learningRate * this.weightDecay,
      inverseBias2: 1 / bias2,
    });
    this.update.encode(target, step, hyper, { m: this.m, v: this.v, previous: this.previous });
  }

  /**
   * Records the copy of θ, m and v back to their values before the last applied update: after a
   * divergence guard trip at step s, the state after step s − 2 (see optimizers.wgsl).
   */
  encodeRestorePrevious(encoder: GPUCommandEncoder, params: GPUBuffer): void {
    const bytes = 4 * this.parameterCount;
    encoder.copyBufferToBuffer(this.previous, 0, params, 0, bytes);
    encoder.copyBufferToBuffer(this.previous, bytes, this.m, 0, bytes);
    encoder.copyBufferToBuffer(this.previous, 2 * bytes, this.v, 0, bytes);
  }

  /** Copies m and v to the CPU (for a checkpoint; the step count is the host's). */
  async downloadMoments(): Promise<{ m: Float32Array; v: Float32Array }> {
    const device = this.buffers.device;
    const [m, v] = await Promise.all([
      readFloat32(device, this.m, this.parameterCount),
      readFloat32(device, this.v, this.parameterCount),
    ]);
    return { m, v };
  }

  /** Restores m and v from a checkpoint; continue with the checkpoint's step count + 1. */
  uploadMoments(moments: { m: Float32Array; v: Float32Array }): void {
    for (const [name, data] of Object.entries(moments)) {
      if (data.length !== this.parameterCount) {
        throw new RangeError(
          `adam: ${name} has ${data.length} elements, expected ${this.parameterCount}`,
        );
      }
    }
    this.buffers.write(this.m, moments.m);
    this.buffers.write(this.v, moments.v);
  }

  /** Zeroes m and v (a fresh run restarts at step 1). */
  reset(): void {
    const device = this.buffers.device;
    const encoder = device.createCommandEncoder({ label: 'adam reset' });
    encoder.clearBuffer(this.m);
    encoder.clearBuffer(this.v);
    device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    this.update.destroy();
    this.buffers.destroy(this.m);
    this.buffers.destroy(this.v);
    this.buffers.destroy(this.previous);
  }
}

/** Plain gradient descent θ ← θ − lr·g (shaders/optimizers.wgsl, sgd_step). */
export class GpuSgd {
  private readonly unusedM: GPUBuffer;
  private readonly unusedV: GPUBuffer;
  /** θ before the last applied update (optimizers.wgsl). */
  private readonly previous: GPUBuffer;

  private constructor(
    private readonly buffers: GpuBuffers,
    private readonly update: UpdateKernel,
    readonly parameterCount: number,
  ) {
    // The file's bind group layout lists Adam's moments too (layouts come from the whole module).
    this.unusedM = buffers.create('sgd unused m', 4);
    this.unusedV = buffers.create('sgd unused v', 4);
    this.previous = buffers.create('sgd previous θ', 4 * parameterCount);
  }

  static async create(
    buffers: GpuBuffers,
    parameterCount: number,
    options: UpdateKernelOptions = {},
  ): Promise<GpuSgd> {
    const update = await UpdateKernel.create(buffers, 'sgd_step', 'sgd', parameterCount, options);
    return new GpuSgd(buffers, update, parameterCount);
  }

  /** Records one step; like Adam's, its learning rate is written to the queue now. */
  encodeStep(target: ComputeTarget, step: OptimizerStep): void {
    validateLearningRate('sgd', step.learningRate);
    const hyper = hyperparameters(this.parameterCount, { stepSize: step.learningRate });
    this.update.encode(target, step, hyper, {
      m: this.unusedM,
      v: this.unusedV,
      previous: this.previous,
    });
  }

  /** Records the copy of θ back to its value before the last applied update. */
  encodeRestorePrevious(encoder: GPUCommandEncoder, params: GPUBuffer): void {
    encoder.copyBufferToBuffer(this.previous, 0, params, 0, 4 * this.parameterCount);
  }

  destroy(): void {
    this.update.destroy();
    this.buffers.destroy(this.unusedM);
    this.buffers.destroy(this.unusedV);
    this.buffers.destroy(this.previous);
  }
}
