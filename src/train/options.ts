/**
 * Everything that defines a training run, with the STDE paper's setup as the defaults (DESIGN.md
 * §4: 3 hidden layers of 128 tanh units, Adam 1e-3 decayed linearly to 0, 10 000 steps, 100
 * residual points, B = 16 sparse jets), and one validation that every entry point (CLI, URL state,
 * checkpoints) goes through before anything is allocated.
 */
import { ACTIVATIONS, type Activation } from '../jet/activations.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import { POINT_STORAGES, type PointStorage } from '../engine/pointSource.ts';
import { TANGENT_STORAGES, type TangentStorage } from '../engine/tangentSource.ts';
import {
  type BallPdeEntry,
  findPde,
  type HighOrderPdeEntry,
  inputWidth,
  PDES,
  type PdeEntry,
} from '../pdes/index.ts';
import { PARABOLIC_LOSS_WEIGHTS } from '../pdes/losses.ts';
import { describeValue } from '../validation/schema.ts';

export type Estimator = 'sparse' | 'rademacher' | 'gaussian' | 'exact';
export const ESTIMATORS: readonly Estimator[] = ['sparse', 'rademacher', 'gaussian', 'exact'];
export type Schedule = 'constant' | 'linear' | 'exponential' | 'cosine';
export const SCHEDULES: readonly Schedule[] = ['constant', 'linear', 'exponential', 'cosine'];
export type OptimizerName = 'adam' | 'sgd';
export type LossForm = 'biased' | 'unbiased';
export type BallSampler = 'radius-uniform' | 'volume-uniform';
/**
 * How a step gets its gradient (DESIGN.md §6): reverse mode through the stored jets, two-point
 * zeroth-order estimates along full or low-rank random directions, or the forward gradient.
 */
export type GradientEstimator = 'backprop' | 'spsa' | 'spsa-subspace' | 'forward-gradient';
export const GRADIENT_ESTIMATORS: readonly GradientEstimator[] = [
  'backprop',
  'spsa',
  'spsa-subspace',
  'forward-gradient',
];

export interface TrainingOptions {
  /** PDE id from src/pdes (PDES). */
  pde: string;
  /** Spatial dimension d. */
  dimension: number;
  estimator: Estimator;
  /** Jets per point B (ignored by the exact estimator, which uses all d). */
  jetsPerPoint: number;
  /** Propagate one summed top-order row instead of one per jet (DESIGN.md §2). */
  collapsed: boolean;
  /** Residual (collocation) points per step. */
  points: number;
  width: number;
  /** Hidden layers. */
  depth: number;
  activation: Activation;
  /**
   * Multiplies the first layer's initial weights (1: PyTorch's fan-in init). Points in the unit ball
   * have coordinates of size about 1/√d, so the fan-in init starts a tanh network with first-layer
   * pre-activations near 0.2, where it is almost linear and slow to learn products of coordinates;
   * a gain near √(d + 2) (the inverse RMS coordinate of volume-uniform points) gives them unit
   * size. Measured on three-body Poisson, d = 10, 3 × 32, 1000 steps: relative L2 0.14 → 4.8e-2.
   * Not a universal win: on the STDE setup (two-body Allen–Cahn, d = 100, 3 × 128, B = 16), gain 17
   * (√(3d), radius-uniform points) gave 2.6e-2 after 1000 steps where gain 1 gave 1.5e-2.
   */
  firstLayerGain: number;
  optimizer: OptimizerName;
  learningRate: number;
  schedule: Schedule;
  /** Final learning rate as a fraction of the first (exponential schedule). */
  finalLearningRateFraction: number;
  /**
   * Steps over which the rate rises linearly from η/W to the schedule's (0: none), a slower start
   * for Adam's first, largest steps. Measured on the dashboard's landing run (two-body
   * Allen–Cahn, d = 6, exact, lr 5 × 10⁻³ linear over 3000 steps): W = 500 lifts the error range
   * over steps 200–240 from 3.3–5.8 × 10⁻² to 7.3–9.3 × 10⁻² and leaves it at steps 1960–2040
   * where it was (docs/landing-sweep.md, fifth sweep).
   */
  warmupSteps: number;
  steps: number;
  /** Seeds the weights, the collocation points, the random jets and the PDE's coefficients. */
  seed: number;
  loss: LossForm;
  sampler: BallSampler;
  /**
   * Ball problems: whether the collocation points of a step are stored (N·d floats) or redrawn
   * from their counters by each kernel that reads them (src/engine/pointSource.ts), which needs
   * no N·d buffer (4 GB at d = 10^7 and 100 points) and costs a redraw per read. The points,
   * and so the run, are the same bits either way.
   */
  pointStorage: PointStorage;
  /**
   * Ball problems with dense jets (estimator 'rademacher' or 'gaussian'): whether the input
   * tangents of a step are stored (N·R·K·d floats: 1.19 GiB for dense Hutchinson at d = 10^5,
   * 100 points, 16 jets) or redrawn from their counters by each kernel that reads them
   * (src/engine/tangentSource.ts), at a redraw per read. The tangents, and so the run, are the
   * same bits either way.
   */
  tangentStorage: TangentStorage;
  /** Read loss, gradient norm and divergence flags back every this many steps. */
  logEvery: number;
  /** Evaluate on the test set every this many steps (0: only at the end). */
  evalEvery: number;
  /** Test-set points (STDE: 20 000). */
  testPoints: number;
  /** Where each step's gradient comes from; everything but 'backprop' needs no backward pass. */
  gradientEstimator: GradientEstimator;
  /** spsa modes: ε of the two-point estimate (L(θ + εz) − L(θ − εz))/(2ε)·z. */
  perturbationScale: number;
  /** spsa modes: random directions z averaged per step (2 forward passes each). */
  perturbationDirections: number;
  /** spsa-subspace: rank r of each layer's perturbation U·Z·Vᵀ. */
  subspaceRank: number;
  /** spsa-subspace: steps T₀ between redraws of the subspace factors U, V. */
  subspacePeriod: number;
  /** Parabolic problems: weight λ of the terminal loss against the residual (DESIGN.md §4: 20). */
  terminalWeight: number;
  /** Parabolic problems: weight γ of the terminal gradient term inside the terminal loss (0.05). */
  terminalGradientWeight: number;
  /**
   * Weight c of the gradient-enhanced (gPINN) terms; 0 turns them off. Two-body ball problems:
   * loss + c·mean (∂_j r)² along one sampled coordinate j per point (src/train/gpinnResidual.ts;
   * STDE uses c = 0.1), default 0. 1-D g-KdV: c·(mean r_x² + mean r_t²), default 1.
   */
  gpinnWeight: number;
}

export const defaultTrainingOptions: TrainingOptions = {
  pde: 'allen-cahn-two-body',
  dimension: 100,
  estimator: 'sparse',
  jetsPerPoint: 16,
  collapsed: true,
  points: 100,
  width: 128,
  depth: 3,
  activation: 'tanh',
  firstLayerGain: 1,
  optimizer: 'adam',
  learningRate: 1e-3,
  schedule: 'linear',
  finalLearningRateFraction: 1e-2,
  warmupSteps: 0,
  steps: 10_000,
  seed: 0,
  loss: 'biased',
  sampler: 'radius-uniform',
  pointStorage: 'stored',
  tangentStorage: 'stored',
  logEvery: 10,
  evalEvery: 1000,
  testPoints: 20_000,
  gradientEstimator: 'backprop',
  perturbationScale: 1e-3,
  perturbationDirections: 1,
  subspaceRank: 4,
  subspacePeriod: 100,
  terminalWeight: PARABOLIC_LOSS_WEIGHTS.terminal,
  terminalGradientWeight: PARABOLIC_LOSS_WEIGHTS.terminalGradient,
  gpinnWeight: 0,
};

/** The largest spatial dimension d the options take. */
export const MAX_DIMENSION = 10_000_000;

export class TrainingOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingOptionsError';
  }
}

type Check = (value: unknown) => string | null;

const integer =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? null
      : `must be an integer in ${min}..${max}`;
const positiveNumber =
  (max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= max
      ? null
      : `must be a finite number in (0, ${max}]`;
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? null : `must be one of ${values.join(', ')}`;
const nonNegativeNumber =
  (max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= max
      ? null
      : `must be a finite number in [0, ${max}]`;
const boolean: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');

const checks: Record<keyof TrainingOptions, Check> = {
  pde: oneOf(PDES.map((p) => p.id)),
  dimension: integer(1, MAX_DIMENSION),
  estimator: oneOf(ESTIMATORS),
  jetsPerPoint: integer(1, 100_000),
  collapsed: boolean,
  points: integer(1, 1_000_000),
  width: integer(1, 4096),
  depth: integer(1, 32),
  activation: oneOf(ACTIVATIONS),
  firstLayerGain: positiveNumber(1000),
  optimizer: oneOf(['adam', 'sgd']),
  learningRate: positiveNumber(10),
  schedule: oneOf(SCHEDULES),
  finalLearningRateFraction: positiveNumber(1),
  warmupSteps: integer(0, 100_000_000),
  steps: integer(1, 100_000_000),
  seed: integer(0, 2 ** 32 - 1),
  loss: oneOf(['biased', 'unbiased']),
  sampler: oneOf(['radius-uniform', 'volume-uniform']),
  pointStorage: oneOf(POINT_STORAGES),
  tangentStorage: oneOf(TANGENT_STORAGES),
  logEvery: integer(1, 1_000_000),
  evalEvery: integer(0, 100_000_000),
  testPoints: integer(1, 10_000_000),
  gradientEstimator: oneOf(GRADIENT_ESTIMATORS),
  perturbationScale: positiveNumber(1),
  perturbationDirections: integer(1, 1024),
  subspaceRank: integer(1, 64),
  subspacePeriod: integer(1, 100_000_000),
  terminalWeight: nonNegativeNumber(1e6),
  terminalGradientWeight: nonNegativeNumber(1e6),
  gpinnWeight: nonNegativeNumber(1e6),
};

/**
 * Defaults overlaid with `partial`, every field checked (types, ranges, the combination), unknown
 * fields refused. Errors name the field and the accepted values.
 */
export function resolveTrainingOptions(partial: Record<string, unknown> = {}): TrainingOptions {
  for (const key of Object.keys(partial)) {
    if (!Object.prototype.hasOwnProperty.call(checks, key)) {
      throw new TrainingOptionsError(
        `unknown option ${describeValue(key)} (known: ${Object.keys(checks).join(', ')})`,
      );
    }
  }
  const merged: Record<string, unknown> = { ...defaultTrainingOptions };
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) merged[key] = value;
  }
  for (const [key, check] of Object.entries(checks)) {
    const problem = check(merged[key]);
    if (problem) {
      throw new TrainingOptionsError(`${key} ${problem}, got ${describeValue(merged[key])}`);
    }
  }
  const pde = findPde(merged.pde as string);
  const options =
    pde.domain === 'box'
      ? boxOptions(pde, partial, merged as unknown as TrainingOptions)
      : (merged as unknown as TrainingOptions);
  if (options.dimension < pde.minDimension) {
    throw new TrainingOptionsError(
      `${pde.id} needs dimension ≥ ${pde.minDimension}, got ${options.dimension}`,
    );
  }
  if (options.estimator === 'sparse' && options.jetsPerPoint > options.dimension) {
    throw new TrainingOptionsError(
      `sparse STDE samples jetsPerPoint = ${options.jetsPerPoint} of d = ${options.dimension} ` +
        'coordinates without replacement: jetsPerPoint must be ≤ dimension',
    );
  }
  // A warm-up as long as the run never reaches the schedule's rate: the run would train at a
  // fraction of it throughout (a 400-step 2-D KdV link under the page's 500-step warm-up: relative
  // L2 0.17 at step 400 where no warm-up gives 1.8e-2).
  if (options.warmupSteps > 0 && options.warmupSteps >= options.steps) {
    throw new TrainingOptionsError(
      `warmupSteps = ${options.warmupSteps} would outlast the run of steps = ${options.steps}: ` +
        'warmupSteps must be less than steps (0: no warm-up)',
    );
  }
  if (options.loss === 'unbiased' && options.collapsed) {
    throw new TrainingOptionsError(
      'the unbiased loss needs its two independent jet draws per point in separate rows, and ' +
        'collapsed = true sums the top-order rows of all jets of a point into one: use ' +
        'collapsed = false (--no-collapsed) with the unbiased loss',
    );
  }
  if (options.gradientEstimator === 'forward-gradient' && pde.domain !== 'ball') {
    throw new TrainingOptionsError(
      `gradientEstimator 'forward-gradient' runs on the ball problems; ${pde.id} is a ` +
        `${pde.domain} problem (its terminal loss has no tangent pass): use 'backprop', 'spsa' ` +
        "or 'spsa-subspace'",
    );
  }
  if (options.gradientEstimator === 'forward-gradient' && options.perturbationDirections !== 1) {
    throw new TrainingOptionsError(
      `perturbationDirections must be 1 with gradientEstimator 'forward-gradient' (one tangent ` +
        `direction per step), got ${options.perturbationDirections}`,
    );
  }
  if (pde.domain !== 'box' && options.gpinnWeight > 0) checkGpinn(pde, options);
  if (options.pointStorage === 'regenerated') checkRegeneratedPoints(pde, options);
  if (options.tangentStorage === 'regenerated') checkRegeneratedTangents(pde, options);
  if (pde.domain === 'ball' && pde.operator === 'diagonal') checkDiagonal(pde, options);
  return options;
}

/**
 * Regenerated points are the ball draw's, read by the jet pass (and the forward gradient's tangent
 * pass), its backward pass, the boundary factor and the exact source, with one-hot or dense jets
 * (a dense jet's boundary factor sums ⟨x, c_k⟩ over all d: a redraw per coordinate and
 * direction, the memory of N·d floats bought with arithmetic); the gPINN kernels read stored
 * points.
 */
function checkRegeneratedPoints(pde: PdeEntry, options: TrainingOptions): void {
  const refuse = (why: string) =>
    new TrainingOptionsError(`pointStorage 'regenerated': ${why}; use pointStorage 'stored'`);
  if (pde.domain !== 'ball') {
    throw refuse(
      `it redraws the ball's collocation points, and ${pde.id} is a ${pde.domain} problem`,
    );
  }
  if (options.gpinnWeight > 0) throw refuse('the gPINN source gradient reads stored points');
}

/**
 * Regenerated tangents are the dense random draw's (estimator 'rademacher' or 'gaussian'),
 * redrawn by the ball step's forward, tangent and backward passes and its boundary factor; one-hot
 * jets store N·R·K words, not N·R·K·d, and the parabolic problems' draw is stored.
 */
function checkRegeneratedTangents(pde: PdeEntry, options: TrainingOptions): void {
  const refuse = (why: string) =>
    new TrainingOptionsError(`tangentStorage 'regenerated': ${why}; use tangentStorage 'stored'`);
  if (pde.domain !== 'ball') {
    throw refuse(`it redraws the ball step's dense jets, and ${pde.id} is a ${pde.domain} problem`);
  }
  if (options.estimator !== 'rademacher' && options.estimator !== 'gaussian') {
    throw refuse(
      `it redraws dense random jets (estimator 'rademacher' or 'gaussian'), not ` +
        `'${options.estimator}' ones`,
    );
  }
}

/**
 * Σ_i ∂_i^k u has sparse k-jets only (no dense estimator exists for k ≥ 3, diagonal.ts; B = d is
 * exact), drawn once per point, so the unbiased loss's second draw is not built for it.
 */
function checkDiagonal(pde: BallPdeEntry, options: TrainingOptions): void {
  if (options.estimator !== 'sparse' && options.estimator !== 'exact') {
    throw new TrainingOptionsError(
      `${pde.id}: Σ_i ∂^k u/∂x_i^k is estimated from sparse jets along sampled coordinates ` +
        `(estimator 'sparse', or 'exact' for all d of them), not '${options.estimator}'`,
    );
  }
  if (options.loss === 'unbiased') {
    throw new TrainingOptionsError(
      `${pde.id}: the unbiased loss is built for the Laplacian problems; use loss 'biased'`,
    );
  }
}

/**
 * The gPINN term needs ∂_j f in closed form (written for the two-body solution), the ∂_jΔu jets of
 * laplacianGradient.ts (sparse: sampled coordinates, B = d is exact) and reverse mode.
 */
function checkGpinn(pde: PdeEntry, options: TrainingOptions): void {
  const refuse = (why: string) =>
    new TrainingOptionsError(`gpinnWeight = ${options.gpinnWeight}: ${why}`);
  if (pde.domain !== 'ball' || pde.operator !== 'laplacian' || pde.solution.id !== 'two-body') {
    throw refuse(
      `the gPINN term is built for the two-body ball problems (${GPINN_PDES.join(', ')}), ` +
        `not ${pde.id}: set gpinnWeight = 0`,
    );
  }
  if (options.estimator !== 'sparse') {
    throw refuse(
      `its ∂_jΔu jets sample coordinates i (v₂ = 2e_i, v₃ = 6e_j), so it takes estimator ` +
        `'sparse' (jetsPerPoint = dimension is exact), not '${options.estimator}'`,
    );
  }
  if (options.gradientEstimator !== 'backprop') {
    throw refuse(
      `the gPINN term trains with gradientEstimator 'backprop', not '${options.gradientEstimator}'`,
    );
  }
}

/** STDE's weight c of the gPINN term (its Table 12), what `--gpinn` turns the term on with. */
export const GPINN_DEFAULT_WEIGHT = 0.1;

/** The problems the gPINN term is built for. */
export const GPINN_PDES: readonly string[] = PDES.filter(
  (p) => p.domain === 'ball' && p.operator === 'laplacian' && p.solution.id === 'two-body',
).map((p) => p.id);

/**
 * A box problem's options: its dimension is its number of spatial variables and its jets are one
 * fixed construction (estimator 'exact'), so both default to that and anything else is refused, as
 * as are the options of random jets (another jetsPerPoint, the unbiased loss).
 */
function boxOptions(
  pde: HighOrderPdeEntry,
  partial: Record<string, unknown>,
  merged: TrainingOptions,
): TrainingOptions {
  const spatial = pde.minDimension;
  const refuse = (why: string) => new TrainingOptionsError(`${pde.id}: ${why}`);
  if (partial.dimension !== undefined && partial.dimension !== spatial) {
    throw refuse(`the problem has ${spatial} spatial dimension(s), so dimension is ${spatial}`);
  }
  if (partial.estimator !== undefined && partial.estimator !== 'exact') {
    throw refuse(
      'its partials come from one fixed jet construction, not a random estimator: use ' +
        "estimator 'exact'",
    );
  }
  const jets = pde.problem.operator().directions;
  if (partial.jetsPerPoint !== undefined && partial.jetsPerPoint !== jets) {
    throw refuse(`the construction fixes ${jets} jets per point, so jetsPerPoint is ${jets}`);
  }
  if (merged.loss === 'unbiased') {
    throw refuse('the unbiased loss needs two independent random draws; the jets are fixed');
  }
  // The gradient-enhanced terms (g-KdV's r_x, r_t) are weighted by gpinnWeight, 1 unless given.
  const enhanced = pde.problem.residuals.some((term) => term.gradientEnhanced);
  if (!enhanced && merged.gpinnWeight > 0) {
    throw refuse(
      'it has no gradient-enhanced residual terms for gpinnWeight to weigh: set it to 0',
    );
  }
  const gpinnWeight = enhanced && partial.gpinnWeight === undefined ? 1 : merged.gpinnWeight;
  return { ...merged, dimension: spatial, estimator: 'exact', jetsPerPoint: jets, gpinnWeight };
}

export function pdeOf(options: TrainingOptions): PdeEntry {
  return findPde(options.pde);
}

/** The network the options describe: input d (+1 for time), depth hidden layers, scalar output. */
export function architectureOf(options: TrainingOptions): MlpArchitecture {
  const pde = pdeOf(options);
  return {
    widths: [
      inputWidth(pde, options.dimension),
      ...Array.from({ length: options.depth }, () => options.width),
      1,
    ],
    activation: options.activation,
    boundary: pde.boundary,
  };
}
