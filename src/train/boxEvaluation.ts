/**
 * Relative L2 and L1 errors of the network against the exact travelling wave on the fixed test
 * grid of a high-order box problem (src/pdes/boxTestSet.ts): the points are uploaded once, the
 * values come from one forward pass, and the errors accumulate in float64 on the CPU.
 */
import { ForwardJet, type ForwardJetConfig } from '../engine/forwardJet.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import { type GpuMemory, readFloat32 } from '../gpu/gpuMemory.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import { boxTestSet, type BoxTestSet } from '../pdes/boxTestSet.ts';
import type { HighOrderPdeEntry } from '../pdes/index.ts';
import { RelativeErrorAccumulator } from '../pdes/metrics.ts';
import { type EngineLimits, forwardJetBuffers } from './enginePlans.ts';
import { valueJetConfig, valuesOfRows } from './valueJet.ts';
import type { TrainingOptions } from './options.ts';
import type { EvaluationMetrics, ProblemEvaluation } from './problemGraph.ts';

export interface BoxEvaluationPlan {
  readonly testSet: BoxTestSet;
  readonly forward: ForwardJetConfig;
  readonly named: {
    readonly points: PlannedBuffer;
    readonly index: PlannedBuffer;
    readonly coefficient: PlannedBuffer;
  };
  readonly buffers: readonly PlannedBuffer[];
}

export function planBoxEvaluation(
  pde: HighOrderPdeEntry,
  options: Pick<TrainingOptions, 'testPoints'>,
  architecture: MlpArchitecture,
  limits: EngineLimits,
): BoxEvaluationPlan {
  const testSet = boxTestSet(pde.problem, options.testPoints);
  const count = testSet.exact.length;
  const named = {
    points: storageBuffer('box test points', testSet.points.byteLength),
    index: storageBuffer('test tangent index', count * 4),
    coefficient: storageBuffer('test tangent coefficient', count * 4),
  };
  const forward = valueJetConfig(architecture, count);
  return {
    testSet,
    forward,
    named,
    buffers: [...Object.values(named), ...forwardJetBuffers(forward, true, limits)],
  };
}

export class BoxEvaluation implements ProblemEvaluation {
  private constructor(
    private readonly memory: GpuMemory,
    private readonly testSet: BoxTestSet,
    private readonly forward: ForwardJet,
    private readonly owned: GPUBuffer[],
  ) {}

  static async create(
    memory: GpuMemory,
    pde: HighOrderPdeEntry,
    options: Pick<TrainingOptions, 'testPoints'>,
    architecture: MlpArchitecture,
    params: GPUBuffer,
  ): Promise<BoxEvaluation> {
    const plan = planBoxEvaluation(pde, options, architecture, memory.device.limits);
    const { named, testSet } = plan;
    const count = testSet.exact.length;
    const owned = [
      memory.createFrom(named.points.label, testSet.points),
      memory.createFrom(named.index.label, new Int32Array(count).fill(-1)),
      memory.create(named.coefficient.label, named.coefficient.bytes),
    ];
    const forward = await ForwardJet.create(memory, plan.forward, params, {
      x: owned[0],
      tangentIndex: owned[1],
      tangents: owned[2],
    });
    return new BoxEvaluation(memory, testSet, forward, owned);
  }

  async evaluate(): Promise<EvaluationMetrics> {
    const device = this.memory.device;
    const encoder = device.createCommandEncoder({ label: 'box test grid' });
    this.forward.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const count = this.testSet.exact.length;
    const rows = await readFloat32(device, this.forward.buffers.output, 2 * count);
    const accumulator = new RelativeErrorAccumulator();
    accumulator.add(valuesOfRows(rows, count), this.testSet.exact);
    return accumulator.result();
  }

  destroy(): void {
    this.forward.destroy();
    for (const buffer of this.owned) this.memory.destroy(buffer);
  }
}
