/**
 * An exponential moving average of the weights on the GPU (shaders/weightAverage.wgsl), updated
 * after every training step's update: what a view of "where the
 * training stands" evaluates instead of the last step's weights. It never feeds back into
 * training, so a run's values are the same with or without it.
 */
import weightAverageCode from '../../shaders/weightAverage.wgsl?raw';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import { type ComputeTarget, inComputePass } from '../gpu/dispatch.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import type { KernelCost } from './kernelCost.ts';
import { type BlockedTensor, type ParameterBlocks, singleBlock } from './parameterBlocks.ts';
import {
  buildFromPlan,
  type PlannedUniform,
  plannedView,
  planUniform,
  validateWorkgroupSize,
} from './planning.ts';

const sources = [lib.grid, { name: 'weightAverage.wgsl', code: weightAverageCode }];

/** One block's update: its uniform and its workgroups. */
export interface WeightAverageBlockPlan {
  /** Workgroups of the block's update, folded into the device's grid (dispatchFolded). */
  workgroups: number;
  average: PlannedBuffer;
  params: PlannedUniform;
}

export interface WeightAveragePlan {
  parameterCount: number;
  decay: number;
  constants: { WORKGROUP_SIZE: number };
  /** The parameter blocks (parameterBlocks.ts): an average buffer and a dispatch each. */
  parameterBlocks: ParameterBlocks;
  blocks: WeightAverageBlockPlan[];
  /** Every buffer create allocates. */
  buffers: PlannedBuffer[];
}

export type WeightAverageLimits = Pick<
  GPUSupportedLimits,
  'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX'
>;

/**
 * The average of `count` weights (or of parameters split into blocks: one average buffer and one
 * dispatch per block, elementwise, so the same bits) with decay β ∈ [0, 1) per step. Pure;
 * throws RangeError.
 */
export function planWeightAverage(
  parameters: number | ParameterBlocks,
  decay: number,
  limits: WeightAverageLimits,
  workgroupSize = 256,
): WeightAveragePlan {
  const parameterBlocks = typeof parameters === 'number' ? singleBlock(parameters) : parameters;
  const count = parameterBlocks.count;
  if (!Number.isInteger(count) || count < 1 || count >= 2 ** 32) {
    throw new RangeError(`weight average: count must be a positive u32 integer, got ${count}`);
  }
  if (!(decay >= 0 && decay < 1)) {
    throw new RangeError(`weight average: decay must be in [0, 1), got ${decay}`);
  }
  validateWorkgroupSize('weight average', workgroupSize, limits);
  const many = parameterBlocks.blocks.length > 1;
  const blocks = parameterBlocks.blocks.map((block, k): WeightAverageBlockPlan => {
    const name = (label: string) => (many ? `${label} (block ${k})` : label);
    return {
      workgroups: Math.ceil(block.count / workgroupSize),
      average: storageBuffer(name('weight average'), 4 * block.count),
      params: planUniform(name('weight average params'), plannedView(sources, 'params'), {
        count: block.count,
        decay,
      }),
    };
  });
  return {
    parameterCount: count,
    decay,
    constants: { WORKGROUP_SIZE: workgroupSize },
    parameterBlocks,
    blocks,
    buffers: blocks.flatMap((block) => [block.average, block.params.buffer]),
  };
}

/** One update reads θ and the average and writes the average: 3 FLOPs, 12 bytes a parameter. */
export function weightAverageCost(plan: WeightAveragePlan): KernelCost {
  const n = plan.parameterCount;
  return { flops: 3 * n, bytesRead: 8 * n, bytesWritten: 4 * n };
}

export class GpuWeightAverage {
  private constructor(
    private readonly memory: GpuMemory,
    private readonly kernel: ComputeKernel,
    private readonly plan: WeightAveragePlan,
    /** The averaged weights, in the parameters' layout and blocks. */
    readonly tensor: BlockedTensor,
    private readonly owned: GPUBuffer[],
    private readonly bindGroups: GPUBindGroup[],
  ) {}

  /**
   * Compiles the update and allocates planWeightAverage's buffers, bound to `theta` (updated in
   * place by the optimizer; in the plan's blocks); the average starts as θ does now.
   */
  static async create(
    memory: GpuMemory,
    plan: WeightAveragePlan,
    theta: BlockedTensor,
  ): Promise<GpuWeightAverage> {
    if (theta.buffers.length !== plan.blocks.length) {
      throw new RangeError(
        `weight average: θ comes in ${theta.buffers.length} blocks, the plan has ${plan.blocks.length}`,
      );
    }
    const kernel = await cachedKernel(memory.device, sources, {
      entryPoint: 'accumulate',
      constants: plan.constants,
    });
    return buildFromPlan(memory, plan.buffers, (allocation) => {
      const averages = plan.blocks.map((block) => allocation.storage(block.average));
      const bindGroups = plan.blocks.map((block, k) =>
        kernel.bind({
          params: allocation.uniform(block.params, kernel.struct('params')),
          theta: theta.buffers[k],
          average: averages[k],
        }),
      );
      const built = new GpuWeightAverage(
        memory,
        kernel,
        plan,
        { blocks: plan.parameterBlocks, buffers: averages },
        allocation.owned,
        bindGroups,
      );
      const encoder = memory.device.createCommandEncoder({ label: 'weight average start' });
      built.encodeReset(encoder, theta);
      memory.device.queue.submit([encoder.finish()]);
      return built;
    });
  }

  /** Records ā ← β·ā + (1 − β)·θ, block by block. */
  encodeUpdate(target: ComputeTarget): void {
    inComputePass(target, 'weight average', (pass) =>
      this.plan.blocks.forEach((block, k) =>
        this.kernel.dispatchFolded(pass, this.bindGroups[k], block.workgroups),
      ),
    );
  }

  /** Records ā ← θ: the average restarts at these weights (a run's start, a restore). */
  encodeReset(encoder: GPUCommandEncoder, theta: BlockedTensor): void {
    this.plan.parameterBlocks.blocks.forEach((block, k) =>
      encoder.copyBufferToBuffer(theta.buffers[k], 0, this.tensor.buffers[k], 0, 4 * block.count),
    );
  }

  destroy(): void {
    for (const buffer of this.owned) this.memory.destroy(buffer);
  }
}
