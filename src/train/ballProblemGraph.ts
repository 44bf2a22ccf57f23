/**
 * The GPU work of one training step of a ball problem (Poisson, Allen–Cahn, sine-Gordon,
 * biharmonic), bound once: collocation points (GPU sampler) → random jets (GPU generator) →
 * source f at the points → forward jets → residual, loss terms and ∂L/∂u → loss reduction →
 * backward → gradient. Nothing is uploaded per step but the 4-byte step counter.
 */
import { BackwardJet } from '../engine/backwardJet.ts';
import { ForwardGradientJet } from '../engine/forwardGradientJet.ts';
import { ForwardJet } from '../engine/forwardJet.ts';
import { type JetShape, rowsPerPoint } from '../engine/jetLayout.ts';
import { GpuReducer, reductionResultBytes } from '../engine/reductions.ts';
import type { GpuBuffers } from '../gpu/buffers.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import { biharmonicOperator } from '../operators/biharmonic.ts';
import { directionRangeWeights, quantityRowWeights } from '../operators/combine.ts';
import { laplacianOperator } from '../operators/laplacian.ts';
import type { JetOperator } from '../operators/operator.ts';
import type { BallPdeEntry } from '../pdes/index.ts';
import { RandomStream } from '../random/counterRandom.ts';
import { GpuPointSamplers, type PointDraw } from '../random/gpuPointSamplers.ts';
import { GpuRandomJets, type RandomJetDraw } from '../random/gpuRandomJets.ts';
import type { GpuStepCounter } from '../random/stepCounter.ts';
import { type TrainingOptions, TrainingOptionsError } from './options.ts';
import { BallExactAtPoints } from './ballExactAtPoints.ts';
import { CotangentDot } from './cotangentDot.ts';
import { type DirectionalDerivativeGraph, graphModeOf, type ProblemGraph } from './problemGraph.ts';
import { ResidualLoss } from './residualLoss.ts';

/** The operator of a ball problem for the chosen estimator; `samples` jets per point. */
export function ballOperator(
  pde: BallPdeEntry,
  options: Pick<TrainingOptions, 'dimension' | 'estimator'>,
  samples: number,
): JetOperator {
  const d = options.dimension;
  if (pde.operator === 'laplacian') {
    return laplacianOperator({ dimension: d, method: options.estimator, samples });
  }
  if (options.estimator === 'exact') return biharmonicOperator({ dimension: d, method: 'exact' });
  if (options.estimator === 'gaussian') {
    return biharmonicOperator({ dimension: d, method: 'gaussian', samples });
  }
  throw new TrainingOptionsError(
    `the biharmonic operator has a Gaussian estimator and an exact one, not '${options.estimator}'`,
  );
}

/**
 * The forward pass of the graph's mode (problemGraph.ts GraphMode): jets whose layers the backward
 * pass reads, jets for a loss alone, or jets with a parameter-tangent channel.
 */
type BallForward =
  | { kind: 'jet'; jet: ForwardJet }
  | { kind: 'tangent'; jet: ForwardGradientJet; dot: CotangentDot };

export class BallProblemGraph implements ProblemGraph {
  readonly shape: JetShape;
  readonly operator: JetOperator;
  /** 32-byte reduction of the loss terms (reductionWord.mean is the loss). */
  readonly lossStats: GPUBuffer;

  private constructor(
    private readonly buffers: GpuBuffers,
    private readonly pointDraw: PointDraw,
    private readonly jetDraw: RandomJetDraw | null,
    private readonly exact: BallExactAtPoints,
    private readonly forward: BallForward,
    private readonly residual: ResidualLoss,
    private readonly reducer: GpuReducer,
    private readonly backward: BackwardJet | null,
    private readonly io: {
      params: GPUBuffer;
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
    buffers: GpuBuffers,
    pde: BallPdeEntry,
    options: TrainingOptions,
    architecture: MlpArchitecture,
    params: GPUBuffer,
    stepCounter: GpuStepCounter,
  ): Promise<BallProblemGraph> {
    const device = buffers.device;
    const N = options.points;
    const d = options.dimension;
    // The unbiased loss needs two independent estimates per point. Random estimators draw 2B jets,
    // the first B for r₁ and the rest for r₂; the exact operator has no randomness, so both
    // "draws" are its d jets and the unbiased loss equals the biased one.
    const split = options.loss === 'unbiased' && options.estimator !== 'exact';
    const B = options.jetsPerPoint;
    const estimateOperator = ballOperator(pde, options, B);
    const drawOperator = split ? ballOperator(pde, options, 2 * B) : estimateOperator;
    const structure = options.collapsed && drawOperator.collapsible ? 'collapsed' : 'standard';
    const shape = drawOperator.shape(N, structure);
    const terms = estimateOperator.quantities[0].terms;
    const weights = split
      ? directionRangeWeights(terms, shape, 0, B)
      : quantityRowWeights(terms, shape);
    const weights2 = split
      ? directionRangeWeights(terms, shape, B, B)
      : options.loss === 'unbiased'
        ? weights
        : null;

    const seed = options.seed;
    const samplers = await GpuPointSamplers.create(device);
    const pointDraw = samplers.ball(buffers, d, options.sampler, N, { seed }, stepCounter.buffer);
    const owned: GPUBuffer[] = [];
    let jetDraw: RandomJetDraw | null = null;
    let inputs: { tangents: GPUBuffer; tangentIndex: GPUBuffer | null };
    const draw = drawOperator.draw;
    if (draw.kind === 'random') {
      const randomJets = await GpuRandomJets.create(device);
      jetDraw = randomJets.prepare(
        buffers,
        draw.spec,
        N,
        { seed, stream: RandomStream.jets },
        stepCounter.buffer,
      );
      const t = jetDraw.tangents;
      inputs =
        t.kind === 'dense'
          ? { tangents: t.values, tangentIndex: null }
          : { tangents: t.coefficient, tangentIndex: t.index };
    } else {
      // A fixed construction (the exact biharmonic): the same jets at every point and step.
      const fixed = drawOperator.tangents(N, { seed, step: 0 });
      if (fixed.kind === 'dense') {
        const values = buffers.createFrom('fixed jets', fixed.values);
        owned.push(values);
        inputs = { tangents: values, tangentIndex: null };
      } else {
        const coefficient = buffers.createFrom('fixed jet coefficients', fixed.coefficient);
        const index = buffers.createFrom('fixed jet indices', fixed.index);
        owned.push(coefficient, index);
        inputs = { tangents: coefficient, tangentIndex: index };
      }
    }
    const tangentKind = inputs.tangentIndex ? 'oneHot' : 'dense';
    const mode = graphModeOf(options.gradientEstimator);
    const jetInputs = { x: pointDraw.points, ...inputs };
    const config = { architecture, shape, tangentKind } as const;
    // Until the trainer binds v (setTangentParameters), the tangent channel reads θ itself.
    const tangentJet =
      mode === 'forward-gradient'
        ? await ForwardGradientJet.create(buffers, config, params, params, jetInputs)
        : null;
    const jet = tangentJet
      ? null
      : await ForwardJet.create(
          buffers,
          { ...config, layerStorage: mode === 'backprop' ? 'stored' : 'reused' },
          params,
          jetInputs,
        );
    const output = tangentJet ? tangentJet.output : (jet as ForwardJet).buffers.output;

    const exact = await BallExactAtPoints.create(buffers, pde, d, seed, {
      buffer: pointDraw.points,
      count: N,
      label: 'collocation',
    });

    const V = rowsPerPoint(shape);
    const residualBuffer = buffers.create('residual r', N * 4);
    const lossTerms = buffers.create('loss terms', N * 4);
    const cotangent = buffers.create('cotangent dL/du', N * V * 4);
    const lossStats = buffers.create('loss statistics', reductionResultBytes);
    owned.push(residualBuffer, lossTerms, cotangent, lossStats);
    const residual = await ResidualLoss.create(
      buffers,
      { nonlinearity: pde.nonlinearity.id },
      N,
      weights,
      weights2,
      {
        output,
        source: exact.source,
        residual: residualBuffer,
        lossTerms,
        cotangent,
      },
    );
    const reducer = await GpuReducer.create(buffers);
    const backward =
      mode === 'backprop'
        ? await BackwardJet.create(buffers, architecture, shape, tangentKind)
        : null;
    const forward: BallForward = tangentJet
      ? {
          kind: 'tangent',
          jet: tangentJet,
          dot: await CotangentDot.create(buffers, reducer, N, V, {
            cotangent,
            tangent: tangentJet.outputTangent,
          }),
        }
      : { kind: 'jet', jet: jet as ForwardJet };
    return new BallProblemGraph(
      buffers,
      pointDraw,
      jetDraw,
      exact,
      forward,
      residual,
      reducer,
      backward,
      { params, lossTerms, cotangent, owned },
      lossStats,
      shape,
      drawOperator,
    );
  }

  /** Records one step's loss and gradient into `encoder` (the step counter is already written). */
  encodeGradient(encoder: GPUCommandEncoder, params: GPUBuffer, gradient: GPUBuffer): void {
    if (!this.backward || this.forward.kind !== 'jet') {
      throw new Error('this problem graph was built without a backward pass (GraphMode)');
    }
    this.encodeLoss(encoder);
    this.backward.encode(encoder, {
      forward: this.forward.jet.buffers,
      params,
      cotangent: this.io.cotangent,
      gradient,
    });
  }

  /**
   * Records the step's draws, forward pass, residual and loss reduction (into lossStats). The
   * draws depend only on the seed and the step counter, and every reduction has a fixed order,
   * so two calls at the same step and parameters give bit-identical losses.
   */
  encodeLoss(encoder: GPUCommandEncoder): void {
    const draw = encoder.beginComputePass({ label: 'collocation draw' });
    this.pointDraw.record(draw);
    this.jetDraw?.record(draw);
    this.exact.record(draw);
    draw.end();
    this.forward.jet.encode(encoder);
    const loss = encoder.beginComputePass({ label: 'residual and loss' });
    this.residual.record(loss);
    this.reducer.encode(loss, this.io.lossTerms, this.shape.points, this.lossStats);
    loss.end();
  }

  setLossParameters(parameters: GPUBuffer): void {
    if (this.forward.kind === 'jet') this.forward.jet.setParameters(parameters);
    else throw new Error('a forward-gradient graph evaluates at θ: use setTangentParameters');
  }

  get directional(): DirectionalDerivativeGraph | null {
    const forward = this.forward;
    if (forward.kind !== 'tangent') return null;
    return {
      setTangentParameters: (tangent: GPUBuffer) => forward.jet.bind(this.io.params, tangent),
      encodeDirectionalDerivative: (encoder: GPUCommandEncoder, result: GPUBuffer) => {
        this.encodeLoss(encoder);
        forward.dot.encode(encoder, result);
      },
    };
  }

  destroy(): void {
    this.forward.jet.destroy();
    if (this.forward.kind === 'tangent') this.forward.dot.destroy();
    this.backward?.destroy();
    this.residual.destroy(this.buffers);
    this.reducer.destroy();
    this.exact.destroy();
    this.pointDraw.destroy();
    this.jetDraw?.destroy();
    for (const buffer of this.io.owned) this.buffers.destroy(buffer);
  }
}
