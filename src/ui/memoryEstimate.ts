/**
 * A rough GPU memory estimate of a run from its options alone, before anything is allocated, so
 * the dimension slider can say what a setting costs and refuse one the device cannot hold instead
 * of failing inside buffer creation. It counts the big buffers the way the trainer lays them out
 * (DESIGN.md §2: one row per Taylor coefficient and jet, one summed top row when collapsed).
 */
import { findPde } from '../pdes/index.ts';
import type { TrainingOptions } from '../train/options.ts';

export interface BufferLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

export interface MemoryEstimate {
  /** Jets R per collocation point and their order K. */
  jets: number;
  order: number;
  rowsPerPoint: number;
  totalBytes: number;
  /** The single largest buffer: the one that meets the binding limit first. */
  largest: { name: string; bytes: number };
}

type Sizing = Pick<
  TrainingOptions,
  | 'pde'
  | 'dimension'
  | 'estimator'
  | 'jetsPerPoint'
  | 'collapsed'
  | 'points'
  | 'width'
  | 'depth'
  | 'loss'
  | 'testPoints'
>;

/** R and K of the operator the trainer will build (exact: all d one-hot jets, or d² for Δ²). */
function jetsOf(options: Sizing): { jets: number; order: number; collapsible: boolean } {
  const d = options.dimension;
  const exact = options.estimator === 'exact';
  const draws = options.loss === 'unbiased' ? 2 : 1;
  if (findPde(options.pde).operator === 'biharmonic') {
    // The exact biharmonic polarizes over pairs with per-jet scales, so it cannot collapse.
    return { jets: exact ? d * d : draws * options.jetsPerPoint, order: 4, collapsible: !exact };
  }
  return { jets: exact ? d : draws * options.jetsPerPoint, order: 2, collapsible: true };
}

export function estimateMemory(options: Sizing): MemoryEstimate {
  const { dimension: d, points: N, width: h, depth } = options;
  const { jets: R, order: K, collapsible } = jetsOf(options);
  const rows = options.collapsed && collapsible ? 1 + R * (K - 1) + 1 : 1 + R * K;
  // Parabolic problems feed (x, t): one more input than d.
  const parabolic = findPde(options.pde).domain === 'spacetime';
  const input = parabolic ? d + 1 : d;
  const parameters = input * h + (depth - 1) * (h + 1) * h + (h + 1);
  const dense = options.estimator === 'rademacher' || options.estimator === 'gaussian';
  const buffers = [
    // Pre-activation and activation jets of every layer stay for the backward pass, which
    // ping-pongs its cotangents between two more.
    { name: 'hidden-layer jets', bytes: N * rows * h * 4, count: 2 * depth + 2 },
    // Dense tangents store all input components; one-hot ones an index and a coefficient.
    { name: 'input tangents', bytes: N * R * K * (dense ? input * 4 : 8), count: 1 },
    { name: 'collocation points', bytes: N * input * 4, count: 1 },
    // Parameters, gradient and Adam's two moments; a parabolic step adds the terminal batch's
    // gradient, summed into the interior one.
    { name: 'parameters', bytes: parameters * 4, count: parabolic ? 5 : 4 },
  ];
  if (parabolic) {
    // As many terminal points as residual points (parabolicProblemGraph.ts), each with the d
    // one-hot first-order jets of ∇_x u: 1 + d rows, so these grow with points·d·width and
    // bound the dimension long before the interior batch does.
    const terminalRows = 1 + d;
    buffers.push(
      { name: 'terminal hidden-layer jets', bytes: N * terminalRows * h * 4, count: 2 * depth + 2 },
      { name: 'terminal tangents', bytes: N * d * 8, count: 1 },
      { name: 'terminal points', bytes: N * input * 4, count: 1 },
      // g and ∇g at the terminal points, and ∂L/∂u of both batches.
      { name: 'terminal data', bytes: N * (1 + d) * 4, count: 1 },
      { name: 'output cotangents', bytes: N * (rows + terminalRows) * 4, count: 1 },
    );
  }
  // The evaluation pushes value-only jets (2 rows) of a test batch, which it shrinks until the
  // points fit a binding: it never refuses a run. Parabolic runs evaluate the single point (0, 0).
  const testBatch = parabolic ? 1 : Math.min(options.testPoints, 5000);
  const evaluation = testBatch * (input + 2 * 2 * h * depth) * 4;
  const largest = buffers.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return {
    jets: R,
    order: K,
    rowsPerPoint: rows,
    totalBytes: buffers.reduce((sum, b) => sum + b.bytes * b.count, evaluation),
    largest: { name: largest.name, bytes: largest.bytes },
  };
}

export function formatBytes(bytes: number): string {
  if (bytes < 2 ** 20) return `${(bytes / 1024).toFixed(0)} KiB`;
  if (bytes < 2 ** 30) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** Why the device cannot hold this run, or null when the largest buffer fits its limits. */
export function memoryRefusal(estimate: MemoryEstimate, limits: BufferLimits): string | null {
  const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  if (estimate.largest.bytes <= limit) return null;
  return (
    `too large for this GPU: the ${estimate.largest.name} alone need ` +
    `${formatBytes(estimate.largest.bytes)}, the device binds at most ${formatBytes(limit)} ` +
    'per buffer. Lower d, the points, the width or the jets per point.'
  );
}

/**
 * The largest d the device holds with the rest of the setup and the cheapest estimator the PDE
 * has (sparse jets; Gaussian for the biharmonic): the top of the dimension slider. The estimate
 * grows with d, so a bisection finds it.
 */
export function maxDimension(options: Sizing, limits: BufferLimits, ceiling = 10_000_000): number {
  const estimator = findPde(options.pde).operator === 'biharmonic' ? 'gaussian' : 'sparse';
  const fits = (d: number) =>
    memoryRefusal(estimateMemory({ ...options, dimension: d, estimator }), limits) === null;
  if (fits(ceiling)) return ceiling;
  let low = 2;
  let high = ceiling;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle;
  }
  return low;
}
