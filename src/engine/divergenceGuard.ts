import finiteCheckCode from '../../shaders/finiteCheck.wgsl?raw';
import type { GpuBuffers } from '../gpu/buffers.ts';
import { readBuffer } from '../gpu/buffers.ts';
import { createKernel, type BufferBinding, type ComputeKernel } from '../gpu/kernel.ts';
import {
  BindGroupCache,
  inComputePass,
  resolveBinding,
  UniformRing,
  type ComputeTarget,
} from '../gpu/dispatch.ts';
import { GpuReducer, reductionResultBytes } from './reductions.ts';

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

/** Word offsets of the status buffer (the Status struct of shaders/finiteCheck.wgsl). */
export const statusWord = {
  tripped: 0,
  step: 1,
  source: 2,
  gradientIndex: 3,
  lossBits: 4,
  gradientBits: 5,
  lastCheckedStep: 6,
  checks: 7,
} as const;

export const statusBytes = 32;

const noElement = 0xffffffff;
const paramsBytes = 16;

function bitsToFloat(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0];
}

export function decodeGuardStatus(words: Uint32Array): GuardStatus {
  const w = statusWord;
  const tripped = words[w.tripped] !== 0;
  const sourceBits = words[w.source];
  const lossBad = tripped && (sourceBits & 1) !== 0;
  const gradientBad = tripped && (sourceBits & 2) !== 0;
  const checks = words[w.checks];
  return {
    tripped,
    step: tripped ? words[w.step] : null,
    source:
      lossBad && gradientBad
        ? 'loss and gradient'
        : lossBad
          ? 'loss'
          : gradientBad
            ? 'gradient'
            : null,
    gradientIndex:
      gradientBad && words[w.gradientIndex] !== noElement ? words[w.gradientIndex] : null,
    lossValue: lossBad ? bitsToFloat(words[w.lossBits]) : null,
    gradientValue: gradientBad ? bitsToFloat(words[w.gradientBits]) : null,
    lossBits: words[w.lossBits],
    gradientBits: words[w.gradientBits],
    lastCheckedStep: checks > 0 ? words[w.lastCheckedStep] : null,
    checks,
  };
}

export interface DivergenceGuardOptions {
  /** A reducer to share (it keeps one scratch chain per size); by default the guard makes its own. */
  reducer?: GpuReducer;
  /** Checks that may be recorded between two queue submits (see UniformRing); default 32. */
  uniformSlots?: number;
}

/**
 * Detects NaN/±Inf in a step's loss and gradient on the GPU and latches the first failure into a
 * small status buffer that the optimizers read (they skip their update while it is set) and the
 * host reads whenever it likes, never inside the step. Per check: one deterministic reduction of
 * the gradient (whose norm and max |g| the trainer can read from `gradientStats` at no extra cost)
 * and one single-invocation dispatch. Once tripped the guard stays tripped, so no later step moves
 * the weights, until `reset()`; the host should restore a checkpoint (weights, Adam moments) and,
 * say, lower the learning rate first.
 */
export class DivergenceGuard {
  /** The Status struct of shaders/finiteCheck.wgsl: 8 u32 words, word 0 nonzero = tripped. */
  readonly statusBuffer: GPUBuffer;
  /** reduce.wgsl's result for the most recently checked gradient (see reductionWord). */
  readonly gradientStats: GPUBuffer;
  private readonly ring: UniformRing;
  private readonly bindGroups: BindGroupCache;
  private readonly noLoss: GPUBuffer;

  private constructor(
    private readonly buffers: GpuBuffers,
    private readonly kernel: ComputeKernel,
    private readonly reducer: GpuReducer,
    private readonly ownsReducer: boolean,
    /** Elements of every gradient this guard checks. */
    readonly gradientCount: number,
    uniformSlots: number,
  ) {
    this.statusBuffer = buffers.create('divergence status', statusBytes);
    this.gradientStats = buffers.create('gradient stats', reductionResultBytes);
    this.noLoss = buffers.create('no loss', 4);
    this.ring = new UniformRing(buffers, 'divergence check params', paramsBytes, uniformSlots);
    this.bindGroups = new BindGroupCache(kernel);
  }

  static async create(
    buffers: GpuBuffers,
    gradientCount: number,
    options: DivergenceGuardOptions = {},
  ): Promise<DivergenceGuard> {
    if (!Number.isInteger(gradientCount) || gradientCount < 1) {
      throw new RangeError(
        `divergence guard: gradientCount must be a positive integer, got ${gradientCount}`,
      );
    }
    const kernel = await createKernel(buffers.device, {
      name: 'finiteCheck.wgsl',
      code: finiteCheckCode,
    });
    const reducer = options.reducer ?? (await GpuReducer.create(buffers));
    return new DivergenceGuard(
      buffers,
      kernel,
      reducer,
      options.reducer === undefined,
      gradientCount,
      options.uniformSlots ?? 32,
    );
  }

  /**
   * Records the check of one step. Record it after the gradient (and loss) are computed and before
   * the optimizer step that passes this guard, in the same or an earlier command buffer.
   */
  encodeCheck(target: ComputeTarget, check: DivergenceCheck): void {
    const { step } = check;
    if (!Number.isInteger(step) || step < 0 || step >= noElement) {
      throw new RangeError(`divergence guard: step must be a u32 integer, got ${step}`);
    }
    const loss =
      check.loss === undefined
        ? undefined
        : check.loss instanceof GPUBuffer
          ? { buffer: check.loss, index: 0 }
          : check.loss;
    if (
      loss &&
      (!Number.isInteger(loss.index) || loss.index < 0 || 4 * (loss.index + 1) > loss.buffer.size)
    ) {
      throw new RangeError(
        `divergence guard: loss index ${loss.index} is outside ${loss.buffer.label}`,
      );
    }
    const gradient = resolveBinding(check.gradient);
    const params = this.ring.push(
      new Uint32Array([step, loss ? 1 : 0, loss?.index ?? 0, 0]).buffer,
    );
    inComputePass(target, `divergence check ${step}`, (pass) => {
      this.reducer.encode(pass, gradient, this.gradientCount, this.gradientStats);
      const bindGroup = this.bindGroups.get({
        params,
        loss: loss?.buffer ?? this.noLoss,
        gradientStats: this.gradientStats,
        gradient,
        status: this.statusBuffer,
      });
      this.kernel.dispatch(pass, bindGroup, 1);
    });
  }

  /**
   * Reads the status as of the work submitted so far. One awaited round trip: call it every N
   * steps or when idle, never inside a step (DESIGN.md §7).
   */
  async readStatus(): Promise<GuardStatus> {
    const bytes = await readBuffer(this.buffers.device, this.statusBuffer, statusBytes);
    return decodeGuardStatus(new Uint32Array(bytes));
  }

  /**
   * Clears the latch and the check count. The queue runs this write after every command buffer
   * submitted before the call and before every one submitted after it (including ones already
   * recorded but not yet submitted), so an earlier failing check cannot re-trip the guard.
   */
  reset(): void {
    this.buffers.write(this.statusBuffer, new Uint32Array(statusBytes / 4));
  }

  destroy(): void {
    this.ring.destroy();
    this.buffers.destroy(this.statusBuffer);
    this.buffers.destroy(this.gradientStats);
    this.buffers.destroy(this.noLoss);
    if (this.ownsReducer) this.reducer.destroy();
  }
}
