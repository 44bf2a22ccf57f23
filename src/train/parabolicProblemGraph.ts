/**
 * The GPU work of one training step of a semilinear parabolic problem (semilinear heat,
 * Allen–Cahn, sine-Gordon; u_t + Δu + N(u) = 0 on R^d × [0, T], u(·, T) = g), bound once:
 *   interior: points (x, t) → random jets whose top coefficients estimate u_t + Δu → forward →
 *             residual r = (u_t + Δu) + N(u), loss terms and ∂L/∂u (pinnResidual.wgsl) → backward;
 *   terminal: points (x, T) → g, ∇g (pdeTerminal.wgsl) → the d one-hot first-order jets of x →
 *             forward → |u − g|² + 0.05‖∇u − ∇g‖² and its cotangent (parabolicTerminalLoss.wgsl)
 *             → backward into a scratch gradient, added to the interior one (elementwise.wgsl).
 * Both loss kernels write one shared buffer of n + m scaled terms whose plain mean is the total
 * loss mean r² + 20·L_T, so one deterministic reduction gives the lossStats the trainer reads.
 * Nothing is uploaded per step but the trainer's 4-byte step counter. The terminal batch carries
 * all d jets of ∇_x u (1 + d rows per point), so at large d its m·d·width activations, not the
 * interior batch's, bound the dimension. `planParabolicGraph` lays the step out from the options
 * alone (sizes, uniforms and every buffer); `ParabolicProblemGraph.create` builds what it says.
 */
import { type BlockedTensor, soleBuffer } from '../engine/parameterBlocks.ts';
import elementwiseCode from '../../shaders/elementwise.wgsl?raw';
import terminalLossCode from '../../shaders/parabolicTerminalLoss.wgsl?raw';
import { BackwardJet } from '../engine/backwardJet.ts';
import { ForwardJet, type ForwardJetConfig, type TangentKind } from '../engine/forwardJet.ts';
import { type JetShape, parameterLayout, rowsPerPoint } from '../engine/jetLayout.ts';
import { GpuReducer, reductionResultBytes } from '../engine/reductions.ts';
import { type PlannedBuffer, storageBuffer, uniformBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { composeShader } from '../gpu/composeShader.ts';
import { BindGroupCache } from '../gpu/dispatch.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { reflectStructView, type StructValue, type StructView } from '../gpu/structView.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import { directionRangeWeights, quantityRowWeights } from '../operators/combine.ts';
import { gradientOperator } from '../operators/firstOrder.ts';
import { laplacianOperator } from '../operators/laplacian.ts';
import type { JetOperator } from '../operators/operator.ts';
import { TerminalKernel, terminalParamsView, type TerminalDispatch } from '../pdes/gpuTerminal.ts';
import type { ParabolicPdeEntry } from '../pdes/index.ts';
import type { ParabolicId } from '../pdes/parabolic.ts';
import { planPointParams } from '../pdes/pointGrid.ts';
import { RandomStream } from '../random/counterRandom.ts';
import {
  GpuPointSamplers,
  planParabolicDraw,
  type PointDraw,
  type PointDrawPlan,
} from '../random/gpuPointSamplers.ts';
import {
  GpuRandomJets,
  planRandomJets,
  type RandomJetDraw,
  type RandomJetsPlan,
} from '../random/gpuRandomJets.ts';
import type { GpuStepCounter } from '../random/stepCounter.ts';
import {
  backwardJetBuffers,
  type EngineLimits,
  forwardJetBuffers,
  reducerBuffers,
} from './enginePlans.ts';
import { type TrainingOptions, TrainingOptionsError } from './options.ts';
import {
  fixedJetBuffers,
  type OperatorSizing,
  requireSizing,
  shapeOf,
  sizingOf,
  structureOf,
  tangentKindOf,
} from './operatorSizing.ts';
import type { StepEncoder } from './boundedSubmits.ts';
import { graphModeOf, type ProblemGraph } from './problemGraph.ts';
import {
  planResidualLoss,
  ResidualLoss,
  type ResidualLossPlan,
  type ResidualNonlinearity,
} from './residualLoss.ts';

const RESIDUAL_NONLINEARITY: Record<ParabolicId, ResidualNonlinearity> = {
  'semilinear-heat': 'semilinear-heat',
  'allen-cahn-parabolic': 'allen-cahn',
  'sine-gordon-parabolic': 'sine-gordon',
};
const WORKGROUP_SIZE = 64;

/**
 * u_t + Δ_x u on the (x, t) input of width d + 1, from `samples` jets per point, or `draws`
 * independent draws of `samples` jets each (the unbiased loss; see laplacian.ts).
 */
export function parabolicOperator(
  options: Pick<TrainingOptions, 'dimension' | 'estimator'>,
  samples: number,
  draws = 1,
): JetOperator {
  const d = options.dimension;
  return laplacianOperator({
    dimension: d + 1,
    method: options.estimator,
    samples,
    spatial: d,
    time: d,
    draws,
  });
}

/** ∇_x u on the (x, t) input: the d one-hot first-order jets, row 1 + i holding ∂u/∂x_i. */
export function terminalGradientOperator(dimension: number): JetOperator {
  return gradientOperator({ dimension: dimension + 1, coordinates: dimension });
}

/** One batch of the step: its jets, the forward pass over them and ∂L/∂u of its outputs. */
export interface ParabolicBatch {
  readonly operator: JetOperator;
  readonly shape: JetShape;
  readonly forward: ForwardJet;
  readonly cotangent: GPUBuffer;
}

const TERMINAL_LOSS_SOURCE = { name: 'parabolicTerminalLoss.wgsl', code: terminalLossCode };
const GRADIENT_SUM_SOURCE = { name: 'elementwise.wgsl', code: elementwiseCode };

const views = new Map<string, StructView>();
/** A kernel's `params` layout, reflected once without a device (for the plan's buffer sizes). */
function paramsViewOf(source: { name: string; code: string }): StructView {
  let view = views.get(source.name);
  if (!view) {
    view = reflectStructView(composeShader([source]), 'params');
    views.set(source.name, view);
  }
  return view;
}

/** A kernel bound once, dispatched every step (folded into the device grid). */
interface BoundDispatch {
  kernel: ComputeKernel;
  bindGroup: GPUBindGroup;
  workgroups: number;
}

/** gradient ← 1·scratch + gradient (elementwise.wgsl), bound per gradient buffer. */
interface GradientSum {
  kernel: ComputeKernel;
  bindGroups: BindGroupCache;
  params: GPUBuffer;
  /** The terminal batch's gradient. */
  scratch: GPUBuffer;
  groups: number;
}

/** The interior batch: points (x, t), random jets estimating u_t + Δu, the forward pass. */
export interface ParabolicInteriorPlan {
  readonly estimateSizing: OperatorSizing;
  readonly drawSizing: OperatorSizing;
  readonly shape: JetShape;
  readonly tangentKind: TangentKind;
  readonly points: PointDrawPlan;
  readonly jets: RandomJetsPlan;
  readonly forward: ForwardJetConfig;
}

/** The terminal batch: points (x, T), the d one-hot jets of ∇_x u (uploaded once), the forward. */
export interface ParabolicTerminalPlan {
  readonly shape: JetShape;
  readonly points: PointDrawPlan;
  readonly jets: { readonly coefficient: PlannedBuffer; readonly index: PlannedBuffer };
  readonly forward: ForwardJetConfig;
  /** pdeTerminal.wgsl's point params. */
  readonly params: PlannedBuffer;
}

/** One parabolic step, from the options alone. */
export interface ParabolicGraphPlan {
  readonly mode: 'backprop' | 'loss';
  readonly dimension: number;
  /** n interior and m terminal points; n + m loss terms. */
  readonly interiorPoints: number;
  readonly terminalPoints: number;
  readonly termCount: number;
  readonly jetsPerPoint: number;
  /** The unbiased loss with random jets: two independent draws of B jets, B for r₁ and B for r₂. */
  readonly split: boolean;
  readonly unbiased: boolean;
  readonly interior: ParabolicInteriorPlan;
  readonly terminal: ParabolicTerminalPlan;
  readonly named: {
    readonly g: PlannedBuffer;
    readonly gradG: PlannedBuffer;
    readonly lossTerms: PlannedBuffer;
    readonly lossStats: PlannedBuffer;
    readonly interiorCotangent: PlannedBuffer;
    readonly terminalCotangent: PlannedBuffer;
    readonly zeroSource: PlannedBuffer;
    readonly residualScratch: PlannedBuffer;
  };
  readonly residual: ResidualLossPlan;
  /** parabolicTerminalLoss.wgsl: its Params and uniform buffer; one workgroup per point. */
  readonly terminalLoss: {
    readonly params: StructValue;
    readonly buffer: PlannedBuffer;
    readonly workgroups: number;
  };
  /** Backprop only: the terminal gradient's scratch buffer, summed into the interior one. */
  readonly gradientSum: {
    readonly params: StructValue;
    readonly scratch: PlannedBuffer;
    readonly buffer: PlannedBuffer;
    readonly groups: number;
  } | null;
  /** Every buffer the build allocates through GpuMemory, the engine's included. */
  readonly buffers: readonly PlannedBuffer[];
  /** What the graph's reducer adds when the first step records the loss reduction. */
  readonly firstStep: readonly PlannedBuffer[];
}

type ParabolicPlanOptions = Pick<
  TrainingOptions,
  | 'points'
  | 'dimension'
  | 'loss'
  | 'estimator'
  | 'jetsPerPoint'
  | 'collapsed'
  | 'seed'
  | 'gradientEstimator'
  | 'terminalWeight'
  | 'terminalGradientWeight'
>;

function planInterior(
  options: ParabolicPlanOptions,
  horizon: number,
  architecture: MlpArchitecture,
  layerStorage: 'stored' | 'reused',
): ParabolicInteriorPlan & { split: boolean } {
  const n = options.points;
  const B = options.jetsPerPoint;
  // The unbiased loss makes two independent draws of B jets, [0, B) for r₁ and [B, 2B) for r₂
  // (sparse: two separate uniform B-subsets); exact jets have no randomness, so there both
  // "draws" are the same d jets.
  const split = options.loss === 'unbiased' && options.estimator !== 'exact';
  const estimateSizing = sizingOf(parabolicOperator(options, B));
  const drawSizing = split ? sizingOf(parabolicOperator(options, B, 2)) : estimateSizing;
  if (drawSizing.draw.kind !== 'random') {
    throw new Error("the parabolic operator's jets are always drawn");
  }
  const shape = shapeOf(drawSizing, n, structureOf(drawSizing, options.collapsed));
  const tangentKind = tangentKindOf(drawSizing);
  const key = { seed: options.seed };
  return {
    split,
    estimateSizing,
    drawSizing,
    shape,
    tangentKind,
    points: planParabolicDraw(options.dimension, horizon, 'interior', n, key),
    jets: planRandomJets(drawSizing.draw.spec, n, { ...key, stream: RandomStream.jets }),
    forward: { architecture, shape, tangentKind, layerStorage },
  };
}

/**
 * The terminal batch of m points. Its jets are terminalGradientOperator's: the d one-hot
 * first-order jets e_0 … e_{d−1} (sized here without building its d quantities).
 */
function planTerminal(
  options: ParabolicPlanOptions,
  horizon: number,
  architecture: MlpArchitecture,
  layerStorage: 'stored' | 'reused',
): ParabolicTerminalPlan {
  const d = options.dimension;
  const m = options.points;
  const sizing: OperatorSizing = {
    directions: d,
    order: 1,
    collapsible: true,
    draw: {
      kind: 'random',
      spec: { kind: 'exact', directions: d, order: 1, dimension: d + 1, range: d },
    },
  };
  const shape = shapeOf(sizing, m, 'standard');
  const jets = fixedJetBuffers(shape, d + 1, 'oneHot', {
    values: 'terminal jets',
    coefficient: 'terminal jet coefficients',
    index: 'terminal jet indices',
  });
  if (!('index' in jets)) throw new Error('the gradient jets are one-hot');
  return {
    shape,
    points: planParabolicDraw(d, horizon, 'terminal', m, { seed: options.seed }),
    jets,
    forward: { architecture, shape, tangentKind: 'oneHot', layerStorage },
    params: planPointParams(terminalParamsView()),
  };
}

/** The step's own buffers: g and ∇g, the n + m loss terms, both cotangents, the residual's. */
function planParabolicBuffers(
  d: number,
  n: number,
  m: number,
  interiorShape: JetShape,
  terminalShape: JetShape,
): ParabolicGraphPlan['named'] {
  return {
    g: storageBuffer('terminal g', m * 4),
    gradG: storageBuffer('terminal ∇g', m * d * 4),
    lossTerms: storageBuffer('loss terms', (n + m) * 4),
    lossStats: storageBuffer('loss statistics', reductionResultBytes),
    interiorCotangent: storageBuffer('interior dL/du', n * rowsPerPoint(interiorShape) * 4),
    terminalCotangent: storageBuffer('terminal dL/du', m * rowsPerPoint(terminalShape) * 4),
    // The interior residual is pinnResidual.wgsl's (source f = 0, a zeroed buffer), its terms
    // scaled so that the mean over all n + m terms is the total loss.
    zeroSource: storageBuffer('zero source', n * 4),
    residualScratch: storageBuffer('interior residual r', n * 4),
  };
}

/** The step of `pde` for `options`: a pure function of the options and the device's limits. */
export function planParabolicGraph(
  pde: ParabolicPdeEntry,
  options: ParabolicPlanOptions,
  architecture: MlpArchitecture,
  limits: EngineLimits,
): ParabolicGraphPlan {
  const d = options.dimension;
  const n = options.points;
  // As many terminal points as residual points: the options have one batch size.
  const m = options.points;
  const mode = graphModeOf(options.gradientEstimator);
  if (mode === 'forward-gradient') {
    throw new TrainingOptionsError(
      'the parabolic problems have no forward-gradient pass: use backprop, spsa or spsa-subspace',
    );
  }
  const layerStorage = mode === 'backprop' ? 'stored' : 'reused';
  const T = pde.sampler.horizon;
  const { split, ...interior } = planInterior(options, T, architecture, layerStorage);
  const terminal = planTerminal(options, T, architecture, layerStorage);
  // Loss: n interior terms, then m terminal terms, scaled so the mean of all is the total.
  const termCount = n + m;
  const named = planParabolicBuffers(d, n, m, interior.shape, terminal.shape);
  const unbiased = options.loss === 'unbiased';
  const residual = planResidualLoss(
    {
      nonlinearity: RESIDUAL_NONLINEARITY[pde.problem.id],
      nonlinearityScale: d,
      termScale: termCount / n,
    },
    n,
    rowsPerPoint(interior.shape),
    unbiased,
  );
  const terminalLoss = planTerminalLoss(options, n, m, rowsPerPoint(terminal.shape));
  const gradientSum = mode === 'backprop' ? planGradientSum(architecture) : null;
  const buffers = [
    ...interior.points.buffers,
    ...interior.jets.buffers,
    ...forwardJetBuffers(interior.forward, true, limits),
    ...terminal.points.buffers,
    terminal.jets.coefficient,
    terminal.jets.index,
    ...forwardJetBuffers(terminal.forward, true, limits),
    named.g,
    named.gradG,
    terminal.params,
    ...Object.values(named).slice(2),
    ...residual.buffers,
    terminalLoss.buffer,
    ...(gradientSum
      ? [
          gradientSum.scratch,
          gradientSum.buffer,
          ...backwardJetBuffers(interior.forward, limits),
          ...backwardJetBuffers(terminal.forward, limits),
        ]
      : []),
  ];
  return {
    mode,
    dimension: d,
    interiorPoints: n,
    terminalPoints: m,
    termCount,
    jetsPerPoint: options.jetsPerPoint,
    split,
    unbiased,
    interior,
    terminal,
    named,
    residual,
    terminalLoss,
    gradientSum,
    buffers,
    firstStep: reducerBuffers([termCount], limits),
  };
}

/** |u − g|² + γ‖∇u − ∇g‖² of the m terminal points, written after the n interior terms. */
function planTerminalLoss(
  options: Pick<TrainingOptions, 'terminalWeight' | 'terminalGradientWeight' | 'dimension'>,
  n: number,
  m: number,
  rows: number,
): ParabolicGraphPlan['terminalLoss'] {
  const lambda = options.terminalWeight;
  const gamma = options.terminalGradientWeight;
  const termCount = n + m;
  return {
    params: {
      count: m,
      dim: options.dimension,
      rows,
      offset: n,
      gamma,
      termScale: (lambda * termCount) / m,
      valueCotangent: (2 * lambda) / m,
      gradientCotangent: (2 * lambda * gamma) / m,
    },
    buffer: uniformBuffer(
      'parabolic terminal loss params',
      paramsViewOf(TERMINAL_LOSS_SOURCE).size,
    ),
    workgroups: m,
  };
}

/** Gradient: the terminal backward pass writes a scratch buffer added to the interior's. */
function planGradientSum(
  architecture: MlpArchitecture,
): NonNullable<ParabolicGraphPlan['gradientSum']> {
  const count = parameterLayout(architecture.widths).count;
  return {
    params: { n: count, a: 1 },
    scratch: storageBuffer('terminal gradient', count * 4),
    buffer: uniformBuffer('gradient sum params', paramsViewOf(GRADIENT_SUM_SOURCE).size),
    groups: Math.ceil(count / WORKGROUP_SIZE),
  };
}

function record(pass: GPUComputePassEncoder, step: BoundDispatch): void {
  step.kernel.dispatchFolded(pass, step.bindGroup, step.workgroups);
}

/** The interior batch of a planned step: its operators (checked), draws, forward and weights. */
async function buildInterior(
  memory: GpuMemory,
  options: Pick<TrainingOptions, 'dimension' | 'estimator'>,
  plan: ParabolicGraphPlan,
  samplers: GpuPointSamplers,
  params: GPUBuffer,
  stepCounter: GpuStepCounter,
): Promise<{
  operator: JetOperator;
  points: PointDraw;
  jets: RandomJetDraw;
  forward: ForwardJet;
  weights: Float64Array;
  weights2: Float64Array | null;
}> {
  const B = plan.jetsPerPoint;
  const estimateOperator = parabolicOperator(options, B);
  const drawOperator = plan.split ? parabolicOperator(options, B, 2) : estimateOperator;
  requireSizing(drawOperator, plan.interior.drawSizing);
  const shape = plan.interior.shape;
  const terms = estimateOperator.quantities[0].terms;
  const weights = plan.split
    ? directionRangeWeights(terms, shape, 0, B)
    : quantityRowWeights(terms, shape);
  const weights2 = plan.split ? directionRangeWeights(terms, shape, B, B) : weights;
  const points = samplers.prepare(memory, stepCounter.buffer, plan.interior.points);
  const randomJets = await GpuRandomJets.create(memory.device);
  const jets = randomJets.build(memory, plan.interior.jets, stepCounter.buffer);
  const t = jets.tangents;
  const forward = await ForwardJet.create(
    memory,
    plan.interior.forward,
    params,
    t.kind === 'dense'
      ? { x: points.points, tangents: t.values, tangentIndex: null }
      : { x: points.points, tangents: t.coefficient, tangentIndex: t.index },
  );
  return {
    operator: drawOperator,
    points,
    jets,
    forward,
    weights,
    weights2: plan.unbiased ? weights2 : null,
  };
}

/**
 * The terminal batch: the jets e_0 … e_{d−1} are the same at every step, so uploaded once; g and
 * ∇g at its points come from pdeTerminal.wgsl.
 */
async function buildTerminal(
  memory: GpuMemory,
  pde: ParabolicPdeEntry,
  options: Pick<TrainingOptions, 'dimension' | 'seed'>,
  plan: ParabolicGraphPlan,
  samplers: GpuPointSamplers,
  params: GPUBuffer,
  stepCounter: GpuStepCounter,
): Promise<{
  operator: JetOperator;
  points: PointDraw;
  forward: ForwardJet;
  g: GPUBuffer;
  gradG: GPUBuffer;
  kernel: TerminalKernel;
  dispatch: TerminalDispatch;
  owned: GPUBuffer[];
}> {
  const gradientOp = terminalGradientOperator(options.dimension);
  const shape = gradientOp.shape(plan.terminalPoints, 'standard');
  if (rowsPerPoint(shape) !== rowsPerPoint(plan.terminal.shape)) {
    throw new Error(`${gradientOp.name}: not the planned terminal batch`);
  }
  const points = samplers.prepare(memory, stepCounter.buffer, plan.terminal.points);
  const oneHot = gradientOp.tangents(plan.terminalPoints, { seed: options.seed, step: 0 });
  if (oneHot.kind !== 'oneHot') throw new Error('the gradient jets are one-hot');
  const { jets } = plan.terminal;
  const coefficient = memory.createFrom(jets.coefficient.label, oneHot.coefficient);
  const index = memory.createFrom(jets.index.label, oneHot.index);
  const forward = await ForwardJet.create(memory, plan.terminal.forward, params, {
    x: points.points,
    tangents: coefficient,
    tangentIndex: index,
  });
  const { g: plannedG, gradG: plannedGradG } = plan.named;
  const g = memory.create(plannedG.label, plannedG.bytes);
  const gradG = memory.create(plannedGradG.label, plannedGradG.bytes);
  const kernel = await TerminalKernel.create(memory.device, pde.problem.id);
  const dispatch = kernel.prepare(
    memory,
    {
      points: points.points,
      count: plan.terminalPoints,
      dim: plan.dimension,
      stride: plan.dimension + 1,
    },
    { value: g, gradient: gradG },
  );
  return {
    operator: gradientOp,
    points,
    forward,
    g,
    gradG,
    kernel,
    dispatch,
    owned: [coefficient, index, g, gradG],
  };
}

/** The n + m loss terms, both cotangents, and the interior and terminal loss kernels. */
async function buildParabolicLosses(
  memory: GpuMemory,
  plan: ParabolicGraphPlan,
  interior: { forward: ForwardJet; weights: Float64Array; weights2: Float64Array | null },
  terminal: { forward: ForwardJet; g: GPUBuffer; gradG: GPUBuffer },
  created: (b: PlannedBuffer) => GPUBuffer,
  owned: GPUBuffer[],
): Promise<{
  lossTerms: GPUBuffer;
  lossStats: GPUBuffer;
  interiorCotangent: GPUBuffer;
  terminalCotangent: GPUBuffer;
  losses: { interior: ResidualLoss; terminal: BoundDispatch };
}> {
  const { named } = plan;
  const [lossTerms, lossStats, interiorCotangent, terminalCotangent, zeroSource, residualScratch] =
    [
      named.lossTerms,
      named.lossStats,
      named.interiorCotangent,
      named.terminalCotangent,
      named.zeroSource,
      named.residualScratch,
    ].map(created);
  const interiorLoss = await ResidualLoss.build(
    memory,
    plan.residual,
    interior.weights,
    interior.weights2,
    {
      output: interior.forward.buffers.output,
      source: zeroSource,
      residual: residualScratch,
      lossTerms,
      cotangent: interiorCotangent,
    },
  );
  const terminalLoss = await buildTerminalLoss(memory, plan, owned, {
    output: terminal.forward.buffers.output,
    terminal: terminal.g,
    terminalGradient: terminal.gradG,
    lossTerms,
    cotangent: terminalCotangent,
  });
  return {
    lossTerms,
    lossStats,
    interiorCotangent,
    terminalCotangent,
    losses: { interior: interiorLoss, terminal: terminalLoss },
  };
}

/** The terminal loss kernel, its uniforms and bind group. */
async function buildTerminalLoss(
  memory: GpuMemory,
  plan: ParabolicGraphPlan,
  owned: GPUBuffer[],
  io: Record<'output' | 'terminal' | 'terminalGradient' | 'lossTerms' | 'cotangent', GPUBuffer>,
): Promise<BoundDispatch> {
  const kernel = await cachedKernel(memory.device, [lib.grid, TERMINAL_LOSS_SOURCE], {
    constants: { WORKGROUP_SIZE },
  });
  const { params, buffer, workgroups } = plan.terminalLoss;
  const uniforms = memory.createUniform(buffer.label, kernel.struct('params'), params);
  owned.push(uniforms);
  return { kernel, bindGroup: kernel.bind({ params: uniforms, ...io }), workgroups };
}

/** Gradient: the terminal backward pass writes a scratch buffer added to the interior's. */
async function buildBackward(
  memory: GpuMemory,
  plan: ParabolicGraphPlan,
  sum: NonNullable<ParabolicGraphPlan['gradientSum']>,
  owned: GPUBuffer[],
): Promise<{ interior: BackwardJet; terminal: BackwardJet; accumulate: GradientSum }> {
  const architecture = plan.interior.forward.architecture;
  const scratch = memory.create(sum.scratch.label, sum.scratch.bytes);
  owned.push(scratch);
  const saxpy = await cachedKernel(memory.device, [GRADIENT_SUM_SOURCE], {
    constants: { WORKGROUP_SIZE },
  });
  const saxpyParams = memory.createUniform(sum.buffer.label, saxpy.struct('params'), sum.params);
  owned.push(saxpyParams);
  const [interior, terminal] = await Promise.all([
    BackwardJet.create(memory, architecture, plan.interior.shape, plan.interior.tangentKind),
    BackwardJet.create(memory, architecture, plan.terminal.shape, 'oneHot'),
  ]);
  return {
    interior,
    terminal,
    accumulate: {
      kernel: saxpy,
      bindGroups: new BindGroupCache(saxpy, 4),
      params: saxpyParams,
      scratch,
      groups: sum.groups,
    },
  };
}

export class ParabolicProblemGraph implements ProblemGraph {
  readonly shape: JetShape;
  /** 32-byte reduction of the n + m scaled loss terms: its mean is mean r² + 20·L_T. */
  readonly lossStats: GPUBuffer;
  readonly interior: ParabolicBatch;
  readonly terminal: ParabolicBatch;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly draws: {
      interiorPoints: PointDraw;
      jets: RandomJetDraw;
      terminalPoints: PointDraw;
      terminalKernel: TerminalKernel;
      terminalDispatch: TerminalDispatch;
    },
    private readonly losses: { interior: ResidualLoss; terminal: BoundDispatch },
    private readonly reducer: GpuReducer,
    private readonly lossTerms: { buffer: GPUBuffer; count: number },
    /** Null when the graph is built for the loss alone (GraphMode 'loss'). */
    private readonly backward: {
      interior: BackwardJet;
      terminal: BackwardJet;
      accumulate: GradientSum;
    } | null,
    private readonly owned: GPUBuffer[],
    interior: ParabolicBatch,
    terminal: ParabolicBatch,
    lossStats: GPUBuffer,
  ) {
    this.interior = interior;
    this.terminal = terminal;
    this.lossStats = lossStats;
    this.shape = interior.shape;
  }

  static async create(
    memory: GpuMemory,
    pde: ParabolicPdeEntry,
    options: TrainingOptions,
    architecture: MlpArchitecture,
    params: GPUBuffer,
    stepCounter: GpuStepCounter,
  ): Promise<ParabolicProblemGraph> {
    const plan = planParabolicGraph(pde, options, architecture, memory.device.limits);
    return ParabolicProblemGraph.build(memory, pde, options, plan, params, stepCounter);
  }

  /** Compiles, allocates and binds a planned step. */
  static async build(
    memory: GpuMemory,
    pde: ParabolicPdeEntry,
    options: Pick<TrainingOptions, 'dimension' | 'estimator' | 'seed'>,
    plan: ParabolicGraphPlan,
    params: GPUBuffer,
    stepCounter: GpuStepCounter,
  ): Promise<ParabolicProblemGraph> {
    const owned: GPUBuffer[] = [];
    const created = (b: PlannedBuffer): GPUBuffer => {
      const buffer = memory.create(b.label, b.bytes);
      owned.push(buffer);
      return buffer;
    };
    const samplers = await GpuPointSamplers.create(memory.device);
    const interior = await buildInterior(memory, options, plan, samplers, params, stepCounter);
    const terminal = await buildTerminal(memory, pde, options, plan, samplers, params, stepCounter);
    owned.push(...terminal.owned);
    const { lossTerms, lossStats, interiorCotangent, terminalCotangent, losses } =
      await buildParabolicLosses(memory, plan, interior, terminal, created, owned);
    const reducer = await GpuReducer.create(memory);
    const backward = plan.gradientSum
      ? await buildBackward(memory, plan, plan.gradientSum, owned)
      : null;
    return new ParabolicProblemGraph(
      memory,
      {
        interiorPoints: interior.points,
        jets: interior.jets,
        terminalPoints: terminal.points,
        terminalKernel: terminal.kernel,
        terminalDispatch: terminal.dispatch,
      },
      losses,
      reducer,
      { buffer: lossTerms, count: plan.termCount },
      backward,
      owned,
      {
        operator: interior.operator,
        shape: plan.interior.shape,
        forward: interior.forward,
        cotangent: interiorCotangent,
      },
      {
        operator: terminal.operator,
        shape: plan.terminal.shape,
        forward: terminal.forward,
        cotangent: terminalCotangent,
      },
      lossStats,
    );
  }

  /**
   * One piece, without stage boundaries (boundedSubmits.ts), to keep the change small: the
   * trainer's own stages still split around it, and the graph's unannounced work counts in the
   * measured step time, which only raises the other stages' predictions.
   */
  encodeGradient(steps: StepEncoder, tensor: BlockedTensor, gradientTensor: BlockedTensor): void {
    if (!this.backward) {
      throw new Error('this problem graph was built without a backward pass (GraphMode)');
    }
    const params = soleBuffer(tensor, 'the parabolic problems');
    const gradient = soleBuffer(gradientTensor, 'the parabolic problems');
    this.encodeLoss(steps);
    const encoder = steps.encoder;
    this.backward.terminal.encode(encoder, {
      forward: this.terminal.forward.buffers,
      params,
      cotangent: this.terminal.cotangent,
      gradient: this.backward.accumulate.scratch,
    });
    this.backward.interior.encode(encoder, {
      forward: this.interior.forward.buffers,
      params,
      cotangent: this.interior.cotangent,
      gradient,
    });
    const { kernel, bindGroups, params: sumParams, scratch, groups } = this.backward.accumulate;
    const sum = encoder.beginComputePass({ label: 'interior + terminal gradient' });
    kernel.dispatch(sum, bindGroups.get({ params: sumParams, x: scratch, y: gradient }), groups);
    sum.end();
  }

  /**
   * Records the step's draws, both forward passes and the loss (into lossStats); the draws come
   * from the seed and the step counter and the reduction order is fixed, so two calls at the same
   * step and parameters give bit-identical losses.
   */
  encodeLoss(steps: StepEncoder): void {
    const encoder = steps.encoder;
    const draw = encoder.beginComputePass({ label: 'parabolic collocation draw' });
    this.draws.interiorPoints.record(draw);
    this.draws.jets.record(draw);
    this.draws.terminalPoints.record(draw);
    this.draws.terminalKernel.encode(draw, this.draws.terminalDispatch);
    draw.end();
    this.interior.forward.encode(encoder);
    this.terminal.forward.encode(encoder);
    const loss = encoder.beginComputePass({ label: 'parabolic residual and terminal loss' });
    this.losses.interior.record(loss);
    record(loss, this.losses.terminal);
    this.reducer.encode(loss, this.lossTerms.buffer, this.lossTerms.count, this.lossStats);
    loss.end();
  }

  setLossParameters(tensor: BlockedTensor): void {
    const parameters = soleBuffer(tensor, 'the parabolic problems');
    this.interior.forward.setParameters(parameters);
    this.terminal.forward.setParameters(parameters);
  }

  readonly directional = null;
  readonly lossPerturbation = null;

  destroy(): void {
    this.interior.forward.destroy();
    this.terminal.forward.destroy();
    this.backward?.interior.destroy();
    this.backward?.terminal.destroy();
    this.reducer.destroy();
    this.losses.interior.destroy(this.memory);
    this.draws.terminalKernel.release(this.memory, this.draws.terminalDispatch);
    this.draws.interiorPoints.destroy();
    this.draws.terminalPoints.destroy();
    this.draws.jets.destroy();
    for (const buffer of this.owned) this.memory.destroy(buffer);
  }
}
