/**
 * The GPU work of one training step of a ball problem (Poisson, Allen–Cahn, sine-Gordon,
 * biharmonic), bound once: collocation points (GPU sampler) → random jets (GPU generator) →
 * source f at the points → forward jets → residual, loss terms and ∂L/∂u (or the gPINN loss,
 * ballGpinnLoss.ts) → loss reduction → backward → gradient. Nothing is uploaded per step but the 4-byte step counter.
 * `planBallGraph` lays the step out from the options alone (sizes, uniforms and every buffer);
 * `BallProblemGraph.create` compiles, allocates and binds what it says.
 */
import { BackwardJet, planBackwardJet } from '../engine/backwardJet.ts';
import { backwardJetCost } from '../engine/backwardJetCost.ts';
import { ForwardGradientJet } from '../engine/forwardGradientJet.ts';
import {
  type ExternalJetInputs,
  ForwardJet,
  type ForwardJetConfig,
  planForwardJet,
  type TangentKind,
} from '../engine/forwardJet.ts';
import { forwardJetCost } from '../engine/forwardJetCost.ts';
import { type JetShape, parameterLayout, rowsPerPoint } from '../engine/jetLayout.ts';
import {
  type BlockedTensor,
  type ParameterBlocks,
  singleBlock,
} from '../engine/parameterBlocks.ts';
import { type KernelCost, sumCosts, wordCost } from '../engine/kernelCost.ts';
import {
  GpuReducer,
  planReducer,
  reducerCost,
  reductionResultBytes,
} from '../engine/reductions.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import { biharmonicOperator } from '../operators/biharmonic.ts';
import { diagonalOperator } from '../operators/diagonal.ts';
import { directionRangeWeights, quantityRowWeights } from '../operators/combine.ts';
import { DirectionStream } from './parameterDirections.ts';
import { laplacianOperator } from '../operators/laplacian.ts';
import { laplacianGradientOperator } from '../operators/laplacianGradient.ts';
import type { JetOperator } from '../operators/operator.ts';
import type { BallPdeEntry } from '../pdes/index.ts';
import { RandomStream } from '../random/counterRandom.ts';
import {
  BALL_BLOCK,
  GpuPointSamplers,
  planBallDraw,
  type PointDraw,
  pointDrawCost,
  type PointDrawPlan,
} from '../random/gpuPointSamplers.ts';
import {
  GpuRandomJets,
  planRandomJets,
  regeneratedTangentDraw,
  type RandomJetDraw,
  randomJetsCost,
  type RandomJetsPlan,
} from '../random/gpuRandomJets.ts';
import type { GpuStepCounter } from '../random/stepCounter.ts';
import {
  type DenseTangentDraw,
  storedTangents,
  type TangentSource,
} from '../engine/tangentSource.ts';
import { type TrainingOptions, TrainingOptionsError } from './options.ts';
import {
  BallExactAtPoints,
  exactAtPointsCost,
  type ExactAtPointsPlan,
  planExactAtPoints,
} from './ballExactAtPoints.ts';
import type { StepEncoder } from './boundedSubmits.ts';
import { CotangentDot, type CotangentDotPlan, planCotangentDot } from './cotangentDot.ts';
import {
  backwardJetBuffers,
  type EngineLimits,
  forwardGradientJetBuffers,
  forwardJetBuffers,
  reducerBuffers,
} from './enginePlans.ts';
import {
  fixedJetBuffers,
  type OperatorSizing,
  requireSizing,
  shapeOf,
  sizingOf,
  structureOf,
  tangentKindOf,
} from './operatorSizing.ts';
import {
  type DirectionalDerivativeGraph,
  type GraphMode,
  graphModeOf,
  type ProblemGraph,
} from './problemGraph.ts';
import type { ExactSums } from '../pdes/gpuExact.ts';
import { BallGpinnLoss, type BallGpinnPlan, planBallGpinn } from './ballGpinnLoss.ts';
import { uploadFixedJets } from './fixedJetUpload.ts';
import { type GpinnRowWeights, gpinnRowWeights } from './gpinnResidual.ts';
import { planResidualLoss, ResidualLoss, type ResidualLossPlan } from './residualLoss.ts';

/** What ballOperator reads; without gpinnWeight the gPINN term is off. */
type OperatorOptions = Pick<TrainingOptions, 'dimension' | 'estimator'> &
  Partial<Pick<TrainingOptions, 'gpinnWeight'>>;

/**
 * The operator of a ball problem for the chosen estimator; `samples` jets per point, or `draws`
 * independent draws of `samples` jets each (the unbiased loss; random estimators only: sparse
 * ones draw separate uniform subsets, see laplacian.ts). With the gPINN term on, the ∂_jΔu 7-jets
 * (laplacianGradient.ts), which give u, u_j and Δu too.
 */
export function ballOperator(
  pde: BallPdeEntry,
  options: OperatorOptions,
  samples: number,
  draws = 1,
): JetOperator {
  const d = options.dimension;
  if ((options.gpinnWeight ?? 0) > 0) {
    return laplacianGradientOperator({ dimension: d, samples, draws });
  }
  if (pde.operator === 'laplacian') {
    return laplacianOperator({ dimension: d, method: options.estimator, samples, draws });
  }
  if (pde.operator === 'diagonal') return diagonalBallOperator(pde, options, samples, draws);
  if (options.estimator === 'exact') return biharmonicOperator({ dimension: d, method: 'exact' });
  if (options.estimator === 'gaussian') {
    // Dense Gaussian jets are all independent: D draws of B are D·B jets.
    return biharmonicOperator({ dimension: d, method: 'gaussian', samples: draws * samples });
  }
  throw new TrainingOptionsError(
    `the biharmonic operator has a Gaussian estimator and an exact one, not '${options.estimator}'`,
  );
}

/**
 * Σ_i ∂_i^k u by sparse k-jets (e_i, 0, …, 0): B coordinates without replacement, or all d for
 * 'exact'. No dense estimator exists for k ≥ 3 (diagonal.ts), and its jets come in one draw.
 */
function diagonalBallOperator(
  pde: BallPdeEntry,
  options: OperatorOptions,
  samples: number,
  draws: number,
): JetOperator {
  const { dimension, estimator } = options;
  const k = pde.solution.derivativeOrder;
  if (estimator !== 'sparse' && estimator !== 'exact') {
    throw new TrainingOptionsError(
      `the order-${k} diagonal operator has a sparse estimator and an exact one, not '${estimator}'`,
    );
  }
  if (draws !== 1) {
    throw new TrainingOptionsError(
      `the order-${k} diagonal operator takes one draw of jets per point (the biased loss), not ${draws}`,
    );
  }
  return diagonalOperator({
    dimension,
    derivativeOrder: k,
    samples: estimator === 'exact' ? dimension : samples,
  });
}

/**
 * The sizing of ballOperator (operatorSizing.ts) without building it where that is costly: the
 * exact biharmonic's d² polarization jets (d one-hot, then d(d − 1) of two components each).
 */
export function ballOperatorSizing(
  pde: BallPdeEntry,
  options: OperatorOptions,
  samples: number,
  draws = 1,
): OperatorSizing {
  const d = options.dimension;
  if (pde.operator === 'biharmonic' && options.estimator === 'exact') {
    return {
      directions: d * d,
      order: 4,
      collapsible: false,
      draw: { kind: 'fixed', tangentKind: d > 1 ? 'dense' : 'oneHot' },
    };
  }
  return sizingOf(ballOperator(pde, options, samples, draws));
}

/**
 * The tangent inputs of a ball step: drawn on the GPU every step, redrawn where they are read
 * (dense draws with tangentStorage 'regenerated': no buffer, no draw dispatch), or fixed and
 * uploaded once.
 */
export type BallJetsPlan =
  | { readonly kind: 'random'; readonly plan: RandomJetsPlan }
  | { readonly kind: 'regenerated'; readonly draw: DenseTangentDraw }
  | {
      readonly kind: 'fixed';
      readonly named:
        { values: PlannedBuffer } | { coefficient: PlannedBuffer; index: PlannedBuffer };
    };

/**
 * The loss stage: the residual loss with its N-float residual r, or the gPINN loss with its
 * source ∂_j f. The gPINN kernel writes the loss terms and ∂L/∂u without storing r, so only the
 * residual variant plans (and its build allocates) that buffer. `buffers` is what the stage
 * allocates beyond the graph's named buffers, in build order.
 */
export type BallLossPlan =
  | {
      readonly kind: 'residual';
      readonly plan: ResidualLossPlan;
      readonly residual: PlannedBuffer;
      readonly buffers: readonly PlannedBuffer[];
    }
  | {
      readonly kind: 'gpinn';
      readonly plan: BallGpinnPlan;
      readonly buffers: readonly PlannedBuffer[];
    };

/**
 * What each stage of a ball step computes and moves (kernelCost.ts), where the step may be split
 * into bounded submits (boundedSubmits.ts): the collocation draw (points and jets), the exact
 * source at the points, the forward pass, the loss, the backward pass (backprop only).
 */
export interface BallStageCosts {
  readonly draw: KernelCost;
  readonly source: KernelCost;
  readonly forward: KernelCost;
  readonly loss: KernelCost;
  readonly backward: KernelCost | null;
}

/** One ball step, from the options alone. */
export interface BallGraphPlan {
  readonly mode: GraphMode;
  /** N collocation points, dimension d, B jets per estimate. */
  readonly points: number;
  readonly dimension: number;
  readonly jetsPerPoint: number;
  /** The unbiased loss with random jets: two independent draws of B jets, [0, B) for r₁ and
   * [B, 2B) for r₂ (sparse: two independent uniform B-subsets). */
  readonly split: boolean;
  /** Whether the residual gets a second weight vector (the unbiased loss). */
  readonly unbiased: boolean;
  readonly estimateSizing: OperatorSizing;
  readonly drawSizing: OperatorSizing;
  readonly shape: JetShape;
  /** Rows per point V. */
  readonly rows: number;
  readonly tangentKind: TangentKind;
  readonly pointDraw: PointDrawPlan;
  readonly jets: BallJetsPlan;
  /** The forward pass: plain jets (layers stored for backprop, reused otherwise) or with a tangent. */
  readonly forward: { readonly kind: 'jet' | 'tangent'; readonly config: ForwardJetConfig };
  readonly exact: ExactAtPointsPlan;
  readonly named: {
    readonly lossTerms: PlannedBuffer;
    readonly cotangent: PlannedBuffer;
    readonly lossStats: PlannedBuffer;
  };
  readonly loss: BallLossPlan;
  readonly backward: boolean;
  /** ∇L·v of the forward gradient (mode 'forward-gradient'). */
  readonly dot: CotangentDotPlan | null;
  /** Every buffer the build allocates through GpuMemory, the engine's included. */
  readonly buffers: readonly PlannedBuffer[];
  /** What the graph's reducer adds when the first step records the loss reduction. */
  readonly firstStep: readonly PlannedBuffer[];
  readonly stageCosts: BallStageCosts;
}

type BallPlanOptions = Pick<
  TrainingOptions,
  | 'points'
  | 'dimension'
  | 'loss'
  | 'estimator'
  | 'jetsPerPoint'
  | 'collapsed'
  | 'seed'
  | 'sampler'
  | 'pointStorage'
  | 'tangentStorage'
  | 'gradientEstimator'
  | 'gpinnWeight'
>;

/** The jets of the step: their sizing, shape and how they reach the forward pass. */
function planBallJets(pde: BallPdeEntry, options: BallPlanOptions) {
  const N = options.points;
  const B = options.jetsPerPoint;
  // The unbiased loss needs two independent estimates per point. Random estimators make two
  // independent draws of B jets, jets [0, B) for r₁ and [B, 2B) for r₂ (sparse: two separate
  // uniform B-subsets, so B ≤ d suffices); the exact operator has no randomness, so both "draws"
  // are its d jets and the unbiased loss equals the biased one.
  const split = options.loss === 'unbiased' && options.estimator !== 'exact';
  const estimateSizing = ballOperatorSizing(pde, options, B);
  const drawSizing = split ? ballOperatorSizing(pde, options, B, 2) : estimateSizing;
  const shape = shapeOf(drawSizing, N, structureOf(drawSizing, options.collapsed));
  const tangentKind = tangentKindOf(drawSizing);
  const key = { seed: options.seed, stream: RandomStream.jets };
  const draw = drawSizing.draw;
  const jets: BallJetsPlan =
    draw.kind === 'random'
      ? options.tangentStorage === 'regenerated'
        ? { kind: 'regenerated', draw: regeneratedTangentDraw(draw.spec, N, key) }
        : { kind: 'random', plan: planRandomJets(draw.spec, N, key) }
      : {
          // A fixed construction (the exact biharmonic): the same jets at every point and step.
          kind: 'fixed',
          named: fixedJetBuffers(shape, options.dimension, tangentKind, {
            values: 'fixed jets',
            coefficient: 'fixed jet coefficients',
            index: 'fixed jet indices',
          }),
        };
  return { split, estimateSizing, drawSizing, shape, tangentKind, jets };
}

/** The loss stage of N points of V rows: the gPINN loss when its weight is on, else the residual. */
function planBallLoss(
  pde: BallPdeEntry,
  options: BallPlanOptions,
  jets: Pick<ReturnType<typeof planBallJets>, 'drawSizing' | 'split'>,
  N: number,
  V: number,
): BallLossPlan {
  if (options.gpinnWeight > 0) {
    const plan = planBallGpinn(
      pde,
      N,
      V,
      jets.drawSizing.directions,
      jets.split ? 2 : 1,
      options.gpinnWeight,
    );
    return { kind: 'gpinn', plan, buffers: plan.buffers };
  }
  const unbiased = options.loss === 'unbiased';
  const plan = planResidualLoss({ nonlinearity: pde.nonlinearity.id }, N, V, unbiased);
  const residual = storageBuffer('residual r', N * 4);
  return { kind: 'residual', plan, residual, buffers: [residual, ...plan.buffers] };
}

/** Where the passes read the step's dense tangents: regenerated ones from the draw's counters. */
function tangentSourceOf(jets: BallJetsPlan): TangentSource {
  return jets.kind === 'regenerated' ? { storage: 'regenerated', draw: jets.draw } : storedTangents;
}

/** What the step's jets allocate: the draw's buffers, the fixed jets', or nothing (regenerated). */
function ballJetBuffers(jets: BallJetsPlan): readonly PlannedBuffer[] {
  if (jets.kind === 'random') return jets.plan.buffers;
  return jets.kind === 'fixed' ? Object.values(jets.named) : [];
}

/** The stages' costs of a planned step (BallStageCosts), from the plans of its kernels. */
function planBallStageCosts(
  pde: BallPdeEntry,
  plan: Pick<
    BallGraphPlan,
    'points' | 'dimension' | 'rows' | 'pointDraw' | 'jets' | 'forward' | 'shape' | 'tangentKind'
  >,
  backward: boolean,
  limits: EngineLimits,
): BallStageCosts {
  const { points: N, rows: V, forward } = plan;
  const plain = forwardJetCost(planForwardJet(forward.config, limits, { externalInputs: true }));
  return {
    draw: sumCosts([
      pointDrawCost(plan.pointDraw),
      ...(plan.jets.kind === 'random' ? [randomJetsCost(plan.jets.plan)] : []),
    ]),
    source: exactAtPointsCost(pde.solution.id, plan.dimension, N, plan.pointDraw.source.storage),
    // The tangent pass has no cost plan of its own: per layer it forms z = W·s and
    // ż = W·ṡ + Ẇ·s, three of the plain jet's products on twice its words.
    forward:
      forward.kind === 'tangent'
        ? {
            flops: 3 * plain.flops,
            bytesRead: 2 * plain.bytesRead,
            bytesWritten: 2 * plain.bytesWritten,
          }
        : plain,
    // The loss kernels have no cost plan either: per point they read V output rows, V row
    // weights and f, form the weighted sums (2 FLOPs a row) and write the loss term, r and V
    // cotangent rows; then the plan's reduction of the N loss terms.
    loss: sumCosts([
      wordCost(2 * N * V, N * (2 * V + 1), N * (V + 2)),
      reducerCost(planReducer(N, {}, limits)),
    ]),
    backward: backward
      ? backwardJetCost(
          planBackwardJet(
            {
              architecture: forward.config.architecture,
              shape: plan.shape,
              tangentKind: plan.tangentKind,
              parameterBlocks: forward.config.parameterBlocks,
              points: forward.config.points,
              tangentSource: forward.config.tangentSource,
            },
            limits,
          ),
        )
      : null,
  };
}

/**
 * The forward pass of a graph of `mode`: jets whose layers the backward pass reads, a loss pass
 * (on a trial point read inline when `inlineEstimate`: ForwardJetConfig.perturbed), or jets with
 * a parameter-tangent channel (its v drawn where read when `inlineEstimate`:
 * ForwardJetConfig.drawnTangent, the forward gradient's stream of `seed`).
 */
function ballForward(
  mode: GraphMode,
  config: ForwardJetConfig,
  inlineEstimate: boolean,
  seed: number,
): BallGraphPlan['forward'] {
  if (inlineEstimate && mode === 'backprop') {
    throw new RangeError('a backprop graph has no inline estimate: its gradient is stored');
  }
  if (mode === 'forward-gradient') {
    const drawnTangent = { seed, directionStream: DirectionStream.tangent };
    return { kind: 'tangent', config: inlineEstimate ? { ...config, drawnTangent } : config };
  }
  const layerStorage = mode === 'backprop' ? 'stored' : 'reused';
  return {
    kind: 'jet',
    config: { ...config, layerStorage, ...(inlineEstimate ? { perturbed: true } : {}) },
  };
}

/** The loss terms, dL/du and the loss statistics of N points of V rows. */
function planBallNamed(N: number, V: number): BallGraphPlan['named'] {
  return {
    lossTerms: storageBuffer('loss terms', N * 4),
    cotangent: storageBuffer('cotangent dL/du', N * V * 4),
    lossStats: storageBuffer('loss statistics', reductionResultBytes),
  };
}

/** The step of `pde` for `options`: a pure function of the options and the device's limits. */
export function planBallGraph(
  pde: BallPdeEntry,
  options: BallPlanOptions,
  architecture: MlpArchitecture,
  limits: EngineLimits,
  parameterBlocks: ParameterBlocks = singleBlock(parameterLayout(architecture.widths).count),
  inlineEstimate = false,
): BallGraphPlan {
  const N = options.points;
  const d = options.dimension;
  const jets = planBallJets(pde, options);
  const { shape, tangentKind } = jets;
  const V = rowsPerPoint(shape);
  const mode = graphModeOf(options.gradientEstimator);
  const pointDraw = planBallDraw(
    d,
    options.sampler,
    N,
    { seed: options.seed },
    BALL_BLOCK,
    options.pointStorage,
    // The boundary factor reads the draw's ‖x‖² (jetBoundary.wgsl DRAWN_NORMS).
    true,
  );
  const points = pointDraw.source;
  const config: ForwardJetConfig = {
    architecture,
    shape,
    tangentKind,
    points,
    tangentSource: tangentSourceOf(jets.jets),
    parameterBlocks,
  };
  const forward = ballForward(mode, config, inlineEstimate, options.seed);
  const exact = planExactAtPoints(pde, d, N, 'collocation');
  const named = planBallNamed(N, V);
  const unbiased = options.loss === 'unbiased';
  const loss = planBallLoss(pde, options, jets, N, V);
  const dot = mode === 'forward-gradient' ? planCotangentDot(N, V) : null;
  const stageCosts = planBallStageCosts(
    pde,
    { points: N, dimension: d, rows: V, pointDraw, jets: jets.jets, forward, shape, tangentKind },
    mode === 'backprop',
    limits,
  );
  const buffers = [
    ...pointDraw.buffers,
    ...ballJetBuffers(jets.jets),
    ...(forward.kind === 'tangent'
      ? forwardGradientJetBuffers(forward.config, limits)
      : forwardJetBuffers(forward.config, true, limits)),
    ...exact.buffers,
    ...Object.values(named),
    ...loss.buffers,
    ...(mode === 'backprop' ? backwardJetBuffers(forward.config, limits) : []),
    ...(dot?.buffers ?? []),
  ];
  return {
    mode,
    points: N,
    dimension: d,
    jetsPerPoint: options.jetsPerPoint,
    ...jets,
    unbiased,
    rows: V,
    pointDraw,
    forward,
    exact,
    named,
    loss,
    backward: mode === 'backprop',
    dot,
    buffers,
    // One reducer for the loss terms and the directional derivative terms: both N long.
    firstStep: reducerBuffers([N], limits),
    stageCosts,
  };
}

/**
 * The forward pass of the graph's mode (problemGraph.ts GraphMode): jets whose layers the backward
 * pass reads, jets for a loss alone, or jets with a parameter-tangent channel.
 */
type BallForward =
  | { kind: 'jet'; jet: ForwardJet }
  | { kind: 'tangent'; jet: ForwardGradientJet; dot: CotangentDot };

/** The row weights the loss stage reads. */
export type BallLossWeights =
  | { kind: 'residual'; weights: Float64Array; weights2: Float64Array | null }
  | { kind: 'gpinn'; weights: GpinnRowWeights };

/**
 * The operators of a planned step (checked against the plan) and the loss's row weights: with
 * the unbiased loss `weights` read r₁'s estimate from jets [0, B) and `weights2` r₂'s from
 * [B, 2B) (the same weights when the estimator is exact); the gPINN loss reads u, u_j and each
 * draw's Δu and ∂_jΔu (gpinnResidual.ts). Exported for the tests that compute the loss on the CPU.
 */
export function ballOperators(
  pde: BallPdeEntry,
  options: OperatorOptions,
  plan: BallGraphPlan,
): { draw: JetOperator; loss: BallLossWeights } {
  const B = plan.jetsPerPoint;
  const estimateOperator = ballOperator(pde, options, B);
  const drawOperator = plan.split ? ballOperator(pde, options, B, 2) : estimateOperator;
  requireSizing(drawOperator, plan.drawSizing);
  const { shape } = plan;
  if (plan.loss.kind === 'gpinn') {
    const weights = gpinnRowWeights(plan.dimension, B, plan.split ? 2 : 1, shape.structure);
    return { draw: drawOperator, loss: { kind: 'gpinn', weights } };
  }
  const terms = estimateOperator.quantities[0].terms;
  const weights = plan.split
    ? directionRangeWeights(terms, shape, 0, B)
    : quantityRowWeights(terms, shape);
  const weights2 = plan.split
    ? directionRangeWeights(terms, shape, B, B)
    : plan.unbiased
      ? weights
      : null;
  return { draw: drawOperator, loss: { kind: 'residual', weights, weights2 } };
}

/** The collocation points and the jets of a planned step (fixed jets are uploaded once). */
async function buildBallDraws(
  memory: GpuMemory,
  plan: BallGraphPlan,
  drawOperator: JetOperator,
  stepCounter: GpuStepCounter,
  owned: GPUBuffer[],
): Promise<{
  pointDraw: PointDraw;
  jetDraw: RandomJetDraw | null;
  inputs: Pick<ExternalJetInputs, 'tangents' | 'tangentIndex'>;
}> {
  const device = memory.device;
  const regenerated = plan.pointDraw.source.storage === 'regenerated';
  const samplers = await GpuPointSamplers.create(
    device,
    regenerated ? ['regeneratedBall'] : ['ball', 'ballNorms'],
  );
  const pointDraw = samplers.prepare(memory, stepCounter.buffer, plan.pointDraw);
  const jets = plan.jets;
  if (jets.kind === 'random') {
    const jetDraw = (await GpuRandomJets.create(device)).build(
      memory,
      jets.plan,
      stepCounter.buffer,
    );
    const t = jetDraw.tangents;
    const inputs =
      t.kind === 'dense'
        ? { tangents: t.values, tangentIndex: null }
        : { tangents: t.coefficient, tangentIndex: t.index };
    return { pointDraw, jetDraw, inputs };
  }
  // Redrawn by every kernel that reads them (ForwardJetConfig.tangentSource): nothing to bind.
  if (jets.kind === 'regenerated') {
    return { pointDraw, jetDraw: null, inputs: { tangents: null, tangentIndex: null } };
  }
  // A fixed construction (the exact biharmonic): the same jets at every point and step.
  const inputs = uploadFixedJets(memory, jets.named, drawOperator, plan.points, owned);
  return { pointDraw, jetDraw: null, inputs };
}

/** The planned forward pass; until the trainer binds v, a tangent channel reads θ itself. */
async function buildBallForward(
  memory: GpuMemory,
  plan: BallGraphPlan,
  params: BlockedTensor,
  inputs: ExternalJetInputs,
): Promise<{ kind: 'jet'; jet: ForwardJet } | { kind: 'tangent'; jet: ForwardGradientJet }> {
  const { kind, config } = plan.forward;
  if (kind === 'jet') return { kind, jet: await ForwardJet.create(memory, config, params, inputs) };
  return { kind, jet: await ForwardGradientJet.create(memory, config, params, params, inputs) };
}

/** The loss kernel of a step: the residual loss, or the gPINN loss with its ∂_j f. */
type BallLoss = { kind: 'residual'; loss: ResidualLoss } | { kind: 'gpinn'; loss: BallGpinnLoss };

/** What the gPINN loss reads beyond the residual loss's inputs. */
interface GpinnSources {
  pde: BallPdeEntry;
  points: GPUBuffer;
  coefficients: GPUBuffer;
  sums: ExactSums;
  jetIndex: GPUBuffer | null;
}

/** The loss-term, cotangent and loss-statistics buffers and the loss kernel (with its r). */
async function buildBallLoss(
  memory: GpuMemory,
  plan: BallGraphPlan,
  weights: BallLossWeights,
  output: GPUBuffer,
  source: GPUBuffer,
  gpinn: GpinnSources,
  owned: GPUBuffer[],
): Promise<{
  loss: BallLoss;
  lossTerms: GPUBuffer;
  cotangent: GPUBuffer;
  lossStats: GPUBuffer;
}> {
  const { named } = plan;
  const [lossTerms, cotangent, lossStats] = [named.lossTerms, named.cotangent, named.lossStats].map(
    (b) => memory.create(b.label, b.bytes),
  );
  owned.push(lossTerms, cotangent, lossStats);
  if (plan.loss.kind === 'gpinn') {
    if (weights.kind !== 'gpinn' || !gpinn.jetIndex) {
      throw new Error('a gPINN step needs the gPINN row weights and one-hot jets');
    }
    const loss = await BallGpinnLoss.build(memory, gpinn.pde, plan.loss.plan, weights.weights, {
      points: gpinn.points,
      dimension: plan.dimension,
      coefficients: gpinn.coefficients,
      sums: gpinn.sums,
      jetIndex: gpinn.jetIndex,
      output,
      source,
      lossTerms,
      cotangent,
    });
    return { loss: { kind: 'gpinn', loss }, lossTerms, cotangent, lossStats };
  }
  if (weights.kind !== 'residual') throw new Error('a residual step needs residual row weights');
  // Only the residual loss stores r (planBallLoss).
  const residualBuffer = memory.create(plan.loss.residual.label, plan.loss.residual.bytes);
  owned.push(residualBuffer);
  const residual = await ResidualLoss.build(
    memory,
    plan.loss.plan,
    weights.weights,
    weights.weights2,
    { output, source, residual: residualBuffer, lossTerms, cotangent },
  );
  return { loss: { kind: 'residual', loss: residual }, lossTerms, cotangent, lossStats };
}

export class BallProblemGraph implements ProblemGraph {
  readonly shape: JetShape;
  readonly operator: JetOperator;
  /** 32-byte reduction of the loss terms (reductionWord.mean is the loss). */
  readonly lossStats: GPUBuffer;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly pointDraw: PointDraw,
    private readonly jetDraw: RandomJetDraw | null,
    private readonly exact: BallExactAtPoints,
    private readonly forward: BallForward,
    private readonly loss: BallLoss,
    private readonly reducer: GpuReducer,
    private readonly backward: BackwardJet | null,
    private readonly costs: BallStageCosts,
    private readonly io: {
      params: BlockedTensor;
      lossTerms: GPUBuffer;
      cotangent: GPUBuffer;
      owned: GPUBuffer[];
    },
    lossStats: GPUBuffer,
    shape: JetShape,
    operator: JetOperator,
  ) {
    this.lossStats = lossStats;
    this.shape = shape;
    this.operator = operator;
  }

  static async create(
    memory: GpuMemory,
    pde: BallPdeEntry,
    options: TrainingOptions,
    architecture: MlpArchitecture,
    params: BlockedTensor,
    stepCounter: GpuStepCounter,
    inlineEstimate = false,
  ): Promise<BallProblemGraph> {
    const limits = memory.device.limits;
    const plan = planBallGraph(pde, options, architecture, limits, params.blocks, inlineEstimate);
    return BallProblemGraph.build(memory, pde, options, plan, params, stepCounter);
  }

  /** Compiles, allocates and binds a planned step. */
  static async build(
    memory: GpuMemory,
    pde: BallPdeEntry,
    options: OperatorOptions & Pick<TrainingOptions, 'seed'>,
    plan: BallGraphPlan,
    params: BlockedTensor,
    stepCounter: GpuStepCounter,
  ): Promise<BallProblemGraph> {
    const operators = ballOperators(pde, options, plan);
    const owned: GPUBuffer[] = [];
    const draws = await buildBallDraws(memory, plan, operators.draw, stepCounter, owned);
    // With regenerated points the readers bind the draw's partials and redraw x from them.
    const { readerPoints, source } = draws.pointDraw;
    const regenerated =
      source.storage === 'regenerated' ? { source, stepCounter: stepCounter.buffer } : undefined;
    // Read by the passes that draw at the step (regenerated points, the tangent pass's drawn v);
    // the others leave it unread.
    const forwardJet = await buildBallForward(memory, plan, params, {
      x: readerPoints,
      stepCounter: stepCounter.buffer,
      pointNorms: draws.pointDraw.partials,
      ...draws.inputs,
    });
    const exact = await BallExactAtPoints.create(memory, pde, plan.dimension, options.seed, {
      buffer: readerPoints,
      count: plan.points,
      label: 'collocation',
      regenerated,
    });
    const { loss, lossTerms, cotangent, lossStats } = await buildBallLoss(
      memory,
      plan,
      operators.loss,
      forwardJet.kind === 'tangent' ? forwardJet.jet.output : forwardJet.jet.buffers.output,
      exact.source,
      {
        pde,
        points: draws.pointDraw.points,
        coefficients: exact.coefficients,
        sums: exact.sums,
        jetIndex: draws.inputs.tangentIndex,
      },
      owned,
    );
    const reducer = await GpuReducer.create(memory);
    const backward = plan.backward
      ? await BackwardJet.create(
          memory,
          plan.forward.config.architecture,
          plan.shape,
          plan.tangentKind,
          // x and the tangents where the forward pass reads them, over the same blocks.
          plan.forward.config,
        )
      : null;
    const forward: BallForward =
      forwardJet.kind === 'tangent'
        ? {
            kind: 'tangent',
            jet: forwardJet.jet,
            dot: await CotangentDot.create(memory, reducer, plan.points, plan.rows, {
              cotangent,
              tangent: forwardJet.jet.outputTangent,
            }),
          }
        : forwardJet;
    return new BallProblemGraph(
      memory,
      draws.pointDraw,
      draws.jetDraw,
      exact,
      forward,
      loss,
      reducer,
      backward,
      plan.stageCosts,
      { params, lossTerms, cotangent, owned },
      lossStats,
      plan.shape,
      operators.draw,
    );
  }

  /** Records one step's loss and gradient into `steps` (the step counter is already written). */
  encodeGradient(steps: StepEncoder, params: BlockedTensor, gradient: BlockedTensor): void {
    if (!this.backward || !this.costs.backward || this.forward.kind !== 'jet') {
      throw new Error('this problem graph was built without a backward pass (GraphMode)');
    }
    this.encodeLoss(steps);
    // A stage per backward dispatch (their costs add up to costs.backward).
    this.backward.encodeStages(steps, {
      forward: this.forward.jet.buffers,
      params,
      cotangent: this.io.cotangent,
      gradient,
    });
  }

  /**
   * Records the step's draws, forward pass, residual and loss reduction (into lossStats). The
   * draws depend only on the seed and the step counter, and every reduction has a fixed order,
   * so two calls at the same step and parameters give bit-identical losses. Each stage is a
   * pass of its own, so a submit may fall between any two (BallStageCosts).
   */
  encodeLoss(steps: StepEncoder): void {
    const costs = this.costs;
    steps.beginStage(costs.draw);
    const draw = steps.encoder.beginComputePass({ label: 'collocation draw' });
    this.pointDraw.record(draw);
    this.jetDraw?.record(draw);
    draw.end();
    steps.beginStage(costs.source);
    const source = steps.encoder.beginComputePass({ label: 'exact source' });
    this.exact.record(source);
    source.end();
    // The jet pass is a stage per dispatch (their costs add up to costs.forward); the tangent
    // pass is one.
    if (this.forward.kind === 'jet') this.forward.jet.encodeStages(steps);
    else {
      steps.beginStage(costs.forward);
      this.forward.jet.encode(steps.encoder);
    }
    steps.beginStage(costs.loss);
    const loss = steps.encoder.beginComputePass({ label: 'residual and loss' });
    this.loss.loss.record(loss);
    this.reducer.encode(loss, this.io.lossTerms, this.shape.points, this.lossStats);
    loss.end();
  }

  setLossParameters(parameters: BlockedTensor): void {
    if (this.forward.kind === 'jet') this.forward.jet.setParameters(parameters);
    else throw new Error('a forward-gradient graph evaluates at θ: use setTangentParameters');
  }

  get lossPerturbation(): GPUBuffer | null {
    return this.forward.kind === 'jet' ? this.forward.jet.perturbation : null;
  }

  get directional(): DirectionalDerivativeGraph | null {
    const forward = this.forward;
    if (forward.kind !== 'tangent') return null;
    return {
      setTangentParameters: (tangent: BlockedTensor) => forward.jet.bind(this.io.params, tangent),
      encodeDirectionalDerivative: (steps: StepEncoder, result: GPUBuffer) => {
        this.encodeLoss(steps);
        // ∇L·v reads N·V words, like the loss, and joins the loss's command buffer.
        forward.dot.encode(steps.encoder, result);
      },
    };
  }

  destroy(): void {
    this.forward.jet.destroy();
    if (this.forward.kind === 'tangent') this.forward.dot.destroy();
    this.backward?.destroy();
    this.loss.loss.destroy(this.memory);
    this.reducer.destroy();
    this.exact.destroy();
    this.pointDraw.destroy();
    this.jetDraw?.destroy();
    for (const buffer of this.io.owned) this.memory.destroy(buffer);
  }
}
