/**
 * The GPU work of one training step of a high-order box problem (2-D KdV, 2-D KP, 1-D g-KdV),
 * bound once: points of the box (GPU sampler: N collocation points, then M data points on its
 * faces) → forward jets along the problem's fixed jets (uploaded once) → residuals, data misfit,
 * loss terms and ∂L/∂u (highOrderLoss.ts) → loss reduction → backward → gradient. Nothing is
 * uploaded per step but the 4-byte step counter. The data points carry the same jets as the
 * collocation points, although only their value is read: one batch, one forward and one backward
 * pass instead of a second pipeline, for M·R·K wasted rows (M = N/2 here: a third of the batch).
 */
import { type BlockedTensor, soleBuffer } from '../engine/parameterBlocks.ts';
import { BackwardJet } from '../engine/backwardJet.ts';
import { ForwardJet, type ForwardJetConfig, type TangentKind } from '../engine/forwardJet.ts';
import { type JetShape, rowsPerPoint } from '../engine/jetLayout.ts';
import { GpuReducer, reductionResultBytes } from '../engine/reductions.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import { HIGH_ORDER_DATA_LOSS } from '../pdes/highOrder.ts';
import type { HighOrderPdeEntry } from '../pdes/index.ts';
import {
  GpuPointSamplers,
  planBoxDraw,
  type PointDraw,
  type PointDrawPlan,
} from '../random/gpuPointSamplers.ts';
import { boxFaceCount } from '../random/pointSamplers.ts';
import type { GpuStepCounter } from '../random/stepCounter.ts';
import {
  backwardJetBuffers,
  type EngineLimits,
  forwardJetBuffers,
  reducerBuffers,
} from './enginePlans.ts';
import {
  HighOrderLoss,
  type HighOrderLossPlan,
  planHighOrderLoss,
  quantityWeights,
} from './highOrderLoss.ts';
import { uploadFixedJets } from './fixedJetUpload.ts';
import {
  type FixedJetBuffers,
  fixedJetBuffers,
  type OperatorSizing,
  requireSizing,
  sizingOf,
  tangentKindOf,
} from './operatorSizing.ts';
import type { TrainingOptions } from './options.ts';
import type { StepEncoder } from './boundedSubmits.ts';
import { type GraphMode, graphModeOf, type ProblemGraph } from './problemGraph.ts';

type BoxPlanOptions = Pick<
  TrainingOptions,
  'points' | 'seed' | 'gradientEstimator' | 'gpinnWeight'
>;

/** Data points of a step with N collocation points: HIGH_ORDER_DATA_LOSS's share, every face hit. */
export function boxDataPoints(interior: number, variables: number): number {
  return Math.max(boxFaceCount(variables), Math.round(HIGH_ORDER_DATA_LOSS.share * interior));
}

/** One box step, from the options alone. */
export interface BoxGraphPlan {
  readonly mode: GraphMode;
  readonly interior: number;
  readonly data: number;
  readonly sizing: OperatorSizing;
  readonly shape: JetShape;
  readonly rows: number;
  readonly tangentKind: TangentKind;
  readonly pointDraw: PointDrawPlan;
  readonly fixedJets: FixedJetBuffers;
  readonly forward: ForwardJetConfig;
  readonly named: {
    readonly lossTerms: PlannedBuffer;
    readonly cotangent: PlannedBuffer;
    readonly lossStats: PlannedBuffer;
  };
  readonly loss: HighOrderLossPlan;
  /** Every buffer the build allocates through GpuMemory, the engine's included. */
  readonly buffers: readonly PlannedBuffer[];
  /** What the graph's reducer adds when the first step records the loss reduction. */
  readonly firstStep: readonly PlannedBuffer[];
}

export function planBoxGraph(
  pde: HighOrderPdeEntry,
  options: BoxPlanOptions,
  architecture: MlpArchitecture,
  limits: EngineLimits,
): BoxGraphPlan {
  const { problem } = pde;
  const mode = graphModeOf(options.gradientEstimator);
  if (mode === 'forward-gradient') {
    throw new RangeError(`${pde.id}: the box problems have no forward-gradient pass`);
  }
  const interior = options.points;
  const width = problem.variables.length;
  const data = boxDataPoints(interior, width);
  const total = interior + data;
  const sizing = sizingOf(problem.operator());
  const shape: JetShape = {
    points: total,
    directions: sizing.directions,
    order: sizing.order,
    structure: 'standard',
  };
  const rows = rowsPerPoint(shape);
  const tangentKind = tangentKindOf(sizing);
  const box = (end: 0 | 1) => problem.variables.map((v) => (problem.box[v] ?? [NaN, NaN])[end]);
  const pointDraw = planBoxDraw(
    { low: box(0), high: box(1), timeIndex: problem.variables.indexOf('t'), interior },
    total,
    { seed: options.seed },
  );
  const fixedJets = fixedJetBuffers(shape, width, tangentKind, {
    values: 'box jets',
    coefficient: 'box jet coefficients',
    index: 'box jet indices',
  });
  const forward: ForwardJetConfig = {
    architecture,
    shape,
    tangentKind,
    layerStorage: mode === 'backprop' ? 'stored' : 'reused',
  };
  const named = {
    lossTerms: storageBuffer('loss terms', total * 4),
    cotangent: storageBuffer('cotangent dL/du', total * rows * 4),
    lossStats: storageBuffer('loss statistics', reductionResultBytes),
  };
  const loss = planHighOrderLoss(
    problem,
    shape,
    interior,
    HIGH_ORDER_DATA_LOSS.weight,
    options.gpinnWeight,
  );
  return {
    mode,
    interior,
    data,
    sizing,
    shape,
    rows,
    tangentKind,
    pointDraw,
    fixedJets,
    forward,
    named,
    loss,
    buffers: [
      ...pointDraw.buffers,
      ...Object.values(fixedJets),
      ...forwardJetBuffers(forward, true, limits),
      ...Object.values(named),
      ...loss.buffers,
      ...(mode === 'backprop'
        ? backwardJetBuffers({ architecture, shape, tangentKind }, limits)
        : []),
    ],
    firstStep: reducerBuffers([total], limits),
  };
}

export class BoxProblemGraph implements ProblemGraph {
  readonly shape: JetShape;
  readonly lossStats: GPUBuffer;
  readonly directional = null;
  readonly lossPerturbation = null;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly pointDraw: PointDraw,
    private readonly forward: ForwardJet,
    private readonly loss: HighOrderLoss,
    private readonly reducer: GpuReducer,
    private readonly backward: BackwardJet | null,
    private readonly io: { lossTerms: GPUBuffer; cotangent: GPUBuffer; owned: GPUBuffer[] },
    lossStats: GPUBuffer,
    shape: JetShape,
  ) {
    this.lossStats = lossStats;
    this.shape = shape;
  }

  static async create(
    memory: GpuMemory,
    pde: HighOrderPdeEntry,
    options: BoxPlanOptions,
    architecture: MlpArchitecture,
    params: GPUBuffer,
    stepCounter: GpuStepCounter,
  ): Promise<BoxProblemGraph> {
    const plan = planBoxGraph(pde, options, architecture, memory.device.limits);
    return BoxProblemGraph.build(memory, pde, plan, params, stepCounter);
  }

  /** Compiles, allocates and binds a planned step. */
  static async build(
    memory: GpuMemory,
    pde: HighOrderPdeEntry,
    plan: BoxGraphPlan,
    params: GPUBuffer,
    stepCounter: GpuStepCounter,
  ): Promise<BoxProblemGraph> {
    const operator = pde.problem.operator();
    requireSizing(operator, plan.sizing);
    const owned: GPUBuffer[] = [];
    const samplers = await GpuPointSamplers.create(memory.device, ['box']);
    const pointDraw = samplers.prepare(memory, stepCounter.buffer, plan.pointDraw);
    const jets = uploadFixedJets(memory, plan.fixedJets, operator, plan.shape.points, owned);
    const forward = await ForwardJet.create(memory, plan.forward, params, {
      x: pointDraw.points,
      ...jets,
    });
    const [lossTerms, cotangent, lossStats] = [
      plan.named.lossTerms,
      plan.named.cotangent,
      plan.named.lossStats,
    ].map((b) => memory.create(b.label, b.bytes));
    owned.push(lossTerms, cotangent, lossStats);
    const loss = await HighOrderLoss.build(
      memory,
      plan.loss,
      quantityWeights(operator, plan.shape),
      {
        output: forward.buffers.output,
        points: pointDraw.points,
        lossTerms,
        cotangent,
      },
    );
    const backward =
      plan.mode === 'backprop'
        ? await BackwardJet.create(memory, plan.forward.architecture, plan.shape, plan.tangentKind)
        : null;
    return new BoxProblemGraph(
      memory,
      pointDraw,
      forward,
      loss,
      await GpuReducer.create(memory),
      backward,
      { lossTerms, cotangent, owned },
      lossStats,
      plan.shape,
    );
  }

  /** The step's points (N collocation, then M on the faces): for tests and inspection. */
  get points(): GPUBuffer {
    return this.pointDraw.points;
  }

  /** ∂L/∂u of the last recorded step, (N + M)·V floats. */
  get cotangent(): GPUBuffer {
    return this.io.cotangent;
  }

  /**
   * One piece, without stage boundaries (boundedSubmits.ts): the box problems run at small d. The
   * trainer's own stages still split around it, and the graph's unannounced work counts in the
   * measured step time, which only raises the other stages' predictions.
   */
  encodeGradient(steps: StepEncoder, tensor: BlockedTensor, gradientTensor: BlockedTensor): void {
    if (!this.backward) {
      throw new Error('this problem graph was built without a backward pass (GraphMode)');
    }
    const params = soleBuffer(tensor, 'the box problems');
    const gradient = soleBuffer(gradientTensor, 'the box problems');
    this.encodeLoss(steps);
    const encoder = steps.encoder;
    this.backward.encode(encoder, {
      forward: this.forward.buffers,
      params,
      cotangent: this.io.cotangent,
      gradient,
    });
  }

  /** The step's points, forward pass, loss and its reduction (fixed order: reproducible). */
  encodeLoss(steps: StepEncoder): void {
    const encoder = steps.encoder;
    const draw = encoder.beginComputePass({ label: 'box points' });
    this.pointDraw.record(draw);
    draw.end();
    this.forward.encode(encoder);
    const pass = encoder.beginComputePass({ label: 'high-order residual and loss' });
    this.loss.record(pass);
    this.reducer.encode(pass, this.io.lossTerms, this.shape.points, this.lossStats);
    pass.end();
  }

  setLossParameters(tensor: BlockedTensor): void {
    this.forward.setParameters(soleBuffer(tensor, 'the box problems'));
  }

  destroy(): void {
    this.forward.destroy();
    this.backward?.destroy();
    this.loss.destroy(this.memory);
    this.reducer.destroy();
    this.pointDraw.destroy();
    for (const buffer of this.io.owned) this.memory.destroy(buffer);
  }
}
