import optimizersCode from '../../shaders/optimizers.wgsl?raw';
import optimizersCheckedCode from '../../shaders/optimizersChecked.wgsl?raw';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { readFloat32 } from '../gpu/gpuMemory.ts';
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
import { plannedView, validateWorkgroupSize } from './planning.ts';

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
   * for Adam, 4 for SGD (optimizers.wgsl). Without it the kernel checks each gradient element it
   * reads instead (optimizersChecked.wgsl) and the host restores the last good state from its own
   * copy.
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

/** The update that keeps the rollback copy, and the one that checks the gradient instead. */
const updateSources = {
  rollback: [lib.grid, lib.optimizerSteps, { name: 'optimizers.wgsl', code: optimizersCode }],
  checked: [
    lib.grid,
    lib.finiteBits,
    lib.optimizerSteps,
    { name: 'optimizersChecked.wgsl', code: optimizersCheckedCode },
  ],
};

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
  constants: { WORKGROUP_SIZE: number };
  /** Whether the update keeps the rollback copy (optimizers.wgsl) or checks g instead. */
  rollback: boolean;
  /** Bytes of the rollback copy (θ, and m, v for Adam, before the last update); 0 without it. */
  rollbackBytes: number;
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
   * Without the rollback copy: the 4-byte stand-ins bound as the loss and the verdict when the
   * step has none (the loss stand-in holds 0, a finite loss); null with it (nothing to check).
   */
  unchecked: { loss: PlannedBuffer; verdict: PlannedBuffer } | null;
  /**
   * adam: the moments, and θ, m, v before the last update, one buffer each; sgd: 4-byte stand-ins
   * for m and v (the file's bind group layout lists Adam's moments too) and θ before the last
   * update, with stand-ins for the previous m and v. `previous` is null without the rollback copy.
   */
  state: {
    m: PlannedBuffer;
    v: PlannedBuffer;
    previous: { theta: PlannedBuffer; m: PlannedBuffer; v: PlannedBuffer } | null;
  };
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
  const hyper = plannedView(updateSources.rollback, 'hyper');
  // Floats per parameter the update reads and writes besides the gradient: θ, and m, v for Adam.
  const stateFloats = kind === 'adam' ? 3 : 1;
  const moment = (name: 'm' | 'v', before = false) =>
    kind === 'adam'
      ? storageBuffer(`adam ${before ? 'previous ' : ''}${name}`, 4 * count)
      : storageBuffer(`sgd unused ${before ? 'previous ' : ''}${name}`, 4);
  const previous = rollback
    ? {
        theta: storageBuffer(`${kind} previous θ`, 4 * count),
        m: moment('m', true),
        v: moment('v', true),
      }
    : null;
  const state = { m: moment('m'), v: moment('v'), previous };
  const ring = planUniformRing(`${kind} hyperparameters`, hyper, uniformSlots, limits);
  const unguarded = storageBuffer(`${kind} unguarded`, 4);
  const unchecked = rollback
    ? null
    : {
        loss: storageBuffer(`${kind} unchecked loss`, 4),
        verdict: storageBuffer(`${kind} unchecked verdict`, 4),
      };
  return {
    kind,
    entryPoint: kind === 'adam' ? 'adam_step' : 'sgd_step',
    parameterCount: count,
    constants: { WORKGROUP_SIZE: workgroupSize },
    rollback,
    rollbackBytes: rollback ? 4 * stateFloats * count : 0,
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
    buffers: [
      ring,
      unguarded,
      state.m,
      state.v,
      ...(previous ? [previous.theta, previous.m, previous.v] : []),
      ...(unchecked ? [unchecked.loss, unchecked.verdict] : []),
    ],
  };
}

/**
 * FLOPs per parameter of an update (lib/optimizerSteps.wgsl): Adam's two moment updates (3 and
 * 4), the denominator √v̂ + ε (3) and θ − decay·θ − step·m/denominator (5); SGD's θ − step·g (2).
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

/** The buffers of an optimizer's state that a step binds besides θ and g. */
interface UpdateState {
  m: GPUBuffer;
  v: GPUBuffer;
  /** θ, m, v before the last update (stand-ins where a kind has none); null without the copy. */
  previous: { theta: GPUBuffer; m: GPUBuffer; v: GPUBuffer } | null;
}

/** Allocates `plan.state`'s buffers. */
function createState(memory: GpuMemory, plan: OptimizerPlan): UpdateState {
  const make = (b: PlannedBuffer) => memory.create(b.label, b.bytes);
  const { m, v, previous } = plan.state;
  return {
    m: make(m),
    v: make(v),
    previous: previous && { theta: make(previous.theta), m: make(previous.m), v: make(previous.v) },
  };
}

function destroyState(memory: GpuMemory, state: UpdateState): void {
  const { m, v, previous } = state;
  for (const buffer of [m, v, ...(previous ? [previous.theta, previous.m, previous.v] : [])]) {
    memory.destroy(buffer);
  }
}

/**
 * One entry point of optimizers.wgsl (with the rollback copy) or optimizersChecked.wgsl (without)
 * plus what every step needs: uniform ring, bind groups.
 */
class UpdateKernel {
  private readonly ring: UniformRing;
  private readonly bindGroups: BindGroupCache;
  /** Status word 0 that is never set: the "guard" of an unguarded step. */
  private readonly neverTripped: GPUBuffer;
  /** Without the rollback copy: the loss and verdict of a step that has none. */
  private readonly unchecked: { loss: GPUBuffer; verdict: GPUBuffer } | null;
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
    const { unchecked } = plan;
    this.unchecked = unchecked && {
      loss: memory.create(unchecked.loss.label, unchecked.loss.bytes),
      verdict: memory.create(unchecked.verdict.label, unchecked.verdict.bytes),
    };
  }

  static async create(memory: GpuMemory, plan: OptimizerPlan): Promise<UpdateKernel> {
    const source = plan.rollback ? updateSources.rollback : updateSources.checked;
    const kernel = await cachedKernel(memory.device, source, {
      entryPoint: plan.entryPoint,
      constants: plan.constants,
    });
    return new UpdateKernel(memory, kernel, plan);
  }

  encode(target: ComputeTarget, step: OptimizerStep, hyper: StructValue, state: UpdateState): void {
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
    const common = {
      gradient,
      theta: params,
      m: state.m,
      v: state.v,
      guard: step.guard?.statusBuffer ?? this.neverTripped,
    };
    let entries: Record<string, BufferBinding>;
    if (state.previous) {
      // The guard checked the loss and the gradient before this update.
      entries = {
        ...common,
        hyper: this.ring.push({ ...hyper, lossIndex: 0 }),
        previousTheta: state.previous.theta,
        previousM: state.previous.m,
        previousV: state.previous.v,
      };
    } else {
      const unchecked = this.unchecked;
      if (!unchecked) throw new Error(`${this.name}: a step without the copy has no stand-ins`);
      const loss =
        step.loss === undefined
          ? { buffer: unchecked.loss, index: 0 }
          : resolveScalar(this.name, step.loss);
      entries = {
        ...common,
        hyper: this.ring.push({ ...hyper, lossIndex: loss.index }),
        loss: loss.buffer,
        verdict: step.guard?.verdictBuffer ?? unchecked.verdict,
      };
    }
    const bindGroup = this.bindGroups.get(entries);
    inComputePass(target, this.name, (pass) => {
      this.kernel.dispatchFolded(pass, bindGroup, this.plan.workgroups);
    });
  }

  /** The rollback copy that a restore copies back; throws when the kernel keeps none. */
  previousOf(state: UpdateState): NonNullable<UpdateState['previous']> {
    if (!state.previous) {
      throw new Error(`${this.name}: built without the rollback copy, there is nothing to restore`);
    }
    return state.previous;
  }

  destroy(): void {
    this.ring.destroy();
    this.memory.destroy(this.neverTripped);
    if (this.unchecked) {
      this.memory.destroy(this.unchecked.loss);
      this.memory.destroy(this.unchecked.verdict);
    }
  }
}

function validateLearningRate(what: string, learningRate: number): void {
  if (!Number.isFinite(learningRate) || learningRate < 0) {
    throw new RangeError(`${what}: learningRate must be finite and ≥ 0, got ${learningRate}`);
  }
}

/**
 * Adam over the flat parameter buffer, one dispatch per step (shaders/optimizers.wgsl, or
 * optimizersChecked.wgsl without the rollback copy). The moments m and v live on the GPU in the
 * same flat layout as the parameters; the host keeps the step count and writes it with the
 * learning rate, so a step needs no readback.
 */
export class GpuAdam {
  /** First moment m, parameterCount floats. */
  readonly m: GPUBuffer;
  /** Second moment v, parameterCount floats. */
  readonly v: GPUBuffer;
  /** m, v, and θ, m, v as they were before the last applied update (null without the copy). */
  private readonly state: UpdateState;
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
    this.state = createState(memory, plan);
    this.m = this.state.m;
    this.v = this.state.v;
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
    this.update.encode(target, step, hyper, this.state);
  }

  /**
   * Records the copy of θ, m and v back to their values before the last applied update: after a
   * divergence guard trip at step s, the state after step s − 2 (see optimizers.wgsl).
   */
  encodeRestorePrevious(encoder: GPUCommandEncoder, params: GPUBuffer): void {
    const previous = this.update.previousOf(this.state);
    const bytes = 4 * this.parameterCount;
    encoder.copyBufferToBuffer(previous.theta, 0, params, 0, bytes);
    encoder.copyBufferToBuffer(previous.m, 0, this.m, 0, bytes);
    encoder.copyBufferToBuffer(previous.v, 0, this.v, 0, bytes);
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
    destroyState(this.memory, this.state);
  }
}

/** Plain gradient descent θ ← θ − lr·g (sgd_step of shaders/optimizers.wgsl or optimizersChecked.wgsl). */
export class GpuSgd {
  /**
   * Stand-ins for m and v, and θ before the last applied update with stand-ins for the previous m
   * and v (null without the copy): the kernel files' layouts list Adam's buffers too.
   */
  private readonly state: UpdateState;

  readonly parameterCount: number;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly update: UpdateKernel,
    plan: OptimizerPlan,
  ) {
    this.parameterCount = plan.parameterCount;
    this.state = createState(memory, plan);
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
    this.update.encode(target, step, hyper, this.state);
  }

  /** Records the copy of θ back to its value before the last applied update. */
  encodeRestorePrevious(encoder: GPUCommandEncoder, params: GPUBuffer): void {
    const previous = this.update.previousOf(this.state);
    encoder.copyBufferToBuffer(previous.theta, 0, params, 0, 4 * this.parameterCount);
  }

  destroy(): void {
    this.update.destroy();
    destroyState(this.memory, this.state);
  }
}
