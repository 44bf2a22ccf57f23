/**
 * The GPU memory a training run needs, from its options alone, checked before anything is
 * allocated: every buffer against the device's maxBufferSize and maxStorageBufferBindingSize, and
 * the sum against a total budget. A run that does not fit is refused with the numbers and the
 * largest dimension, jets per point, width and point count that would fit with everything else
 * unchanged, instead of failing inside WebGPU with an out-of-memory or validation error.
 *
 * The estimate is the training plan (trainingPlan.ts): the buffer lists of the plans every part
 * of the trainer is built from, summed. It is exactly what Trainer.create allocates plus the
 * reduction chains of the first step (test/gpu/trainingPlans.test.ts), and its largest buffer is
 * the one that meets a binding limit first.
 */
import { allocatedBytes, largestPlanned, type PlannedBuffer } from '../gpu/bufferPlan.ts';
import { ShaderCompileError } from '../gpu/errors.ts';
import { OperatorError } from '../operators/operator.ts';
import { type TrainingOptions, TrainingOptionsError } from './options.ts';
import { STORAGE_NAMES, type StorageField, storageToFit } from './storageChoice.ts';
import {
  DEFAULT_TRAINING_LIMITS,
  planTrainingParts,
  type TrainingExecution,
  type TrainingLimits,
  type TrainingPartFailure,
} from './trainingPlan.ts';

/** What the check needs of GPUSupportedLimits, and the total budget. */
export interface MemoryLimits extends Partial<Omit<TrainingLimits, 'maxStorageBufferBindingSize'>> {
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
  /** The planned buffers, grouped by what they hold and their size. */
  buffers: BufferEstimate[];
  totalBytes: number;
  /** The single largest buffer: the one that meets the binding limit first. */
  largest: { name: string; bytes: number };
  /** Every planned buffer, in the order the trainer allocates them. */
  planned: readonly PlannedBuffer[];
  /**
   * Parts of the run whose plans refused the options as too large for their kernels (a count
   * past 32 bits, say): the run cannot be built, whatever its bytes.
   */
  unplannable: string[];
}

/** The options an estimate reads: all of them (the plans read the architecture, the estimator, …). */
export type MemorySizing = TrainingOptions;

/** What a planned buffer holds, for the estimate's table and the refusal message. */
const BUFFER_KINDS: readonly [RegExp, string][] = [
  [/^forward (jet|gradient) (z|s|ṡ)(\d| \()|^backward hidden cotangent/, 'hidden-layer jets'],
  [/mlp output|boundary$|output( tangent)?$|dL\/du$|cotangent$|^backward m̄/, 'output jets'],
  [
    /tangent|jets? (index|coefficient|values)|jet (coefficients|indices)|^fixed jets$/,
    'input tangents',
  ],
  [/points$|^forward jet x$/, 'collocation points'],
  [
    /^(parameters|gradient|terminal gradient)( \(block \d+\))?$|^(adam|sgd) (m|v|previous)/,
    'parameters',
  ],
  [/^backward split slices/, 'backward scratch'],
  [/loss terms$|derivative terms$|residual( r)?$|^reduce \d+ records/, 'loss terms and reductions'],
];

function kindOf(buffer: PlannedBuffer): string {
  if (buffer.role === 'uniform') return 'uniforms';
  return BUFFER_KINDS.find(([pattern]) => pattern.test(buffer.label))?.[1] ?? 'other buffers';
}

/** The planned buffers grouped by (kind, allocated bytes), in order of first appearance. */
function groupBuffers(planned: readonly PlannedBuffer[]): BufferEstimate[] {
  const groups = new Map<string, BufferEstimate>();
  for (const buffer of planned) {
    const name = kindOf(buffer);
    const bytes = allocatedBytes(buffer.bytes);
    const key = `${name}|${bytes}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { name, bytes, count: 1 });
  }
  return [...groups.values()];
}

/** A failure that says the run is too large for a kernel, not that the options are invalid. */
function isSizeFailure(failure: TrainingPartFailure): boolean {
  return !(failure.error instanceof TrainingOptionsError || failure.error instanceof OperatorError);
}

/**
 * The buffers of a run: the sum of its training plan (trainingPlan.ts). `maxStorageBufferBindingSize`
 * sizes the evaluation batch the way the evaluation does (it shrinks the batch until its points
 * fit one binding); it and the other limits default to WebGPU's default limits.
 */
export function estimateMemory(
  options: MemorySizing,
  maxStorageBufferBindingSize = 2 ** 27,
  limits: Partial<TrainingLimits> = {},
  execution: TrainingExecution = {},
): MemoryEstimate {
  const { parts, failures, batch } = planTrainingParts(
    options,
    { ...completeLimits(limits), maxStorageBufferBindingSize },
    execution,
  );
  // A shader that does not parse is a defect of this program, whatever the options. (A
  // BindingError is not: a count past 32 bits fails to pack into its u32 uniform field.)
  const defect = failures.find((f) => f.error instanceof ShaderCompileError);
  if (defect) throw defect.error;
  const planned = [...parts.flatMap((p) => p.buffers), ...parts.flatMap((p) => p.firstStep)];
  const largest = largestPlanned(planned);
  return {
    jets: batch?.jets ?? 0,
    order: batch?.order ?? 0,
    rowsPerPoint: batch?.rowsPerPoint ?? 0,
    buffers: groupBuffers(planned),
    totalBytes: planned.reduce((sum, b) => sum + allocatedBytes(b.bytes), 0),
    largest: largest
      ? { name: kindOf(largest), bytes: allocatedBytes(largest.bytes) }
      : { name: 'buffers', bytes: 0 },
    planned,
    unplannable: failures.filter(isSizeFailure).map((f) => `the ${f.name}: ${f.error.message}`),
  };
}

/** The plan limits among `limits` (MemoryLimits may carry a few, or none), defaults for the rest. */
export function completeLimits(limits: Partial<TrainingLimits>): TrainingLimits {
  const keys = Object.keys(DEFAULT_TRAINING_LIMITS) as (keyof TrainingLimits)[];
  return {
    ...DEFAULT_TRAINING_LIMITS,
    ...Object.fromEntries(
      keys.filter((k) => typeof limits[k] === 'number').map((k) => [k, limits[k]]),
    ),
  };
}

export function formatBytes(bytes: number): string {
  if (bytes < 2 ** 20) return `${(bytes / 1024).toFixed(0)} KiB`;
  if (bytes < 2 ** 30) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** The largest single buffer a device takes: it must fit both a buffer and a storage binding. */
export function bufferLimit(limits: MemoryLimits): number {
  return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
}

/**
 * Why the device cannot hold this estimate (a buffer or the total too large, or a kernel that
 * cannot take the run), or null.
 */
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
  if (estimate.unplannable.length > 0) {
    return (
      `its kernels cannot take it (${estimate.unplannable.join('; ')}), although its ` +
      `${formatBytes(estimate.totalBytes)} of other buffers fit the budget of ${formatBytes(budget)}`
    );
  }
  return null;
}

export function fitsMemory(
  options: MemorySizing,
  limits: MemoryLimits,
  execution: TrainingExecution = {},
): boolean {
  const estimate = estimateMemory(options, limits.maxStorageBufferBindingSize, limits, execution);
  return memoryProblem(estimate, limits) === null;
}

/**
 * The largest value of one integer setting in [1, ceiling] with which the run fits (`fits`: as
 * given by default; the dashboard redraws its storage where that fits), everything else
 * unchanged; 0 when even 1 does not fit. Every estimate grows with each of these settings, so
 * a bisection finds it.
 */
export function largestFitting(
  options: MemorySizing,
  limits: MemoryLimits,
  setting: 'dimension' | 'jetsPerPoint' | 'width' | 'points',
  ceiling: number,
  fits: (options: MemorySizing) => boolean = (o) => fitsMemory(o, limits),
): number {
  const fitsAt = (value: number) => fits({ ...options, [setting]: value });
  if (fitsAt(ceiling)) return ceiling;
  if (!fitsAt(1)) return 0;
  let low = 1;
  let high = ceiling;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fitsAt(middle)) low = middle;
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
export function checkMemoryBudget(
  options: MemorySizing,
  limits: MemoryLimits,
  execution: TrainingExecution = {},
): MemoryEstimate {
  const estimate = estimateMemory(options, limits.maxStorageBufferBindingSize, limits, execution);
  const problem = memoryProblem(estimate, limits);
  if (problem === null) return estimate;
  // The settings that would fit are sized with the rollback copy: on the safe side without it.
  const fitting = fittingSettings(options, limits);
  throw new MemoryBudgetError(
    `too large for this GPU: ${problem}. ${describeFitting(options, fitting)}.` +
      regeneratedHint(options, limits, execution),
    estimate,
    fitting,
  );
}

/** How a refusal names a storage that regenerated would make the run fit (storageChoice.ts). */
function regeneratedSays(field: StorageField): string {
  const { what, flag } = STORAGE_NAMES[field];
  return (
    `its ${what} regenerated where they are read instead of stored (option ${field} ` +
    `'regenerated', the CLI's ${flag} regenerated)`
  );
}

/**
 * For a run that does not fit: whether it fits with what it stores regenerated instead
 * (storageToFit), and in how much memory; else ''.
 */
function regeneratedHint(
  options: MemorySizing,
  limits: MemoryLimits,
  execution: TrainingExecution,
): string {
  const estimateOf = (candidate: TrainingOptions) =>
    estimateMemory(candidate, limits.maxStorageBufferBindingSize, limits, execution);
  const choice = storageToFit(options, (c) => memoryProblem(estimateOf(c), limits) === null);
  if (choice.regenerated.length === 0) return '';
  const bytes = estimateOf(choice.options).totalBytes;
  const says = choice.regenerated.map(regeneratedSays).join(' and ');
  return ` With ${says} it fits in ${formatBytes(bytes)}.`;
}
