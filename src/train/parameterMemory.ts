/**
 * GPU memory per network parameter, stated per training mode (backprop with Adam or SGD, SPSA,
 * subspace SPSA, the forward gradient; each with the run's other settings): the bytes the run
 * holds per parameter, the whole run's estimate and the largest d that fits the device. Nothing
 * is counted here: all three come from the training plan (trainingPlan.ts) and the memory check
 * (memoryBudget.ts), so they follow the plans wherever those change.
 *
 * Bytes per parameter are those of the parts of the run that the parameter vector sizes (θ and
 * the gradient, the gradient estimate's buffers, the optimizer's state and rollback copy, the
 * divergence guard's reduction), taken as the slope of their bytes between the run's width and
 * half of it: their fixed uniforms and counters drop out, so the number is what each parameter
 * costs at any size. The problem graph and the evaluation are sized by the batch (points × d,
 * points × width × jet rows), not by the parameters; they are in the total only.
 */
import { parameterLayout } from '../engine/jetLayout.ts';
import { plannedBytes } from '../gpu/bufferPlan.ts';
import {
  completeLimits,
  estimateMemory,
  fitsMemory,
  largestFitting,
  type MemoryLimits,
  type MemorySizing,
} from './memoryBudget.ts';
import {
  architectureOf,
  type GradientEstimator,
  MAX_DIMENSION,
  type OptimizerName,
  pdeOf,
  resolveTrainingOptions,
  type TrainingOptions,
} from './options.ts';
import {
  planTrainingParts,
  type TrainingExecution,
  type TrainingPartName,
} from './trainingPlan.ts';

/** A way to train: where the gradient comes from and the optimizer that applies it. */
export interface MemoryMode {
  readonly gradientEstimator: GradientEstimator;
  readonly optimizer: OptimizerName;
  /** "backprop + Adam", "subspace SPSA + SGD", … */
  readonly label: string;
}

const ESTIMATOR_LABELS: Record<GradientEstimator, string> = {
  backprop: 'backprop',
  spsa: 'SPSA',
  'spsa-subspace': 'subspace SPSA',
  'forward-gradient': 'forward gradient',
};
const OPTIMIZER_LABELS: Record<OptimizerName, string> = { adam: 'Adam', sgd: 'SGD' };

function memoryMode(gradientEstimator: GradientEstimator, optimizer: OptimizerName): MemoryMode {
  return {
    gradientEstimator,
    optimizer,
    label: `${ESTIMATOR_LABELS[gradientEstimator]} + ${OPTIMIZER_LABELS[optimizer]}`,
  };
}

/** The mode `options` train in. */
export function modeOf(options: TrainingOptions): MemoryMode {
  return memoryMode(options.gradientEstimator, options.optimizer);
}

/**
 * The five modes stated: backprop with Adam and with SGD (the optimizer is what its memory turns
 * on), and the backprop-free estimators with `optimizer`, the run's.
 */
export function memoryModes(optimizer: OptimizerName): MemoryMode[] {
  return [
    memoryMode('backprop', 'adam'),
    memoryMode('backprop', 'sgd'),
    memoryMode('spsa', optimizer),
    memoryMode('spsa-subspace', optimizer),
    memoryMode('forward-gradient', optimizer),
  ];
}

/** One mode's memory for a run, or why the run cannot train in it. */
export type ModeMemory =
  | {
      readonly mode: MemoryMode;
      readonly available: true;
      readonly parameterCount: number;
      /** Bytes the run holds per network parameter (see the file's comment). */
      readonly bytesPerParameter: number;
      /** The whole run's planned bytes. */
      readonly totalBytes: number;
      /** Whether the run fits the device as given. */
      readonly fits: boolean;
      /**
       * The largest d ≤ MAX_DIMENSION that fits, the rest as given (0: none does); null where
       * the problem fixes d (the box problems).
       */
      readonly largestDimension: number | null;
    }
  | { readonly mode: MemoryMode; readonly available: false; readonly reason: string };

/** Whether a run fits: as given by default; the dashboard's with its storage redrawn if that fits. */
export type FitsCheck = (options: MemorySizing) => boolean;

/** The parts of a run that the parameter vector sizes (the rest are sized by the batch). */
const PARAMETER_PARTS: readonly TrainingPartName[] = [
  'trainer',
  'gradient estimate',
  'optimizer',
  'divergence guard',
  'weight average',
];

/** Bytes of the parameter-sized parts of the run and its parameter count. */
function parameterParts(
  options: TrainingOptions,
  limits: MemoryLimits,
  execution: TrainingExecution,
): { bytes: number; count: number } {
  const { parts, failures } = planTrainingParts(options, completeLimits(limits), execution);
  const failure = failures.find((f) => PARAMETER_PARTS.includes(f.name));
  if (failure) throw failure.error;
  const sized = parts.filter((p) => PARAMETER_PARTS.includes(p.name));
  return {
    bytes: sized.reduce((sum, p) => sum + plannedBytes(p.buffers) + plannedBytes(p.firstStep), 0),
    count: parameterLayout(architectureOf(options).widths).count,
  };
}

/**
 * Bytes per network parameter of the run `options` describes: the slope of its parameter-sized
 * parts between its width and half of it (2 for a width-1 network). Halving keeps the count
 * within what the kernels take wherever the run's own is. Throws what those parts' plans throw.
 */
export function bytesPerParameter(
  options: TrainingOptions,
  limits: MemoryLimits,
  execution: TrainingExecution = {},
): number {
  const run = parameterParts(options, limits, execution);
  const width = options.width > 1 ? Math.floor(options.width / 2) : 2;
  const other = parameterParts({ ...options, width }, limits, execution);
  return (run.bytes - other.bytes) / (run.count - other.count);
}

/** The run's options in `mode`, checked as any run's are. */
function optionsIn(options: TrainingOptions, mode: MemoryMode): TrainingOptions {
  return resolveTrainingOptions({
    ...options,
    gradientEstimator: mode.gradientEstimator,
    optimizer: mode.optimizer,
    // The forward gradient takes one tangent direction per step, whatever SPSA's q was.
    perturbationDirections:
      mode.gradientEstimator === 'forward-gradient' ? 1 : options.perturbationDirections,
  });
}

/**
 * `mode`'s memory for the run `options` describes on a device with `limits` (its budget
 * included), with or without the rollback copy (`execution`). `fits` decides what fits: the run
 * as given by default.
 */
export function modeMemory(
  options: TrainingOptions,
  mode: MemoryMode,
  limits: MemoryLimits,
  execution: TrainingExecution = {},
  fits: FitsCheck = (o) => fitsMemory(o, limits, execution),
): ModeMemory {
  let moded: TrainingOptions;
  let perParameter: number;
  try {
    moded = optionsIn(options, mode);
    perParameter = bytesPerParameter(moded, limits, execution);
  } catch (error) {
    return {
      mode,
      available: false,
      reason: error instanceof Error ? error.message : String(error),
    };
  }
  const estimate = estimateMemory(moded, limits.maxStorageBufferBindingSize, limits, execution);
  return {
    mode,
    available: true,
    parameterCount: parameterLayout(architectureOf(moded).widths).count,
    bytesPerParameter: perParameter,
    totalBytes: estimate.totalBytes,
    fits: fits(moded),
    largestDimension:
      pdeOf(moded).domain === 'box'
        ? null
        : largestFitting(moded, limits, 'dimension', MAX_DIMENSION, fits),
  };
}

/** The run's own mode and the other four, for the CLI's start line. */
export function parameterMemory(
  options: TrainingOptions,
  limits: MemoryLimits,
  execution: TrainingExecution = {},
): { current: ModeMemory; others: ModeMemory[] } {
  const current = modeOf(options);
  return {
    current: modeMemory(options, current, limits, execution),
    others: memoryModes(options.optimizer)
      .filter((mode) => mode.label !== current.label)
      .map((mode) => modeMemory(options, mode, limits, execution)),
  };
}

/** "d ≤ 1005462", or why there is no such number. */
export function describeLargestDimension(largest: number | null): string {
  if (largest === null) return 'd fixed by the problem';
  if (largest === 0) return 'no d fits';
  return largest === MAX_DIMENSION ? `every d up to ${MAX_DIMENSION} fits` : `d ≤ ${largest}`;
}

/** "28.0 B/param, d ≤ 1005462", or why the run cannot train in the mode. */
export function describeModeMemory(memory: ModeMemory): string {
  // The reason (an option check's message) is the JSON record's; a line has no room for it.
  if (!memory.available) return 'not for this run';
  return (
    `${memory.bytesPerParameter.toFixed(1)} B/param, ` +
    describeLargestDimension(memory.largestDimension)
  );
}
