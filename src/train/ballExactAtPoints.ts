import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import {
  BallExactKernel,
  coefficientBytes,
  type ExactDispatch,
  type ExactDispatchPlan,
  type ExactSums,
  exactParamsView,
  planExactDispatches,
  type RegeneratedPoints,
  uploadCoefficients,
} from '../pdes/gpuExact.ts';
import { type KernelCost, REDRAWN_COORDINATE, wordCost } from '../engine/kernelCost.ts';
import type { PointStorage } from '../engine/pointSource.ts';
import type { BallSolutionId } from '../pdes/ballSolution.ts';
import type { BallPdeEntry } from '../pdes/index.ts';
import { planPointParams } from '../pdes/pointGrid.ts';

/**
 * What a BallExactAtPoints allocates, in order: c_i, u*, f, the kernels' block and point sums and
 * their point params; and what it dispatches.
 */
export interface ExactAtPointsPlan {
  readonly named: {
    readonly coefficients: PlannedBuffer;
    readonly exact: PlannedBuffer;
    readonly source: PlannedBuffer;
    readonly partials: PlannedBuffer;
    readonly params: PlannedBuffer;
  };
  readonly buffers: readonly PlannedBuffer[];
  readonly dispatch: ExactDispatchPlan;
}

/** u* and f of `pde` at `count` points of dimension d; buffers labelled after `label`. */
export function planExactAtPoints(
  pde: BallPdeEntry,
  dimension: number,
  count: number,
  label: string,
): ExactAtPointsPlan {
  const dispatch = planExactDispatches(pde.solution.id, count, dimension);
  const named = {
    coefficients: storageBuffer(
      'pde coefficients',
      coefficientBytes(pde.solution.coefficientCount(dimension)),
    ),
    exact: storageBuffer(`${label} u*`, count * 4),
    source: storageBuffer(`${label} f`, count * 4),
    partials: storageBuffer(`${label} exact partials`, dispatch.partialsBytes),
    params: planPointParams(exactParamsView()),
  };
  return { named, buffers: Object.values(named), dispatch };
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
/** pdeExact.wgsl's workgroup: one per (point, block), reducing up to two vec4 sums in a tree. */
const EXACT_WORKGROUP = 64;

/**
 * What one recording of the exact values at `count` points computes and moves (kernelCost.ts's
 * rules): per point |x|² (d reads, 2 FLOPs each), d − 1 summands, a tree per block whose two vec4
 * sums are written and read back by the point's finish (8 words each way, 8 FLOPs to add them),
 * two words written. With regenerated points every coordinate load is a redraw
 * (REDRAWN_COORDINATE); a summand's words other than its c_i are counted as coordinates, which
 * over-counts the sin chain's re-read c_i.
 */
export function exactAtPointsCost(
  solution: BallSolutionId,
  dimension: number,
  count: number,
  storage: PointStorage = 'stored',
): KernelCost {
  const { blocks } = planExactDispatches(solution, count, dimension);
  const summands = Math.max(0, dimension - 1);
  const coordinateLoads = dimension + summands * (summandWords[solution] - 1);
  const redrawn = storage === 'regenerated';
  const read = coordinateLoads * (redrawn ? REDRAWN_COORDINATE.words : 1) + summands + 8 * blocks;
  const flops =
    2 * dimension +
    summands * SUMMAND_FLOPS +
    blocks * (8 * (EXACT_WORKGROUP - 1) + 8) +
    (redrawn ? coordinateLoads * REDRAWN_COORDINATE.flops : 0);
  return wordCost(count * flops, count * read, count * (2 + 8 * blocks));
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
    private readonly partials: GPUBuffer,
  ) {}

  static async create(
    memory: GpuMemory,
    pde: BallPdeEntry,
    dimension: number,
    seed: number,
    points: { buffer: GPUBuffer; count: number; label: string; regenerated?: RegeneratedPoints },
  ): Promise<BallExactAtPoints> {
    const { buffer, count, label, regenerated } = points;
    const { named } = planExactAtPoints(pde, dimension, count, label);
    const coefficients = uploadCoefficients(memory, pde.coefficients(dimension, seed));
    const exact = memory.create(named.exact.label, named.exact.bytes);
    const source = memory.create(named.source.label, named.source.bytes);
    const partials = memory.create(named.partials.label, named.partials.bytes);
    const kernel = await BallExactKernel.create(
      memory.device,
      pde.solution.id,
      pde.nonlinearity.id,
      undefined,
      regenerated ? 'regenerated' : 'stored',
    );
    const dispatch = kernel.prepare(
      memory,
      { points: buffer, count, dim: dimension },
      coefficients,
      { exact, source, partials },
      undefined,
      regenerated,
    );
    return new BallExactAtPoints(memory, kernel, dispatch, coefficients, exact, source, partials);
  }

  /** The block sums each record leaves (what the gPINN's ∂_j f of the same points reads). */
  get sums(): ExactSums {
    return this.dispatch.sums;
  }

  record(pass: GPUComputePassEncoder): void {
    this.kernel.encode(pass, this.dispatch);
  }

  destroy(): void {
    this.kernel.release(this.memory, this.dispatch);
    for (const buffer of [this.coefficients, this.exact, this.source, this.partials]) {
      this.memory.destroy(buffer);
    }
  }
}
