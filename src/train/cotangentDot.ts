import cotangentDotCode from '../../shaders/cotangentDot.wgsl?raw';
import type { GpuReducer } from '../engine/reductions.ts';
import type { GpuBuffers } from '../gpu/buffers.ts';
import { dispatchGrid } from '../gpu/dispatch.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';

const WORKGROUP_SIZE = 64;

/**
 * Σ_{p,e} cotangent[p, e]·tangent[p, e] on the GPU, deterministically: per-point sums
 * (shaders/cotangentDot.wgsl), then the fixed-order tree of reduce.wgsl. With ∂L/∂u and u̇ it is
 * the directional derivative ∇_θL·v of the forward gradient.
 */
export class CotangentDot {
  private constructor(
    private readonly buffers: GpuBuffers,
    private readonly reducer: GpuReducer,
    private readonly kernel: ComputeKernel,
    private readonly bindGroup: GPUBindGroup,
    private readonly grid: [number, number],
    private readonly terms: GPUBuffer,
    private readonly params: GPUBuffer,
    private readonly points: number,
  ) {}

  /** `valuesPerPoint` consecutive values of each buffer belong to one point. */
  static async create(
    buffers: GpuBuffers,
    reducer: GpuReducer,
    points: number,
    valuesPerPoint: number,
    io: { cotangent: GPUBuffer; tangent: GPUBuffer },
  ): Promise<CotangentDot> {
    const kernel = await cachedKernel(
      buffers.device,
      [{ name: 'cotangentDot.wgsl', code: cotangentDotCode }],
      { constants: { WORKGROUP_SIZE } },
    );
    const params = buffers.createFrom(
      'cotangent dot params',
      Uint32Array.of(points, valuesPerPoint),
      'uniform',
    );
    const terms = buffers.create('directional derivative terms', points * 4);
    const bindGroup = kernel.bind({ params, ...io, terms });
    const grid = dispatchGrid(
      kernel.workgroupsFor(points),
      buffers.device.limits.maxComputeWorkgroupsPerDimension,
    );
    return new CotangentDot(buffers, reducer, kernel, bindGroup, grid, terms, params, points);
  }

  /** Records the dot product into `result` (a 32-byte reduction result; reductionWord.sum). */
  encode(encoder: GPUCommandEncoder, result: GPUBuffer): void {
    const pass = encoder.beginComputePass({ label: 'directional derivative' });
    this.kernel.dispatch(pass, this.bindGroup, ...this.grid);
    this.reducer.encode(pass, this.terms, this.points, result);
    pass.end();
  }

  destroy(): void {
    this.buffers.destroy(this.terms);
    this.buffers.destroy(this.params);
  }
}
