/**
 * The GPU memory a training run needs, from its options alone, checked before anything is
 * allocated: every buffer against the device's maxBufferSize and maxStorageBufferBindingSize, and
 * the sum against a total budget. A run that does not fit is refused with the numbers and the
 * largest dimension, jets per point, width and point count that would fit with everything else
 * unchanged, instead of failing inside WebGPU with an out-of-memory or validation error.
 *
 * The buffers are counted the way the trainer lays them out (DESIGN.md §2: one row per Taylor
 * coefficient and jet, one summed top row when collapsed). Measured against the bytes the
 * trainer then allocates (test/gpu/memoryBudget.test.ts) the total is within 10 %, and the
 * largest buffer is exact: that is the one that meets a binding limit first.
 */
import { findPde } from '../pdes/index.ts';
import { evaluationBatchSize } from '../pdes/testSet.ts';
import type { TrainingOptions } from './options.ts';

/** What the check needs of GPUSupportedLimits, and the total budget. */
export interface MemoryLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  /** Total bytes the run may hold (default DEFAULT_MEMORY_BUDGET_BYTES). */
  budgetBytes?: number;
}

/**
 * WebGPU cannot say how much memory a device has. 4 GiB is what integrated GPUs and browser
 * tabs commonly grant before the process is killed; the CLI's --memory-budget raises it.
 */
export const DEFAULT_MEMORY_BUDGET_BYTES = 4 * 2 ** 30;

export interface BufferEstimate {
  name: string;
  /** Bytes of one buffer. */
  bytes: number;
  /** How many buffers of this size the run holds. */
  count: number;
}

export interface MemoryEstimate {
  /** Jets R per collocation point and their order K. */
  jets: number;
  order: number;
  rowsPerPoint: number;
  buffers: BufferEstimate[];
  totalBytes: number;
  /** The single largest buffer: the one that meets the binding limit first. */
  largest: { name: string; bytes: number };
}

export type MemorySizing = Pick<
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
  | 'gradientEstimator'
  | 'optimizer'
>;

/** R and K of the operator the trainer will build (exact: all d one-hot jets, or d² for Δ²). */
function jetsOf(options: MemorySizing): { jets: number; order: number; collapsible: boolean } {
  const d = options.dimension;
  const exact = options.estimator === 'exact';
  const draws = options.loss === 'unbiased' ? 2 : 1;
  if (findPde(options.pde).operator === 'biharmonic') {
    // The exact biharmonic polarizes over pairs with per-jet scales, so it cannot collapse.
    return { jets: exact ? d * d : draws * options.jetsPerPoint, order: 4, collapsible: !exact };
  }
  return { jets: exact ? d : draws * options.jetsPerPoint, order: 2, collapsible: true };
}

/**
 * The buffers of a run. `maxStorageBufferBindingSize` sizes the evaluation batch the way the
 * evaluation does (it shrinks the batch until its points fit one binding); the default is
 * WebGPU's default limit.
 */
/**
 * Backprop keeps the pre-activation and activation jets of every layer for the backward pass,
 * which ping-pongs its cotangents between two more. The backprop-free modes reuse their layer
 * storage: SPSA one pre-activation and two alternating activations, the forward gradient two
 * alternating activations and their two tangents. This is their memory advantage, growing with
 * depth.
 */
function hiddenLayerBuffers(mode: MemorySizing['gradientEstimator'], depth: number): number {
  switch (mode) {
    case 'backprop':
      return 2 * depth + 2;
    case 'spsa':
    case 'spsa-subspace':
      return 3;
    case 'forward-gradient':
      return 4;
  }
}

export function estimateMemory(
  options: MemorySizing,
  maxStorageBufferBindingSize = 2 ** 27,
): MemoryEstimate {
  const { dimension: d, points: N, width: h, depth } = options;
  const { jets: R, order: K, collapsible } = jetsOf(options);
  const rows = options.collapsed && collapsible ? 1 + R * (K - 1) + 1 : 1 + R * K;
  // Parabolic problems feed (x, t): one more input than d.
  const parabolic = findPde(options.pde).domain === 'spacetime';
  const input = parabolic ? d + 1 : d;
  const parameters = input * h + (depth - 1) * (h + 1) * h + (h + 1);
  const dense = options.estimator === 'rademacher' || options.estimator === 'gaussian';
  const buffers: BufferEstimate[] = [
    {
      name: 'hidden-layer jets',
      bytes: N * rows * h * 4,
      count: hiddenLayerBuffers(options.gradientEstimator, depth),
    },
    // Dense tangents store all input components; one-hot ones an index and a coefficient.
    { name: 'input tangents', bytes: N * R * K * (dense ? input * 4 : 8), count: 1 },
    { name: 'collocation points', bytes: N * input * 4, count: 1 },
    // Parameters and gradient, Adam's two moments, and the optimizer's copy of what its last
    // update replaced (θ, m, v: the state a divergence returns to); a parabolic step adds the
    // terminal batch's gradient, summed into the interior one.
    {
      name: 'parameters',
      bytes: parameters * 4,
      count: (options.optimizer === 'adam' ? 7 : 3) + (parabolic ? 1 : 0),
    },
    // The network output before and after the boundary factor, the output, and its cotangent.
    { name: 'output jets', bytes: N * rows * 4, count: 4 },
    // The optimizer's and the divergence guard's uniform rings (one slot per step in flight).
    { name: 'uniform rings', bytes: 8192, count: 2 },
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
  } else {
    // The evaluation pushes value-only jets (2 rows) of a test batch, which it shrinks until
    // the points fit a binding (ballEvaluation.ts). Parabolic runs evaluate one point.
    // When not even one point fits, the one-point batch is what the check refuses.
    const batch =
      4 * input > maxStorageBufferBindingSize
        ? 1
        : evaluationBatchSize(
            input,
            maxStorageBufferBindingSize,
            Math.min(options.testPoints, 5000),
          );
    buffers.push(
      { name: 'test-batch layer jets', bytes: batch * 2 * h * 4, count: 3 },
      { name: 'test points', bytes: batch * input * 4, count: 1 },
      // Tangent index and coefficient, u*, f, and the three output stages.
      { name: 'test-batch values', bytes: batch * 4, count: 7 },
    );
  }
  const largest = buffers.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return {
    jets: R,
    order: K,
    rowsPerPoint: rows,
    buffers,
    totalBytes: buffers.reduce((sum, b) => sum + b.bytes * b.count, 0),
    largest: { name: largest.name, bytes: largest.bytes },
  };
}

export function formatBytes(bytes: number): string {
  if (bytes < 2 ** 20) return `${(bytes / 1024).toFixed(0)} KiB`;
  if (bytes < 2 ** 30) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** The largest single buffer a device takes: it must fit both a buffer and a storage binding. */
function bufferLimit(limits: MemoryLimits): number {
  return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
}

/** Why the device cannot hold this estimate (a buffer or the total too large), or null. */
export function memoryProblem(estimate: MemoryEstimate, limits: MemoryLimits): string | null {
  const limit = bufferLimit(limits);
  const budget = limits.budgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
  if (estimate.largest.bytes > limit) {
    return (
      `the ${estimate.largest.name} need ${formatBytes(estimate.largest.bytes)} in one buffer; ` +
      `the device binds at most ${formatBytes(limit)} per buffer ` +
      `(maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}, ` +
      `maxBufferSize ${limits.maxBufferSize})`
    );
  }
  if (estimate.totalBytes > budget) {
    return (
      `the run needs about ${formatBytes(estimate.totalBytes)} of GPU memory in all, over the ` +
      `budget of ${formatBytes(budget)}`
    );
  }
  return null;
}

export function fitsMemory(options: MemorySizing, limits: MemoryLimits): boolean {
  return (
    memoryProblem(estimateMemory(options, limits.maxStorageBufferBindingSize), limits) === null
  );
}

/**
 * The largest value of one integer setting in [1, ceiling] with which the run fits, everything
 * else unchanged; 0 when even 1 does not fit. Every estimate grows with each of these settings,
 * so a bisection finds it.
 */
export function largestFitting(
  options: MemorySizing,
  limits: MemoryLimits,
  setting: 'dimension' | 'jetsPerPoint' | 'width' | 'points',
  ceiling: number,
): number {
  const fits = (value: number) => fitsMemory({ ...options, [setting]: value }, limits);
  if (fits(ceiling)) return ceiling;
  if (!fits(1)) return 0;
  let low = 1;
  let high = ceiling;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle;
  }
  return low;
}

/** The largest settings that would fit, one at a time (the others as given). */
export interface FittingSettings {
  dimension: number;
  jetsPerPoint: number | null;
  width: number;
  points: number;
}

export function fittingSettings(options: MemorySizing, limits: MemoryLimits): FittingSettings {
  const usesJets = options.estimator !== 'exact';
  return {
    dimension: largestFitting(options, limits, 'dimension', options.dimension),
    jetsPerPoint: usesJets
      ? largestFitting(
          options,
          limits,
          'jetsPerPoint',
          options.estimator === 'sparse'
            ? Math.min(options.jetsPerPoint, options.dimension)
            : options.jetsPerPoint,
        )
      : null,
    width: largestFitting(options, limits, 'width', options.width),
    points: largestFitting(options, limits, 'points', options.points),
  };
}

export class MemoryBudgetError extends Error {
  constructor(
    message: string,
    readonly estimate: MemoryEstimate,
    readonly fitting: FittingSettings,
  ) {
    super(message);
    this.name = 'MemoryBudgetError';
  }
}

function describeFitting(options: MemorySizing, fitting: FittingSettings): string {
  const parts = [
    fitting.dimension > 0 ? `d ≤ ${fitting.dimension}` : null,
    fitting.jetsPerPoint !== null && fitting.jetsPerPoint > 0
      ? `jets per point ≤ ${fitting.jetsPerPoint}`
      : null,
    fitting.width > 0 ? `width ≤ ${fitting.width}` : null,
    fitting.points > 0 ? `points ≤ ${fitting.points}` : null,
  ].filter((p): p is string => p !== null);
  if (parts.length === 0) {
    return 'no single change of d, jets, width or points makes it fit: change several';
  }
  return (
    `with the other settings as given (d = ${options.dimension}, ${options.estimator}, ` +
    `width ${options.width}, depth ${options.depth}, ${options.points} points) it fits with ` +
    parts.join(', or ')
  );
}

/**
 * The estimate of a run that fits; otherwise a MemoryBudgetError naming the largest buffer or
 * the total, the device's numbers, and the largest d, B, width and points that would fit.
 */
export function checkMemoryBudget(options: MemorySizing, limits: MemoryLimits): MemoryEstimate {
  const estimate = estimateMemory(options, limits.maxStorageBufferBindingSize);
  const problem = memoryProblem(estimate, limits);
  if (problem === null) return estimate;
  const fitting = fittingSettings(options, limits);
  throw new MemoryBudgetError(
    `too large for this GPU: ${problem}. ${describeFitting(options, fitting)}.`,
    estimate,
    fitting,
  );
}
