import residualCode from '../../shaders/pinnResidual.wgsl?raw';
import { type PlannedBuffer, storageBuffer, uniformBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { composeShader } from '../gpu/composeShader.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { reflectStructView, type StructValue, type StructView } from '../gpu/structView.ts';
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

const RESIDUAL_PARTS = [
  lib.accurateMath,
  lib.grid,
  lib.nonlinearity,
  { name: 'pinnResidual.wgsl', code: residualCode },
];

let paramsView: StructView | undefined;
function residualParamsView(): StructView {
  return (paramsView ??= reflectStructView(composeShader(RESIDUAL_PARTS), 'params'));
}

/** What a ResidualLoss compiles, writes and allocates, from the batch's sizes alone. */
export interface ResidualLossPlan {
  readonly points: number;
  readonly rows: number;
  readonly constants: Record<string, number>;
  /** pinnResidual.wgsl's Params, by field name. */
  readonly params: StructValue;
  readonly workgroups: number;
  readonly named: {
    readonly params: PlannedBuffer;
    readonly weights: PlannedBuffer;
    readonly weights2: PlannedBuffer;
  };
  readonly buffers: readonly PlannedBuffer[];
}

/**
 * The residual of `points` points of `rows` output rows each; `unbiased` selects the two-draw
 * loss (a second weight vector).
 */
export function planResidualLoss(
  form: ResidualForm,
  points: number,
  rows: number,
  unbiased: boolean,
): ResidualLossPlan {
  const named = {
    params: uniformBuffer('residual params', residualParamsView().size),
    weights: storageBuffer('residual weights', rows * 4),
    weights2: storageBuffer('residual weights 2', rows * 4),
  };
  return {
    points,
    rows,
    constants: {
      WORKGROUP_SIZE,
      NONLINEARITY: NONLINEARITY[form.nonlinearity],
      LOSS: unbiased ? 1 : 0,
    },
    params: {
      points,
      rows,
      scale: 1 / points,
      termScale: form.termScale ?? 1,
      nonlinearityScale: form.nonlinearityScale ?? 1,
    },
    workgroups: Math.ceil(points / WORKGROUP_SIZE),
    named,
    buffers: [named.params, named.weights, named.weights2],
  };
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
    private readonly workgroups: number,
  ) {}

  /**
   * `weights` (and `weights2` for the unbiased loss) are the operator's row weights
   * (operators/combine.ts quantityRowWeights) for the batch's row structure.
   */
  static async create(
    memory: GpuMemory,
    form: ResidualForm,
    points: number,
    weights: Float64Array,
    weights2: Float64Array | null,
    io: ResidualBuffers,
  ): Promise<ResidualLoss> {
    const plan = planResidualLoss(form, points, weights.length, weights2 !== null);
    return ResidualLoss.build(memory, plan, weights, weights2, io);
  }

  /** Compiles, uploads the weights and binds a planned residual. */
  static async build(
    memory: GpuMemory,
    plan: ResidualLossPlan,
    weights: Float64Array,
    weights2: Float64Array | null,
    io: ResidualBuffers,
  ): Promise<ResidualLoss> {
    if (weights.length !== plan.rows || (weights2 && weights2.length !== plan.rows)) {
      throw new RangeError(`residual: the plan has ${plan.rows} rows, got ${weights.length}`);
    }
    const kernel = await cachedKernel(memory.device, RESIDUAL_PARTS, {
      constants: plan.constants,
    });
    const { named } = plan;
    const owned = [
      memory.createUniform(named.params.label, kernel.struct('params'), plan.params),
      memory.createFrom(named.weights.label, Float32Array.from(weights)),
      memory.createFrom(named.weights2.label, Float32Array.from(weights2 ?? weights)),
    ];
    const bindGroup = kernel.bind({
      params: owned[0],
      weights: owned[1],
      weights2: owned[2],
      ...io,
    });
    return new ResidualLoss(kernel, bindGroup, owned, plan.workgroups);
  }

  record(pass: GPUComputePassEncoder): void {
    this.kernel.dispatch(pass, this.bindGroup, this.workgroups);
  }

  destroy(memory: GpuMemory): void {
    for (const buffer of this.owned) memory.destroy(buffer);
  }
}
