/**
 * The metric of the parabolic problems (DESIGN.md §4): the network's u(x = 0, t = 0) against the
 * reference value for the dimension, by a forward pass at that single point.
 */
import { ForwardJet, type ForwardJetConfig } from '../engine/forwardJet.ts';
import type { PlannedBuffer } from '../gpu/bufferPlan.ts';
import { type GpuMemory, readFloat32 } from '../gpu/gpuMemory.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import type { ParabolicPdeEntry } from '../pdes/index.ts';
import { parabolicReferenceValue } from '../pdes/parabolicReference.ts';
import { type EngineLimits, forwardJetBuffers } from './enginePlans.ts';
import type { TrainingOptions } from './options.ts';
import type { EvaluationMetrics, ProblemEvaluation } from './problemGraph.ts';

/** Values only: one jet of order 1 with a zero tangent (index −1) at the single point. */
function evaluationConfig(architecture: MlpArchitecture): ForwardJetConfig {
  return {
    architecture,
    shape: { points: 1, directions: 1, order: 1, structure: 'standard' },
    tangentKind: 'oneHot',
  };
}

/** Every buffer `ParabolicEvaluation.create` allocates: one forward pass at one point. */
export function planParabolicEvaluation(
  architecture: MlpArchitecture,
  limits: EngineLimits,
): readonly PlannedBuffer[] {
  return forwardJetBuffers(evaluationConfig(architecture), false, limits);
}

export class ParabolicEvaluation implements ProblemEvaluation {
  private constructor(
    private readonly device: GPUDevice,
    private readonly forward: ForwardJet,
    /** u(0, 0) of the solution, undefined where the table has no value for d. */
    private readonly reference: number | undefined,
  ) {}

  static async create(
    memory: GpuMemory,
    pde: ParabolicPdeEntry,
    options: TrainingOptions,
    architecture: MlpArchitecture,
    params: GPUBuffer,
  ): Promise<ParabolicEvaluation> {
    const d = options.dimension;
    const forward = await ForwardJet.create(memory, evaluationConfig(architecture), params);
    forward.upload(new Float32Array(d + 1), {
      kind: 'oneHot',
      index: Int32Array.of(-1),
      coefficient: Float32Array.of(0),
    });
    return new ParabolicEvaluation(
      memory.device,
      forward,
      parabolicReferenceValue(pde.problem.id, d),
    );
  }

  /** u_θ(0, 0) and, where a reference exists, |u_θ(0, 0) − ref|/|ref| (awaits one readback). */
  async evaluate(): Promise<EvaluationMetrics> {
    const encoder = this.device.createCommandEncoder({ label: 'u(0, 0)' });
    this.forward.encode(encoder);
    this.device.queue.submit([encoder.finish()]);
    const [value] = await readFloat32(this.device, this.forward.buffers.output, 1);
    if (this.reference === undefined) return { value };
    return {
      value,
      pointRelativeError: Math.abs(value - this.reference) / Math.abs(this.reference),
    };
  }

  destroy(): void {
    this.forward.destroy();
  }
}
