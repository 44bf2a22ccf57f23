import finiteCheckCode from '../../shaders/finiteCheck.wgsl?raw';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { readBuffer } from '../gpu/gpuMemory.ts';
import type { BufferBinding, ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import {
  BindGroupCache,
  inComputePass,
  UniformRing,
  type ComputeTarget,
  planUniformRing,
  ringSlotsFor,
  type RingLimits,
} from '../gpu/dispatch.ts';
import { reflectStructView } from '../gpu/structView.ts';
import { type KernelCost, sumCosts, WORD_BYTES, wordCost } from './kernelCost.ts';
import {
  type BlockedTensor,
  parameterBlocksOf,
  type ParameterBlocks,
  validateTensor,
} from './parameterBlocks.ts';
import { plannedView, validateWorkgroupSize } from './planning.ts';
import {
  type BlockedReductionPlan,
  blockedReductionCost,
  GpuBlockedReduction,
  GpuReducer,
  planBlockedReduction,
  type ReducerLimits,
  type ReducerOptions,
  reductionResultBytes,
} from './reductions.ts';

/** A single f32 in a GPU buffer: the buffer's first element, or element `index` of it. */
export type ScalarBinding = GPUBuffer | { buffer: GPUBuffer; index: number };

export interface DivergenceCheck {
  /**
   * The step's gradient in the guard's blocks (the flat layout of jetLayout.ts, gradientCount f32
   * elements in all; wholeTensor(buffer, count) when it is one buffer).
   */
  gradient: BlockedTensor;
  /** The step number reported when this check trips. */
  step: number;
  /** The step's loss, e.g. { buffer: lossResult, index: reductionWord.meanOfSquares }. */
  loss?: ScalarBinding;
}

export type DivergenceSource = 'loss' | 'gradient' | 'loss and gradient';

export interface GuardStatus {
  tripped: boolean;
  /** Step of the first failing check since the last reset; null while not tripped. */
  step: number | null;
  source: DivergenceSource | null;
  /** First non-finite gradient element of the failing step; null if the gradient was finite. */
  gradientIndex: number | null;
  /** The non-finite loss (NaN or ±Inf) when the loss tripped the guard, else null. */
  lossValue: number | null;
  /** The value of gradient[gradientIndex], else null. */
  gradientValue: number | null;
  /** Raw bit patterns of those two values (NaN payloads survive here; 0 when absent). */
  lossBits: number;
  gradientBits: number;
  /** Most recent step checked (null before the first check): how fresh this status is. */
  lastCheckedStep: number | null;
  /** Checks run since the last reset. */
  checks: number;
}

const finiteCheckSource = { name: 'finiteCheck.wgsl', code: finiteCheckCode };
const finiteCheckParts = [lib.grid, lib.finiteBits, finiteCheckSource];

/** The Status struct of shaders/finiteCheck.wgsl: how the host reads the status buffer back. */
const statusView = reflectStructView(finiteCheckSource, 'status');

/** Bytes of the status buffer (the Status struct). */
export const statusBytes = statusView.size;

const noElement = 0xffffffff;

/** `binding` as buffer and element index, checked to lie inside the buffer. */
export function resolveScalar(
  what: string,
  binding: ScalarBinding,
): { buffer: GPUBuffer; index: number } {
  const scalar = binding instanceof GPUBuffer ? { buffer: binding, index: 0 } : binding;
  if (
    !Number.isInteger(scalar.index) ||
    scalar.index < 0 ||
    4 * (scalar.index + 1) > scalar.buffer.size
  ) {
    throw new RangeError(`${what}: loss index ${scalar.index} is outside ${scalar.buffer.label}`);
  }
  return scalar;
}

function bitsToFloat(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0];
}

/** Decodes the status buffer's bytes (at least statusBytes of them) as read back. */
export function decodeGuardStatus(words: Uint32Array): GuardStatus {
  const w = statusView.unpack(words) as Record<string, number>;
  const tripped = w.tripped !== 0;
  const lossBad = tripped && (w.source & 1) !== 0;
  const gradientBad = tripped && (w.source & 2) !== 0;
  return {
    tripped,
    step: tripped ? w.step : null,
    source:
      lossBad && gradientBad
        ? 'loss and gradient'
        : lossBad
          ? 'loss'
          : gradientBad
            ? 'gradient'
            : null,
    gradientIndex: gradientBad && w.gradientIndex !== noElement ? w.gradientIndex : null,
    lossValue: lossBad ? bitsToFloat(w.lossBits) : null,
    gradientValue: gradientBad ? bitsToFloat(w.gradientBits) : null,
    lossBits: w.lossBits,
    gradientBits: w.gradientBits,
    lastCheckedStep: w.checks > 0 ? w.lastCheckedStep : null,
    checks: w.checks,
  };
}

/** The device limits a guard's plan depends on (GPUSupportedLimits has them). */
export type DivergenceGuardLimits = RingLimits & ReducerLimits;

export interface DivergenceGuardConfig {
  gradientCount: number;
  /**
   * The buffers the gradient is held in (parameterBlocks.ts; their count must be gradientCount):
   * every kernel that reads it runs once per block. Default: one block.
   */
  blocks?: ParameterBlocks;
  /** Checks that may be recorded between two queue submits (see UniformRing); default 32. */
  uniformSlots?: number;
  /** The workgroup shape of the reducer that reduces the gradient (the guard's own: defaults). */
  reducer?: ReducerOptions;
  /**
   * Whether the optimizer keeps the rollback copy (OptimizerConfig.rollback, default true). With
   * it the guard reads every step's gradient before the update (encodeScan, or encodeCheck on a
   * step that logs the norm); without it the optimizer checks the elements it reads and the guard
   * only latches its verdict (encodeVerdict).
   */
  rollback?: boolean;
  /** Invocations per workgroup of the scan (default 256). */
  scanWorkgroupSize?: number;
}

/** The scan_gradient dispatches of a guard (finiteCheck.wgsl), one per block. */
export interface GradientScanPlan {
  constants: { WORKGROUP_SIZE: number; SCAN_ITEMS: number };
  /** Per block, ceil(count / (WORKGROUP_SIZE·SCAN_ITEMS)), folded into the device's grid. */
  workgroups: number[];
}

export interface DivergenceGuardPlan {
  gradientCount: number;
  /** The gradient's blocks; one for a gradient in one buffer. */
  blocks: ParameterBlocks;
  /** Checks that may be recorded between two submits. */
  uniformSlots: number;
  /**
   * Slots of the Params ring: a check pushes one per block, so uniformSlots × blocks, or fewer
   * where that passes 64 KiB (ringSlotsFor).
   */
  ringSlots: number;
  status: PlannedBuffer;
  gradientStats: PlannedBuffer;
  /** Bound as the loss of a check without one. */
  noLoss: PlannedBuffer;
  /**
   * The first-bad-element word of the scan and of the update without the copy
   * (optimizersChecked.wgsl).
   */
  verdict: PlannedBuffer;
  /** The UniformRing of the per-check, per-block Params. */
  ring: PlannedBuffer;
  scan: GradientScanPlan;
  /** Every buffer create allocates: status, gradient stats, no-loss stand-in, verdict, ring. */
  buffers: PlannedBuffer[];
  /**
   * Bytes per gradient element the guard reads each step: 4 with the rollback (the scan, or the
   * reduction of a step that logs the norm), 0 without (a step that logs the gradient norm
   * reduces it: 4 on those steps).
   */
  bytesReadPerElement: number;
  /**
   * The reduction of the gradient: the chain of each block size that create adds to the reducer
   * (the guard's own, or a shared one that has not reduced that many elements before) and, with
   * several blocks, the combine's scratch. Allocated with the guard although only encodeCheck and
   * encodeGradientStats use it, so that a run holds from its first step what it holds at its first
   * logging step (the plan of a training run is its allocation at every step).
   */
  reduction: BlockedReductionPlan;
}

/**
 * The divergence guard of `config` on a device with `limits`: the buffers DivergenceGuard.create
 * allocates, its own and the reduction chain it adds to the reducer. Pure.
 */
export function planDivergenceGuard(
  config: DivergenceGuardConfig,
  limits: DivergenceGuardLimits,
): DivergenceGuardPlan {
  const { gradientCount } = config;
  if (!Number.isInteger(gradientCount) || gradientCount < 1 || gradientCount >= noElement) {
    throw new RangeError(
      `divergence guard: gradientCount must be a positive u32 integer, got ${gradientCount}`,
    );
  }
  const blocks = parameterBlocksOf('divergence guard', config.blocks ?? gradientCount);
  if (blocks.count !== gradientCount) {
    throw new RangeError(
      `divergence guard: blocks of ${blocks.count} elements for a gradient of ${gradientCount}`,
    );
  }
  const uniformSlots = config.uniformSlots ?? 32;
  const status = storageBuffer('divergence status', statusBytes);
  const gradientStats = storageBuffer('gradient stats', reductionResultBytes);
  const noLoss = storageBuffer('no loss', 4);
  const verdict = storageBuffer('divergence verdict', 4);
  const params = plannedView(finiteCheckParts, 'params');
  if (!Number.isInteger(uniformSlots) || uniformSlots < 1) {
    throw new RangeError(
      `divergence check params: uniformSlots must be a positive integer, got ${uniformSlots}`,
    );
  }
  // A uniform is written when recorded, so every block's Params of every check needs a slot
  // (fewer checks between two submits than uniformSlots with many blocks; the trainer records one).
  const ringSlots = ringSlotsFor(
    'divergence check params',
    uniformSlots,
    blocks.blocks.length,
    params,
    limits,
  );
  const ring = planUniformRing('divergence check params', params, ringSlots, limits);
  const scanSize = config.scanWorkgroupSize ?? 256;
  validateWorkgroupSize('divergence guard scan', scanSize, limits);
  const scanConstants = { WORKGROUP_SIZE: scanSize, SCAN_ITEMS: 4 };
  const scanWorkgroups = blocks.blocks.map((block) =>
    Math.ceil(block.count / (scanConstants.WORKGROUP_SIZE * scanConstants.SCAN_ITEMS)),
  );
  return {
    gradientCount,
    blocks,
    uniformSlots,
    ringSlots,
    status,
    gradientStats,
    noLoss,
    verdict,
    ring,
    scan: { constants: scanConstants, workgroups: scanWorkgroups },
    buffers: [status, gradientStats, noLoss, verdict, ring],
    bytesReadPerElement: (config.rollback ?? true) ? 4 : 0,
    reduction: planBlockedReduction(
      blocks.blocks.map((block) => block.count),
      config.reducer ?? {},
      limits,
    ),
  };
}

/**
 * With several blocks, the note_*_bits dispatches before a latch (one per block but the latch's):
 * each reads the tripped word and the step's first bad index, and writes nothing on a finite step.
 */
function noteCost(plan: DivergenceGuardPlan): KernelCost {
  const notes = plan.blocks.blocks.length - 1;
  return wordCost(0, 2 * notes, 0);
}

/**
 * What one encodeCheck computes and moves (kernelCost.ts's rules): the reduction of the gradient,
 * then check_step, one invocation that reads the reduction's result and writes the status.
 */
export function divergenceCheckCost(plan: DivergenceGuardPlan): KernelCost {
  const check = wordCost(0, reductionResultBytes / WORD_BYTES, statusBytes / WORD_BYTES);
  return sumCosts([blockedReductionCost(plan.reduction), noteCost(plan), check]);
}

/**
 * What one encodeScan computes and moves: scan_gradient reads every gradient element once (one
 * exponent test each; the atomic of a non-finite element is not counted, a finite run has none),
 * then latch_verdict reads the verdict word and writes it and the status.
 */
export function gradientScanCost(plan: DivergenceGuardPlan): KernelCost {
  const scan = wordCost(plan.gradientCount, plan.gradientCount, 0);
  const latch = wordCost(0, 1, 1 + statusBytes / WORD_BYTES);
  return sumCosts([scan, noteCost(plan), latch]);
}

export interface DivergenceGuardOptions {
  /** A reducer to share (it keeps one scratch chain per size); by default the guard makes its own. */
  reducer?: GpuReducer;
  /** Checks that may be recorded between two queue submits (see UniformRing); default 32. */
  uniformSlots?: number;
  /** Invocations per workgroup of encodeScan (default 256). */
  scanWorkgroupSize?: number;
}

/**
 * Detects NaN/±Inf in a step's loss and gradient on the GPU and latches the first failure into a
 * small status buffer that the optimizers read (they skip their update while it is set) and the
 * host reads whenever it likes, never inside the step. With the optimizer's rollback copy, per
 * check before the update: either encodeCheck, one deterministic reduction of the gradient (whose
 * norm and max |g| the trainer can read from `gradientStats`) and one single-invocation dispatch,
 * or encodeScan, one read of the gradient that keeps only its first non-finite element, and the
 * single-invocation latch. Without it the optimizer checks the gradient as it reads it, and
 * encodeVerdict (after the update) is the single-invocation dispatch alone; encodeGradientStats
 * reduces the gradient for a step that logs its norm. Once tripped the guard stays tripped, so no
 * later step moves the weights, until `reset()`; the host should restore a checkpoint (weights,
 * Adam moments) and, say, lower the learning rate first.
 *
 * A gradient held in several blocks (parameterBlocks.ts) is scanned and reduced block by block;
 * every index is a flat one, so the verdict and the latched status are those of the same gradient
 * in one buffer, bit for bit. Its statistics are the blocks' reductions added in block order
 * (GpuBlockedReduction): deterministic, but they may differ from one buffer's in the last bits.
 * They are only logged; nothing the update reads comes from them but the first non-finite index.
 */
export class DivergenceGuard {
  /** The Status struct of shaders/finiteCheck.wgsl: 8 u32 words, word 0 nonzero = tripped. */
  readonly statusBuffer: GPUBuffer;
  /** reduce.wgsl's result for the most recently checked gradient (see reductionWord). */
  readonly gradientStats: GPUBuffer;
  /** Word 0: ~(first non-finite gradient element, a flat index) that the optimizer saw, 0 if none. */
  readonly verdictBuffer: GPUBuffer;
  /** check_step, latch_verdict and scan_gradient (finiteCheck.wgsl). */
  private readonly check: ComputeKernel;
  private readonly latch: ComputeKernel;
  private readonly scan: ComputeKernel;
  private readonly ring: UniformRing;
  private readonly bindGroups: BindGroupCache;
  private readonly latchBindGroups: BindGroupCache;
  private readonly scanBindGroups: BindGroupCache;
  /** With several blocks, the note_*_bits kernels' bind groups; null for one block. */
  private readonly notes: {
    stats: { kernel: ComputeKernel; bindGroups: BindGroupCache };
    verdict: { kernel: ComputeKernel; bindGroups: BindGroupCache };
  } | null;
  private readonly scanWorkgroups: readonly number[];
  private readonly noLoss: GPUBuffer;

  /** Elements of every gradient this guard checks. */
  readonly gradientCount: number;
  /** The blocks every checked gradient is held in. */
  readonly blocks: ParameterBlocks;

  private constructor(
    private readonly memory: GpuMemory,
    kernels: GuardKernels,
    private readonly reducer: GpuReducer,
    private readonly ownsReducer: boolean,
    private readonly reduction: GpuBlockedReduction,
    plan: DivergenceGuardPlan,
  ) {
    this.gradientCount = plan.gradientCount;
    this.blocks = plan.blocks;
    const { status, gradientStats, noLoss, verdict, ring } = plan;
    this.statusBuffer = memory.create(status.label, status.bytes);
    this.gradientStats = memory.create(gradientStats.label, gradientStats.bytes);
    this.noLoss = memory.create(noLoss.label, noLoss.bytes);
    this.verdictBuffer = memory.create(verdict.label, verdict.bytes);
    this.check = kernels.check;
    this.latch = kernels.latch;
    this.scan = kernels.scan;
    this.ring = new UniformRing(memory, ring.label, kernels.check.struct('params'), plan.ringSlots);
    // Every block's Params slot of every recorded check is a bind group of its own: room for all.
    const capacity = 256 * plan.blocks.blocks.length;
    this.bindGroups = new BindGroupCache(kernels.check, capacity);
    this.latchBindGroups = new BindGroupCache(kernels.latch, capacity);
    this.scanBindGroups = new BindGroupCache(kernels.scan, capacity);
    this.notes = kernels.notes && {
      stats: {
        kernel: kernels.notes.stats,
        bindGroups: new BindGroupCache(kernels.notes.stats, capacity),
      },
      verdict: {
        kernel: kernels.notes.verdict,
        bindGroups: new BindGroupCache(kernels.notes.verdict, capacity),
      },
    };
    this.scanWorkgroups = plan.scan.workgroups;
  }

  /**
   * Compiles (or reuses) the check and allocates the buffers of planDivergenceGuard, for a
   * gradient of `gradient` elements in one buffer or held in the blocks `gradient`.
   */
  static async create(
    memory: GpuMemory,
    gradient: number | ParameterBlocks,
    options: DivergenceGuardOptions = {},
  ): Promise<DivergenceGuard> {
    const blocks = parameterBlocksOf('divergence guard', gradient);
    const plan = planDivergenceGuard(
      {
        gradientCount: blocks.count,
        blocks,
        uniformSlots: options.uniformSlots,
        reducer: options.reducer?.options,
        scanWorkgroupSize: options.scanWorkgroupSize,
      },
      memory.device.limits,
    );
    const device = memory.device;
    const entry = (entryPoint: string) => cachedKernel(device, finiteCheckParts, { entryPoint });
    const kernels: GuardKernels = {
      check: await entry('check_step'),
      latch: await entry('latch_verdict'),
      scan: await cachedKernel(device, finiteCheckParts, {
        entryPoint: 'scan_gradient',
        constants: plan.scan.constants,
      }),
      // One block's latch reads every element's bits itself: no notes to compile.
      notes:
        plan.blocks.blocks.length > 1
          ? { stats: await entry('note_stats_bits'), verdict: await entry('note_verdict_bits') }
          : null,
    };
    const reducer = options.reducer ?? (await GpuReducer.create(memory));
    const reduction = await GpuBlockedReduction.create(memory, reducer, plan.reduction);
    return new DivergenceGuard(
      memory,
      kernels,
      reducer,
      options.reducer === undefined,
      reduction,
      plan,
    );
  }

  /**
   * Records the check of one step. Record it after the gradient (and loss) are computed and before
   * the optimizer step that passes this guard, in the same or an earlier command buffer.
   */
  encodeCheck(target: ComputeTarget, check: DivergenceCheck): void {
    const entries = this.checkBindings(check, check.gradient);
    inComputePass(target, `divergence check ${check.step}`, (pass) => {
      this.reduction.encode(pass, check.gradient.buffers, this.gradientStats);
      this.encodeNotes(pass, 'stats', entries);
      this.check.dispatch(pass, this.bindGroups.get(latchEntries(entries)), 1);
    });
  }

  /**
   * Records the check of one step as a scan of the gradient for its first non-finite element and
   * the latch of that verdict: encodeCheck's verdict without its reduction (no norm), for the
   * steps that do not log. Record it where encodeCheck would go.
   */
  encodeScan(target: ComputeTarget, check: DivergenceCheck): void {
    const entries = this.checkBindings(check, check.gradient);
    inComputePass(target, `divergence scan ${check.step}`, (pass) => {
      entries.forEach((block, k) => {
        const bindGroup = this.scanBindGroups.get(block);
        this.scan.dispatchFolded(pass, bindGroup, this.scanWorkgroups[k]);
      });
      this.encodeNotes(pass, 'verdict', entries);
      this.latch.dispatch(pass, this.latchBindGroups.get(latchEntries(entries)), 1);
    });
  }

  /**
   * Records the latch of the verdict an optimizer without the rollback copy recorded for this
   * step (OptimizerStep.guard): record it after that update and before the next one.
   */
  encodeVerdict(target: ComputeTarget, check: DivergenceCheck): void {
    const entries = this.checkBindings(check, check.gradient);
    inComputePass(target, `divergence verdict ${check.step}`, (pass) => {
      this.encodeNotes(pass, 'verdict', entries);
      this.latch.dispatch(pass, this.latchBindGroups.get(latchEntries(entries)), 1);
    });
  }

  /**
   * encodeVerdict for an update that summed its gradient inline and stored none (an inline
   * update, optimizers.ts InlineGradient): the same latch of the step, the loss and the first bad
   * flat index, with no gradient to read the bad element's bits from (gradientBits stay 0).
   * `check.gradient` is not read.
   */
  encodeInlineVerdict(target: ComputeTarget, check: Omit<DivergenceCheck, 'gradient'>): void {
    const [entry] = this.checkBindings(check, null);
    inComputePass(target, `divergence verdict ${check.step}`, (pass) => {
      this.latch.dispatch(pass, this.latchBindGroups.get(entry), 1);
    });
  }

  /**
   * Reduces `gradient` into `gradientStats` (norm, max |g|, …) without a check: for the steps that
   * log the gradient norm when encodeVerdict does the checking.
   */
  encodeGradientStats(target: ComputeTarget, gradient: BlockedTensor): void {
    validateTensor('divergence guard: gradient', gradient, this.blocks);
    inComputePass(target, 'gradient stats', (pass) => {
      this.reduction.encode(pass, gradient.buffers, this.gradientStats);
    });
  }

  /**
   * With several blocks, the note_*_bits dispatch of every block but the last (whose buffer the
   * latch binds): the bits of the step's first bad element, from the block holding it.
   */
  private encodeNotes(
    pass: GPUComputePassEncoder,
    source: 'stats' | 'verdict',
    entries: readonly CheckEntries[],
  ): void {
    if (!this.notes) return;
    const note = this.notes[source];
    for (const block of entries.slice(0, -1)) {
      note.kernel.dispatch(pass, note.bindGroups.get(block), 1);
    }
  }

  /** The bindings of each block's dispatches, in block order; one Params slot each. */
  /**
   * The bindings of each block's dispatch; without a gradient (encodeInlineVerdict) one entry
   * whose empty block holds no index, bound to a stand-in the latch never reads.
   */
  private checkBindings(
    check: Omit<DivergenceCheck, 'gradient'>,
    gradient: BlockedTensor | null,
  ): CheckEntries[] {
    const { step } = check;
    if (!Number.isInteger(step) || step < 0 || step >= noElement) {
      throw new RangeError(`divergence guard: step must be a u32 integer, got ${step}`);
    }
    const loss = check.loss === undefined ? null : resolveScalar('divergence guard', check.loss);
    if (gradient) validateTensor('divergence guard: gradient', gradient, this.blocks);
    const blocks = gradient ? this.blocks.blocks : [{ start: 0, count: 0 }];
    return blocks.map((block, k) => ({
      params: this.ring.push({
        step,
        hasLoss: loss ? 1 : 0,
        lossIndex: loss?.index ?? 0,
        count: block.count,
        start: block.start,
      }),
      // Every entry point of finiteCheck.wgsl binds the same six buffers.
      loss: loss?.buffer ?? this.noLoss,
      gradientStats: this.gradientStats,
      gradient: gradient?.buffers[k] ?? this.noLoss,
      status: this.statusBuffer,
      verdict: this.verdictBuffer,
    }));
  }

  /**
   * Reads the status as of the work submitted so far. One awaited round trip: call it every N
   * steps or when idle, never inside a step (DESIGN.md §7).
   */
  async readStatus(): Promise<GuardStatus> {
    const bytes = await readBuffer(this.memory.device, this.statusBuffer, statusBytes);
    return decodeGuardStatus(new Uint32Array(bytes));
  }

  /**
   * Clears the latch and the check count. The queue runs this write after every command buffer
   * submitted before the call and before every one submitted after it (including ones already
   * recorded but not yet submitted), so an earlier failing check cannot re-trip the guard.
   */
  reset(): void {
    this.memory.write(this.statusBuffer, new Uint8Array(statusBytes));
    this.memory.write(this.verdictBuffer, new Uint8Array(4));
  }

  destroy(): void {
    this.ring.destroy();
    this.memory.destroy(this.statusBuffer);
    this.memory.destroy(this.gradientStats);
    this.memory.destroy(this.noLoss);
    this.memory.destroy(this.verdictBuffer);
    this.reduction.destroy();
    if (this.ownsReducer) this.reducer.destroy();
  }
}

/** The kernels of a guard: finiteCheck.wgsl's entry points. */
interface GuardKernels {
  check: ComputeKernel;
  latch: ComputeKernel;
  scan: ComputeKernel;
  /** note_stats_bits and note_verdict_bits, with several blocks only. */
  notes: { stats: ComputeKernel; verdict: ComputeKernel } | null;
}

/** One block's bindings of a check, by finiteCheck.wgsl's names (a bind group's resources). */
type CheckEntries = Record<
  'params' | 'loss' | 'gradientStats' | 'gradient' | 'status' | 'verdict',
  BufferBinding
>;

/** The latch's bindings: the last block's, whose elements it reads the bad bits of itself. */
function latchEntries(entries: readonly CheckEntries[]): CheckEntries {
  return entries[entries.length - 1];
}
