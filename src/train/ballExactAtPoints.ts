import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import {
  BallExactKernel,
  coefficientBytes,
  type ExactDispatch,
  exactParamsView,
  uploadCoefficients,
} from '../pdes/gpuExact.ts';
import { type KernelCost, wordCost } from '../engine/kernelCost.ts';
import type { BallSolutionId } from '../pdes/ballSolution.ts';
import type { BallPdeEntry } from '../pdes/index.ts';
import { planPointParams } from '../pdes/pointGrid.ts';

/** What a BallExactAtPoints allocates, in order: c_i, u*, f and the kernel's point params. */
export interface ExactAtPointsPlan {
  readonly named: {
    readonly coefficients: PlannedBuffer;
    readonly exact: PlannedBuffer;
    readonly source: PlannedBuffer;
    readonly params: PlannedBuffer;
  };
  readonly buffers: readonly PlannedBuffer[];
}

/** u* and f of `pde` at `count` points of dimension d; buffers labelled after `label`. */
export function planExactAtPoints(
  pde: BallPdeEntry,
  dimension: number,
  count: number,
  label: string,
): ExactAtPointsPlan {
  const named = {
    coefficients: storageBuffer(
      'pde coefficients',
      coefficientBytes(pde.solution.coefficientCount(dimension)),
    ),
    exact: storageBuffer(`${label} u*`, count * 4),
    source: storageBuffer(`${label} f`, count * 4),
    params: planPointParams(exactParamsView()),
  };
  return { named, buffers: Object.values(named) };
}

/**
 * Words each summand of pdeExact.wgsl's coordinate loop loads: its neighbouring coordinates and
 * its c_i (two-body x_i, x_{i+1}; three-body x_i, x_{i+1}, x_{i+2}; clamped x_i, x_{i+1}). The sin
 * chain reads a summand's three words in its first sum, then per coordinate x_i and the three
 * words of each of its two summands again: 10.
 */
const summandWords: Record<BallSolutionId, number> = {
  'two-body': 3,
  'three-body': 4,
  'clamped-sin-cos': 3,
  'sin-chain-2': 10,
  'sin-chain-4': 10,
  'sin-chain-6': 10,
  'sin-chain-8': 10,
};
/**
 * FLOPs of one summand, counted on two-body's (twoBodyPhi: three sin/cos pairs and 7 more; the
 * three sums: 17) and taken for the other solutions too, whose summands are of the same size.
 */
const SUMMAND_FLOPS = 30;
/** pdeExact.wgsl's workgroup: one per point, reducing two vec4 sums in a tree. */
const EXACT_WORKGROUP = 64;

/**
 * What one recording of the exact values at `count` points computes and moves (kernelCost.ts's
 * rules): per point |x|² (d reads, 2 FLOPs each), d − 1 summands, the tree, two words written.
 */
export function exactAtPointsCost(
  solution: BallSolutionId,
  dimension: number,
  count: number,
): KernelCost {
  const summands = Math.max(0, dimension - 1);
  const read = dimension + summands * summandWords[solution];
  const flops = 2 * dimension + summands * SUMMAND_FLOPS + 8 * (EXACT_WORKGROUP - 1);
  return wordCost(count * flops, count * read, count * 2);
}

/**
 * u*(x) and f(x) of a ball problem at a buffer of points that another kernel fills (the
 * collocation sampler, the test-set sampler), bound once and recorded as often as the points
 * change. The problem's c_i are drawn from the seed and uploaded once.
 */
export class BallExactAtPoints {
  private constructor(
    private readonly memory: GpuMemory,
    private readonly kernel: BallExactKernel,
    private readonly dispatch: ExactDispatch,
    /** The problem's c_i (what the gPINN source ∂_j f reads too). */
    readonly coefficients: GPUBuffer,
    /** u*(x_p), count f32. */
    readonly exact: GPUBuffer,
    /** f(x_p), count f32. */
    readonly source: GPUBuffer,
  ) {}

  static async create(
    memory: GpuMemory,
    pde: BallPdeEntry,
    dimension: number,
    seed: number,
    points: { buffer: GPUBuffer; count: number; label: string },
  ): Promise<BallExactAtPoints> {
    const { buffer, count, label } = points;
    const { named } = planExactAtPoints(pde, dimension, count, label);
    const coefficients = uploadCoefficients(memory, pde.coefficients(dimension, seed));
    const exact = memory.create(named.exact.label, named.exact.bytes);
    const source = memory.create(named.source.label, named.source.bytes);
    const kernel = await BallExactKernel.create(
      memory.device,
      pde.solution.id,
      pde.nonlinearity.id,
    );
    const dispatch = kernel.prepare(
      memory,
      { points: buffer, count, dim: dimension },
      coefficients,
      {
        exact,
        source,
      },
    );
    return new BallExactAtPoints(memory, kernel, dispatch, coefficients, exact, source);
  }

  record(pass: GPUComputePassEncoder): void {
    this.kernel.encode(pass, this.dispatch);
  }

  destroy(): void {
    this.kernel.release(this.memory, this.dispatch);
    for (const buffer of [this.coefficients, this.exact, this.source]) this.memory.destroy(buffer);
  }
}
