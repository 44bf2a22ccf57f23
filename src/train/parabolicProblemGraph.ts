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
 * interior batch's, bound the dimension.
 */
import elementwiseCode from '../../shaders/elementwise.wgsl?raw';
import terminalLossCode from '../../shaders/parabolicTerminalLoss.wgsl?raw';
import { BackwardJet } from '../engine/backwardJet.ts';
import { ForwardJet } from '../engine/forwardJet.ts';
import { type JetShape, parameterLayout, rowsPerPoint } from '../engine/jetLayout.ts';
import { GpuReducer, reductionResultBytes } from '../engine/reductions.ts';
import type { GpuBuffers } from '../gpu/buffers.ts';
import { BindGroupCache, dispatchGrid } from '../gpu/dispatch.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import { directionRangeWeights, quantityRowWeights } from '../operators/combine.ts';
import { gradientOperator } from '../operators/firstOrder.ts';
import { laplacianOperator } from '../operators/laplacian.ts';
import type { JetOperator } from '../operators/operator.ts';
import { TerminalKernel, type TerminalDispatch } from '../pdes/gpuTerminal.ts';
import type { ParabolicPdeEntry } from '../pdes/index.ts';
import type { ParabolicId } from '../pdes/parabolic.ts';
import { RandomStream } from '../random/counterRandom.ts';
import { GpuPointSamplers, type PointDraw } from '../random/gpuPointSamplers.ts';
import { GpuRandomJets, type RandomJetDraw } from '../random/gpuRandomJets.ts';
import type { GpuStepCounter } from '../random/stepCounter.ts';
import { type TrainingOptions, TrainingOptionsError } from './options.ts';
import { graphModeOf, type ProblemGraph } from './problemGraph.ts';
import { ResidualLoss, type ResidualNonlinearity } from './residualLoss.ts';

const RESIDUAL_NONLINEARITY: Record<ParabolicId, ResidualNonlinearity> = {
  'semilinear-heat': 'semilinear-heat',
  'allen-cahn-parabolic': 'allen-cahn',
  'sine-gordon-parabolic': 'sine-gordon',
};
const WORKGROUP_SIZE = 64;

/** u_t + Δ_x u on the (x, t) input of width d + 1, from `samples` jets per point. */
export function parabolicOperator(
  options: Pick<TrainingOptions, 'dimension' | 'estimator'>,
  samples: number,
): JetOperator {
  const d = options.dimension;
  return laplacianOperator({
    dimension: d + 1,
    method: options.estimator,
    samples,
    spatial: d,
    time: d,
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

/** A kernel bound once, dispatched every step. */
interface BoundDispatch {
  kernel: ComputeKernel;
  bindGroup: GPUBindGroup;
  grid: [number, number];
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

function record(pass: GPUComputePassEncoder, step: BoundDispatch): void {
  step.kernel.dispatch(pass, step.bindGroup, ...step.grid);
}

/** Uniform bytes from (u32 | f32) words, padded to 16-byte multiples. */
function uniformWords(words: readonly ({ u32: number } | { f32: number })[]): Uint8Array {
  const bytes = new ArrayBuffer(Math.ceil(words.length / 4) * 16);
  const u = new Uint32Array(bytes);
  const f = new Float32Array(bytes);
  words.forEach((w, i) => {
    if ('u32' in w) u[i] = w.u32;
    else f[i] = w.f32;
  });
  return new Uint8Array(bytes);
}

export class ParabolicProblemGraph implements ProblemGraph {
  readonly shape: JetShape;
  /** 32-byte reduction of the n + m scaled loss terms: its mean is mean r² + 20·L_T. */
  readonly lossStats: GPUBuffer;
  readonly interior: ParabolicBatch;
  readonly terminal: ParabolicBatch;

  private constructor(
    private readonly buffers: GpuBuffers,
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
    buffers: GpuBuffers,
    pde: ParabolicPdeEntry,
    options: TrainingOptions,
    architecture: MlpArchitecture,
    params: GPUBuffer,
    stepCounter: GpuStepCounter,
  ): Promise<ParabolicProblemGraph> {
    const device = buffers.device;
    const d = options.dimension;
    const n = options.points;
    // As many terminal points as residual points: the options have one batch size.
    const m = options.points;
    const T = pde.sampler.horizon;
    const seed = options.seed;
    const unbiased = options.loss === 'unbiased';
    const exact = options.estimator === 'exact';
    const B = options.jetsPerPoint;
    const mode = graphModeOf(options.gradientEstimator);
    if (mode === 'forward-gradient') {
      throw new TrainingOptionsError(
        'the parabolic problems have no forward-gradient pass: use backprop, spsa or spsa-subspace',
      );
    }
    const layerStorage = mode === 'backprop' ? 'stored' : 'reused';
    const owned: GPUBuffer[] = [];
    const created = (label: string, bytes: number): GPUBuffer => {
      const buffer = buffers.create(label, bytes);
      owned.push(buffer);
      return buffer;
    };

    // Interior batch. The unbiased loss draws 2B independent dense jets, B for r₁ and B for r₂;
    // exact jets have no randomness, so there both "draws" are the same d jets.
    const estimateOperator = parabolicOperator(options, B);
    const drawOperator = unbiased && !exact ? parabolicOperator(options, 2 * B) : estimateOperator;
    const structure = options.collapsed && drawOperator.collapsible ? 'collapsed' : 'standard';
    const interiorShape = drawOperator.shape(n, structure);
    const terms = estimateOperator.quantities[0].terms;
    const weights =
      unbiased && !exact
        ? directionRangeWeights(terms, interiorShape, 0, B)
        : quantityRowWeights(terms, interiorShape);
    const weights2 =
      unbiased && !exact ? directionRangeWeights(terms, interiorShape, B, B) : weights;

    const samplers = await GpuPointSamplers.create(device);
    const interiorPoints = samplers.parabolic(
      buffers,
      d,
      T,
      'interior',
      n,
      { seed },
      stepCounter.buffer,
    );
    const draw = drawOperator.draw;
    if (draw.kind !== 'random') {
      throw new Error(`${drawOperator.name}: the Laplacian's jets are always drawn`);
    }
    const randomJets = await GpuRandomJets.create(device);
    const jets = randomJets.prepare(
      buffers,
      draw.spec,
      n,
      { seed, stream: RandomStream.jets },
      stepCounter.buffer,
    );
    const t = jets.tangents;
    const interiorForward = await ForwardJet.create(
      buffers,
      { architecture, shape: interiorShape, tangentKind: t.kind, layerStorage },
      params,
      t.kind === 'dense'
        ? { x: interiorPoints.points, tangents: t.values, tangentIndex: null }
        : { x: interiorPoints.points, tangents: t.coefficient, tangentIndex: t.index },
    );

    // Terminal batch: the jets e_0 … e_{d−1} are the same at every step, so they are uploaded once.
    const gradientOp = terminalGradientOperator(d);
    const terminalShape = gradientOp.shape(m, 'standard');
    const terminalPoints = samplers.parabolic(
      buffers,
      d,
      T,
      'terminal',
      m,
      { seed },
      stepCounter.buffer,
    );
    const oneHot = gradientOp.tangents(m, { seed, step: 0 });
    if (oneHot.kind !== 'oneHot') throw new Error('the gradient jets are one-hot');
    const terminalCoefficient = buffers.createFrom('terminal jet coefficients', oneHot.coefficient);
    const terminalIndex = buffers.createFrom('terminal jet indices', oneHot.index);
    owned.push(terminalCoefficient, terminalIndex);
    const terminalForward = await ForwardJet.create(
      buffers,
      { architecture, shape: terminalShape, tangentKind: 'oneHot', layerStorage },
      params,
      { x: terminalPoints.points, tangents: terminalCoefficient, tangentIndex: terminalIndex },
    );
    const g = created('terminal g', m * 4);
    const gradG = created('terminal ∇g', m * d * 4);
    const terminalKernel = await TerminalKernel.create(device, pde.problem.id);
    const terminalDispatch = terminalKernel.prepare(
      buffers,
      { points: terminalPoints.points, count: m, dim: d, stride: d + 1 },
      { value: g, gradient: gradG },
    );

    // Loss: n interior terms, then m terminal terms, scaled so the mean of all is the total.
    const termCount = n + m;
    const lossTerms = created('loss terms', termCount * 4);
    const lossStats = created('loss statistics', reductionResultBytes);
    const interiorCotangent = created('interior dL/du', n * rowsPerPoint(interiorShape) * 4);
    const terminalCotangent = created('terminal dL/du', m * rowsPerPoint(terminalShape) * 4);
    const lambda = options.terminalWeight;
    const gamma = options.terminalGradientWeight;

    // The interior residual is pinnResidual.wgsl's (source f = 0, a zeroed buffer), its terms
    // scaled so that the mean over all n + m terms is the total loss.
    const zeroSource = created('zero source', n * 4);
    const residualScratch = created('interior residual r', n * 4);
    const interiorLoss = await ResidualLoss.create(
      buffers,
      {
        nonlinearity: RESIDUAL_NONLINEARITY[pde.problem.id],
        nonlinearityScale: d,
        termScale: termCount / n,
      },
      n,
      weights,
      unbiased ? weights2 : null,
      {
        output: interiorForward.buffers.output,
        source: zeroSource,
        residual: residualScratch,
        lossTerms,
        cotangent: interiorCotangent,
      },
    );
    const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;

    const terminalLossKernel = await cachedKernel(
      device,
      [{ name: 'parabolicTerminalLoss.wgsl', code: terminalLossCode }],
      { constants: { WORKGROUP_SIZE } },
    );
    const terminalParams = buffers.createFrom(
      'parabolic terminal loss params',
      uniformWords([
        { u32: m },
        { u32: d },
        { u32: rowsPerPoint(terminalShape) },
        { u32: n },
        { f32: gamma },
        { f32: (lambda * termCount) / m },
        { f32: (2 * lambda) / m },
        { f32: (2 * lambda * gamma) / m },
      ]),
      'uniform',
    );
    owned.push(terminalParams);
    const terminalLoss: BoundDispatch = {
      kernel: terminalLossKernel,
      bindGroup: terminalLossKernel.bind({
        params: terminalParams,
        output: terminalForward.buffers.output,
        terminal: g,
        terminalGradient: gradG,
        lossTerms,
        cotangent: terminalCotangent,
      }),
      grid: dispatchGrid(m, maxGroups),
    };

    const reducer = await GpuReducer.create(buffers);
    return new ParabolicProblemGraph(
      buffers,
      { interiorPoints, jets, terminalPoints, terminalKernel, terminalDispatch },
      { interior: interiorLoss, terminal: terminalLoss },
      reducer,
      { buffer: lossTerms, count: termCount },
      mode === 'backprop'
        ? await ParabolicProblemGraph.createBackward(
            buffers,
            architecture,
            { interior: interiorShape, terminal: terminalShape, interiorKind: t.kind },
            created,
            owned,
          )
        : null,
      owned,
      {
        operator: drawOperator,
        shape: interiorShape,
        forward: interiorForward,
        cotangent: interiorCotangent,
      },
      {
        operator: gradientOp,
        shape: terminalShape,
        forward: terminalForward,
        cotangent: terminalCotangent,
      },
      lossStats,
    );
  }

  /** Gradient: the terminal backward pass writes a scratch buffer added to the interior's. */
  private static async createBackward(
    buffers: GpuBuffers,
    architecture: MlpArchitecture,
    shapes: { interior: JetShape; terminal: JetShape; interiorKind: 'dense' | 'oneHot' },
    created: (label: string, bytes: number) => GPUBuffer,
    owned: GPUBuffer[],
  ): Promise<{ interior: BackwardJet; terminal: BackwardJet; accumulate: GradientSum }> {
    const device = buffers.device;
    const count = parameterLayout(architecture.widths).count;
    const scratch = created('terminal gradient', count * 4);
    const saxpy = await cachedKernel(
      device,
      [{ name: 'elementwise.wgsl', code: elementwiseCode }],
      {
        constants: { WORKGROUP_SIZE },
      },
    );
    const saxpyParams = buffers.createFrom(
      'gradient sum params',
      uniformWords([{ u32: count }, { f32: 1 }]),
      'uniform',
    );
    owned.push(saxpyParams);
    const [interior, terminal] = await Promise.all([
      BackwardJet.create(buffers, architecture, shapes.interior, shapes.interiorKind),
      BackwardJet.create(buffers, architecture, shapes.terminal, 'oneHot'),
    ]);
    return {
      interior,
      terminal,
      accumulate: {
        kernel: saxpy,
        bindGroups: new BindGroupCache(saxpy, 4),
        params: saxpyParams,
        scratch,
        groups: saxpy.workgroupsFor(count),
      },
    };
  }

  encodeGradient(encoder: GPUCommandEncoder, params: GPUBuffer, gradient: GPUBuffer): void {
    if (!this.backward) {
      throw new Error('this problem graph was built without a backward pass (GraphMode)');
    }
    this.encodeLoss(encoder);
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
  encodeLoss(encoder: GPUCommandEncoder): void {
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

  setLossParameters(parameters: GPUBuffer): void {
    this.interior.forward.setParameters(parameters);
    this.terminal.forward.setParameters(parameters);
  }

  readonly directional = null;

  destroy(): void {
    this.interior.forward.destroy();
    this.terminal.forward.destroy();
    this.backward?.interior.destroy();
    this.backward?.terminal.destroy();
    this.reducer.destroy();
    this.losses.interior.destroy(this.buffers);
    this.draws.terminalKernel.release(this.buffers, this.draws.terminalDispatch);
    this.draws.interiorPoints.destroy();
    this.draws.terminalPoints.destroy();
    this.draws.jets.destroy();
    for (const buffer of this.owned) this.buffers.destroy(buffer);
  }
}
