import exactCode from '../../shaders/pdeExact.wgsl?raw';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { readFloat32 } from '../gpu/gpuMemory.ts';
import { composeShader } from '../gpu/composeShader.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { reflectStructView, type StructView } from '../gpu/structView.ts';
import type { BallNonlinearityId } from './ballProblem.ts';
import type { BallSolutionId } from './ballSolution.ts';
import { checkBatch, createPointParams, type PointBatch } from './pointGrid.ts';

/**
 * Each solution's entry point: whether it takes an N(u) (override NONLINEARITY: only the Laplacian
 * problems have one), and the order-k problems' DIAGONAL_ORDER.
 */
const ENTRY_POINTS: Record<
  BallSolutionId,
  { entryPoint: string; nonlinear?: true; diagonalOrder?: number }
> = {
  'two-body': { entryPoint: 'twoBody', nonlinear: true },
  'three-body': { entryPoint: 'threeBody', nonlinear: true },
  'clamped-sin-cos': { entryPoint: 'clampedSinCos' },
  'sin-chain-2': { entryPoint: 'sinChain', diagonalOrder: 2 },
  'sin-chain-4': { entryPoint: 'sinChain', diagonalOrder: 4 },
  'sin-chain-6': { entryPoint: 'sinChain', diagonalOrder: 6 },
  'sin-chain-8': { entryPoint: 'sinChain', diagonalOrder: 8 },
};

/** The shader's NONLINEARITY override values. */
const NONLINEARITY_CODES: Record<BallNonlinearityId, number> = {
  none: 0,
  'allen-cahn': 1,
  'sine-gordon': 2,
};

const EXACT_PARTS = [
  lib.accurateMath,
  lib.grid,
  lib.nonlinearity,
  lib.pointBatch,
  lib.ballSums,
  lib.twoBodySummand,
  { name: 'pdeExact.wgsl', code: exactCode },
];

let paramsView: StructView | undefined;
/** The layout of pdeExact.wgsl's `params` (reflected once, without a device). */
export function exactParamsView(): StructView {
  return (paramsView ??= reflectStructView(composeShader(EXACT_PARTS), 'params'));
}

/** Bytes of the coefficient buffer of a solution with `count` c_i (4 when there are none). */
export function coefficientBytes(count: number): number {
  return Math.max(count, 1) * 4;
}

/** Uploads the c_i of an exact solution once, as f32 (a 4-byte buffer when there are none). */
export function uploadCoefficients(memory: GpuMemory, c: ArrayLike<number>): GPUBuffer {
  return memory.createFrom('pde coefficients', Float32Array.from(c.length > 0 ? c : [0]));
}

/** A bound dispatch of the exact-solution kernel: record it as often as the points change. */
export interface ExactDispatch {
  readonly bindGroup: GPUBindGroup;
  readonly params: GPUBuffer;
  /** Points: one workgroup each, folded into the device grid. */
  readonly workgroups: number;
}

export interface ExactOutputs {
  /** u*(x_p), count f32. */
  exact: GPUBuffer;
  /** f(x_p) = L u*(x_p), count f32. */
  source: GPUBuffer;
}

/**
 * u*(x) and f(x) of one ball problem for a buffer of points, on the GPU (shaders/pdeExact.wgsl):
 * O(d) per point, one workgroup per point.
 */
export class BallExactKernel {
  private constructor(private readonly kernel: ComputeKernel) {}

  /**
   * `nonlinearity` must be 'none' for the biharmonic and diagonal solutions (only the Laplacian
   * ones have an N(u)). `workgroupSize` must be a power of two.
   */
  static async create(
    device: GPUDevice,
    solution: BallSolutionId,
    nonlinearity: BallNonlinearityId,
    workgroupSize = 64,
  ): Promise<BallExactKernel> {
    const { entryPoint, nonlinear, diagonalOrder } = ENTRY_POINTS[solution];
    if (!nonlinear && nonlinearity !== 'none') {
      throw new RangeError(`the ${solution} problem has no nonlinearity`);
    }
    if (!Number.isInteger(Math.log2(workgroupSize))) {
      throw new RangeError(`workgroup size must be a power of two, got ${workgroupSize}`);
    }
    const constants: Record<string, number> = { WORKGROUP_SIZE: workgroupSize };
    if (nonlinear) constants.NONLINEARITY = NONLINEARITY_CODES[nonlinearity];
    if (diagonalOrder !== undefined) constants.DIAGONAL_ORDER = diagonalOrder;
    const kernel = await cachedKernel(device, EXACT_PARTS, { entryPoint, constants });
    return new BallExactKernel(kernel);
  }

  /** Binds points, coefficients and outputs; free the result with `release`. */
  prepare(
    memory: GpuMemory,
    batch: PointBatch,
    coefficients: GPUBuffer,
    outputs: ExactOutputs,
  ): ExactDispatch {
    const checked = checkBatch(batch);
    const params = createPointParams(memory, this.kernel.struct('params'), checked);
    const bytes = checked.count * 4;
    const bindGroup = this.kernel.bind({
      params,
      points: checked.points,
      coefficients,
      exact: { buffer: outputs.exact, size: bytes },
      source: { buffer: outputs.source, size: bytes },
    });
    return { bindGroup, params, workgroups: checked.count };
  }

  encode(pass: GPUComputePassEncoder, dispatch: ExactDispatch): void {
    this.kernel.dispatchFolded(pass, dispatch.bindGroup, dispatch.workgroups);
  }

  release(memory: GpuMemory, dispatch: ExactDispatch): void {
    memory.destroy(dispatch.params);
  }

  /**
   * One round trip: uploads `points` (count × dim, row-major) and the coefficients, runs, reads u*
   * and f back. For tests and offline evaluation; the trainer keeps everything on the GPU.
   */
  async evaluate(
    memory: GpuMemory,
    points: Float32Array,
    dim: number,
    coefficients: ArrayLike<number>,
  ): Promise<{ u: Float32Array; f: Float32Array }> {
    const count = points.length / dim;
    if (!Number.isInteger(count)) {
      throw new RangeError(`${points.length} coordinates are not a whole number of ${dim}-vectors`);
    }
    const device = memory.device;
    const pointBuffer = memory.createFrom('pde points', points);
    const coefficientBuffer = uploadCoefficients(memory, coefficients);
    const exact = memory.create('pde exact u*', count * 4);
    const source = memory.create('pde source f', count * 4);
    const dispatch = this.prepare(memory, { points: pointBuffer, count, dim }, coefficientBuffer, {
      exact,
      source,
    });
    try {
      const encoder = device.createCommandEncoder({ label: 'pde exact' });
      const pass = encoder.beginComputePass();
      this.encode(pass, dispatch);
      pass.end();
      device.queue.submit([encoder.finish()]);
      const u = await readFloat32(device, exact, count);
      const f = await readFloat32(device, source, count);
      return { u, f };
    } finally {
      this.release(memory, dispatch);
      for (const buffer of [pointBuffer, coefficientBuffer, exact, source]) {
        memory.destroy(buffer);
      }
    }
  }
}
