import reduceCode from '../../shaders/reduce.wgsl?raw';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { readBuffer } from '../gpu/gpuMemory.ts';
import { LimitError } from '../gpu/errors.ts';
import { type PlannedBuffer, storageBuffer, uniformBuffer } from '../gpu/bufferPlan.ts';
import {
  BindGroupCache,
  inComputePass,
  resolveBinding,
  type ComputeTarget,
} from '../gpu/dispatch.ts';
import type { BufferBinding, ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { type KernelCost, sumCosts, WORD_BYTES, wordCost } from './kernelCost.ts';
import { type PlannedUniform, plannedView, planUniform } from './planning.ts';

/**
 * Word offsets of the 8-word result that reduce.wgsl writes (f32 bits unless noted). The kernel
 * writes it into an array<u32> binding, not a struct, so there is no struct view to take these
 * from: they follow the layout documented at the top of reduce.wgsl.
 */
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

const reduceSource = [lib.grid, lib.finiteBits, { name: 'reduce.wgsl', code: reduceCode }];

/** The device limits a reduction's plan depends on (GPUSupportedLimits has them). */
export type ReducerLimits = Pick<
  GPUSupportedLimits,
  | 'maxComputeInvocationsPerWorkgroup'
  | 'maxComputeWorkgroupSizeX'
  | 'maxComputeWorkgroupStorageSize'
  | 'minUniformBufferOffsetAlignment'
>;

/** One pass of a reduction chain. */
export interface ReductionPassPlan {
  /** The pass's Params (reduce.wgsl), written into its slot of the chain's uniform. */
  params: { count: number; total: number; inputIsRecords: number; isFinal: number };
  /** Byte offset of that slot. */
  paramsOffset: number;
  /** Workgroups, folded into the device's grid by ComputeKernel.dispatchFolded. */
  workgroups: number;
  /** Records this pass writes for the next; null for the final pass, which writes the result. */
  records: PlannedBuffer | null;
}

export interface ReducerPlan {
  n: number;
  constants: { WORKGROUP_SIZE: number; ITEMS_PER_THREAD: number };
  /** Elements (or records) one workgroup reduces per pass. */
  tile: number;
  /** One uniform for the chain, a slot per pass (slots are uniform-offset aligned). */
  params: PlannedBuffer;
  /** Bytes of one pass's Params: the size of each slot's binding. */
  paramsBytes: number;
  passes: ReductionPassPlan[];
  /**
   * What GpuReducer allocates the first time it reduces n elements (and keeps): the uniform,
   * then the records of every pass but the last. `reduce()`'s own 32-byte result is not listed.
   */
  buffers: PlannedBuffer[];
}

/** The reducer's workgroup shape (its pipeline overrides) and tile, checked against the limits. */
function reducerShape(
  options: ReducerOptions,
  limits: ReducerLimits,
): Pick<ReducerPlan, 'constants' | 'tile'> {
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
  return {
    constants: { WORKGROUP_SIZE: workgroupSize, ITEMS_PER_THREAD: itemsPerThread },
    tile: workgroupSize * itemsPerThread,
  };
}

/**
 * The reduction of n elements on a device with `limits`: the chain of passes (each reducing
 * `tile` values or records per workgroup until one record is left) and the buffers GpuReducer
 * allocates for it. Pure; throws RangeError or LimitError for what the kernel cannot take.
 */
export function planReducer(
  n: number,
  options: ReducerOptions,
  limits: ReducerLimits,
): ReducerPlan {
  const { constants, tile } = reducerShape(options, limits);
  if (!Number.isInteger(n) || n < 1 || n >= noElement) {
    throw new RangeError(`reducer: n must be an integer in [1, 2^32 − 1), got ${n}`);
  }
  const counts: number[] = [n];
  while (counts[counts.length - 1] > tile) {
    counts.push(Math.ceil(counts[counts.length - 1] / tile));
  }
  const paramsBytes = plannedView(reduceSource, 'params').size;
  const alignment = limits.minUniformBufferOffsetAlignment;
  const stride = Math.ceil(paramsBytes / alignment) * alignment;
  const params = uniformBuffer(`reduce ${n} params`, stride * counts.length);
  const passes = counts.map((count, k): ReductionPassPlan => {
    const isFinal = k === counts.length - 1;
    const workgroups = Math.ceil(count / tile);
    return {
      params: { count, total: n, inputIsRecords: k === 0 ? 0 : 1, isFinal: isFinal ? 1 : 0 },
      paramsOffset: k * stride,
      workgroups,
      records: isFinal ? null : storageBuffer(`reduce ${n} records ${k}`, workgroups * recordBytes),
    };
  });
  return {
    n,
    constants,
    tile,
    params,
    paramsBytes,
    passes,
    buffers: [params, ...passes.flatMap((p) => (p.records ? [p.records] : []))],
  };
}

interface ReductionPass {
  workgroups: number;
  params: { buffer: GPUBuffer; offset: number; size: number };
  /** Records written by this pass; undefined for the final pass, which writes the result. */
  output?: GPUBuffer;
}

/** Bytes of one inter-pass record (4 words: see reduce.wgsl). */
const recordBytes = 16;
const recordWords = recordBytes / WORD_BYTES;
const resultWords = reductionResultBytes / WORD_BYTES;

/**
 * Deterministic reductions (shaders/reduce.wgsl): sum, sum of squares, max |x|, mean, mean of
 * squares and norm of an f32 buffer, plus the index of its first non-finite element, in a fixed
 * tree order with no float atomics, so the same n gives bit-identical results on every run. The
 * per-n pass chain (planReducer: uniforms and scratch records) is allocated on first use and kept.
 */
export class GpuReducer {
  private readonly chains = new Map<number, ReductionPass[]>();
  private readonly bindGroups: BindGroupCache;
  private ownedResult?: GPUBuffer;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly kernel: ComputeKernel,
    /** The workgroup shape (part of the summation order). */
    readonly options: ReducerOptions,
    /** Elements one workgroup reduces per pass. */
    readonly tile: number,
  ) {
    this.bindGroups = new BindGroupCache(kernel);
  }

  static async create(memory: GpuMemory, options: ReducerOptions = {}): Promise<GpuReducer> {
    const device = memory.device;
    const { constants, tile } = reducerShape(options, device.limits);
    const kernel = await cachedKernel(device, reduceSource, { entryPoint: 'reduce', constants });
    return new GpuReducer(memory, kernel, { ...options }, tile);
  }

  /** Number of passes a reduction of n elements takes. */
  passesFor(n: number): number {
    return this.chain(n).length;
  }

  /** Allocates the pass chain for n elements now rather than at the first reduction of n. */
  prepare(n: number): void {
    this.chain(n);
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
    const passes = this.chain(n);
    inComputePass(target, `reduce ${n}`, (pass) => {
      passes.forEach((p, k) => {
        const bindGroup = this.bindGroups.get({
          params: p.params,
          source: k === 0 ? source : (passes[k - 1].output as GPUBuffer),
          destination: p.output ?? { ...destination, size: reductionResultBytes },
        });
        this.kernel.dispatchFolded(pass, bindGroup, p.workgroups);
      });
    });
  }

  /** Reduces n elements of a GPU buffer and reads the result back: for tests and evaluation. */
  async reduce(input: BufferBinding, n: number): Promise<ReductionResult> {
    const device = this.memory.device;
    this.ownedResult ??= this.memory.create('reduction result', reductionResultBytes);
    const encoder = device.createCommandEncoder({ label: 'reduce' });
    this.encode(encoder, input, n, this.ownedResult);
    device.queue.submit([encoder.finish()]);
    return decodeReductionResult(await readBuffer(device, this.ownedResult, reductionResultBytes));
  }

  /** Frees the uniforms and scratch records of every planned size. */
  destroy(): void {
    for (const passes of this.chains.values()) {
      this.memory.destroy(passes[0].params.buffer);
      for (const p of passes) if (p.output) this.memory.destroy(p.output);
    }
    this.chains.clear();
    if (this.ownedResult) this.memory.destroy(this.ownedResult);
    this.ownedResult = undefined;
  }

  /** The pass chain for n elements, allocated (from planReducer) the first time n is seen. */
  private chain(n: number): ReductionPass[] {
    const existing = this.chains.get(n);
    if (existing) return existing;
    const plan = planReducer(n, this.options, this.memory.device.limits);
    const view = this.kernel.struct('params');
    const paramsBuffer = this.memory.create(plan.params.label, plan.params.bytes, 'uniform');
    const passes = plan.passes.map((p): ReductionPass => {
      this.memory.writeStruct(paramsBuffer, view, p.params, p.paramsOffset);
      return {
        workgroups: p.workgroups,
        params: { buffer: paramsBuffer, offset: p.paramsOffset, size: view.size },
        output: p.records ? this.memory.create(p.records.label, p.records.bytes) : undefined,
      };
    });
    this.chains.set(n, passes);
    return passes;
  }
}

/**
 * What the chain of `plan` computes and moves (kernelCost.ts's rules): the first pass reads the
 * n elements (sum, square, |x| per element), later passes the 4-word records; every workgroup's
 * tree adds its WORKGROUP_SIZE partial sums, squares and maxima; each pass but the last writes a
 * record per workgroup, the last the 8-word result (3 more FLOPs: the means and the norm).
 */
export function reducerCost(plan: ReducerPlan): KernelCost {
  const tree = plan.constants.WORKGROUP_SIZE - 1;
  return sumCosts(
    plan.passes.map((pass, k) => {
      const records = k > 0;
      const { count } = pass.params;
      const perItem = records ? 3 : 5;
      const flops = count * perItem + pass.workgroups * 3 * tree + (pass.records ? 0 : 3);
      const written = pass.records ? pass.workgroups * recordWords : resultWords;
      return wordCost(flops, records ? count * recordWords : count, written);
    }),
  );
}

/**
 * Bytes between two blocks' results in a blocked reduction's scratch (reduce.wgsl
 * BLOCK_RESULT_WORDS): a storage binding's offset is a multiple of the device's
 * minStorageBufferOffsetAlignment, which is at most 256 on every device.
 */
export const blockResultStride = 256;

/** The reduction of a vector held in several buffers: one chain per block, then combine_blocks. */
export interface BlockedReductionPlan {
  /** Elements of each block, in flat order; their sum is n. */
  counts: readonly number[];
  n: number;
  /** Each block's chain, in block order (blocks of one size share the reducer's chain). */
  reductions: ReducerPlan[];
  /**
   * With several blocks: the scratch of the blocks' results (a blockResultStride slot each) and
   * the Params of combine_blocks; null for one block, which reduces into the result directly.
   */
  combine: { results: PlannedBuffer; params: PlannedUniform } | null;
  /**
   * What the first reduction allocates: the reducer's chain of each distinct block size (as
   * ReducerPlan.buffers), then the combine's scratch and uniform.
   */
  buffers: PlannedBuffer[];
}

/**
 * The reduction of a vector held in blocks of `counts` elements (in flat order) on a device with
 * `limits`. Pure; one block is planReducer's chain alone, the reduction of before.
 */
export function planBlockedReduction(
  counts: readonly number[],
  options: ReducerOptions,
  limits: ReducerLimits,
): BlockedReductionPlan {
  if (counts.length < 1) throw new RangeError('reducer: a blocked reduction needs a block');
  const n = counts.reduce((sum, count) => sum + count, 0);
  if (!Number.isInteger(n) || n >= noElement) {
    throw new RangeError(`reducer: n must be an integer in [1, 2^32 − 1), got ${n}`);
  }
  const reductions = counts.map((count) => planReducer(count, options, limits));
  const chains = [...new Set(counts)].map((count) => planReducer(count, options, limits));
  const combine =
    counts.length === 1
      ? null
      : {
          results: storageBuffer(`reduce ${n} block results`, counts.length * blockResultStride),
          params: planUniform(`reduce ${n} combine params`, plannedView(reduceSource, 'params'), {
            count: counts.length,
            total: n,
            inputIsRecords: 1,
            isFinal: 1,
          }),
        };
  return {
    counts: [...counts],
    n,
    reductions,
    combine,
    buffers: [
      ...chains.flatMap((chain) => chain.buffers),
      ...(combine ? [combine.results, combine.params.buffer] : []),
    ],
  };
}

/**
 * What a blocked reduction computes and moves: every block's chain, then combine_blocks reading
 * five words of each block's result (3 FLOPs each: two sums and a max) and writing the result.
 */
export function blockedReductionCost(plan: BlockedReductionPlan): KernelCost {
  const chains = plan.reductions.map(reducerCost);
  if (!plan.combine) return sumCosts(chains);
  const blocks = plan.counts.length;
  return sumCosts([...chains, wordCost(3 * blocks + 3, 5 * blocks, resultWords)]);
}

/**
 * The reduction of a vector held in one buffer per block (src/engine/parameterBlocks.ts): each
 * block reduced by the reducer into a slot of its own, then combine_blocks adds the blocks' results
 * in block order into the 8-word result, with the first non-finite index made flat. Deterministic,
 * but with several blocks not the summation order of one buffer: sums, norms and means may differ
 * from a one-buffer reduction of the same values in the last bits (the first non-finite index, the
 * count and max |x| do not). One block is the reducer's own reduction, bit for bit.
 */
export class GpuBlockedReduction {
  private constructor(
    private readonly memory: GpuMemory,
    private readonly reducer: GpuReducer,
    private readonly plan: BlockedReductionPlan,
    private readonly combine: {
      kernel: ComputeKernel;
      results: GPUBuffer;
      params: GPUBuffer;
      bindGroups: BindGroupCache;
    } | null,
  ) {}

  /** Prepares the reducer's chains and allocates the combine's buffers (plan.buffers). */
  static async create(
    memory: GpuMemory,
    reducer: GpuReducer,
    plan: BlockedReductionPlan,
  ): Promise<GpuBlockedReduction> {
    for (const count of new Set(plan.counts)) reducer.prepare(count);
    let combine = null;
    if (plan.combine) {
      const kernel = await cachedKernel(memory.device, reduceSource, {
        entryPoint: 'combine_blocks',
      });
      const { results, params } = plan.combine;
      combine = {
        kernel,
        results: memory.create(results.label, results.bytes),
        params: memory.createUniform(params.buffer.label, kernel.struct('params'), params.values),
        bindGroups: new BindGroupCache(kernel),
      };
    }
    return new GpuBlockedReduction(memory, reducer, plan, combine);
  }

  /**
   * Records the reduction of the blocks `inputs` (one buffer per block, in block order, each
   * holding at least its block's elements) into `result` (32 bytes: see reductionWord).
   */
  encode(target: ComputeTarget, inputs: readonly GPUBuffer[], result: BufferBinding): void {
    const { counts } = this.plan;
    if (inputs.length !== counts.length) {
      throw new RangeError(
        `reducer: ${inputs.length} input buffers for a vector of ${counts.length} blocks`,
      );
    }
    const combine = this.combine;
    if (!combine) {
      this.reducer.encode(target, inputs[0], counts[0], result);
      return;
    }
    const destination = resolveBinding(result);
    if (destination.size < reductionResultBytes) {
      throw new RangeError(
        `reducer: result binding holds ${destination.size} bytes, needs ${reductionResultBytes}`,
      );
    }
    inComputePass(target, `reduce ${this.plan.n} in ${counts.length} blocks`, (pass) => {
      counts.forEach((count, k) => {
        const slot = {
          buffer: combine.results,
          offset: k * blockResultStride,
          size: reductionResultBytes,
        };
        this.reducer.encode(pass, inputs[k], count, slot);
      });
      const bindGroup = combine.bindGroups.get({
        params: combine.params,
        source: combine.results,
        destination: { ...destination, size: reductionResultBytes },
      });
      combine.kernel.dispatch(pass, bindGroup, 1);
    });
  }

  /** Frees the combine's buffers (the chains are the reducer's). */
  destroy(): void {
    if (!this.combine) return;
    this.memory.destroy(this.combine.results);
    this.memory.destroy(this.combine.params);
  }
}
