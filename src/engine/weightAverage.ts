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
import {
  buildFromPlan,
  type PlannedUniform,
  plannedView,
  planUniform,
  validateWorkgroupSize,
} from './planning.ts';

const sources = [lib.grid, { name: 'weightAverage.wgsl', code: weightAverageCode }];

export interface WeightAveragePlan {
  parameterCount: number;
  decay: number;
  constants: { WORKGROUP_SIZE: number };
  /** Workgroups of one update, folded into the device's grid by ComputeKernel.dispatchFolded. */
  workgroups: number;
  average: PlannedBuffer;
  params: PlannedUniform;
  /** Every buffer create allocates. */
  buffers: PlannedBuffer[];
}

export type WeightAverageLimits = Pick<
  GPUSupportedLimits,
  'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX'
>;

/** The average of `count` weights with decay β ∈ [0, 1) per step. Pure; throws RangeError. */
export function planWeightAverage(
  count: number,
  decay: number,
  limits: WeightAverageLimits,
  workgroupSize = 256,
): WeightAveragePlan {
  if (!Number.isInteger(count) || count < 1 || count >= 2 ** 32) {
    throw new RangeError(`weight average: count must be a positive u32 integer, got ${count}`);
  }
  if (!(decay >= 0 && decay < 1)) {
    throw new RangeError(`weight average: decay must be in [0, 1), got ${decay}`);
  }
  validateWorkgroupSize('weight average', workgroupSize, limits);
  const average = storageBuffer('weight average', 4 * count);
  const params = planUniform('weight average params', plannedView(sources, 'params'), {
    count,
    decay,
  });
  return {
    parameterCount: count,
    decay,
    constants: { WORKGROUP_SIZE: workgroupSize },
    workgroups: Math.ceil(count / workgroupSize),
    average,
    params,
    buffers: [average, params.buffer],
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
    /** The averaged weights, in the flat layout of the parameter buffer. */
    readonly buffer: GPUBuffer,
    private readonly owned: GPUBuffer[],
    private readonly bindGroup: GPUBindGroup,
  ) {}

  /**
   * Compiles the update and allocates planWeightAverage's buffers, bound to `theta` (updated in
   * place by the optimizer); the average starts as θ does now.
   */
  static async create(
    memory: GpuMemory,
    plan: WeightAveragePlan,
    theta: GPUBuffer,
  ): Promise<GpuWeightAverage> {
    const kernel = await cachedKernel(memory.device, sources, {
      entryPoint: 'accumulate',
      constants: plan.constants,
    });
    return buildFromPlan(memory, plan.buffers, (allocation) => {
      const average = allocation.storage(plan.average);
      const params = allocation.uniform(plan.params, kernel.struct('params'));
      const bindGroup = kernel.bind({ params, theta, average });
      const built = new GpuWeightAverage(
        memory,
        kernel,
        plan,
        average,
        allocation.owned,
        bindGroup,
      );
      const encoder = memory.device.createCommandEncoder({ label: 'weight average start' });
      built.encodeReset(encoder, theta);
      memory.device.queue.submit([encoder.finish()]);
      return built;
    });
  }

  /** Records ā ← β·ā + (1 − β)·θ. */
  encodeUpdate(target: ComputeTarget): void {
    inComputePass(target, 'weight average', (pass) =>
      this.kernel.dispatchFolded(pass, this.bindGroup, this.plan.workgroups),
    );
  }

  /** Records ā ← θ: the average restarts at these weights (a run's start, a restore). */
  encodeReset(encoder: GPUCommandEncoder, theta: GPUBuffer): void {
    encoder.copyBufferToBuffer(theta, 0, this.buffer, 0, 4 * this.plan.parameterCount);
  }

  destroy(): void {
    for (const buffer of this.owned) this.memory.destroy(buffer);
  }
}
