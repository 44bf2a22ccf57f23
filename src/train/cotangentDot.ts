import cotangentDotCode from '../../shaders/cotangentDot.wgsl?raw';
import type { GpuReducer } from '../engine/reductions.ts';
import { type PlannedBuffer, storageBuffer, uniformBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { composeShader } from '../gpu/composeShader.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { reflectStructView, type StructView } from '../gpu/structView.ts';

const WORKGROUP_SIZE = 64;
const COTANGENT_DOT_SOURCE = { name: 'cotangentDot.wgsl', code: cotangentDotCode };

let paramsView: StructView | undefined;
function cotangentDotParamsView(): StructView {
  return (paramsView ??= reflectStructView(composeShader([COTANGENT_DOT_SOURCE]), 'params'));
}

/** What a CotangentDot allocates and dispatches (the reduction's own buffers are the reducer's). */
export interface CotangentDotPlan {
  readonly points: number;
  readonly valuesPerPoint: number;
  /** One invocation per point. */
  readonly workgroups: number;
  readonly named: { readonly params: PlannedBuffer; readonly terms: PlannedBuffer };
  readonly buffers: readonly PlannedBuffer[];
}

export function planCotangentDot(points: number, valuesPerPoint: number): CotangentDotPlan {
  const named = {
    params: uniformBuffer('cotangent dot params', cotangentDotParamsView().size),
    terms: storageBuffer('directional derivative terms', points * 4),
  };
  return {
    points,
    valuesPerPoint,
    workgroups: Math.ceil(points / WORKGROUP_SIZE),
    named,
    buffers: [named.params, named.terms],
  };
}

/**
 * Σ_{p,e} cotangent[p, e]·tangent[p, e] on the GPU, deterministically: per-point sums
 * (shaders/cotangentDot.wgsl), then the fixed-order tree of reduce.wgsl. With ∂L/∂u and u̇ it is
 * the directional derivative ∇_θL·v of the forward gradient.
 */
export class CotangentDot {
  private constructor(
    private readonly memory: GpuMemory,
    private readonly reducer: GpuReducer,
    private readonly kernel: ComputeKernel,
    private readonly bindGroup: GPUBindGroup,
    private readonly workgroups: number,
    private readonly terms: GPUBuffer,
    private readonly params: GPUBuffer,
    private readonly points: number,
  ) {}

  /** `valuesPerPoint` consecutive values of each buffer belong to one point. */
  static async create(
    memory: GpuMemory,
    reducer: GpuReducer,
    points: number,
    valuesPerPoint: number,
    io: { cotangent: GPUBuffer; tangent: GPUBuffer },
  ): Promise<CotangentDot> {
    const plan = planCotangentDot(points, valuesPerPoint);
    const kernel = await cachedKernel(memory.device, [lib.grid, COTANGENT_DOT_SOURCE], {
      constants: { WORKGROUP_SIZE },
    });
    const params = memory.createUniform(plan.named.params.label, kernel.struct('params'), {
      points,
      valuesPerPoint,
    });
    const terms = memory.create(plan.named.terms.label, plan.named.terms.bytes);
    const bindGroup = kernel.bind({ params, ...io, terms });
    return new CotangentDot(
      memory,
      reducer,
      kernel,
      bindGroup,
      plan.workgroups,
      terms,
      params,
      points,
    );
  }

  /** Records the dot product into `result` (a 32-byte reduction result; reductionWord.sum). */
  encode(encoder: GPUCommandEncoder, result: GPUBuffer): void {
    const pass = encoder.beginComputePass({ label: 'directional derivative' });
    this.kernel.dispatchFolded(pass, this.bindGroup, this.workgroups);
    this.reducer.encode(pass, this.terms, this.points, result);
    pass.end();
  }

  destroy(): void {
    this.memory.destroy(this.terms);
    this.memory.destroy(this.params);
  }
}
