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
import { BOX_MULLER_FLOPS, type KernelCost, sumCosts, wordCost } from './kernelCost.ts';
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

/**
 * Where an inline gradient's coefficients come from: 'two-point', SPSA's c_j = (L₊ − L₋)/(2ε·q)
 * from the step's 2q losses (src/train/zerothOrder.ts); 'directional', the forward gradient's
 * c_0 = ∇L·v itself (src/train/forwardGradient.ts, q = 1).
 */
export type InlineEstimate = 'two-point' | 'directional';

/**
 * A gradient no buffer holds, g = Σ_j c_j·z_j over the full family's directions z_j, summed by an
 * inline update (UpdateKernelOptions.gradient) as it applies it (lib/twoPoint.wgsl): SPSA's
 * two-point estimate or the forward gradient (InlineEstimate).
 */
export interface InlineGradient {
  kind: 'inline';
  estimate: InlineEstimate;
  /**
   * 'two-point': 2q f32, L(θ + εz_j), L(θ − εz_j) for j = 0 … q − 1. 'directional': a reduction
   * result whose word 0 (its sum) is ∇L·v.
   */
  losses: GPUBuffer;
  /** The directions' Philox key (seed, directionStream) and the step they were drawn at. */
  seed: number;
  directionStream: number;
  trainStep: number;
  /** q (1 for 'directional'). */
  directions: number;
  /** ε ('two-point' only; 0 for 'directional'). */
  epsilon: number;
}

export interface OptimizerStep {
  /**
   * The parameters θ in the optimizer's blocks (the flat layout of jetLayout.ts; wholeTensor for
   * one buffer), updated in place.
   */
  params: BlockedTensor;
  /** The gradient, same layout and blocks; an inline update's InlineGradient. */
  gradient: BlockedTensor | InlineGradient;
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
  /**
   * 'stored' (default): the gradient is a tensor. 'inline': it is an estimate no buffer holds
   * (InlineGradient), summed by optimizersChecked.wgsl's inline entries, which also write
   * one norm partial per workgroup (normPartials: their norm is ‖g‖). Needs rollback false: with
   * the copy the guard checks a stored gradient before the update.
   */
  gradient?: 'stored' | 'inline';
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
    lib.random,
    lib.twoPoint,
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
  entryPoint: 'adam_step' | 'sgd_step' | 'adam_inline' | 'sgd_inline';
  /** What the update reads as its gradient (UpdateKernelOptions.gradient). */
  gradient: 'stored' | 'inline';
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
   * rollback copy of them when kept): the traffic the update adds to the gradient's own. A
   * inline update reads no g; its 2q loss words per parameter are optimizerCost's, given q.
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
   * The norm partials of an inline update (one f32 per workgroup of every block, block k's from
   * partialStarts[k]), or a 4-byte stand-in for a stored-gradient update without the copy (the
   * checked kernel file binds it; count 0, every partialStart 0); null with the copy.
   */
  normPartials: { buffer: PlannedBuffer; count: number; partialStarts: number[] } | null;
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

function validateUniformSlots(kind: OptimizerKind, uniformSlots: number): number {
  if (!Number.isInteger(uniformSlots) || uniformSlots < 1) {
    throw new RangeError(
      `${kind} hyperparameters: uniformSlots must be a positive integer, got ${uniformSlots}`,
    );
  }
  return uniformSlots;
}

/**
 * The update's rollback copy and gradient source, refused where they do not go together or where
 * the inline norm tree cannot take the workgroup size.
 */
function updateKind(
  config: OptimizerConfig,
  workgroupSize: number,
): Pick<OptimizerPlan, 'rollback' | 'gradient'> {
  const rollback = config.rollback ?? true;
  const gradient = config.gradient ?? 'stored';
  if (gradient === 'inline' && rollback) {
    throw new RangeError(
      `${config.kind}: the inline update sums a gradient no buffer holds, so it has no ` +
        'rollback copy (the guard checks a stored gradient before an update that keeps one)',
    );
  }
  // The norm partial halves the workgroup at each level of its tree.
  if (gradient === 'inline' && (workgroupSize & (workgroupSize - 1)) !== 0) {
    throw new RangeError(
      `${config.kind}: an inline update's workgroupSize must be a power of two, got ` +
        `${workgroupSize}`,
    );
  }
  return { rollback, gradient };
}

/** OptimizerPlan.normPartials: per-workgroup partials of an inline update, else a stand-in. */
function planNormPartials(
  kind: OptimizerKind,
  rollback: boolean,
  gradient: 'stored' | 'inline',
  blockWorkgroups: readonly number[],
): OptimizerPlan['normPartials'] {
  // optimizers.wgsl (the copy) declares no partials; optimizersChecked.wgsl does.
  if (rollback) return null;
  if (gradient === 'stored') {
    const buffer = storageBuffer(`${kind} unused norm partials`, 4);
    return { buffer, count: 0, partialStarts: blockWorkgroups.map(() => 0) };
  }
  const partialStarts = blockWorkgroups.map((_, k) =>
    blockWorkgroups.slice(0, k).reduce((sum, w) => sum + w, 0),
  );
  const count = blockWorkgroups.reduce((sum, w) => sum + w, 0);
  const buffer = storageBuffer(`${kind} inline gradient norm partials`, 4 * count);
  return { buffer, count, partialStarts };
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
  const uniformSlots = validateUniformSlots(kind, config.uniformSlots ?? 32);
  const { rollback, gradient } = updateKind(config, workgroupSize);
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
  const workgroups = blockWorkgroups.reduce((sum, w) => sum + w, 0);
  const normPartials = planNormPartials(kind, rollback, gradient, blockWorkgroups);
  // The inline update reads no gradient (2q loss words or ∇L·v, the same for every invocation).
  const gradientFloats = gradient === 'inline' ? 0 : 1;
  return {
    kind,
    entryPoint: gradient === 'inline' ? `${kind}_inline` : `${kind}_step`,
    gradient,
    parameterCount: count,
    blocks,
    constants: { WORKGROUP_SIZE: workgroupSize },
    rollback,
    rollbackBytes: rollback ? 4 * stateFloats * count : 0,
    bytesPerParameter: {
      read: 4 * (stateFloats + gradientFloats),
      written: 4 * stateFloats * (rollback ? 2 : 1),
    },
    workgroups,
    blockWorkgroups,
    uniformSlots,
    ringSlots,
    adam,
    ring,
    unguarded,
    unchecked,
    normPartials,
    state,
    buffers: [
      ring,
      unguarded,
      ...state.m,
      ...state.v,
      ...(previous ? [...previous.theta, ...previous.m, ...previous.v] : []),
      ...(unchecked ? [unchecked.loss, unchecked.verdict] : []),
      ...(normPartials ? [normPartials.buffer] : []),
    ],
  };
}

/**
 * FLOPs per parameter of an update (lib/optimizerSteps.wgsl): Adam's two moment updates (3 and
 * 4), the denominator √v̂ + ε (3) and θ − decay·θ − step·m/denominator (5); SGD's θ − step·g (2).
 */
const updateFlops: Record<OptimizerKind, number> = { adam: 15, sgd: 2 };

/**
 * FLOPs per parameter of one term c_j·z_j[i] of an inline update's sum (lib/twoPoint.wgsl): the
 * two-point coefficient (L₊ − L₋)/(2ε·q) (4, every invocation computes it; none for the forward
 * gradient's ∇L·v, read as it is), the normal's Box–Muller pair (normalAt draws both of the pair)
 * and the product and sum (2).
 */
const termFlops: Record<InlineEstimate, number> = {
  'two-point': 4 + BOX_MULLER_FLOPS + 2,
  directional: BOX_MULLER_FLOPS + 2,
};

/**
 * What one step of `plan` computes and moves (kernelCost.ts's rules): bytesPerParameter each, and
 * for an inline update (whose plan holds no q: pass the q of its steps' InlineGradient as
 * `directions`, and its estimate) the inline gradient: 2q loss words (two-point) or the one
 * derivative word (directional) read per parameter (counted as zerothOrder.ts counts combine's
 * reads), q terms and the square and tree sum of the norm per parameter, and one sqrt and one
 * word written per norm partial.
 */
export function optimizerCost(
  plan: OptimizerPlan,
  directions?: number,
  estimate: InlineEstimate = 'two-point',
): KernelCost {
  const { parameterCount: count, bytesPerParameter } = plan;
  const update = {
    flops: count * updateFlops[plan.kind],
    bytesRead: count * bytesPerParameter.read,
    bytesWritten: count * bytesPerParameter.written,
  };
  if (plan.gradient === 'stored') return update;
  if (directions === undefined || !Number.isInteger(directions) || directions < 1) {
    throw new RangeError(
      `${plan.kind}: the cost of an inline update needs its q ≥ 1 directions, got ${directions}`,
    );
  }
  const partials = plan.normPartials?.count ?? 0;
  const inline = wordCost(
    count * (directions * termFlops[estimate] + 2) + partials,
    count * (estimate === 'two-point' ? 2 * directions : 1),
    partials,
  );
  return sumCosts([update, inline]);
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
  /** Without the copy: the norm partials (inline) or their stand-in; null with it. */
  private readonly partials: GPUBuffer | null;
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
    const partials = plan.normPartials?.buffer;
    this.partials = partials ? memory.create(partials.label, partials.bytes) : null;
  }

  /** An inline update's norm partials (OptimizerPlan.normPartials); null for the others. */
  get normPartials(): { buffer: GPUBuffer; count: number } | null {
    const count = this.plan.normPartials?.count ?? 0;
    return this.partials && count > 0 ? { buffer: this.partials, count } : null;
  }

  /**
   * The gradient each block binds and the Hyper fields of its inline estimate (zeros for a stored
   * one); throws unless the kind matches the kernel's.
   */
  private gradientOf(gradient: BlockedTensor | InlineGradient): {
    buffer: (k: number) => GPUBuffer;
    fields: StructValue;
  } {
    const inline = this.plan.gradient === 'inline';
    if (!('kind' in gradient)) {
      if (inline) {
        throw new RangeError(`${this.name}: this update reads an inline gradient, not a tensor`);
      }
      this.validate('gradient', gradient);
      const fields = {
        seed: 0,
        directionStream: 0,
        directions: 0,
        perturbation: 0,
        trainStep: 0,
        directional: 0,
      };
      return { buffer: (k) => gradient.buffers[k], fields };
    }
    if (!inline) {
      throw new RangeError(`${this.name}: this update reads a stored gradient tensor`);
    }
    const { losses, seed, directionStream, trainStep } = gradient;
    for (const [name, value] of Object.entries({ seed, directionStream, trainStep })) {
      if (!Number.isInteger(value) || value < 0 || value >= 2 ** 32) {
        throw new RangeError(`${this.name}: inline ${name} must be a u32, got ${value}`);
      }
    }
    const coefficients = this.inlineCoefficients(gradient);
    return { buffer: () => losses, fields: { seed, directionStream, trainStep, ...coefficients } };
  }

  /** The Hyper fields of an inline gradient's coefficients, checked against its buffer. */
  private inlineCoefficients(gradient: InlineGradient): StructValue {
    const { losses, directions, epsilon } = gradient;
    if (gradient.estimate === 'directional') {
      if (directions !== 1 || losses.size < 4) {
        throw new RangeError(
          `${this.name}: a directional gradient has one direction and ∇L·v in word 0, got q = ` +
            `${directions} and ${losses.size} bytes`,
        );
      }
      return { directions: 1, perturbation: 0, directional: 1 };
    }
    if (!Number.isInteger(directions) || directions < 1 || losses.size < 8 * directions) {
      throw new RangeError(
        `${this.name}: a two-point gradient needs q ≥ 1 directions and 2q losses, got q = ` +
          `${directions} and ${losses.size} bytes of losses`,
      );
    }
    if (!(Number.isFinite(epsilon) && epsilon > 0)) {
      throw new RangeError(
        `${this.name}: the perturbation ε must be finite and > 0, got ${epsilon}`,
      );
    }
    return { directions, perturbation: epsilon, directional: 0 };
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

  /**
   * Records the update of every block; `hyper` is the step's Hyper less the fields set here: count,
   * start, lossIndex, partialStart and the gradient's inline fields.
   */
  encode(target: ComputeTarget, step: OptimizerStep, hyper: StructValue, state: UpdateState): void {
    this.validate('params', step.params);
    const gradient = this.gradientOf(step.gradient);
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
      const partials = this.partials;
      if (!partials) throw new Error(`${this.name}: a step without the copy has no partials`);
      extra = () => ({ loss: loss.buffer, verdict, normPartials: partials });
    }
    const partialStarts = this.plan.normPartials?.partialStarts;
    const bindGroups = this.blocks.blocks.map((block, k) =>
      this.bindGroups.get({
        hyper: this.ring.push({
          ...hyper,
          ...gradient.fields,
          count: block.count,
          start: block.start,
          lossIndex,
          partialStart: partialStarts?.[k] ?? 0,
        }),
        gradient: gradient.buffer(k),
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
    if (this.partials) this.memory.destroy(this.partials);
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

  /** An inline update's norm partials (their norm is ‖g‖); null for a stored gradient. */
  get normPartials(): { buffer: GPUBuffer; count: number } | null {
    return this.update.normPartials;
  }

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

  /** An inline update's norm partials (their norm is ‖g‖); null for a stored gradient. */
  get normPartials(): { buffer: GPUBuffer; count: number } | null {
    return this.update.normPartials;
  }

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
    // sgd_step and sgd_inline read count and stepSize of these only.
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
