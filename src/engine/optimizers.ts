import optimizersCode from '../../shaders/optimizers.wgsl?raw';
import optimizersCheckedCode from '../../shaders/optimizersChecked.wgsl?raw';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import type { BufferBinding, ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { StructValue } from '../gpu/structView.ts';
import { type DivergenceGuard, resolveScalar, type ScalarBinding } from './divergenceGuard.ts';
import {
  BindGroupCache,
  inComputePass,
  UniformRing,
  type ComputeTarget,
  planUniformRing,
  ringSlotsFor,
} from '../gpu/dispatch.ts';
import type { KernelCost } from './kernelCost.ts';
import {
  type BlockedTensor,
  type ParameterBlocks,
  parameterBlocksOf,
  plannedBlockBuffers,
  readBlockedTensor,
  validateTensor,
  writeBlockedTensor,
} from './parameterBlocks.ts';
import { plannedView, validateWorkgroupSize } from './planning.ts';

export interface OptimizerStep {
  /**
   * The parameters θ in the optimizer's blocks (the flat layout of jetLayout.ts; wholeTensor for
   * one buffer), updated in place.
   */
  params: BlockedTensor;
  /** The gradient, same layout and blocks. */
  gradient: BlockedTensor;
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
  /**
   * The buffers θ, g and the optimizer's state are held in (parameterBlocks.ts; their count must
   * be parameterCount): the update runs once per block. Default: one block.
   */
  blocks?: ParameterBlocks;
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
  /** The parameter blocks; one when θ fits one buffer. */
  blocks: ParameterBlocks;
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
  /** Workgroups of one step, all blocks together. */
  workgroups: number;
  /**
   * Workgroups of each block's dispatch, in block order, each folded into the device's grid by
   * ComputeKernel.dispatchFolded.
   */
  blockWorkgroups: number[];
  /** Steps that may be recorded between two submits. */
  uniformSlots: number;
  /**
   * Slots of the Hyper ring: a step writes one per block, so uniformSlots × blocks, or fewer
   * where that passes 64 KiB (ringSlotsFor).
   */
  ringSlots: number;
  /** Adam's hyperparameters with their defaults applied (unused by sgd). */
  adam: { beta1: number; beta2: number; epsilon: number; weightDecay: number };
  /** The UniformRing of the per-step, per-block Hyper struct. */
  ring: PlannedBuffer;
  /** The 4-byte status bound as the guard of an unguarded step (its word 0 is never set). */
  unguarded: PlannedBuffer;
  /**
   * Without the rollback copy: the 4-byte stand-ins bound as the loss and the verdict when the
   * step has none (the loss stand-in holds 0, a finite loss); null with it (nothing to check).
   */
  unchecked: { loss: PlannedBuffer; verdict: PlannedBuffer } | null;
  /**
   * adam: the moments, and θ, m, v before the last update, one buffer per block of each (labelled
   * as createBlockedTensor labels a tensor); sgd: one 4-byte stand-in each for m and v, bound with
   * every block (the file's bind group layout lists Adam's moments too), and θ before the last
   * update per block, with stand-ins for the previous m and v. `previous` is null without the
   * rollback copy.
   */
  state: {
    m: PlannedBuffer[];
    v: PlannedBuffer[];
    previous: { theta: PlannedBuffer[]; m: PlannedBuffer[]; v: PlannedBuffer[] } | null;
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
  const blocks = parameterBlocksOf(kind, config.blocks ?? count);
  if (blocks.count !== count) {
    throw new RangeError(`${kind}: blocks of ${blocks.count} parameters for ${count} parameters`);
  }
  const workgroupSize = config.workgroupSize ?? 256;
  validateWorkgroupSize(kind, workgroupSize, limits);
  const uniformSlots = config.uniformSlots ?? 32;
  if (!Number.isInteger(uniformSlots) || uniformSlots < 1) {
    throw new RangeError(
      `${kind} hyperparameters: uniformSlots must be a positive integer, got ${uniformSlots}`,
    );
  }
  const rollback = config.rollback ?? true;
  const hyper = plannedView(updateSources.rollback, 'hyper');
  // A uniform is written when recorded, so every block's Hyper of every step needs a slot: with
  // many blocks, fewer steps fit between two submits than uniformSlots (the trainer records one).
  const ringSlots = ringSlotsFor(
    `${kind} hyperparameters`,
    uniformSlots,
    blocks.blocks.length,
    hyper,
    limits,
  );
  // Floats per parameter the update reads and writes besides the gradient: θ, and m, v for Adam.
  const stateFloats = kind === 'adam' ? 3 : 1;
  const moment = (name: 'm' | 'v', before = false) =>
    kind === 'adam'
      ? plannedBlockBuffers(`adam ${before ? 'previous ' : ''}${name}`, blocks)
      : [storageBuffer(`sgd unused ${before ? 'previous ' : ''}${name}`, 4)];
  const previous = rollback
    ? {
        theta: plannedBlockBuffers(`${kind} previous θ`, blocks),
        m: moment('m', true),
        v: moment('v', true),
      }
    : null;
  const state = { m: moment('m'), v: moment('v'), previous };
  const ring = planUniformRing(`${kind} hyperparameters`, hyper, ringSlots, limits);
  const unguarded = storageBuffer(`${kind} unguarded`, 4);
  const unchecked = rollback
    ? null
    : {
        loss: storageBuffer(`${kind} unchecked loss`, 4),
        verdict: storageBuffer(`${kind} unchecked verdict`, 4),
      };
  const blockWorkgroups = blocks.blocks.map((block) => Math.ceil(block.count / workgroupSize));
  return {
    kind,
    entryPoint: kind === 'adam' ? 'adam_step' : 'sgd_step',
    parameterCount: count,
    blocks,
    constants: { WORKGROUP_SIZE: workgroupSize },
    rollback,
    rollbackBytes: rollback ? 4 * stateFloats * count : 0,
    bytesPerParameter: {
      read: 4 * (stateFloats + 1),
      written: 4 * stateFloats * (rollback ? 2 : 1),
    },
    workgroups: blockWorkgroups.reduce((sum, w) => sum + w, 0),
    blockWorkgroups,
    uniformSlots,
    ringSlots,
    adam,
    ring,
    unguarded,
    unchecked,
    state,
    buffers: [
      ring,
      unguarded,
      ...state.m,
      ...state.v,
      ...(previous ? [...previous.theta, ...previous.m, ...previous.v] : []),
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

/**
 * The buffers of an optimizer's state that a step binds besides θ and g, each as one buffer per
 * block in block order (sgd's stand-ins: the same 4-byte buffer for every block).
 */
interface UpdateState {
  m: GPUBuffer[];
  v: GPUBuffer[];
  /** θ, m, v before the last update (stand-ins where a kind has none); null without the copy. */
  previous: { theta: GPUBuffer[]; m: GPUBuffer[]; v: GPUBuffer[] } | null;
}

/** Allocates `plan.state`'s buffers. */
function createState(memory: GpuMemory, plan: OptimizerPlan): UpdateState {
  const tensor = (buffers: readonly PlannedBuffer[]) =>
    buffers.map((b) => memory.create(b.label, b.bytes));
  const moment = (buffers: readonly PlannedBuffer[]) => {
    if (plan.kind === 'adam') return tensor(buffers);
    const standIn = memory.create(buffers[0].label, buffers[0].bytes);
    return plan.blocks.blocks.map(() => standIn);
  };
  const { m, v, previous } = plan.state;
  return {
    m: moment(m),
    v: moment(v),
    previous: previous && {
      theta: tensor(previous.theta),
      m: moment(previous.m),
      v: moment(previous.v),
    },
  };
}

function destroyState(memory: GpuMemory, state: UpdateState): void {
  const { m, v, previous } = state;
  const all = [m, v, ...(previous ? [previous.theta, previous.m, previous.v] : [])].flat();
  // A stand-in is bound with every block but is one buffer.
  for (const buffer of new Set(all)) memory.destroy(buffer);
}

/**
 * One entry point of optimizers.wgsl (with the rollback copy) or optimizersChecked.wgsl (without)
 * plus what every step needs: uniform ring, bind groups. A step is one dispatch per block, each
 * binding that block's buffers and a Hyper of its own (the block's count and first flat index).
 */
class UpdateKernel {
  private readonly ring: UniformRing;
  private readonly bindGroups: BindGroupCache;
  /** Status word 0 that is never set: the "guard" of an unguarded step. */
  private readonly neverTripped: GPUBuffer;
  /** Without the rollback copy: the loss and verdict of a step that has none. */
  private readonly unchecked: { loss: GPUBuffer; verdict: GPUBuffer } | null;
  readonly blocks: ParameterBlocks;
  private readonly name: string;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly kernel: ComputeKernel,
    private readonly plan: OptimizerPlan,
  ) {
    this.blocks = plan.blocks;
    this.name = plan.kind;
    this.ring = new UniformRing(memory, plan.ring.label, kernel.struct('hyper'), plan.ringSlots);
    // Every block's Hyper slot of every recorded step is a bind group of its own: room for all.
    this.bindGroups = new BindGroupCache(kernel, 256 * plan.blocks.blocks.length);
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

  /** Throws unless `tensor` is held in this optimizer's blocks. */
  validate(what: string, tensor: BlockedTensor): void {
    validateTensor(`${this.name}: ${what}`, tensor, this.blocks);
  }

  /** Records the update of every block; `hyper` is the step's Hyper less count, start, lossIndex. */
  encode(target: ComputeTarget, step: OptimizerStep, hyper: StructValue, state: UpdateState): void {
    this.validate('params', step.params);
    this.validate('gradient', step.gradient);
    const guard = step.guard?.statusBuffer ?? this.neverTripped;
    // The bindings besides θ, g and the moments: the rollback copy, or what the update checks.
    let extra: (k: number) => Record<string, BufferBinding>;
    // With the copy the guard checked the loss and the gradient before this update.
    let lossIndex = 0;
    const previous = state.previous;
    if (previous) {
      extra = (k) => ({
        previousTheta: previous.theta[k],
        previousM: previous.m[k],
        previousV: previous.v[k],
      });
    } else {
      const unchecked = this.unchecked;
      if (!unchecked) throw new Error(`${this.name}: a step without the copy has no stand-ins`);
      const loss =
        step.loss === undefined
          ? { buffer: unchecked.loss, index: 0 }
          : resolveScalar(this.name, step.loss);
      const verdict = step.guard?.verdictBuffer ?? unchecked.verdict;
      lossIndex = loss.index;
      extra = () => ({ loss: loss.buffer, verdict });
    }
    const bindGroups = this.blocks.blocks.map((block, k) =>
      this.bindGroups.get({
        hyper: this.ring.push({ ...hyper, count: block.count, start: block.start, lossIndex }),
        gradient: step.gradient.buffers[k],
        theta: step.params.buffers[k],
        m: state.m[k],
        v: state.v[k],
        guard,
        ...extra(k),
      }),
    );
    inComputePass(target, this.name, (pass) => {
      bindGroups.forEach((bindGroup, k) => {
        this.kernel.dispatchFolded(pass, bindGroup, this.plan.blockWorkgroups[k]);
      });
    });
  }

  /** The rollback copy that a restore copies back; throws when the kernel keeps none. */
  previousOf(state: UpdateState): NonNullable<UpdateState['previous']> {
    if (!state.previous) {
      throw new Error(`${this.name}: built without the rollback copy, there is nothing to restore`);
    }
    return state.previous;
  }

  /** Records the copy of each block of `from` into the same block of `to`. */
  copyBlocks(encoder: GPUCommandEncoder, from: readonly GPUBuffer[], to: readonly GPUBuffer[]) {
    this.blocks.blocks.forEach((block, k) => {
      encoder.copyBufferToBuffer(from[k], 0, to[k], 0, 4 * block.count);
    });
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
 * Adam over the flat parameter vector, one dispatch per parameter block per step
 * (shaders/optimizers.wgsl, or optimizersChecked.wgsl without the rollback copy). The moments m
 * and v live on the GPU in the same flat layout and blocks as the parameters; the host keeps the
 * step count and writes it with the learning rate, so a step needs no readback. The update of an
 * element reads only its own θ, g, m, v, so the blocks' steps are one buffer's, bit for bit.
 */
export class GpuAdam {
  /** First moment m, in the parameters' blocks. */
  readonly m: BlockedTensor;
  /** Second moment v, in the parameters' blocks. */
  readonly v: BlockedTensor;
  /** m, v, and θ, m, v as they were before the last applied update (null without the copy). */
  private readonly state: UpdateState;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;

  readonly parameterCount: number;
  readonly blocks: ParameterBlocks;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly update: UpdateKernel,
    plan: OptimizerPlan,
  ) {
    this.parameterCount = plan.parameterCount;
    this.blocks = plan.blocks;
    this.beta1 = plan.adam.beta1;
    this.beta2 = plan.adam.beta2;
    this.epsilon = plan.adam.epsilon;
    this.weightDecay = plan.adam.weightDecay;
    // WebGPU zero-initialises new buffers: fresh moments are m = v = 0.
    this.state = createState(memory, plan);
    this.m = { blocks: plan.blocks, buffers: this.state.m };
    this.v = { blocks: plan.blocks, buffers: this.state.v };
  }

  /**
   * Compiles (or reuses) the update kernel and allocates the buffers of planOptimizer, for
   * `parameters` parameters in one buffer or held in the blocks `parameters`.
   */
  static async create(
    memory: GpuMemory,
    parameters: number | ParameterBlocks,
    options: AdamOptions = {},
  ): Promise<GpuAdam> {
    const blocks = typeof parameters === 'number' ? undefined : parameters;
    const parameterCount = typeof parameters === 'number' ? parameters : parameters.count;
    const plan = planOptimizer(
      { ...options, kind: 'adam', parameterCount, blocks },
      memory.device.limits,
    );
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
   * divergence guard trip at step s, the state after step s − 2 (see optimizers.wgsl). `params`
   * is θ in the optimizer's blocks.
   */
  encodeRestorePrevious(encoder: GPUCommandEncoder, params: BlockedTensor): void {
    this.update.validate('params', params);
    const previous = this.update.previousOf(this.state);
    this.update.copyBlocks(encoder, previous.theta, params.buffers);
    this.update.copyBlocks(encoder, previous.m, this.state.m);
    this.update.copyBlocks(encoder, previous.v, this.state.v);
  }

  /**
   * Copies m and v to the CPU in flat order (for a checkpoint; the step count is the host's): one
   * round trip per block of each.
   */
  async downloadMoments(): Promise<{ m: Float32Array; v: Float32Array }> {
    const device = this.memory.device;
    const [m, v] = await Promise.all([
      readBlockedTensor(device, this.m),
      readBlockedTensor(device, this.v),
    ]);
    return { m, v };
  }

  /**
   * Restores m and v (flat order, parameterCount each) from a checkpoint; continue with the
   * checkpoint's step count + 1.
   */
  uploadMoments(moments: { m: Float32Array; v: Float32Array }): void {
    for (const [name, data] of Object.entries(moments)) {
      if (data.length !== this.parameterCount) {
        throw new RangeError(
          `adam: ${name} has ${data.length} elements, expected ${this.parameterCount}`,
        );
      }
    }
    writeBlockedTensor(this.memory, this.m, moments.m);
    writeBlockedTensor(this.memory, this.v, moments.v);
  }

  /** Zeroes m and v (a fresh run restarts at step 1). */
  reset(): void {
    const device = this.memory.device;
    const encoder = device.createCommandEncoder({ label: 'adam reset' });
    for (const buffer of [...this.state.m, ...this.state.v]) encoder.clearBuffer(buffer);
    device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    this.update.destroy();
    destroyState(this.memory, this.state);
  }
}

/**
 * Plain gradient descent θ ← θ − lr·g (sgd_step of shaders/optimizers.wgsl or
 * optimizersChecked.wgsl), one dispatch per parameter block per step.
 */
export class GpuSgd {
  /**
   * Stand-ins for m and v, and θ before the last applied update with stand-ins for the previous m
   * and v (null without the copy): the kernel files' layouts list Adam's buffers too.
   */
  private readonly state: UpdateState;

  readonly parameterCount: number;
  readonly blocks: ParameterBlocks;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly update: UpdateKernel,
    plan: OptimizerPlan,
  ) {
    this.parameterCount = plan.parameterCount;
    this.blocks = plan.blocks;
    this.state = createState(memory, plan);
  }

  /**
   * Compiles (or reuses) the update kernel and allocates the buffers of planOptimizer, for
   * `parameters` parameters in one buffer or held in the blocks `parameters`.
   */
  static async create(
    memory: GpuMemory,
    parameters: number | ParameterBlocks,
    options: UpdateKernelOptions = {},
  ): Promise<GpuSgd> {
    const blocks = typeof parameters === 'number' ? undefined : parameters;
    const parameterCount = typeof parameters === 'number' ? parameters : parameters.count;
    const plan = planOptimizer(
      { ...options, kind: 'sgd', parameterCount, blocks },
      memory.device.limits,
    );
    return new GpuSgd(memory, await UpdateKernel.create(memory, plan), plan);
  }

  /** Records one step; like Adam's, its learning rate is written to the queue now. */
  encodeStep(target: ComputeTarget, step: OptimizerStep): void {
    validateLearningRate('sgd', step.learningRate);
    // sgd_step reads count and stepSize only.
    const hyper = {
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

  /** Records the copy of θ (in the optimizer's blocks) back to its value before the last update. */
  encodeRestorePrevious(encoder: GPUCommandEncoder, params: BlockedTensor): void {
    this.update.validate('params', params);
    const previous = this.update.previousOf(this.state);
    this.update.copyBlocks(encoder, previous.theta, params.buffers);
  }

  destroy(): void {
    this.update.destroy();
    destroyState(this.memory, this.state);
  }
}
