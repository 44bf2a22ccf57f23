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
  resolveBinding,
  UniformRing,
  type ComputeTarget,
  planUniformRing,
  type RingLimits,
} from '../gpu/dispatch.ts';
import { reflectStructView } from '../gpu/structView.ts';
import { type KernelCost, sumCosts, WORD_BYTES, wordCost } from './kernelCost.ts';
import { plannedView, validateWorkgroupSize } from './planning.ts';
import {
  GpuReducer,
  planReducer,
  type ReducerLimits,
  type ReducerOptions,
  type ReducerPlan,
  reducerCost,
  reductionResultBytes,
} from './reductions.ts';

/** A single f32 in a GPU buffer: the buffer's first element, or element `index` of it. */
export type ScalarBinding = GPUBuffer | { buffer: GPUBuffer; index: number };

export interface DivergenceCheck {
  /** The step's gradient, `gradientCount` f32 elements (the flat layout of jetLayout.ts). */
  gradient: BufferBinding;
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

/** The scan_gradient dispatch of a guard (finiteCheck.wgsl). */
export interface GradientScanPlan {
  constants: { WORKGROUP_SIZE: number; SCAN_ITEMS: number };
  /** ceil(gradientCount / (WORKGROUP_SIZE·SCAN_ITEMS)), folded into the device's grid. */
  workgroups: number;
}

export interface DivergenceGuardPlan {
  gradientCount: number;
  uniformSlots: number;
  status: PlannedBuffer;
  gradientStats: PlannedBuffer;
  /** Bound as the loss of a check without one. */
  noLoss: PlannedBuffer;
  /**
   * The first-bad-element word of the scan and of the update without the copy
   * (optimizersChecked.wgsl).
   */
  verdict: PlannedBuffer;
  /** The UniformRing of the per-check Params. */
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
   * The chain create adds to the reducer (the guard's own, or a shared one that has not reduced
   * gradientCount elements before): allocated with the guard although only encodeCheck and
   * encodeGradientStats use it, so that a run holds from its first step what it holds at its first
   * logging step (the plan of a training run is its allocation at every step).
   */
  reduction: ReducerPlan;
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
  if (!Number.isInteger(gradientCount) || gradientCount < 1) {
    throw new RangeError(
      `divergence guard: gradientCount must be a positive integer, got ${gradientCount}`,
    );
  }
  const uniformSlots = config.uniformSlots ?? 32;
  const status = storageBuffer('divergence status', statusBytes);
  const gradientStats = storageBuffer('gradient stats', reductionResultBytes);
  const noLoss = storageBuffer('no loss', 4);
  const verdict = storageBuffer('divergence verdict', 4);
  const params = plannedView(finiteCheckParts, 'params');
  const ring = planUniformRing('divergence check params', params, uniformSlots, limits);
  const scanSize = config.scanWorkgroupSize ?? 256;
  validateWorkgroupSize('divergence guard scan', scanSize, limits);
  const scanConstants = { WORKGROUP_SIZE: scanSize, SCAN_ITEMS: 4 };
  const scanWorkgroups = Math.ceil(
    gradientCount / (scanConstants.WORKGROUP_SIZE * scanConstants.SCAN_ITEMS),
  );
  return {
    gradientCount,
    uniformSlots,
    status,
    gradientStats,
    noLoss,
    verdict,
    ring,
    scan: { constants: scanConstants, workgroups: scanWorkgroups },
    buffers: [status, gradientStats, noLoss, verdict, ring],
    bytesReadPerElement: (config.rollback ?? true) ? 4 : 0,
    reduction: planReducer(gradientCount, config.reducer ?? {}, limits),
  };
}

/**
 * What one encodeCheck computes and moves (kernelCost.ts's rules): the reduction of the gradient,
 * then check_step, one invocation that reads the reduction's result and writes the status.
 */
export function divergenceCheckCost(plan: DivergenceGuardPlan): KernelCost {
  const check = wordCost(0, reductionResultBytes / WORD_BYTES, statusBytes / WORD_BYTES);
  return sumCosts([reducerCost(plan.reduction), check]);
}

/**
 * What one encodeScan computes and moves: scan_gradient reads every gradient element once (one
 * exponent test each; the atomic of a non-finite element is not counted, a finite run has none),
 * then latch_verdict reads the verdict word and writes it and the status.
 */
export function gradientScanCost(plan: DivergenceGuardPlan): KernelCost {
  const scan = wordCost(plan.gradientCount, plan.gradientCount, 0);
  const latch = wordCost(0, 1, 1 + statusBytes / WORD_BYTES);
  return sumCosts([scan, latch]);
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
 */
export class DivergenceGuard {
  /** The Status struct of shaders/finiteCheck.wgsl: 8 u32 words, word 0 nonzero = tripped. */
  readonly statusBuffer: GPUBuffer;
  /** reduce.wgsl's result for the most recently checked gradient (see reductionWord). */
  readonly gradientStats: GPUBuffer;
  /** Word 0: ~(first non-finite gradient element) that the optimizer saw, 0 if none. */
  readonly verdictBuffer: GPUBuffer;
  private readonly ring: UniformRing;
  private readonly bindGroups: BindGroupCache;
  private readonly latchBindGroups: BindGroupCache;
  private readonly scanBindGroups: BindGroupCache;
  private readonly scanWorkgroups: number;
  private readonly noLoss: GPUBuffer;

  /** Elements of every gradient this guard checks. */
  readonly gradientCount: number;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly kernel: ComputeKernel,
    private readonly latchKernel: ComputeKernel,
    private readonly scanKernel: ComputeKernel,
    private readonly reducer: GpuReducer,
    private readonly ownsReducer: boolean,
    plan: DivergenceGuardPlan,
  ) {
    this.gradientCount = plan.gradientCount;
    const { status, gradientStats, noLoss, verdict, ring } = plan;
    this.statusBuffer = memory.create(status.label, status.bytes);
    this.gradientStats = memory.create(gradientStats.label, gradientStats.bytes);
    this.noLoss = memory.create(noLoss.label, noLoss.bytes);
    this.verdictBuffer = memory.create(verdict.label, verdict.bytes);
    this.ring = new UniformRing(memory, ring.label, kernel.struct('params'), plan.uniformSlots);
    this.bindGroups = new BindGroupCache(kernel);
    this.latchBindGroups = new BindGroupCache(latchKernel);
    this.scanBindGroups = new BindGroupCache(scanKernel);
    this.scanWorkgroups = plan.scan.workgroups;
  }

  /** Compiles (or reuses) the check and allocates the buffers of planDivergenceGuard. */
  static async create(
    memory: GpuMemory,
    gradientCount: number,
    options: DivergenceGuardOptions = {},
  ): Promise<DivergenceGuard> {
    const plan = planDivergenceGuard(
      {
        gradientCount,
        uniformSlots: options.uniformSlots,
        reducer: options.reducer?.options,
        scanWorkgroupSize: options.scanWorkgroupSize,
      },
      memory.device.limits,
    );
    const kernel = await cachedKernel(memory.device, finiteCheckParts, {
      entryPoint: 'check_step',
    });
    const latchKernel = await cachedKernel(memory.device, finiteCheckParts, {
      entryPoint: 'latch_verdict',
    });
    const scanKernel = await cachedKernel(memory.device, finiteCheckParts, {
      entryPoint: 'scan_gradient',
      constants: plan.scan.constants,
    });
    const reducer = options.reducer ?? (await GpuReducer.create(memory));
    reducer.prepare(gradientCount);
    return new DivergenceGuard(
      memory,
      kernel,
      latchKernel,
      scanKernel,
      reducer,
      options.reducer === undefined,
      plan,
    );
  }

  /**
   * Records the check of one step. Record it after the gradient (and loss) are computed and before
   * the optimizer step that passes this guard, in the same or an earlier command buffer.
   */
  encodeCheck(target: ComputeTarget, check: DivergenceCheck): void {
    const entries = this.checkBindings(check);
    inComputePass(target, `divergence check ${check.step}`, (pass) => {
      this.reducer.encode(pass, entries.gradient, this.gradientCount, this.gradientStats);
      this.kernel.dispatch(pass, this.bindGroups.get(entries), 1);
    });
  }

  /**
   * Records the check of one step as a scan of the gradient for its first non-finite element and
   * the latch of that verdict: encodeCheck's verdict without its reduction (no norm), for the
   * steps that do not log. Record it where encodeCheck would go.
   */
  encodeScan(target: ComputeTarget, check: DivergenceCheck): void {
    const entries = this.checkBindings(check);
    inComputePass(target, `divergence scan ${check.step}`, (pass) => {
      this.scanKernel.dispatchFolded(pass, this.scanBindGroups.get(entries), this.scanWorkgroups);
      this.latchKernel.dispatch(pass, this.latchBindGroups.get(entries), 1);
    });
  }

  /**
   * Records the latch of the verdict an optimizer without the rollback copy recorded for this
   * step (OptimizerStep.guard): record it after that update and before the next one.
   */
  encodeVerdict(target: ComputeTarget, check: DivergenceCheck): void {
    const entries = this.checkBindings(check);
    inComputePass(target, `divergence verdict ${check.step}`, (pass) => {
      this.latchKernel.dispatch(pass, this.latchBindGroups.get(entries), 1);
    });
  }

  /**
   * Reduces `gradient` into `gradientStats` (norm, max |g|, …) without a check: for the steps that
   * log the gradient norm when encodeVerdict does the checking.
   */
  encodeGradientStats(target: ComputeTarget, gradient: BufferBinding): void {
    const binding = resolveBinding(gradient);
    inComputePass(target, 'gradient stats', (pass) => {
      this.reducer.encode(pass, binding, this.gradientCount, this.gradientStats);
    });
  }

  private checkBindings(check: DivergenceCheck) {
    const { step } = check;
    if (!Number.isInteger(step) || step < 0 || step >= noElement) {
      throw new RangeError(`divergence guard: step must be a u32 integer, got ${step}`);
    }
    const loss = check.loss === undefined ? null : resolveScalar('divergence guard', check.loss);
    const gradient = resolveBinding(check.gradient);
    const params = this.ring.push({
      step,
      hasLoss: loss ? 1 : 0,
      lossIndex: loss?.index ?? 0,
      count: this.gradientCount,
    });
    // Every entry point of finiteCheck.wgsl binds the same six buffers.
    return {
      params,
      loss: loss?.buffer ?? this.noLoss,
      gradientStats: this.gradientStats,
      gradient,
      status: this.statusBuffer,
      verdict: this.verdictBuffer,
    };
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
    if (this.ownsReducer) this.reducer.destroy();
  }
}
