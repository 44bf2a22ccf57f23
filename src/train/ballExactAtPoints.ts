import type { GpuBuffers } from '../gpu/buffers.ts';
import { BallExactKernel, type ExactDispatch, uploadCoefficients } from '../pdes/gpuExact.ts';
import type { BallPdeEntry } from '../pdes/index.ts';

/**
 * u*(x) and f(x) of a ball problem at a buffer of points that another kernel fills (the
 * collocation sampler, the test-set sampler), bound once and recorded as often as the points
 * change. The problem's c_i are drawn from the seed and uploaded once.
 */
export class BallExactAtPoints {
  private constructor(
    private readonly buffers: GpuBuffers,
    private readonly kernel: BallExactKernel,
    private readonly dispatch: ExactDispatch,
    private readonly coefficients: GPUBuffer,
    /** u*(x_p), count f32. */
    readonly exact: GPUBuffer,
    /** f(x_p), count f32. */
    readonly source: GPUBuffer,
  ) {}

  static async create(
    buffers: GpuBuffers,
    pde: BallPdeEntry,
    dimension: number,
    seed: number,
    points: { buffer: GPUBuffer; count: number; label: string },
  ): Promise<BallExactAtPoints> {
    const { buffer, count, label } = points;
    const coefficients = uploadCoefficients(buffers, pde.coefficients(dimension, seed));
    const exact = buffers.create(`${label} u*`, count * 4);
    const source = buffers.create(`${label} f`, count * 4);
    const kernel = await BallExactKernel.create(
      buffers.device,
      pde.solution.id,
      pde.nonlinearity.id,
    );
    const dispatch = kernel.prepare(
      buffers,
      { points: buffer, count, dim: dimension },
      coefficients,
      {
        exact,
        source,
      },
    );
    return new BallExactAtPoints(buffers, kernel, dispatch, coefficients, exact, source);
  }

  record(pass: GPUComputePassEncoder): void {
    this.kernel.encode(pass, this.dispatch);
  }

  destroy(): void {
    this.kernel.release(this.buffers, this.dispatch);
    for (const buffer of [this.coefficients, this.exact, this.source]) this.buffers.destroy(buffer);
  }
}
