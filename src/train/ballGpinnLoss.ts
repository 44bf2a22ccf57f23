/**
 * The loss stage of a gPINN ball step: ∂_j f at the collocation points along each point's sampled
 * j (read from the step's jets, pdeSourceGradient.wgsl), then the loss terms r² + c (∂_j r)² (or
 * the two-draw products) and ∂L/∂y (gpinnResidual.wgsl). It takes the place of ResidualLoss in
 * the ball graph when gpinnWeight > 0; both kernels run in the loss pass, after the forward jets.
 */
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { gradientCoordinateSlot } from '../operators/laplacianGradient.ts';
import type { ExactSums } from '../pdes/gpuExact.ts';
import type { BallPdeEntry } from '../pdes/index.ts';
import {
  planSourceGradientParams,
  type SourceGradientDispatch,
  TwoBodySourceGradientKernel,
} from '../pdes/gpuSourceGradient.ts';
import { GpinnLoss, type GpinnLossPlan, planGpinnLoss } from './gpinnLoss.ts';
import type { GpinnRowWeights } from './gpinnResidual.ts';

export interface BallGpinnPlan {
  readonly loss: GpinnLossPlan;
  /** Jets per point R (D draws of B), which places each point's j among the jet indices. */
  readonly directions: number;
  readonly named: { readonly sourceGradient: PlannedBuffer; readonly params: PlannedBuffer };
  /** In build order: ∂_j f, its kernel's params, then the loss kernel's. */
  readonly buffers: readonly PlannedBuffer[];
}

/** N points of V rows, R jets per point in `draws` draws, weight c. */
export function planBallGpinn(
  pde: BallPdeEntry,
  points: number,
  rows: number,
  directions: number,
  draws: 1 | 2,
  weight: number,
): BallGpinnPlan {
  const loss = planGpinnLoss(pde.nonlinearity.id, points, rows, draws, weight);
  const named = {
    sourceGradient: storageBuffer('collocation ∂_j f', points * 4),
    params: planSourceGradientParams(),
  };
  return {
    loss,
    directions,
    named,
    buffers: [named.sourceGradient, named.params, ...loss.buffers],
  };
}

export interface BallGpinnInputs {
  /** The collocation points (N × d) and the problem's c_i. */
  points: GPUBuffer;
  dimension: number;
  coefficients: GPUBuffer;
  /** The exact-source kernel's sums of the same points, recorded before the loss pass. */
  sums: ExactSums;
  /** The jets' one-hot indices, where each point's j is read. */
  jetIndex: GPUBuffer;
  output: GPUBuffer;
  source: GPUBuffer;
  lossTerms: GPUBuffer;
  cotangent: GPUBuffer;
}

export class BallGpinnLoss {
  private constructor(
    private readonly kernel: TwoBodySourceGradientKernel,
    private readonly dispatch: SourceGradientDispatch,
    private readonly sourceGradient: GPUBuffer,
    private readonly loss: GpinnLoss,
  ) {}

  static async build(
    memory: GpuMemory,
    pde: BallPdeEntry,
    plan: BallGpinnPlan,
    weights: GpinnRowWeights,
    io: BallGpinnInputs,
  ): Promise<BallGpinnLoss> {
    const sourceGradient = memory.create(
      plan.named.sourceGradient.label,
      plan.named.sourceGradient.bytes,
    );
    const kernel = await TwoBodySourceGradientKernel.create(memory.device, pde.nonlinearity.id);
    const dispatch = kernel.prepare(
      memory,
      { points: io.points, count: plan.loss.points, dim: io.dimension },
      io.coefficients,
      { index: io.jetIndex, ...gradientCoordinateSlot(plan.directions) },
      io.sums,
      sourceGradient,
    );
    const loss = await GpinnLoss.build(memory, plan.loss, weights, {
      output: io.output,
      source: io.source,
      sourceGradient,
      lossTerms: io.lossTerms,
      cotangent: io.cotangent,
    });
    return new BallGpinnLoss(kernel, dispatch, sourceGradient, loss);
  }

  /** ∂_j f, then the loss terms and cotangents (dispatches in one pass are ordered). */
  record(pass: GPUComputePassEncoder): void {
    this.kernel.encode(pass, this.dispatch);
    this.loss.record(pass);
  }

  destroy(memory: GpuMemory): void {
    this.kernel.release(memory, this.dispatch);
    memory.destroy(this.sourceGradient);
    this.loss.destroy(memory);
  }
}
