/**
 * The gPINN loss of a ball problem on the GPU (shaders/gpinnResidual.wgsl): r and ∂_j r from the
 * rows of the ∂_jΔu 7-jets, the loss terms r² + c (∂_j r)² (or the two-draw products) and ∂L/∂y
 * for every output row. gpinnResidual.ts is the float64 version it is tested against.
 */
import gpinnCode from '../../shaders/gpinnResidual.wgsl?raw';
import { type PlannedBuffer, storageBuffer, uniformBuffer } from '../gpu/bufferPlan.ts';
import { composeShader } from '../gpu/composeShader.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { reflectStructView, type StructValue, type StructView } from '../gpu/structView.ts';
import type { BallNonlinearityId } from '../pdes/ballProblem.ts';
import type { GpinnRowWeights } from './gpinnResidual.ts';

const NONLINEARITY: Record<BallNonlinearityId, number> = {
  none: 0,
  'allen-cahn': 1,
  'sine-gordon': 2,
};
const WORKGROUP_SIZE = 64;
/** Weight vectors in the kernel's order: u, u_j, then Δ and ∂_jΔ of each of two draws. */
const WEIGHT_VECTORS = 6;

const PARTS = [
  lib.accurateMath,
  lib.grid,
  lib.nonlinearity,
  { name: 'gpinnResidual.wgsl', code: gpinnCode },
];

let paramsView: StructView | undefined;
function gpinnParamsView(): StructView {
  return (paramsView ??= reflectStructView(composeShader(PARTS), 'params'));
}

export interface GpinnLossPlan {
  readonly points: number;
  readonly rows: number;
  readonly constants: Record<string, number>;
  readonly params: StructValue;
  readonly workgroups: number;
  readonly named: { readonly params: PlannedBuffer; readonly weights: PlannedBuffer };
  readonly buffers: readonly PlannedBuffer[];
}

/** The loss of `points` points of `rows` rows; two draws select the unbiased products. */
export function planGpinnLoss(
  nonlinearity: BallNonlinearityId,
  points: number,
  rows: number,
  draws: 1 | 2,
  weight: number,
): GpinnLossPlan {
  const named = {
    params: uniformBuffer('gpinn params', gpinnParamsView().size),
    weights: storageBuffer('gpinn row weights', WEIGHT_VECTORS * rows * 4),
  };
  return {
    points,
    rows,
    constants: { WORKGROUP_SIZE, NONLINEARITY: NONLINEARITY[nonlinearity], LOSS: draws - 1 },
    params: { points, rows, scale: 1 / points, weight },
    workgroups: Math.ceil(points / WORKGROUP_SIZE),
    named,
    buffers: [named.params, named.weights],
  };
}

/** The six weight vectors of the kernel (one draw: the second repeats the first). */
export function gpinnWeightBuffer(weights: GpinnRowWeights): Float32Array {
  const second = weights.laplacian.length > 1 ? 1 : 0;
  const vectors = [
    weights.value,
    weights.uJ,
    weights.laplacian[0],
    weights.laplacianJ[0],
    weights.laplacian[second],
    weights.laplacianJ[second],
  ];
  const V = weights.value.length;
  const out = new Float32Array(WEIGHT_VECTORS * V);
  vectors.forEach((w, k) => out.set(w, k * V));
  return out;
}

export interface GpinnLossBuffers {
  output: GPUBuffer;
  source: GPUBuffer;
  sourceGradient: GPUBuffer;
  lossTerms: GPUBuffer;
  cotangent: GPUBuffer;
}

export class GpinnLoss {
  private constructor(
    private readonly kernel: ComputeKernel,
    private readonly bindGroup: GPUBindGroup,
    private readonly owned: GPUBuffer[],
    private readonly workgroups: number,
  ) {}

  static async build(
    memory: GpuMemory,
    plan: GpinnLossPlan,
    weights: GpinnRowWeights,
    io: GpinnLossBuffers,
  ): Promise<GpinnLoss> {
    if (weights.value.length !== plan.rows) {
      throw new RangeError(
        `gpinn loss: the plan has ${plan.rows} rows, got ${weights.value.length}`,
      );
    }
    const kernel = await cachedKernel(memory.device, PARTS, { constants: plan.constants });
    const owned = [
      memory.createUniform(plan.named.params.label, kernel.struct('params'), plan.params),
      memory.createFrom(plan.named.weights.label, gpinnWeightBuffer(weights)),
    ];
    const bindGroup = kernel.bind({ params: owned[0], weights: owned[1], ...io });
    return new GpinnLoss(kernel, bindGroup, owned, plan.workgroups);
  }

  record(pass: GPUComputePassEncoder): void {
    this.kernel.dispatch(pass, this.bindGroup, this.workgroups);
  }

  destroy(memory: GpuMemory): void {
    for (const buffer of this.owned) memory.destroy(buffer);
  }
}
