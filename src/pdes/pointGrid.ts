import { type PlannedBuffer, uniformBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import type { StructValue, StructView } from '../gpu/structView.ts';

/**
 * Shared plumbing of the point-batch kernels (pdeExact.wgsl, pdeTerminal.wgsl): the
 * `{ count, dim, stride }` their uniform begins with (shaders/lib/pointBatch.wgsl; pdeExact.wgsl
 * adds its coordinate blocks). Their one workgroup
 * per point is folded into the device grid (dispatchGrid), so more than 65 535 points run in one
 * dispatch (point = wg.x + wg.y · num_workgroups.x).
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

/** The `{ count, dim, stride }` fields of pdeExact.wgsl's and pdeTerminal.wgsl's uniform. */
export function pointParams(batch: Required<PointBatch>): StructValue {
  return { count: batch.count, dim: batch.dim, stride: batch.stride };
}

export const POINT_PARAMS_LABEL = 'pde point params';

/** The uniform buffer of a point batch, sized by the kernel's reflected `params` view. */
export function planPointParams(view: StructView): PlannedBuffer {
  return uniformBuffer(POINT_PARAMS_LABEL, view.size);
}

/** The uniform buffer holding { count, dim, stride }, laid out by `view` (the kernel's params). */
export function createPointParams(
  memory: GpuMemory,
  view: StructView,
  batch: Required<PointBatch>,
): GPUBuffer {
  return memory.createUniform(POINT_PARAMS_LABEL, view, pointParams(batch));
}
