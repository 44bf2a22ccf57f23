import optimizersCode from '../../shaders/optimizers.wgsl?raw';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { readFloat32 } from '../gpu/gpuMemory.ts';
import { LimitError } from '../gpu/errors.ts';
import type { BufferBinding, ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { StructValue } from '../gpu/structView.ts';
import { type DivergenceGuard, resolveScalar, type ScalarBinding } from './divergenceGuard.ts';
import {
  BindGroupCache,
  inComputePass,
  resolveBinding,
  UniformRing,
  type ComputeTarget,
  planUniformRing,
} from '../gpu/dispatch.ts';
import type { KernelCost } from './kernelCost.ts';
import { plannedView } from './planning.ts';

export interface OptimizerStep {
  /** The flat parameter buffer (jetLayout.ts), updated in place. */
  params: BufferBinding;
  /** The gradient, same layout. */
  gradient: BufferBinding;
  /** This step's learning rate; written with the step, so a schedule needs no recompile. */
  learningRate: number;
  /** While this guard is tripped the update is skipped: θ (and m, v) stay bit-identical. */
  guard?: DivergenceGuard;
  /**
   * Without the rollback copy: the step's loss, whose being NaN/±Inf skips the update (the guard's
   * encodeVerdict reports it). Ignored with the copy, where the guard's encodeCheck tests it.
   */
  loss?: ScalarBinding;
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
  /**
   * Keep θ (and m, v) from before the last update on the GPU for a divergence restore
   * (encodeRestorePrevious), default true: 12 bytes per parameter of memory and of writes per step
   * for Adam, 4 for SGD. Without it the kernel checks each gradient element it reads instead
   * (optimizers.wgsl, ROLLBACK) and the host restores the last good state from its own copy.
   */
  rollback?: boolean;
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

const optimizersSource = [
  lib.grid,
  lib.finiteBits,
  { name: 'optimizers.wgsl', code: optimizersCode },
];

export type OptimizerKind = 'adam' | 'sgd';

/** An optimizer over `parameterCount` parameters; the Adam fields only matter for 'adam'. */
export interface OptimizerConfig extends AdamOptions {
  kind: OptimizerKind;
  parameterCount: number;
}

/** The device limits an optimizer's plan depends on (GPUSupportedLimits has them). */
export type OptimizerLimits = Pick<
  GPUSupportedLimits,
  | 'maxComputeInvocationsPerWorkgroup'
  | 'maxComputeWorkgroupSizeX'
  | 'minUniformBufferOffsetAlignment'
>;

export interface OptimizerPlan {
  kind: OptimizerKind;
  entryPoint: 'adam_step' | 'sgd_step';
  parameterCount: number;
  constants: { WORKGROUP_SIZE: number; ROLLBACK: number };
  rollback: boolean;
  /**
   * Bytes per parameter one step reads (θ, g, and m, v for Adam) and writes (θ, m, v, and the
   * rollback copy of them when kept): the traffic the update adds to the gradient's own.
   */
  bytesPerParameter: { read: number; written: number };
  /** Workgroups of one step, folded into the device's grid by ComputeKernel.dispatchFolded. */
  workgroups: number;
  uniformSlots: number;
  /** Adam's hyperparameters with their defaults applied (unused by sgd). */
  adam: { beta1: number; beta2: number; epsilon: number; weightDecay: number };
  /** The UniformRing of the per-step Hyper struct. */
  ring: PlannedBuffer;
  /** The 4-byte status bound as the guard of an unguarded step (its word 0 is never set). */
  unguarded: PlannedBuffer;
  /**
   * The 4-byte stand-ins bound as the loss and the verdict when the step has none (the file's
   * bind group layout lists them in either mode; the loss stand-in holds 0, a finite loss).
   */
  unchecked: { loss: PlannedBuffer; verdict: PlannedBuffer };
  /**
   * adam: the moments and θ, m, v before the last update; sgd: 4-byte stand-ins for m and v (the
   * file's bind group layout lists Adam's moments too) and θ before the last update. Without the
   * rollback, `previous` is a 4-byte stand-in too.
   */
  state: { m: PlannedBuffer; v: PlannedBuffer; previous: PlannedBuffer };
  /** Every buffer create allocates: ring, unguarded status, the state, the unchecked stand-ins. */
  buffers: PlannedBuffer[];
}

function validateCount(what: string, count: number): void {
  if (!Number.isInteger(count) || count < 1 || count >= 2 ** 32) {
    throw new RangeError(`${what}: parameterCount must be a positive u32 integer, got ${count}`);
  }
}

function validateAdamOptions(options: AdamOptions): OptimizerPlan['adam'] {
  const adam = {
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
    epsilon: options.epsilon ?? 1e-8,
    weightDecay: options.weightDecay ?? 0,
  };
  for (const [name, value] of [
    ['beta1', adam.beta1],
    ['beta2', adam.beta2],
  ] as const) {
    if (!(value >= 0 && value < 1))
      throw new RangeError(`adam: ${name} must be in [0, 1), got ${value}`);
  }
  if (!(adam.epsilon > 0 && Number.isFinite(adam.epsilon))) {
    throw new RangeError(`adam: epsilon must be finite and > 0, got ${adam.epsilon}`);
  }
  if (!(adam.weightDecay >= 0 && Number.isFinite(adam.weightDecay))) {
    throw new RangeError(`adam: weightDecay must be finite and ≥ 0, got ${adam.weightDecay}`);
  }
  return adam;
}

function validateWorkgroupSize(name: string, size: number, limits: OptimizerLimits): void {
  if (
    !Number.isInteger(size) ||
    size < 1 ||
    size > limits.maxComputeInvocationsPerWorkgroup ||
    size > limits.maxComputeWorkgroupSizeX
  ) {
    throw new LimitError(
      `${name}: workgroupSize ${size} is outside [1, ${limits.maxComputeInvocationsPerWorkgroup}]`,
    );
  }
}

/**
 * The optimizer `config` on a device with `limits`: its kernel specialization, the workgroups of
 * a step and every buffer GpuAdam.create or GpuSgd.create allocates. Pure; throws RangeError or
 * LimitError for options the kernel cannot take.
 */
export function planOptimizer(config: OptimizerConfig, limits: OptimizerLimits): OptimizerPlan {
  const { kind, parameterCount: count } = config;
  // sgd takes no Adam options: its plan carries the defaults, unused.
  const adam = validateAdamOptions(kind === 'adam' ? config : {});
  validateCount(kind, count);
  const workgroupSize = config.workgroupSize ?? 256;
  validateWorkgroupSize(kind, workgroupSize, limits);
  const uniformSlots = config.uniformSlots ?? 32;
  const rollback = config.rollback ?? true;
  const hyper = plannedView(optimizersSource, 'hyper');
  // Floats per parameter the update reads and writes besides the gradient: θ, and m, v for Adam.
  const stateFloats = kind === 'adam' ? 3 : 1;
  const previous = rollback
    ? storageBuffer(
        kind === 'adam' ? 'adam previous θ, m, v' : 'sgd previous θ',
        4 * stateFloats * count,
      )
    : storageBuffer(`${kind} no previous`, 4);
  const state =
    kind === 'adam'
      ? {
          m: storageBuffer('adam m', 4 * count),
          v: storageBuffer('adam v', 4 * count),
          previous,
        }
      : { m: storageBuffer('sgd unused m', 4), v: storageBuffer('sgd unused v', 4), previous };
  const ring = planUniformRing(`${kind} hyperparameters`, hyper, uniformSlots, limits);
  const unguarded = storageBuffer(`${kind} unguarded`, 4);
  const unchecked = {
    loss: storageBuffer(`${kind} unchecked loss`, 4),
    verdict: storageBuffer(`${kind} unchecked verdict`, 4),
  };
  return {
    kind,
    entryPoint: kind === 'adam' ? 'adam_step' : 'sgd_step',
    parameterCount: count,
    constants: { WORKGROUP_SIZE: workgroupSize, ROLLBACK: rollback ? 1 : 0 },
    rollback,
    bytesPerParameter: {
      read: 4 * (stateFloats + 1),
      written: 4 * stateFloats * (rollback ? 2 : 1),
    },
    workgroups: Math.ceil(count / workgroupSize),
    uniformSlots,
    adam,
    ring,
    unguarded,
    unchecked,
    state,
    buffers: [ring, unguarded, state.m, state.v, state.previous, unchecked.loss, unchecked.verdict],
  };
}

/**
 * FLOPs per parameter of an update (optimizers.wgsl): Adam's two moment updates (3 and 4), the
 * denominator √v̂ + ε (3) and θ − decay·θ − step·m/denominator (5); SGD's θ − step·g (2).
 */
const updateFlops: Record<OptimizerKind, number> = { adam: 15, sgd: 2 };

/** What one step of `plan` computes and moves (kernelCost.ts's rules): bytesPerParameter each. */
export function optimizerCost(plan: OptimizerPlan): KernelCost {
  const { parameterCount: count, bytesPerParameter } = plan;
  return {
    flops: count * updateFlops[plan.kind],
    bytesRead: count * bytesPerParameter.read,
    bytesWritten: count * bytesPerParameter.written,
  };
}

/** One entry point of optimizers.wgsl plus what every step needs: uniform ring, bind groups. */
class UpdateKernel {
  private readonly ring: UniformRing;
  private readonly bindGroups: BindGroupCache;
  /** Status word 0 that is never set: the "guard" of an unguarded step. */
  private readonly neverTripped: GPUBuffer;
  private readonly finiteLoss: GPUBuffer;
  private readonly unusedVerdict: GPUBuffer;
  readonly count: number;
  private readonly name: string;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly kernel: ComputeKernel,
    private readonly plan: OptimizerPlan,
  ) {
    this.count = plan.parameterCount;
    this.name = plan.kind;
    this.ring = new UniformRing(memory, plan.ring.label, kernel.struct('hyper'), plan.uniformSlots);
    this.bindGroups = new BindGroupCache(kernel);
    this.neverTripped = memory.create(plan.unguarded.label, plan.unguarded.bytes);
    const { loss, verdict } = plan.unchecked;
    this.finiteLoss = memory.create(loss.label, loss.bytes);
    this.unusedVerdict = memory.create(verdict.label, verdict.bytes);
  }

  static async create(memory: GpuMemory, plan: OptimizerPlan): Promise<UpdateKernel> {
    const kernel = await cachedKernel(memory.device, optimizersSource, {
      entryPoint: plan.entryPoint,
      constants: plan.constants,
    });
    return new UpdateKernel(memory, kernel, plan);
  }

  encode(
    target: ComputeTarget,
    step: OptimizerStep,
    hyper: StructValue,
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
    const loss =
      step.loss === undefined || this.plan.rollback
        ? { buffer: this.finiteLoss, index: 0 }
        : resolveScalar(this.name, step.loss);
    const bindGroup = this.bindGroups.get({
      hyper: this.ring.push({ ...hyper, lossIndex: loss.index }),
      gradient,
      theta: params,
      m: state.m,
      v: state.v,
      guard: step.guard?.statusBuffer ?? this.neverTripped,
      previous: state.previous,
      loss: loss.buffer,
      verdict: step.guard?.verdictBuffer ?? this.unusedVerdict,
    });
    inComputePass(target, this.name, (pass) => {
      this.kernel.dispatchFolded(pass, bindGroup, this.plan.workgroups);
    });
  }

  /** Throws unless the kernel keeps the rollback copy that a restore copies back. */
  assertRollback(): void {
    if (!this.plan.rollback) {
      throw new Error(`${this.name}: built without the rollback copy, there is nothing to restore`);
    }
  }

  destroy(): void {
    this.ring.destroy();
    this.memory.destroy(this.neverTripped);
    this.memory.destroy(this.finiteLoss);
    this.memory.destroy(this.unusedVerdict);
  }
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
  /** θ, m and v as they were before the last applied update (optimizers.wgsl); without the
   * rollback copy, a 4-byte stand-in. */
  private readonly previous: GPUBuffer;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;

  readonly parameterCount: number;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly update: UpdateKernel,
    plan: OptimizerPlan,
  ) {
    this.parameterCount = plan.parameterCount;
    this.beta1 = plan.adam.beta1;
    this.beta2 = plan.adam.beta2;
    this.epsilon = plan.adam.epsilon;
    this.weightDecay = plan.adam.weightDecay;
    // WebGPU zero-initialises new buffers: fresh moments are m = v = 0.
    const { m, v, previous } = plan.state;
    this.m = memory.create(m.label, m.bytes);
    this.v = memory.create(v.label, v.bytes);
    this.previous = memory.create(previous.label, previous.bytes);
  }

  /** Compiles (or reuses) the update kernel and allocates the buffers of planOptimizer. */
  static async create(
    memory: GpuMemory,
    parameterCount: number,
    options: AdamOptions = {},
  ): Promise<GpuAdam> {
    const plan = planOptimizer({ ...options, kind: 'adam', parameterCount }, memory.device.limits);
    return new GpuAdam(memory, await UpdateKernel.create(memory, plan), plan);
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
    const hyper = {
      count: this.parameterCount,
      stepSize: learningRate / bias1,
      beta1: this.beta1,
      oneMinusBeta1: 1 - this.beta1,
      beta2: this.beta2,
      oneMinusBeta2: 1 - this.beta2,
      epsilon: this.epsilon,
      decay: learningRate * this.weightDecay,
      inverseBias2: 1 / bias2,
    };
    this.update.encode(target, step, hyper, { m: this.m, v: this.v, previous: this.previous });
  }

  /**
   * Records the copy of θ, m and v back to their values before the last applied update: after a
   * divergence guard trip at step s, the state after step s − 2 (see optimizers.wgsl).
   */
  encodeRestorePrevious(encoder: GPUCommandEncoder, params: GPUBuffer): void {
    this.update.assertRollback();
    const bytes = 4 * this.parameterCount;
    encoder.copyBufferToBuffer(this.previous, 0, params, 0, bytes);
    encoder.copyBufferToBuffer(this.previous, bytes, this.m, 0, bytes);
    encoder.copyBufferToBuffer(this.previous, 2 * bytes, this.v, 0, bytes);
  }

  /** Copies m and v to the CPU (for a checkpoint; the step count is the host's). */
  async downloadMoments(): Promise<{ m: Float32Array; v: Float32Array }> {
    const device = this.memory.device;
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
    this.memory.write(this.m, moments.m);
    this.memory.write(this.v, moments.v);
  }

  /** Zeroes m and v (a fresh run restarts at step 1). */
  reset(): void {
    const device = this.memory.device;
    const encoder = device.createCommandEncoder({ label: 'adam reset' });
    encoder.clearBuffer(this.m);
    encoder.clearBuffer(this.v);
    device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    this.update.destroy();
    this.memory.destroy(this.m);
    this.memory.destroy(this.v);
    this.memory.destroy(this.previous);
  }
}

/** Plain gradient descent θ ← θ − lr·g (shaders/optimizers.wgsl, sgd_step). */
export class GpuSgd {
  private readonly unusedM: GPUBuffer;
  private readonly unusedV: GPUBuffer;
  /** θ before the last applied update (optimizers.wgsl); a stand-in without the rollback copy. */
  private readonly previous: GPUBuffer;

  readonly parameterCount: number;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly update: UpdateKernel,
    plan: OptimizerPlan,
  ) {
    this.parameterCount = plan.parameterCount;
    // The file's bind group layout lists Adam's moments too (layouts come from the whole module).
    const { m, v, previous } = plan.state;
    this.unusedM = memory.create(m.label, m.bytes);
    this.unusedV = memory.create(v.label, v.bytes);
    this.previous = memory.create(previous.label, previous.bytes);
  }

  /** Compiles (or reuses) the update kernel and allocates the buffers of planOptimizer. */
  static async create(
    memory: GpuMemory,
    parameterCount: number,
    options: UpdateKernelOptions = {},
  ): Promise<GpuSgd> {
    const plan = planOptimizer({ ...options, kind: 'sgd', parameterCount }, memory.device.limits);
    return new GpuSgd(memory, await UpdateKernel.create(memory, plan), plan);
  }

  /** Records one step; like Adam's, its learning rate is written to the queue now. */
  encodeStep(target: ComputeTarget, step: OptimizerStep): void {
    validateLearningRate('sgd', step.learningRate);
    // sgd_step reads count and stepSize only.
    const hyper = {
      count: this.parameterCount,
      stepSize: step.learningRate,
      beta1: 0,
      oneMinusBeta1: 0,
      beta2: 0,
      oneMinusBeta2: 0,
      epsilon: 0,
      decay: 0,
      inverseBias2: 0,
    };
    this.update.encode(target, step, hyper, {
      m: this.unusedM,
      v: this.unusedV,
      previous: this.previous,
    });
  }

  /** Records the copy of θ back to its value before the last applied update. */
  encodeRestorePrevious(encoder: GPUCommandEncoder, params: GPUBuffer): void {
    this.update.assertRollback();
    encoder.copyBufferToBuffer(this.previous, 0, params, 0, 4 * this.parameterCount);
  }

  destroy(): void {
    this.update.destroy();
    this.memory.destroy(this.unusedM);
    this.memory.destroy(this.unusedV);
    this.memory.destroy(this.previous);
  }
}
