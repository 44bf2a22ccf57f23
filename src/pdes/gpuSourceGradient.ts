/**
 * ∂_j f of the two-body ball problems on the GPU (shaders/pdeSourceGradient.wgsl), j per point
 * read from the step's one-hot jet indices: the source of the gPINN term, O(1) a point from the
 * sums the exact-source kernel left for the same points (ExactSums). The float64 version is
 * ballSourceGradient (ballProblem.ts).
 */
import gradientCode from '../../shaders/pdeSourceGradient.wgsl?raw';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { reflectStructView, type StructView } from '../gpu/structView.ts';
import { composeShader } from '../gpu/composeShader.ts';
import { type PlannedBuffer, uniformBuffer } from '../gpu/bufferPlan.ts';
import type { BallNonlinearityId } from './ballProblem.ts';
import type { ExactSums } from './gpuExact.ts';
import { checkBatch, type PointBatch } from './pointGrid.ts';

const NONLINEARITY_CODES: Record<BallNonlinearityId, number> = {
  none: 0,
  'allen-cahn': 1,
  'sine-gordon': 2,
};

const PARTS = [
  lib.accurateMath,
  lib.grid,
  lib.nonlinearity,
  lib.ballSums,
  lib.twoBodySummand,
  { name: 'pdeSourceGradient.wgsl', code: gradientCode },
];

const PARAMS_LABEL = 'source gradient params';
/** Invocations per workgroup, one per point. */
const WORKGROUP_SIZE = 64;

let paramsView: StructView | undefined;
/** The uniform a prepared dispatch allocates (for the plans that count it). */
export function planSourceGradientParams(): PlannedBuffer {
  paramsView ??= reflectStructView(composeShader(PARTS), 'params');
  return uniformBuffer(PARAMS_LABEL, paramsView.size);
}

/** Where each point's j sits among the jets' one-hot indices: index[p·stride + offset]. */
export interface JetIndexSlot {
  index: GPUBuffer;
  stride: number;
  offset: number;
}

export interface SourceGradientDispatch {
  readonly bindGroup: GPUBindGroup;
  readonly params: GPUBuffer;
  readonly workgroups: number;
}

export class TwoBodySourceGradientKernel {
  private constructor(private readonly kernel: ComputeKernel) {}

  static async create(
    device: GPUDevice,
    nonlinearity: BallNonlinearityId,
  ): Promise<TwoBodySourceGradientKernel> {
    const kernel = await cachedKernel(device, PARTS, {
      constants: { WORKGROUP_SIZE, NONLINEARITY: NONLINEARITY_CODES[nonlinearity] },
    });
    return new TwoBodySourceGradientKernel(kernel);
  }

  /**
   * Binds the points, the c_i, the jets' indices, the two-body exact kernel's sums of the same
   * points (recorded before this dispatch) and the output (count f32).
   */
  prepare(
    memory: GpuMemory,
    batch: PointBatch,
    coefficients: GPUBuffer,
    slot: JetIndexSlot,
    sums: ExactSums,
    sourceGradient: GPUBuffer,
  ): SourceGradientDispatch {
    const checked = checkBatch(batch);
    if (sums.solution !== 'two-body' || sums.count !== checked.count) {
      throw new RangeError(
        `∂_j f reads the two-body sums of its ${checked.count} points, got ${sums.solution} sums of ${sums.count}`,
      );
    }
    const params = memory.createUniform(PARAMS_LABEL, this.kernel.struct('params'), {
      count: checked.count,
      dim: checked.dim,
      stride: checked.stride,
      indexStride: slot.stride,
      indexOffset: slot.offset,
      blocks: sums.blocks,
    });
    const bindGroup = this.kernel.bind({
      params,
      points: checked.points,
      coefficients,
      jetIndex: slot.index,
      sourceGradient,
      partials: sums.buffer,
    });
    return { bindGroup, params, workgroups: Math.ceil(checked.count / WORKGROUP_SIZE) };
  }

  encode(pass: GPUComputePassEncoder, dispatch: SourceGradientDispatch): void {
    this.kernel.dispatchFolded(pass, dispatch.bindGroup, dispatch.workgroups);
  }

  release(memory: GpuMemory, dispatch: SourceGradientDispatch): void {
    memory.destroy(dispatch.params);
  }
}
