/**
 * The JSON checkpoint format: everything needed to continue a run on the identical trajectory
 * (the trainer repeats its losses bit for bit from the same state on one device), plus the
 * history so far so the metrics CSV and the best-over-run metrics cover the whole run.
 *
 * {
 *   "format": "jetpinn-checkpoint",
 *   "version": 1,
 *   "options": { …every TrainingOptions field (options.ts); none may be missing },
 *   "step": completed steps, 0..options.steps,
 *   "parameters": [P numbers: the flat float32 parameters in jetLayout.ts's parameterLayout order],
 *   "moments": { "m": [P numbers], "v": [P numbers ≥ 0] } for Adam, null for SGD,
 *   "logs": [ { "step", "loss", "gradientNorm", "learningRate" }, … ]   (optional),
 *   "evaluations": [ { "step", "relativeL2"?, "relativeL1"?, "pointRelativeError"?, "value"? }, … ]
 *                                                                        (optional)
 * }
 *
 * P follows from the options (architectureOf). Loading checks every field (type, range,
 * finiteness, float32 range) and the array sizes against P before anything is allocated;
 * unknown fields, missing options and `__proto__` keys are refused with an error naming the field.
 * Every option must be present because a default that changes between versions would otherwise
 * silently change a resumed run.
 */
import { parameterLayout } from '../engine/jetLayout.ts';
import {
  architectureOf,
  defaultTrainingOptions,
  resolveTrainingOptions,
  type TrainingOptions,
  TrainingOptionsError,
} from './options.ts';
import type { EvaluationMetrics } from './problemGraph.ts';
import type { EvaluationLog, StepLog, TrainerState } from './trainer.ts';

export const checkpointFormat = 'jetpinn-checkpoint';
export const checkpointVersion = 1;

export interface Checkpoint {
  options: TrainingOptions;
  state: TrainerState;
  /** Logged steps up to state.step, oldest first. */
  logs: StepLog[];
  /** Test-set evaluations up to state.step, oldest first. */
  evaluations: EvaluationLog[];
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(`Invalid checkpoint: ${message}`);
    this.name = 'CheckpointError';
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readObject(where: string, value: unknown, allowed: readonly string[]): JsonObject {
  if (!isObject(value)) throw new CheckpointError(`${where} must be an object`);
  for (const key of Object.keys(value)) {
    // JSON.parse makes "__proto__" an own key; spreading or assigning it later would replace
    // an object's prototype, so it is named for what it is.
    if (key === '__proto__') {
      throw new CheckpointError(`${where} has a forbidden field "__proto__"`);
    }
    if (!allowed.includes(key)) {
      throw new CheckpointError(
        `${where} has an unknown field ${JSON.stringify(key)} (allowed: ${allowed.join(', ')})`,
      );
    }
  }
  return value;
}

function readInteger(where: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CheckpointError(
      `${where} must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function readFinite(where: string, value: unknown, min = -Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new CheckpointError(
      `${where} must be a finite number${min > -Infinity ? ` ≥ ${min}` : ''}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The length is checked before the Float32Array exists, so a huge array allocates nothing. */
function readFloat32Array(where: string, value: unknown, length: number, min = -Infinity) {
  if (!Array.isArray(value)) throw new CheckpointError(`${where} must be an array of numbers`);
  if (value.length !== length) {
    throw new CheckpointError(
      `${where} must have ${length} numbers (the network the options describe), has ${value.length}`,
    );
  }
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = readFinite(`${where}[${i}]`, value[i], min);
    if (!Number.isFinite(out[i])) {
      throw new CheckpointError(
        `${where}[${i}] = ${String(value[i])} is outside the float32 range`,
      );
    }
  }
  return out;
}

function readOptions(value: unknown): TrainingOptions {
  const fields = Object.keys(defaultTrainingOptions);
  const given = readObject('options', value, fields);
  for (const field of fields) {
    if (given[field] === undefined) throw new CheckpointError(`options.${field} is missing`);
  }
  try {
    return resolveTrainingOptions(given);
  } catch (error) {
    if (error instanceof TrainingOptionsError) {
      throw new CheckpointError(`options: ${error.message}`);
    }
    throw error;
  }
}

function readList(where: string, value: unknown, maxLength: number): unknown[] {
  if (!Array.isArray(value)) throw new CheckpointError(`${where} must be an array`);
  if (value.length > maxLength) {
    throw new CheckpointError(`${where} has ${value.length} entries, at most ${maxLength} fit`);
  }
  return value;
}

function readLogs(value: unknown, step: number): StepLog[] {
  let previous = 0;
  return readList('logs', value, step).map((entry, i) => {
    const where = `logs[${i}]`;
    const log = readObject(where, entry, ['step', 'loss', 'gradientNorm', 'learningRate']);
    const logStep = readInteger(`${where}.step`, log.step, 1, step);
    if (logStep <= previous) {
      throw new CheckpointError(`${where}.step = ${logStep} does not come after ${previous}`);
    }
    previous = logStep;
    return {
      step: logStep,
      loss: readFinite(`${where}.loss`, log.loss),
      gradientNorm: readFinite(`${where}.gradientNorm`, log.gradientNorm, 0),
      learningRate: readFinite(`${where}.learningRate`, log.learningRate, 0),
    };
  });
}

const METRIC_MINIMA: Record<keyof EvaluationMetrics, number> = {
  relativeL2: 0,
  relativeL1: 0,
  pointRelativeError: 0,
  value: -Infinity,
};

function readEvaluations(value: unknown, step: number): EvaluationLog[] {
  let previous = 0;
  // One evaluation per step at most, step 0 included (an evaluation before training).
  return readList('evaluations', value, step + 1).map((entry, i) => {
    const where = `evaluations[${i}]`;
    const evaluation = readObject(where, entry, ['step', ...Object.keys(METRIC_MINIMA)]);
    const evaluationStep = readInteger(`${where}.step`, evaluation.step, 0, step);
    if (evaluationStep < previous) {
      throw new CheckpointError(`${where}.step = ${evaluationStep} comes before ${previous}`);
    }
    previous = evaluationStep;
    const log: EvaluationLog = { step: evaluationStep };
    for (const [name, min] of Object.entries(METRIC_MINIMA)) {
      if (evaluation[name] !== undefined) {
        log[name as keyof EvaluationMetrics] = readFinite(
          `${where}.${name}`,
          evaluation[name],
          min,
        );
      }
    }
    return log;
  });
}

/** Validates a parsed JSON value as a checkpoint. */
export function readCheckpoint(value: unknown): Checkpoint {
  const file = readObject('the checkpoint', value, [
    'format',
    'version',
    'options',
    'step',
    'parameters',
    'moments',
    'logs',
    'evaluations',
  ]);
  if (file.format !== checkpointFormat) {
    throw new CheckpointError(
      `format must be "${checkpointFormat}", got ${JSON.stringify(file.format)}`,
    );
  }
  if (file.version !== checkpointVersion) {
    throw new CheckpointError(
      `version ${JSON.stringify(file.version)} is not supported (this build reads version ${checkpointVersion})`,
    );
  }
  const options = readOptions(file.options);
  const step = readInteger('step', file.step, 0, options.steps);
  const count = parameterLayout(architectureOf(options).widths).count;
  const parameters = readFloat32Array('parameters', file.parameters, count);
  let moments: TrainerState['moments'] = null;
  if (options.optimizer === 'adam') {
    if (!isObject(file.moments)) {
      throw new CheckpointError('moments must be an object { m, v } for the adam optimizer');
    }
    const given = readObject('moments', file.moments, ['m', 'v']);
    moments = {
      m: readFloat32Array('moments.m', given.m, count),
      v: readFloat32Array('moments.v', given.v, count, 0),
    };
  } else if (file.moments !== null) {
    throw new CheckpointError(
      `moments must be null for the ${options.optimizer} optimizer, got ${typeof file.moments}`,
    );
  }
  return {
    options,
    state: { step, parameters, moments },
    logs: file.logs === undefined ? [] : readLogs(file.logs, step),
    evaluations: file.evaluations === undefined ? [] : readEvaluations(file.evaluations, step),
  };
}

/** Parses and validates checkpoint JSON text. */
export function parseCheckpoint(text: string): Checkpoint {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`not valid JSON (${(error as Error).message})`);
  }
  return readCheckpoint(value);
}

/** Checkpoint JSON; float32 values print exactly (every float32 is a float64), so loading is lossless. */
export function serializeCheckpoint(checkpoint: Checkpoint): string {
  const { options, state, logs, evaluations } = checkpoint;
  const count = parameterLayout(architectureOf(options).widths).count;
  // Refused here rather than when the file is loaded, possibly days later.
  if (state.parameters.length !== count) {
    throw new RangeError(
      `the state holds ${state.parameters.length} parameters, the options' network has ${count}`,
    );
  }
  return JSON.stringify({
    format: checkpointFormat,
    version: checkpointVersion,
    options,
    step: state.step,
    parameters: Array.from(state.parameters),
    moments: state.moments && {
      m: Array.from(state.moments.m),
      v: Array.from(state.moments.v),
    },
    logs,
    // JSON has no NaN or Infinity: an evaluation of an overflowing network keeps its step only.
    evaluations: evaluations.map((evaluation) =>
      Object.fromEntries(Object.entries(evaluation).filter(([, value]) => Number.isFinite(value))),
    ),
  });
}
