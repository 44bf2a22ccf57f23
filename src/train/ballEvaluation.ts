/**
 * Relative L2 and L1 errors of the network against the exact solution on a fixed test set of a
 * ball problem. The test points come from the GPU sampler on their own random stream, one
 * batch per counter value, so the set is the same every time (and in every run with the seed);
 * u* is evaluated on the GPU; the errors accumulate in float64 on the CPU in a fixed order.
 */
import { ForwardJet, type ForwardJetConfig } from '../engine/forwardJet.ts';
import { parameterLayout } from '../engine/jetLayout.ts';
import {
  type BlockedTensor,
  type ParameterBlocks,
  singleBlock,
} from '../engine/parameterBlocks.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import { type GpuMemory, readFloat32 } from '../gpu/gpuMemory.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import type { BallPdeEntry } from '../pdes/index.ts';
import { RelativeErrorAccumulator } from '../pdes/metrics.ts';
import { evaluationBatchSize } from '../pdes/testSet.ts';
import {
  GpuPointSamplers,
  planBallDraw,
  type PointDraw,
  type PointDrawPlan,
} from '../random/gpuPointSamplers.ts';
import { GpuStepCounter } from '../random/stepCounter.ts';
import {
  BallExactAtPoints,
  type ExactAtPointsPlan,
  planExactAtPoints,
} from './ballExactAtPoints.ts';
import { type EngineLimits, forwardJetBuffers } from './enginePlans.ts';
import { valueJetConfig, valuesOfRows } from './valueJet.ts';
import type { TrainingOptions } from './options.ts';
import type { EvaluationMetrics, ProblemEvaluation } from './problemGraph.ts';

/** Random stream of the test points, apart from the training streams (counterRandom.ts). */
export const TEST_POINT_STREAM = 0x7e57;

/** The device limits the evaluation plan reads: the batch shrinks until its points fit a binding. */
export type EvaluationLimits = EngineLimits &
  Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize'>;

/** The test-set pass of a ball problem, from the options alone. */
export interface BallEvaluationPlan {
  /** Test points per batch. */
  readonly batch: number;
  readonly points: PointDrawPlan;
  readonly forward: ForwardJetConfig;
  readonly exact: ExactAtPointsPlan;
  readonly named: {
    readonly counter: PlannedBuffer;
    readonly index: PlannedBuffer;
    readonly coefficient: PlannedBuffer;
  };
  /** Every buffer `BallEvaluation.create` allocates, the forward pass's included. */
  readonly buffers: readonly PlannedBuffer[];
}

export function planBallEvaluation(
  pde: BallPdeEntry,
  options: Pick<TrainingOptions, 'dimension' | 'testPoints' | 'sampler' | 'seed'>,
  architecture: MlpArchitecture,
  limits: EvaluationLimits,
  parameterBlocks: ParameterBlocks = singleBlock(parameterLayout(architecture.widths).count),
): BallEvaluationPlan {
  const d = options.dimension;
  const batch = evaluationBatchSize(
    d,
    limits.maxStorageBufferBindingSize,
    Math.min(options.testPoints, 5000),
  );
  const points = planBallDraw(d, options.sampler, batch, {
    seed: options.seed,
    stream: TEST_POINT_STREAM,
  });
  const named = {
    counter: storageBuffer('test batch counter', 4),
    index: storageBuffer('test tangent index', batch * 4),
    coefficient: storageBuffer('test tangent coefficient', batch * 4),
  };
  const forward = { ...valueJetConfig(architecture, batch), parameterBlocks };
  const exact = planExactAtPoints(pde, d, batch, 'test');
  return {
    batch,
    points,
    forward,
    exact,
    named,
    buffers: [
      named.counter,
      ...points.buffers,
      named.index,
      named.coefficient,
      ...forwardJetBuffers(forward, true, limits),
      ...exact.buffers,
    ],
  };
}

export class BallEvaluation implements ProblemEvaluation {
  private constructor(
    private readonly memory: GpuMemory,
    private readonly batch: number,
    private readonly total: number,
    private readonly counter: GpuStepCounter,
    private readonly pointDraw: PointDraw,
    private readonly forward: ForwardJet,
    private readonly exact: BallExactAtPoints,
    private readonly owned: GPUBuffer[],
  ) {}

  static async create(
    memory: GpuMemory,
    pde: BallPdeEntry,
    options: TrainingOptions,
    architecture: MlpArchitecture,
    params: BlockedTensor,
  ): Promise<BallEvaluation> {
    const device = memory.device;
    const plan = planBallEvaluation(pde, options, architecture, device.limits, params.blocks);
    const { batch, named } = plan;
    const counter = new GpuStepCounter(memory, named.counter.label);
    const samplers = await GpuPointSamplers.create(device);
    const pointDraw = samplers.prepare(memory, counter.buffer, plan.points);
    // Values only: one jet of order 1 with a zero tangent (index −1) per point.
    const index = memory.createFrom(named.index.label, new Int32Array(batch).fill(-1));
    const coefficient = memory.create(named.coefficient.label, named.coefficient.bytes);
    const forward = await ForwardJet.create(memory, plan.forward, params, {
      x: pointDraw.points,
      tangents: coefficient,
      tangentIndex: index,
    });
    const exact = await BallExactAtPoints.create(memory, pde, options.dimension, options.seed, {
      buffer: pointDraw.points,
      count: batch,
      label: 'test',
    });
    return new BallEvaluation(
      memory,
      batch,
      options.testPoints,
      counter,
      pointDraw,
      forward,
      exact,
      [index, coefficient],
    );
  }

  /** The errors of the current parameters on the whole test set (awaits its readbacks). */
  async evaluate(): Promise<EvaluationMetrics> {
    const device = this.memory.device;
    const accumulator = new RelativeErrorAccumulator();
    for (let first = 0, b = 0; first < this.total; first += this.batch, b++) {
      const count = Math.min(this.batch, this.total - first);
      this.counter.set(b);
      const encoder = device.createCommandEncoder({ label: 'test set batch' });
      const pass = encoder.beginComputePass({ label: 'test points and u*' });
      this.pointDraw.record(pass);
      this.exact.record(pass);
      pass.end();
      this.forward.encode(encoder);
      device.queue.submit([encoder.finish()]);
      const [rows, exact] = await Promise.all([
        readFloat32(device, this.forward.buffers.output, this.batch * 2),
        readFloat32(device, this.exact.exact, this.batch),
      ]);
      accumulator.add(valuesOfRows(rows, count), exact.subarray(0, count));
    }
    return accumulator.result();
  }

  destroy(): void {
    this.forward.destroy();
    this.exact.destroy();
    this.pointDraw.destroy();
    this.counter.destroy();
    for (const buffer of this.owned) this.memory.destroy(buffer);
  }
}
