import type { GpuBuffers } from '../gpu/buffers.ts';

/**
 * Shared plumbing of the one-workgroup-per-point kernels (pdeExact.wgsl, pdeTerminal.wgsl): their
 * `Params { count, dim, stride }` uniform and the 2-D grid that lets more than 65 535 points run in
 * one dispatch (point = wg.x + wg.y · num_workgroups.x).
 */

/** A batch of points in a GPU buffer: point p's x_j is element p·stride + j. */
export interface PointBatch {
  points: GPUBuffer;
  count: number;
  dim: number;
  /** Floats between consecutive points; defaults to dim (use dim + 1 to skip a time coordinate). */
  stride?: number;
}

export function checkBatch(batch: PointBatch): Required<PointBatch> {
  const stride = batch.stride ?? batch.dim;
  for (const [name, value] of [
    ['count', batch.count],
    ['dim', batch.dim],
    ['stride', stride],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value >= 2 ** 32) {
      throw new RangeError(`point batch: ${name} must be a positive u32, got ${value}`);
    }
  }
  if (stride < batch.dim) {
    throw new RangeError(`point batch: stride ${stride} is smaller than dim ${batch.dim}`);
  }
  const needed = ((batch.count - 1) * stride + batch.dim) * 4;
  if (batch.points.size < needed) {
    throw new RangeError(
      `point batch: ${batch.count} points of stride ${stride} need ${needed} bytes, the buffer has ${batch.points.size}`,
    );
  }
  return { ...batch, stride };
}

/** The uniform buffer holding { count, dim, stride } (padded to 16 bytes). */
export function createPointParams(buffers: GpuBuffers, batch: Required<PointBatch>): GPUBuffer {
  const params = new Uint32Array([batch.count, batch.dim, batch.stride, 0]);
  return buffers.createFrom('pde point params', params, 'uniform');
}

/** Workgroups along x and y covering `count` points, at most `maxPerDimension` along each. */
export function pointGrid(count: number, maxPerDimension: number): [number, number] {
  const x = Math.min(count, maxPerDimension);
  return [x, Math.ceil(count / x)];
}
