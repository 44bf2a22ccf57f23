/**
 * The metric of the parabolic problems (DESIGN.md §4): the network's u(x = 0, t = 0) against the
 * reference value for the dimension, by a forward pass at that single point.
 */
import { ForwardJet } from '../engine/forwardJet.ts';
import { type GpuBuffers, readFloat32 } from '../gpu/buffers.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import type { ParabolicPdeEntry } from '../pdes/index.ts';
import { parabolicReferenceValue } from '../pdes/parabolicReference.ts';
import type { TrainingOptions } from './options.ts';
import type { EvaluationMetrics, ProblemEvaluation } from './problemGraph.ts';

export class ParabolicEvaluation implements ProblemEvaluation {
  private constructor(
    private readonly device: GPUDevice,
    private readonly forward: ForwardJet,
    /** u(0, 0) of the solution, undefined where the table has no value for d. */
    private readonly reference: number | undefined,
  ) {}

  static async create(
    buffers: GpuBuffers,
    pde: ParabolicPdeEntry,
    options: TrainingOptions,
    architecture: MlpArchitecture,
    params: GPUBuffer,
  ): Promise<ParabolicEvaluation> {
    const d = options.dimension;
    // Values only: one jet of order 1 with a zero tangent (index −1) at the single point.
    const forward = await ForwardJet.create(
      buffers,
      {
        architecture,
        shape: { points: 1, directions: 1, order: 1, structure: 'standard' },
        tangentKind: 'oneHot',
      },
      params,
    );
    forward.upload(new Float32Array(d + 1), {
      kind: 'oneHot',
      index: Int32Array.of(-1),
      coefficient: Float32Array.of(0),
    });
    return new ParabolicEvaluation(
      buffers.device,
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
