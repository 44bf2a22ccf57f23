/**
 * The dashboard's view of the memory check (src/train/memoryBudget.ts): what a setting costs as
 * the sliders move, the refusal the page shows, and the top of the dimension slider.
 */
import { findPde } from '../pdes/index.ts';
import {
  estimateMemory,
  formatBytes,
  largestFitting,
  type MemoryEstimate,
  type MemoryLimits,
  type MemorySizing,
  memoryProblem,
} from '../train/memoryBudget.ts';

export { estimateMemory, formatBytes, type MemoryEstimate };
export type BufferLimits = MemoryLimits;

/** Why the device cannot hold this run, or null when it fits. */
export function memoryRefusal(estimate: MemoryEstimate, limits: BufferLimits): string | null {
  const problem = memoryProblem(estimate, limits);
  return problem === null
    ? null
    : `too large for this GPU: ${problem}. Lower d, the points, the width or the jets per point.`;
}

/**
 * The largest d the device holds with the rest of the setup and the cheapest estimator the PDE
 * has (sparse jets; Gaussian for the biharmonic): the top of the dimension slider.
 */
export function maxDimension(
  options: MemorySizing,
  limits: BufferLimits,
  ceiling = 10_000_000,
): number {
  const estimator = findPde(options.pde).operator === 'biharmonic' ? 'gaussian' : 'sparse';
  return Math.max(2, largestFitting({ ...options, estimator }, limits, 'dimension', ceiling));
}
