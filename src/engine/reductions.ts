import reduceCode from '../../shaders/reduce.wgsl?raw';
import type { GpuBuffers } from '../gpu/buffers.ts';
import { readBuffer } from '../gpu/buffers.ts';
import { LimitError } from '../gpu/errors.ts';
import {
  BindGroupCache,
  dispatchLinear,
  inComputePass,
  resolveBinding,
  type ComputeTarget,
} from '../gpu/dispatch.ts';
import { createKernel, type BufferBinding, type ComputeKernel } from '../gpu/kernel.ts';

/** Word offsets of the 8-word result that reduce.wgsl writes (f32 bits unless noted). */
export const reductionWord = {
  sum: 0,
  sumOfSquares: 1,
  maxAbs: 2,
  /** u32: index of the first NaN/±Inf element, 0xFFFFFFFF when every element is finite. */
  firstNonFinite: 3,
  /** u32: n. */
  count: 4,
  mean: 5,
  /** The loss mean(r²) when the input is a residual buffer. */
  meanOfSquares: 6,
  /** sqrt(Σ x²): the gradient norm when the input is a gradient. */
  norm: 7,
} as const;

export const reductionResultBytes = 32;

const noElement = 0xffffffff;

export interface ReductionResult {
  sum: number;
  sumOfSquares: number;
  maxAbs: number;
  /** Index of the first non-finite element; null when all are finite. The float fields are then NaN. */
  firstNonFinite: number | null;
  count: number;
  mean: number;
  meanOfSquares: number;
  norm: number;
}

export function decodeReductionResult(bytes: ArrayBuffer): ReductionResult {
  const f = new Float32Array(bytes, 0, 8);
  const u = new Uint32Array(bytes, 0, 8);
  const w = reductionWord;
  return {
    sum: f[w.sum],
    sumOfSquares: f[w.sumOfSquares],
    maxAbs: f[w.maxAbs],
    firstNonFinite: u[w.firstNonFinite] === noElement ? null : u[w.firstNonFinite],
    count: u[w.count],
    mean: f[w.mean],
    meanOfSquares: f[w.meanOfSquares],
    norm: f[w.norm],
  };
}

export interface ReducerOptions {
  /** Invocations per workgroup, a power of two (default 256). Part of the summation order. */
  workgroupSize?: number;
  /** Elements each invocation adds before the tree (default 4). Part of the summation order. */
  itemsPerThread?: number;
}

interface ReductionPass {
  groups: number;
  params: { buffer: GPUBuffer; offset: number; size: number };
  /** Records written by this pass; undefined for the final pass, which writes the result. */
  output?: GPUBuffer;
}

const paramsBytes = 16;
const recordBytes = 16;

/**
 * Deterministic reductions (shaders/reduce.wgsl): sum, sum of squares, max |x|, mean, mean of
 * squares and norm of an f32 buffer, plus the index of its first non-finite element, in a fixed
 * tree order with no float atomics, so the same n gives bit-identical results on every run. The
 * per-n pass chain (uniforms and scratch records) is allocated on first use and kept.
 */
export class GpuReducer {
  private readonly plans = new Map<number, ReductionPass[]>();
  private readonly bindGroups: BindGroupCache;
  private ownedResult?: GPUBuffer;

  private constructor(
    private readonly buffers: GpuBuffers,
    private readonly kernel: ComputeKernel,
    /** Elements one workgroup reduces per pass. */
    readonly tile: number,
  ) {
    this.bindGroups = new BindGroupCache(kernel);
  }

  static async create(buffers: GpuBuffers, options: ReducerOptions = {}): Promise<GpuReducer> {
    const device = buffers.device;
    const workgroupSize = options.workgroupSize ?? 256;
    const itemsPerThread = options.itemsPerThread ?? 4;
    if (!Number.isInteger(Math.log2(workgroupSize)) || workgroupSize < 1) {
      throw new RangeError(`reducer: workgroupSize must be a power of two, got ${workgroupSize}`);
    }
    if (!Number.isInteger(itemsPerThread) || itemsPerThread < 1) {
      throw new RangeError(
        `reducer: itemsPerThread must be a positive integer, got ${itemsPerThread}`,
      );
    }
    if (workgroupSize * itemsPerThread < 2) {
      throw new RangeError('reducer: a workgroup must reduce at least 2 elements per pass');
    }
    const limits = device.limits;
    const workgroupBytes = 16 * workgroupSize;
    if (
      workgroupSize > limits.maxComputeInvocationsPerWorkgroup ||
      workgroupSize > limits.maxComputeWorkgroupSizeX ||
      workgroupBytes > limits.maxComputeWorkgroupStorageSize
    ) {
      throw new LimitError(
        `reducer: a workgroup of ${workgroupSize} invocations (${workgroupBytes} bytes of workgroup ` +
          `memory) exceeds the device limits of ${limits.maxComputeInvocationsPerWorkgroup} ` +
          `invocations and ${limits.maxComputeWorkgroupStorageSize} bytes`,
      );
    }
    const kernel = await createKernel(
      device,
      { name: 'reduce.wgsl', code: reduceCode },
      { constants: { WORKGROUP_SIZE: workgroupSize, ITEMS_PER_THREAD: itemsPerThread } },
    );
    return new GpuReducer(buffers, kernel, workgroupSize * itemsPerThread);
  }

  /** Number of passes a reduction of n elements takes. */
  passesFor(n: number): number {
    return this.plan(n).length;
  }

  /**
   * Records the reduction of the first n f32 elements of `input` into `result` (32 bytes: see
   * reductionWord; a storage binding offset must be a multiple of 256). No readback.
   */
  encode(target: ComputeTarget, input: BufferBinding, n: number, result: BufferBinding): void {
    const source = resolveBinding(input);
    if (source.size < 4 * n) {
      throw new RangeError(
        `reducer: input binding holds ${source.size} bytes, fewer than n = ${n} floats`,
      );
    }
    const destination = resolveBinding(result);
    if (destination.size < reductionResultBytes) {
      throw new RangeError(
        `reducer: result binding holds ${destination.size} bytes, needs ${reductionResultBytes}`,
      );
    }
    const passes = this.plan(n);
    const maxPerDimension = this.buffers.device.limits.maxComputeWorkgroupsPerDimension;
    inComputePass(target, `reduce ${n}`, (pass) => {
      passes.forEach((p, k) => {
        const bindGroup = this.bindGroups.get({
          params: p.params,
          source: k === 0 ? source : (passes[k - 1].output as GPUBuffer),
          destination: p.output ?? { ...destination, size: reductionResultBytes },
        });
        dispatchLinear(this.kernel, pass, bindGroup, p.groups, maxPerDimension);
      });
    });
  }

  /** Reduces n elements of a GPU buffer and reads the result back: for tests and evaluation. */
  async reduce(input: BufferBinding, n: number): Promise<ReductionResult> {
    const device = this.buffers.device;
    this.ownedResult ??= this.buffers.create('reduction result', reductionResultBytes);
    const encoder = device.createCommandEncoder({ label: 'reduce' });
    this.encode(encoder, input, n, this.ownedResult);
    device.queue.submit([encoder.finish()]);
    return decodeReductionResult(await readBuffer(device, this.ownedResult, reductionResultBytes));
  }

  /** Frees the uniforms and scratch records of every planned size. */
  destroy(): void {
    for (const passes of this.plans.values()) {
      this.buffers.destroy(passes[0].params.buffer);
      for (const p of passes) if (p.output) this.buffers.destroy(p.output);
    }
    this.plans.clear();
    if (this.ownedResult) this.buffers.destroy(this.ownedResult);
    this.ownedResult = undefined;
  }

  private plan(n: number): ReductionPass[] {
    if (!Number.isInteger(n) || n < 1 || n >= noElement) {
      throw new RangeError(`reducer: n must be an integer in [1, 2^32 − 1), got ${n}`);
    }
    const existing = this.plans.get(n);
    if (existing) return existing;

    const counts: number[] = [n];
    while (counts[counts.length - 1] > this.tile) {
      counts.push(Math.ceil(counts[counts.length - 1] / this.tile));
    }
    const alignment = this.buffers.device.limits.minUniformBufferOffsetAlignment;
    const stride = Math.ceil(paramsBytes / alignment) * alignment;
    const paramsBuffer = this.buffers.create(
      `reduce ${n} params`,
      stride * counts.length,
      'uniform',
    );
    const passes = counts.map((count, k): ReductionPass => {
      const isFinal = k === counts.length - 1;
      const groups = Math.ceil(count / this.tile);
      this.buffers.write(
        paramsBuffer,
        new Uint32Array([count, n, k === 0 ? 0 : 1, isFinal ? 1 : 0]),
        k * stride,
      );
      return {
        groups,
        params: { buffer: paramsBuffer, offset: k * stride, size: paramsBytes },
        output: isFinal
          ? undefined
          : this.buffers.create(`reduce ${n} records ${k}`, groups * recordBytes),
      };
    });
    this.plans.set(n, passes);
    return passes;
  }
}
