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
import { checkBatch, POINT_PARAMS_LABEL, pointParams, type PointBatch } from './pointGrid.ts';
import {
  type PointSource,
  type PointStorage,
  pointElements,
  pointSourceWords,
  storedPoints,
} from '../engine/pointSource.ts';

/**
 * Each solution's dispatches in order (pdeExact.wgsl: `blocks` over (point, coordinate block),
 * `points` one invocation per point), whether it takes an N(u) (override NONLINEARITY: only the
 * Laplacian problems have one), and the order-k problems' DIAGONAL_ORDER.
 */
type ExactStage = { entryPoint: string; over: 'blocks' | 'points' };
const laplacian = (blocks: string): ExactStage[] => [
  { entryPoint: blocks, over: 'blocks' },
  { entryPoint: 'laplacianFinish', over: 'points' },
];
const sinChainStages: ExactStage[] = [
  { entryPoint: 'sinChainNormBlocks', over: 'blocks' },
  { entryPoint: 'sinChainScale', over: 'points' },
  { entryPoint: 'sinChainBlocks', over: 'blocks' },
  { entryPoint: 'sinChainFinish', over: 'points' },
];
const ENTRY_POINTS: Record<
  BallSolutionId,
  { stages: ExactStage[]; nonlinear?: true; diagonalOrder?: number }
> = {
  'two-body': { stages: laplacian('twoBodyBlocks'), nonlinear: true },
  'three-body': { stages: laplacian('threeBodyBlocks'), nonlinear: true },
  'clamped-sin-cos': {
    stages: [
      { entryPoint: 'clampedSinCosBlocks', over: 'blocks' },
      { entryPoint: 'clampedSinCosFinish', over: 'points' },
    ],
  },
  'sin-chain-2': { stages: sinChainStages, diagonalOrder: 2 },
  'sin-chain-4': { stages: sinChainStages, diagonalOrder: 4 },
  'sin-chain-6': { stages: sinChainStages, diagonalOrder: 6 },
  'sin-chain-8': { stages: sinChainStages, diagonalOrder: 8 },
};

/**
 * Coordinates per block of the exact-source sums: 64 per invocation of the default workgroup. At
 * d = 100 000 and 32 points that is 25 blocks, 800 workgroups (the scale issue asks ≥ 512 of every
 * stage growing with d there), and every d ≤ 4096 (the tests' and the dashboard's runs) stays one
 * block, whose sums are those of the one-workgroup-per-point kernel this replaced, bit for bit.
 */
export const EXACT_BLOCK = 4096;

/** What one evaluation of u* and f at `count` points dispatches and needs besides its outputs. */
export interface ExactDispatchPlan {
  /** Coordinates per block and blocks per point S = ⌈d / block⌉. */
  block: number;
  blocks: number;
  /** Entry points in order, with their workgroup counts. */
  dispatches: { entryPoint: string; workgroups: number }[];
  /** Bytes of the partials buffer: 2·N·S block sums and N point sums, vec4<f32> each. */
  partialsBytes: number;
}

/** The dispatches of `solution` at `count` points of dimension d in blocks of `block`. Pure. */
export function planExactDispatches(
  solution: BallSolutionId,
  count: number,
  dimension: number,
  block = EXACT_BLOCK,
  workgroupSize = 64,
): ExactDispatchPlan {
  if (!Number.isInteger(block) || block < 1) {
    throw new RangeError(`the exact source's block must be a positive integer, got ${block}`);
  }
  const blocks = Math.ceil(dimension / block);
  const dispatches = ENTRY_POINTS[solution].stages.map(({ entryPoint, over }) => ({
    entryPoint,
    workgroups: over === 'blocks' ? count * blocks : Math.ceil(count / workgroupSize),
  }));
  return { block, blocks, dispatches, partialsBytes: (2 * blocks + 1) * count * 16 };
}

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
  lib.random,
  lib.ballPoints,
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

/**
 * The block sums an evaluation left in its partials buffer (pdeExact.wgsl): what ∂_j f of the
 * same points reads (pdeSourceGradient.wgsl) instead of summing over d again.
 */
export interface ExactSums {
  readonly buffer: GPUBuffer;
  readonly solution: BallSolutionId;
  readonly count: number;
  readonly blocks: number;
}

/** Regenerated ball points (pointSource.ts): the draw's source and its step counter. */
export interface RegeneratedPoints {
  readonly source: PointSource;
  readonly stepCounter: GPUBuffer;
}

/** A batch whose `points` is a ball draw's partials (stride d), checked against its source. */
function checkRegenerated(batch: PointBatch, regenerated: RegeneratedPoints): Required<PointBatch> {
  const { count, dim } = batch;
  const needed = pointElements(regenerated.source, count, dim) * 4;
  if (regenerated.source.storage !== 'regenerated' || (batch.stride ?? dim) !== dim) {
    throw new RangeError('exact source: regenerated points are a ball draw of stride d');
  }
  if (batch.points.size < needed) {
    throw new RangeError(
      `exact source: the draw's partials hold ${batch.points.size} bytes, ${needed} are read`,
    );
  }
  return { ...batch, stride: dim };
}

/** The bound dispatches of the exact-solution kernels: record them as often as the points change. */
export interface ExactDispatch {
  readonly sums: ExactSums;
  readonly dispatches: readonly {
    kernel: ComputeKernel;
    bindGroup: GPUBindGroup;
    workgroups: number;
  }[];
  readonly params: GPUBuffer;
}

export interface ExactOutputs {
  /** u*(x_p), count f32. */
  exact: GPUBuffer;
  /** f(x_p) = L u*(x_p), count f32. */
  source: GPUBuffer;
  /** The block and point sums, ExactDispatchPlan.partialsBytes. */
  partials: GPUBuffer;
}

/**
 * u*(x) and f(x) of one ball problem for a buffer of points, on the GPU (shaders/pdeExact.wgsl):
 * O(d) per point, over (point, block of coordinates).
 */
export class BallExactKernel {
  private constructor(
    private readonly solution: BallSolutionId,
    private readonly kernels: readonly ComputeKernel[],
    private readonly workgroupSize: number,
    private readonly storage: PointStorage,
  ) {}

  /**
   * `nonlinearity` must be 'none' for the biharmonic and diagonal solutions (only the Laplacian
   * ones have an N(u)). `workgroupSize` must be a power of two. With regenerated points
   * (`storage`) every batch it prepares is a ball draw's (RegeneratedBatch).
   */
  static async create(
    device: GPUDevice,
    solution: BallSolutionId,
    nonlinearity: BallNonlinearityId,
    workgroupSize = 64,
    storage: PointStorage = 'stored',
  ): Promise<BallExactKernel> {
    const { stages, nonlinear, diagonalOrder } = ENTRY_POINTS[solution];
    if (!nonlinear && nonlinearity !== 'none') {
      throw new RangeError(`the ${solution} problem has no nonlinearity`);
    }
    if (!Number.isInteger(Math.log2(workgroupSize))) {
      throw new RangeError(`workgroup size must be a power of two, got ${workgroupSize}`);
    }
    const constants: Record<string, number> = {
      WORKGROUP_SIZE: workgroupSize,
      POINTS: storage === 'regenerated' ? 1 : 0,
    };
    if (nonlinear) constants.NONLINEARITY = NONLINEARITY_CODES[nonlinearity];
    if (diagonalOrder !== undefined) constants.DIAGONAL_ORDER = diagonalOrder;
    const kernels = await Promise.all(
      stages.map(({ entryPoint }) => cachedKernel(device, EXACT_PARTS, { entryPoint, constants })),
    );
    return new BallExactKernel(solution, kernels, workgroupSize, storage);
  }

  /** The dispatch plan of `count` points of dimension d in blocks of `block`. */
  plan(count: number, dimension: number, block = EXACT_BLOCK): ExactDispatchPlan {
    return planExactDispatches(this.solution, count, dimension, block, this.workgroupSize);
  }

  /**
   * Binds points, coefficients and outputs (partials of plan(count, dim, block).partialsBytes);
   * free the result with `release`. A kernel for regenerated points takes the ball draw's
   * partials as `batch.points`, with its source and step counter in `regenerated`.
   */
  prepare(
    memory: GpuMemory,
    batch: PointBatch,
    coefficients: GPUBuffer,
    outputs: ExactOutputs,
    block = EXACT_BLOCK,
    regenerated?: RegeneratedPoints,
  ): ExactDispatch {
    if ((regenerated !== undefined) !== (this.storage === 'regenerated')) {
      throw new RangeError(
        `exact source: the kernel reads ${this.storage} points, the batch has ` +
          `${regenerated ? 'regenerated' : 'stored'} ones`,
      );
    }
    const checked = regenerated ? checkRegenerated(batch, regenerated) : checkBatch(batch);
    const plan = this.plan(checked.count, checked.dim, block);
    if (outputs.partials.size < plan.partialsBytes) {
      throw new RangeError(
        `exact source: the partials need ${plan.partialsBytes} bytes, the buffer has ${outputs.partials.size}`,
      );
    }
    const params = memory.createUniform(POINT_PARAMS_LABEL, this.kernels[0].struct('params'), {
      ...pointParams(checked),
      block: plan.block,
      blocks: plan.blocks,
      pointSource: pointSourceWords(regenerated?.source ?? storedPoints),
    });
    const bytes = checked.count * 4;
    const resources = {
      params,
      points: checked.points,
      coefficients,
      exact: { buffer: outputs.exact, size: bytes },
      source: { buffer: outputs.source, size: bytes },
      partials: { buffer: outputs.partials, size: plan.partialsBytes },
      // Read with regenerated points only; stored ones bind a read-only stand-in.
      stepCounter: regenerated?.stepCounter ?? coefficients,
    };
    const dispatches = plan.dispatches.map(({ workgroups }, i) => ({
      kernel: this.kernels[i],
      bindGroup: this.kernels[i].bind(resources),
      workgroups,
    }));
    const sums = {
      buffer: outputs.partials,
      solution: this.solution,
      count: checked.count,
      blocks: plan.blocks,
    };
    return { sums, dispatches, params };
  }

  /** The dispatches in order (one pass orders their storage writes). */
  encode(pass: GPUComputePassEncoder, dispatch: ExactDispatch): void {
    for (const d of dispatch.dispatches) d.kernel.dispatchFolded(pass, d.bindGroup, d.workgroups);
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
    block = EXACT_BLOCK,
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
    const partials = memory.create(
      'pde exact partials',
      this.plan(count, dim, block).partialsBytes,
    );
    const dispatch = this.prepare(
      memory,
      { points: pointBuffer, count, dim },
      coefficientBuffer,
      { exact, source, partials },
      block,
    );
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
      for (const buffer of [pointBuffer, coefficientBuffer, exact, source, partials]) {
        memory.destroy(buffer);
      }
    }
  }
}
