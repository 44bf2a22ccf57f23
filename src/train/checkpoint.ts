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
 * unknown fields, missing options and prototype keys (`__proto__`, `constructor`, `prototype`) are
 * refused with an error naming the field (src/validation/schema.ts).
 * Every option must be present because a default that changes between versions would otherwise
 * silently change a resumed run. The exceptions are options added later whose value in every run
 * before them is known, so a checkpoint written then resumes the same trajectory when read with
 * it: firstLayerGain only draws the initial weights, which the checkpoint carries (every run had
 * 1), and gpinnWeight (0 on the ball, which had no gPINN term; 1 on g-KdV, whose gradient terms
 * had weight 1).
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
import {
  describeValue,
  fieldPath,
  isPlainObject,
  parseJsonText,
  SchemaReader,
} from '../validation/schema.ts';

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
  constructor(
    message: string,
    /** The path of the field the error is about (`moments.v[12]`). */
    readonly field = '',
  ) {
    super(`Invalid checkpoint: ${message}`);
    this.name = 'CheckpointError';
  }
}

const makeError = (message: string, field: string) => new CheckpointError(message, field);
const schema: SchemaReader = new SchemaReader(makeError);

/**
 * Options added after version 1 was written. Left out, they take resolveTrainingOptions' default,
 * which is the value every run had before them (firstLayerGain 1; gpinnWeight 0 on the ball, 1 on
 * g-KdV, whose gradient terms had weight 1; pointStorage and tangentStorage 'stored').
 */
const ADDED_LATER: ReadonlySet<string> = new Set<keyof TrainingOptions>([
  'firstLayerGain',
  'gpinnWeight',
  'pointStorage',
  'tangentStorage',
]);

function readOptions(value: unknown): TrainingOptions {
  const fields = Object.keys(defaultTrainingOptions);
  const given = schema.object('options', value, fields);
  for (const field of fields) {
    if (given[field] === undefined && !ADDED_LATER.has(field)) {
      schema.fail(`options.${field}`, 'is missing');
    }
  }
  try {
    return resolveTrainingOptions(given);
  } catch (error) {
    if (error instanceof TrainingOptionsError) {
      // resolveTrainingOptions starts per-field messages with the field's name.
      const field = /^(\w+) /.exec(error.message)?.[1];
      if (field !== undefined && fields.includes(field)) {
        throw new CheckpointError(`options.${error.message}`, `options.${field}`);
      }
      throw new CheckpointError(`options: ${error.message}`, 'options');
    }
    throw error;
  }
}

function readLogs(value: unknown, step: number): StepLog[] {
  let previous = 0;
  return schema.array('logs', value, 0, step).map((entry, i) => {
    const where = fieldPath('logs', i);
    const log = schema.object(where, entry, ['step', 'loss', 'gradientNorm', 'learningRate']);
    const logStep = schema.integer(`${where}.step`, log.step, 1, step);
    if (logStep <= previous) {
      schema.fail(`${where}.step`, `= ${logStep} does not come after ${previous}`);
    }
    previous = logStep;
    return {
      step: logStep,
      loss: schema.finite(`${where}.loss`, log.loss),
      gradientNorm: schema.finite(`${where}.gradientNorm`, log.gradientNorm, 0),
      learningRate: schema.finite(`${where}.learningRate`, log.learningRate, 0),
    };
  });
}

const METRIC_MINIMA: Record<keyof EvaluationMetrics, number> = {
  relativeL2: 0,
  relativeL1: 0,
  pointRelativeError: 0,
  value: -Infinity,
};
const METRICS = Object.keys(METRIC_MINIMA) as (keyof EvaluationMetrics)[];

function readEvaluations(value: unknown, step: number): EvaluationLog[] {
  let previous = 0;
  // One evaluation per step at most, step 0 included (an evaluation before training).
  return schema.array('evaluations', value, 0, step + 1).map((entry, i) => {
    const where = fieldPath('evaluations', i);
    const evaluation = schema.object(where, entry, ['step', ...METRICS]);
    const evaluationStep = schema.integer(`${where}.step`, evaluation.step, 0, step);
    if (evaluationStep < previous) {
      schema.fail(`${where}.step`, `= ${evaluationStep} comes before ${previous}`);
    }
    previous = evaluationStep;
    const log: EvaluationLog = { step: evaluationStep };
    for (const name of METRICS) {
      if (evaluation[name] !== undefined) {
        log[name] = schema.finite(`${where}.${name}`, evaluation[name], METRIC_MINIMA[name]);
      }
    }
    return log;
  });
}

function readMoments(value: unknown, options: TrainingOptions, count: number) {
  if (options.optimizer !== 'adam') {
    if (value !== null)
      schema.expected('moments', `null for the ${options.optimizer} optimizer`, value);
    return null;
  }
  if (!isPlainObject(value)) {
    return schema.expected('moments', 'an object { m, v } for the adam optimizer', value);
  }
  const given = schema.object('moments', value, ['m', 'v']);
  const why = 'the network the options describe';
  return {
    m: schema.float32Array('moments.m', given.m, count, why),
    v: schema.float32Array('moments.v', given.v, count, why, 0),
  };
}

/** Validates a parsed JSON value as a checkpoint. */
export function readCheckpoint(value: unknown): Checkpoint {
  const file = schema.object(
    '',
    value,
    ['format', 'version', 'options', 'step', 'parameters', 'moments', 'logs', 'evaluations'],
    'the checkpoint',
  );
  if (file.format !== checkpointFormat) {
    schema.expected('format', `"${checkpointFormat}"`, file.format);
  }
  if (file.version !== checkpointVersion) {
    schema.fail(
      'version',
      `${describeValue(file.version)} is not supported (this build reads version ${checkpointVersion})`,
    );
  }
  const options = readOptions(file.options);
  const step = schema.integer('step', file.step, 0, options.steps);
  // The sizes follow from the validated options; the arrays are compared against them before
  // any typed array is allocated.
  const count = parameterLayout(architectureOf(options).widths).count;
  const parameters = schema.float32Array(
    'parameters',
    file.parameters,
    count,
    'the network the options describe',
  );
  return {
    options,
    state: { step, parameters, moments: readMoments(file.moments, options, count) },
    logs: file.logs === undefined ? [] : readLogs(file.logs, step),
    evaluations: file.evaluations === undefined ? [] : readEvaluations(file.evaluations, step),
  };
}

/** Parses and validates checkpoint JSON text. */
export function parseCheckpoint(text: string): Checkpoint {
  return readCheckpoint(parseJsonText(text, makeError));
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
