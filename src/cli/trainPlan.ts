/**
 * `jetpinn train`'s flags and their validation into a plan, before any GPU work: a mistake on the
 * command line (or an output folder that does not exist) must not surface after an hour of
 * training.
 */
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { type Checkpoint, parseCheckpoint } from '../train/checkpoint.ts';
import { parameterLayout } from '../engine/jetLayout.ts';
import { isSafetensorsName } from '../engine/modelFormats.ts';
import { DEFAULT_SUBMIT_BOUND_MS } from '../train/boundedSubmits.ts';
import { DEFAULT_MEMORY_BUDGET_BYTES } from '../train/memoryBudget.ts';
import { architectureOf, resolveTrainingOptions, type TrainingOptions } from '../train/options.ts';
import { type FlagSpec, type ParsedFlags, UsageError } from './args.ts';
import { readTextFile } from './io.ts';
import { TRAINING_FLAGS, trainingOptionsFromFlags, withFlagErrors } from './trainingFlags.ts';

const RUN_FLAGS: readonly FlagSpec[] = [
  {
    name: 'out',
    kind: 'string',
    placeholder: 'file',
    description: 'write the model here (JSON, or safetensors when the name ends in .safetensors)',
  },
  {
    name: 'metrics',
    kind: 'string',
    placeholder: 'file',
    description: 'write the metrics CSV (logged steps and evaluations) here',
  },
  {
    name: 'checkpoint',
    kind: 'string',
    placeholder: 'file',
    description: 'write a checkpoint here at the end (and every --checkpoint-every steps)',
  },
  {
    name: 'checkpoint-every',
    kind: 'integer',
    min: 0,
    default: 0,
    description: 'also write the checkpoint every this many steps (0: only at the end)',
  },
  {
    name: 'resume',
    kind: 'string',
    placeholder: 'file',
    description: "continue the checkpoint's run (its options; training flags are refused)",
  },
  {
    name: 'stop-at',
    kind: 'integer',
    min: 1,
    description: 'stop after this step as if interrupted (the schedule still spans --steps)',
  },
  {
    name: 'json',
    kind: 'boolean',
    default: false,
    negatable: false,
    description: 'JSON lines on stdout instead of the progress display',
  },
  {
    name: 'memory-budget',
    kind: 'integer',
    min: 1,
    default: DEFAULT_MEMORY_BUDGET_BYTES / 2 ** 20,
    description: 'MiB of GPU memory the run may hold; a larger run is refused before allocating',
  },
  {
    name: 'rollback',
    kind: 'boolean',
    default: true,
    negatable: true,
    description:
      'keep θ, m, v of the step before on the GPU, so a divergence keeps the last good step: ' +
      '12 B/param of memory and of writes per step (SGD 4), 48 B/param/step in all with Adam; ' +
      '--no-rollback moves 32 and keeps the last checkpoint (--checkpoint-every) instead',
  },
  {
    name: 'parameter-block',
    kind: 'integer',
    min: 1,
    description:
      'MiB of the largest parameter buffer: θ and its gradient and optimizer state are split ' +
      "into blocks of whole first-layer rows, bit-identically (default: the device's binding limit)",
  },
  {
    name: 'submit-bound-ms',
    kind: 'number',
    default: DEFAULT_SUBMIT_BOUND_MS,
    description:
      'ms of predicted GPU work one submit may hold: a longer step is split into several ' +
      'submits between its stages, with bit-identical results (0: a submit at every stage)',
  },
];

/**
 * Training flags a resumed run may change: a lower learning rate is how a diverged run (whose
 * checkpoint holds the last good step) continues. The schedule keeps its shape from there on.
 */
const RESUMABLE_FLAGS: readonly string[] = ['lr'];

export const TRAIN_FLAGS: readonly FlagSpec[] = [
  ...TRAINING_FLAGS.map((flag) => flag.spec),
  ...RUN_FLAGS,
];

export interface TrainPlan {
  options: TrainingOptions;
  /** The run to continue, or null for a fresh one. */
  resume: Checkpoint | null;
  /** Last step to run (options.steps unless --stop-at). */
  stopAt: number;
  out?: string;
  metrics?: string;
  checkpoint?: string;
  /** 0: the checkpoint is written only at the end. */
  checkpointEvery: number;
  json: boolean;
  memoryBudgetBytes: number;
  /** Keep the optimizer's rollback copy (TrainerSettings.rollback). */
  rollback: boolean;
  /** TrainerSettings.submitBoundMs. */
  submitBoundMs: number;
  /** TrainerSettings.parameterBlockBytes; absent: the device's limits. */
  parameterBlockBytes?: number;
}

/**
 * V8's longest string (2^29 − 24 characters) bounds the JSON files a run can write and read
 * back; a float32 printed as JSON takes at most 25 characters ("-1.1754942106924411e-38,").
 * Checked before training, so a run too large for its files fails now rather than at its end.
 */
const MAX_JSON_NUMBERS = Math.floor((2 ** 29 - 24) / 25);

function checkJsonSize(flag: string, path: string | undefined, numbers: number): void {
  if (path !== undefined && numbers > MAX_JSON_NUMBERS) {
    throw new UsageError(
      `--${flag}: the file would hold ${numbers} numbers, more than the ${MAX_JSON_NUMBERS} ` +
        'a JSON file can (V8 string limit); this network is too large for the JSON formats',
    );
  }
}

function checkWritable(flag: string, path: string | undefined): void {
  if (path === undefined) return;
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch {
    throw new UsageError(
      `--${flag} ${path}: the folder ${dirname(path)} is missing or not writable`,
    );
  }
}

function mebibytes(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value * 2 ** 20;
}

export function planTraining(flags: ParsedFlags): TrainPlan {
  let options: TrainingOptions;
  let resume: Checkpoint | null = null;
  const resumePath = flags.string('resume');
  if (resumePath !== undefined) {
    if (isSafetensorsName(resumePath)) {
      throw new UsageError(
        `--resume ${resumePath}: a safetensors model holds the weights only, not the optimizer ` +
          'state and history a run continues from; resume from a --checkpoint file',
      );
    }
    const given = TRAINING_FLAGS.filter(
      ({ spec }) => flags.has(spec.name) && !RESUMABLE_FLAGS.includes(spec.name),
    );
    if (given.length > 0) {
      throw new UsageError(
        `--resume continues the checkpoint's run with its own options (only ` +
          `${RESUMABLE_FLAGS.map((f) => `--${f}`).join(', ')} may change); drop ${given
            .map(({ spec }) => `--${spec.name}`)
            .join(', ')}`,
      );
    }
    resume = parseCheckpoint(readTextFile(resumePath, '--resume'));
    options = resume.options;
    const learningRate = flags.number('lr');
    if (learningRate !== undefined) {
      options = withFlagErrors(() => resolveTrainingOptions({ ...options, learningRate }));
    }
  } else {
    options = trainingOptionsFromFlags(flags);
  }
  const start = resume?.state.step ?? 0;
  const stopAt = flags.number('stop-at') ?? options.steps;
  if (stopAt > options.steps) {
    throw new UsageError(`--stop-at ${stopAt} is after the run's last step ${options.steps}`);
  }
  if (stopAt < start) {
    throw new UsageError(`--stop-at ${stopAt} is before the checkpoint's step ${start}`);
  }
  const submitBoundMs = flags.number('submit-bound-ms') ?? DEFAULT_SUBMIT_BOUND_MS;
  if (submitBoundMs < 0) {
    throw new UsageError(
      `--submit-bound-ms must be at least 0, got ${submitBoundMs}`,
      '--submit-bound-ms',
    );
  }
  const checkpoint = flags.string('checkpoint');
  const checkpointEvery = flags.number('checkpoint-every') ?? 0;
  if (checkpointEvery > 0 && checkpoint === undefined) {
    throw new UsageError('--checkpoint-every needs --checkpoint <file> to write to');
  }
  const plan: TrainPlan = {
    options,
    resume,
    stopAt,
    out: flags.string('out'),
    metrics: flags.string('metrics'),
    checkpoint,
    checkpointEvery,
    json: flags.boolean('json'),
    memoryBudgetBytes:
      (flags.number('memory-budget') ?? DEFAULT_MEMORY_BUDGET_BYTES / 2 ** 20) * 2 ** 20,
    rollback: flags.boolean('rollback'),
    submitBoundMs,
    parameterBlockBytes: mebibytes(flags.number('parameter-block')),
  };
  const parameters = parameterLayout(architectureOf(options).widths).count;
  // A safetensors model is raw float32 bytes, beyond the reach of the JSON string limit.
  if (plan.out !== undefined && !isSafetensorsName(plan.out)) {
    checkJsonSize('out', plan.out, parameters);
  }
  checkJsonSize(
    'checkpoint',
    plan.checkpoint,
    options.optimizer === 'adam' ? 3 * parameters : parameters,
  );
  checkWritable('out', plan.out);
  checkWritable('metrics', plan.metrics);
  checkWritable('checkpoint', plan.checkpoint);
  return plan;
}
