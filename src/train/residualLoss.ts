import accurateMathCode from '../../shaders/accurateMath.wgsl?raw';
import residualCode from '../../shaders/pinnResidual.wgsl?raw';
import type { GpuBuffers } from '../gpu/buffers.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
/** N(u) of the residual (pinnResidual.wgsl's NONLINEARITY override). */
export type ResidualNonlinearity = 'none' | 'allen-cahn' | 'sine-gordon' | 'semilinear-heat';

const NONLINEARITY: Record<ResidualNonlinearity, number> = {
  none: 0,
  'allen-cahn': 1,
  'sine-gordon': 2,
  'semilinear-heat': 3,
};

export interface ResidualForm {
  nonlinearity: ResidualNonlinearity;
  /** D of the sine-Gordon term D·sin(u/D): 1 in the ball, d for the scaled parabolic form. */
  nonlinearityScale?: number;
  /** Factor on every loss term, so a longer loss-terms buffer can hold other parts (default 1). */
  termScale?: number;
}
const WORKGROUP_SIZE = 64;

/** The buffers one residual dispatch reads and writes (sizes in pinnResidual.wgsl's header). */
export interface ResidualBuffers {
  output: GPUBuffer;
  source: GPUBuffer;
  residual: GPUBuffer;
  lossTerms: GPUBuffer;
  cotangent: GPUBuffer;
}

/**
 * r = Σ_v w_v·u_v + N(u) − f per point, the loss terms and ∂L/∂u for every output row, on the GPU
 * (shaders/pinnResidual.wgsl), bound once for a batch shape.
 */
export class ResidualLoss {
  private constructor(
    private readonly kernel: ComputeKernel,
    private readonly bindGroup: GPUBindGroup,
    private readonly owned: GPUBuffer[],
    private readonly points: number,
  ) {}

  /**
   * `weights` (and `weights2` for the unbiased loss) are the operator's row weights
   * (operators/combine.ts quantityRowWeights) for the batch's row structure.
   */
  static async create(
    buffers: GpuBuffers,
    form: ResidualForm,
    points: number,
    weights: Float64Array,
    weights2: Float64Array | null,
    io: ResidualBuffers,
  ): Promise<ResidualLoss> {
    const kernel = await cachedKernel(
      buffers.device,
      [
        { name: 'accurateMath.wgsl', code: accurateMathCode },
        { name: 'pinnResidual.wgsl', code: residualCode },
      ],
      {
        constants: {
          WORKGROUP_SIZE,
          NONLINEARITY: NONLINEARITY[form.nonlinearity],
          LOSS: weights2 ? 1 : 0,
        },
      },
    );
    const rows = weights.length;
    const params = new ArrayBuffer(32);
    new Uint32Array(params, 0, 2).set([points, rows]);
    new Float32Array(params, 8, 3).set([
      1 / points,
      form.termScale ?? 1,
      form.nonlinearityScale ?? 1,
    ]);
    const owned = [
      buffers.createFrom('residual params', new Uint8Array(params), 'uniform'),
      buffers.createFrom('residual weights', Float32Array.from(weights)),
      buffers.createFrom('residual weights 2', Float32Array.from(weights2 ?? weights)),
    ];
    const bindGroup = kernel.bind({
      params: owned[0],
      weights: owned[1],
      weights2: owned[2],
      ...io,
    });
    return new ResidualLoss(kernel, bindGroup, owned, points);
  }

  record(pass: GPUComputePassEncoder): void {
    this.kernel.dispatch(pass, this.bindGroup, this.kernel.workgroupsFor(this.points));
  }

  destroy(buffers: GpuBuffers): void {
    for (const buffer of this.owned) buffers.destroy(buffer);
  }
}
