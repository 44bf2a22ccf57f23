import { LimitError } from '../gpu/errors.ts';

/**
 * Workgroup counts (x, y) covering `workgroups` when one dimension allows at most
 * `maxPerDimension` (65 535 by default): the shaders number workgroup g = y·num_workgroups.x + x
 * and let the surplus of the last row return.
 */
export function dispatchGrid(workgroups: number, maxPerDimension: number): [number, number] {
  if (workgroups <= maxPerDimension) return [Math.max(workgroups, 1), 1];
  const y = Math.ceil(workgroups / maxPerDimension);
  if (y > maxPerDimension) {
    throw new LimitError(
      `${workgroups} workgroups exceed the ${maxPerDimension}×${maxPerDimension} dispatch grid`,
    );
  }
  return [maxPerDimension, y];
}
