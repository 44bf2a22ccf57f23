/**
 * The command-line names of the TrainingOptions fields. Parsing here only checks the kind of
 * each value (and the closed lists); ranges and combinations are checked once, by
 * resolveTrainingOptions, whose errors are then re-labelled with the flag the user typed.
 */
import { ACTIVATIONS } from '../jet/activations.ts';
import { PDES } from '../pdes/index.ts';
import { BALL_SAMPLERS } from '../pdes/samplers.ts';
import { POINT_STORAGES } from '../engine/pointSource.ts';
import { TANGENT_STORAGES } from '../engine/tangentSource.ts';
import {
  defaultTrainingOptions,
  ESTIMATORS,
  GPINN_DEFAULT_WEIGHT,
  GRADIENT_ESTIMATORS,
  type LossForm,
  type OptimizerName,
  resolveTrainingOptions,
  SCHEDULES,
  type TrainingOptions,
  TrainingOptionsError,
} from '../train/options.ts';
import { type FlagSpec, type ParsedFlags, UsageError } from './args.ts';

const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'sgd'];
const LOSS_FORMS: readonly LossForm[] = ['biased', 'unbiased'];
const PDE_IDS = PDES.map((pde) => pde.id);

interface TrainingFlag {
  option: keyof TrainingOptions;
  spec: FlagSpec;
  /** The option's value from the flag's, when it is not the flag's value itself. */
  toOption?: (value: unknown) => unknown;
}

function flag(
  option: keyof TrainingOptions,
  name: string,
  description: string,
  kind: 'integer' | 'number' | 'boolean' | readonly string[],
): TrainingFlag {
  const base = { name, description };
  const value = defaultTrainingOptions[option];
  if (kind === 'boolean') {
    return { option, spec: { ...base, kind, default: value as boolean, negatable: true } };
  }
  if (kind === 'integer' || kind === 'number') {
    return { option, spec: { ...base, kind, default: value as number } };
  }
  return { option, spec: { ...base, kind: 'choice', choices: kind, default: value as string } };
}

export const TRAINING_FLAGS: readonly TrainingFlag[] = [
  flag('pde', 'pde', 'PDE to solve', PDE_IDS),
  flag('dimension', 'dim', 'spatial dimension d', 'integer'),
  flag('estimator', 'estimator', 'differential-operator estimator', ESTIMATORS),
  flag('jetsPerPoint', 'jets', 'random jets per point B (the exact estimator uses d)', 'integer'),
  flag('collapsed', 'collapsed', 'propagate one summed top-order row (collapsed jets)', 'boolean'),
  flag('points', 'points', 'residual (collocation) points per step', 'integer'),
  flag('width', 'width', 'hidden layer width', 'integer'),
  flag('depth', 'depth', 'hidden layers', 'integer'),
  flag('activation', 'activation', 'activation function', ACTIVATIONS),
  flag(
    'firstLayerGain',
    'first-layer-gain',
    "multiplier of the first layer's initial weights (about √(d+2) gives unit pre-activations)",
    'number',
  ),
  flag('optimizer', 'optimizer', 'optimizer', OPTIMIZERS),
  flag('learningRate', 'lr', 'first learning rate', 'number'),
  flag('schedule', 'schedule', 'learning-rate schedule', SCHEDULES),
  flag(
    'finalLearningRateFraction',
    'final-lr-fraction',
    'last learning rate as a fraction of the first (exponential schedule)',
    'number',
  ),
  flag(
    'warmupSteps',
    'warmup',
    'first steps over which the learning rate rises to the schedule (0: none; fewer than --steps)',
    'integer',
  ),
  flag('steps', 'steps', 'training steps of the whole run (the schedule spans them)', 'integer'),
  flag('seed', 'seed', 'seed of weights, points, jets and the PDE coefficients', 'integer'),
  flag(
    'loss',
    'loss',
    'residual loss: mean r², or the unbiased mean r₁·r₂ of two independent jet draws (needs --no-collapsed)',
    LOSS_FORMS,
  ),
  flag('sampler', 'sampler', 'collocation and test point sampler in the ball', BALL_SAMPLERS),
  flag(
    'pointStorage',
    'point-storage',
    'ball problems: store the N·d collocation coordinates, or redraw them where they are read (no N·d buffer; not with the gPINN)',
    POINT_STORAGES,
  ),
  flag(
    'tangentStorage',
    'tangent-storage',
    'ball problems with dense jets (rademacher, gaussian): store the N·R·K·d input tangents, or redraw them where they are read (no such buffer)',
    TANGENT_STORAGES,
  ),
  flag(
    'logEvery',
    'log-every',
    'read loss and gradient norm back every this many steps',
    'integer',
  ),
  flag(
    'evalEvery',
    'eval-every',
    'evaluate on the test set every this many steps (0: at the end)',
    'integer',
  ),
  flag('testPoints', 'test-points', 'test-set points', 'integer'),
  flag(
    'gradientEstimator',
    'gradient-estimator',
    'gradient of a step: backprop, two-point zeroth-order (spsa, spsa-subspace) or forward gradient',
    GRADIENT_ESTIMATORS,
  ),
  flag(
    'perturbationScale',
    'perturbation-scale',
    'spsa modes: perturbation size ε of the two-point estimate',
    'number',
  ),
  flag(
    'perturbationDirections',
    'perturbation-directions',
    'spsa modes: random directions averaged per step (two forward passes each)',
    'integer',
  ),
  flag(
    'subspaceRank',
    'subspace-rank',
    'spsa-subspace: rank r of each layer perturbation',
    'integer',
  ),
  flag(
    'subspacePeriod',
    'subspace-period',
    'spsa-subspace: steps T₀ between redraws of the subspace',
    'integer',
  ),
  flag(
    'terminalWeight',
    'terminal-weight',
    'parabolic problems: weight λ of the terminal loss against the residual',
    'number',
  ),
  flag(
    'terminalGradientWeight',
    'terminal-gradient-weight',
    'parabolic problems: weight γ of mean‖∇u − ∇g‖² inside the terminal loss',
    'number',
  ),
  flag(
    'gpinnWeight',
    'gpinn-weight',
    'gradient-enhanced terms: two-body ball c·mean(∂_j r)² (default 0), g-KdV c·(r_x² + r_t²) (default 1); 0 is off',
    'number',
  ),
  {
    option: 'gpinnWeight',
    spec: {
      name: 'gpinn',
      description: `two-body ball: add the gPINN term at STDE's c = ${GPINN_DEFAULT_WEIGHT} (--gpinn-weight sets another c)`,
      kind: 'boolean',
      default: false,
      negatable: false,
    },
    toOption: (on) => (on === true ? GPINN_DEFAULT_WEIGHT : 0),
  },
];

function flagOf(option: string): string | undefined {
  return TRAINING_FLAGS.find((f) => f.option === option)?.spec.name;
}

/** The training flags given on the command line, as a partial TrainingOptions. */
function givenTrainingOptions(flags: ParsedFlags): Record<string, unknown> {
  const partial: Record<string, unknown> = {};
  const setBy = new Map<string, string>();
  for (const { option, spec, toOption } of TRAINING_FLAGS) {
    if (!flags.has(spec.name)) continue;
    const other = setBy.get(option);
    if (other !== undefined) {
      throw new UsageError(
        `--${other} and --${spec.name} both set ${option}: give one`,
        `--${spec.name}`,
      );
    }
    setBy.set(option, spec.name);
    const value = flags.value(spec.name);
    partial[option] = toOption ? toOption(value) : value;
  }
  return partial;
}

/** Validated options from the given flags; a bad value or combination is a UsageError. */
export function trainingOptionsFromFlags(flags: ParsedFlags): TrainingOptions {
  return withFlagErrors(() => resolveTrainingOptions(givenTrainingOptions(flags)));
}

/** Runs an option validation, re-labelling its TrainingOptionsError as a UsageError. */
export function withFlagErrors(resolve: () => TrainingOptions): TrainingOptions {
  try {
    return resolve();
  } catch (error) {
    if (!(error instanceof TrainingOptionsError)) throw error;
    // resolveTrainingOptions starts per-field messages with the field name; show the flag too.
    const field = /^(\w+) /.exec(error.message)?.[1];
    const name = field === undefined ? undefined : flagOf(field);
    if (name) throw new UsageError(`--${name}: ${error.message}`, `--${name}`);
    // A combination (jetsPerPoint ≤ dimension, …): name the flags of the options it mentions.
    const involved = TRAINING_FLAGS.filter(({ option }) =>
      new RegExp(`\\b${option}\\b`).test(error.message),
    ).map(({ spec }) => `--${spec.name}`);
    if (involved.length === 0) throw new UsageError(error.message);
    const flagList = involved.join(', ');
    throw new UsageError(`${error.message} (flags: ${flagList})`, flagList);
  }
}
