/**
 * A 2-D slice through the unit ball of a ball problem: coordinates i and j vary over a square
 * grid, every other coordinate is 0. The network u_θ, the exact u* and the PDE residual of u_θ
 * (exact operator) are evaluated on the GPU at the grid cells inside the ball, for the dashboard's
 * field views. The points go through in batches: each batch is written from the CPU, then one
 * submit records its forward pass, u* dispatch and residual passes and copies the three results
 * into buffers of the whole grid, which are read back once. CollocationResidual does the residual
 * at a training step's own collocation points, for the residual-against-radius view. Both are
 * planned before they are built (planFieldSlice, planCollocationResidual), like the trainer's
 * parts, so the page's memory estimate counts them.
 */
import { ForwardJet, type ForwardJetConfig } from '../engine/forwardJet.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import { readBuffer, readFloat32 } from '../gpu/gpuMemory.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import type { BallPdeEntry } from '../pdes/index.ts';
import {
  BALL_BLOCK,
  GpuPointSamplers,
  planBallDraw,
  type PointDraw,
  type PointDrawPlan,
} from '../random/gpuPointSamplers.ts';
import { GpuStepCounter } from '../random/stepCounter.ts';
import {
  BallExactAtPoints,
  type ExactAtPointsPlan,
  planExactAtPoints,
} from './ballExactAtPoints.ts';
import { type EngineLimits, forwardJetBuffers } from './enginePlans.ts';
import { ExactResidual, type ExactResidualPlan, planExactResidual } from './exactResidual.ts';
import { pdeOf, type TrainingOptions } from './options.ts';
import type { Trainer } from './trainer.ts';
import { valueJetConfig } from './valueJet.ts';

/**
 * Bytes of slice points on the GPU at once. Every coordinate of a slice point but two is 0, so
 * the whole grid at full d would hold two numbers in every d floats: the 1 804 inside cells of a
 * 48 × 48 grid are 1 804·d·4 bytes, 722 MB at d = 10⁵ (about what a 2 000-point test set holds).
 * In batches of this size the slice holds 4 MiB of points at any d, for one submit per batch
 * (181 at d = 10⁵, one up to d = 581).
 */
export const SLICE_BATCH_BYTES = 4 * 2 ** 20;

/** What the buffers of the slice's and the collocation view's parts are labelled after. */
const sliceLabel = 'slice';
const collocationLabel = 'collocation view';

export interface FieldSliceOptions {
  /** The coordinate along the horizontal axis (0-based, < d). */
  i: number;
  /** The coordinate along the vertical axis (0-based, < d, ≠ i). */
  j: number;
  /** Cells per side of the square grid over [−1, 1]². */
  resolution: number;
  /**
   * Whether the slice evaluates the exact residual too (default true). Its jets carry d
   * directions a point (d² for the biharmonic) where u_θ and u* take one value each: at large d
   * the page keeps the values and drops the residual heatmap where only that fits.
   */
  residual?: boolean;
}

/**
 * Values on the resolution × resolution grid, row-major with the row along x_j and the column
 * along x_i, both increasing from −1; cells outside the ball hold NaN and `inside` 0.
 */
export interface FieldValues {
  u: Float32Array;
  exact: Float32Array;
  /** r = L₀u_θ + N(u_θ) − f with the exact operator; NaN everywhere without the residual. */
  residual: Float32Array;
  inside: Uint8Array;
}

/** The centre of cell `a` of `n` along [−1, 1]. */
export function cellCentre(a: number, n: number): number {
  return -1 + (2 * a + 1) / n;
}

/** Which cells of the grid lie strictly inside the unit ball (their centres do). */
export function insideCells(resolution: number): Uint8Array {
  const inside = new Uint8Array(resolution * resolution);
  for (let row = 0; row < resolution; row++) {
    for (let col = 0; col < resolution; col++) {
      const [x, y] = [cellCentre(col, resolution), cellCentre(row, resolution)];
      inside[row * resolution + col] = x * x + y * y < 1 ? 1 : 0;
    }
  }
  return inside;
}

/** Cells inside the ball on a resolution × resolution grid: the points a slice evaluates. */
export function insideCount(resolution: number): number {
  return insideCells(resolution).reduce((sum, v) => sum + v, 0);
}

/**
 * The d-dimensional points of inside cells first, first + 1, … (grid order), at most `count` of
 * them (default all), count × d row-major.
 */
export function slicePoints(
  d: number,
  options: FieldSliceOptions,
  first = 0,
  count = Infinity,
): Float32Array {
  const { i, j, resolution } = options;
  const inside = insideCells(resolution);
  const n = Math.max(0, Math.min(count, insideCount(resolution) - first));
  const points = new Float32Array(n * d);
  let p = -first;
  inside.forEach((isInside, cell) => {
    if (!isInside) return;
    if (p >= 0 && p < n) {
      points[p * d + i] = cellCentre(cell % resolution, resolution);
      points[p * d + j] = cellCentre(Math.floor(cell / resolution), resolution);
    }
    p++;
  });
  return points;
}

/** A slice of `resolution` cells per side, from the problem, the network and the limits alone. */
export interface FieldSlicePlan {
  /** Inside cells: the points evaluated. */
  readonly count: number;
  /** Points per batch (every batch but the last is full). */
  readonly batch: number;
  readonly forward: ForwardJetConfig;
  readonly exact: ExactAtPointsPlan;
  /** The exact residual's plan; null for a slice of the values alone. */
  readonly residual: ExactResidualPlan | null;
  readonly named: {
    readonly points: PlannedBuffer;
    readonly index: PlannedBuffer;
    readonly coefficient: PlannedBuffer;
    /** The whole grid's results: the forward pass's rows (value, zero coefficient), u*, r. */
    readonly rows: PlannedBuffer;
    readonly exact: PlannedBuffer;
    readonly residual: PlannedBuffer | null;
  };
  /** Every buffer `FieldSlice.create` allocates, its forward pass's and residual's included. */
  readonly buffers: readonly PlannedBuffer[];
}

export function planFieldSlice(
  pde: BallPdeEntry,
  architecture: MlpArchitecture,
  resolution: number,
  limits: EngineLimits,
  batchBytes = SLICE_BATCH_BYTES,
  withResidual = true,
): FieldSlicePlan {
  const d = architecture.widths[0];
  const count = insideCount(resolution);
  const batch = Math.max(1, Math.min(count, Math.floor(batchBytes / (4 * d))));
  const named = {
    points: storageBuffer('slice points', batch * d * 4),
    // Values only: one jet of order 1 with a zero tangent (index −1) per point.
    index: storageBuffer('slice tangent index', batch * 4),
    coefficient: storageBuffer('slice tangent coefficient', batch * 4),
    rows: storageBuffer('slice grid rows', count * 2 * 4),
    exact: storageBuffer('slice grid u*', count * 4),
    residual: withResidual ? storageBuffer('slice grid residual', count * 4) : null,
  };
  const forward = valueJetConfig(architecture, batch);
  const exact = planExactAtPoints(pde, d, batch, sliceLabel);
  const residual = withResidual
    ? planExactResidual(pde, architecture, { count: batch, label: sliceLabel }, limits)
    : null;
  return {
    count,
    batch,
    forward,
    exact,
    residual,
    named,
    buffers: [
      named.points,
      named.index,
      named.coefficient,
      ...forwardJetBuffers(forward, true, limits),
      ...exact.buffers,
      ...(residual?.buffers ?? []),
      named.rows,
      named.exact,
      ...(named.residual ? [named.residual] : []),
    ],
  };
}

/** The whole grid's result buffers, filled batch by batch; r only with the residual. */
interface SliceResults {
  rows: GPUBuffer;
  exact: GPUBuffer;
  residual: { readonly grid: GPUBuffer; readonly batch: ExactResidual } | null;
}

export class FieldSlice {
  private constructor(
    private readonly trainer: Trainer,
    readonly options: FieldSliceOptions,
    readonly inside: Uint8Array,
    private readonly plan: FieldSlicePlan,
    private readonly points: GPUBuffer,
    private readonly forward: ForwardJet,
    private readonly exact: BallExactAtPoints,
    private readonly results: SliceResults,
    private readonly owned: GPUBuffer[],
  ) {}

  /**
   * Builds the slice's kernels on the trainer's memory, bound to its view weights (the weight
   * average when the run keeps one, else the parameters: Trainer.createViewJet);
   * evaluate only between the trainer's train() calls, which write that buffer. `batchBytes` bounds the
   * points on the GPU at once (planFieldSlice).
   */
  static async create(
    trainer: Trainer,
    options: FieldSliceOptions,
    batchBytes = SLICE_BATCH_BYTES,
  ): Promise<FieldSlice> {
    const pde = ballPdeOf(trainer);
    const d = trainer.options.dimension;
    const { i, j, resolution } = options;
    const valid = (k: number) => Number.isInteger(k) && k >= 0 && k < d;
    if (!valid(i) || !valid(j) || i === j) {
      throw new RangeError(
        `the slice needs two different coordinates in 0..${d - 1}, got ${i}, ${j}`,
      );
    }
    if (!Number.isInteger(resolution) || resolution < 2) {
      throw new RangeError(`the slice's resolution must be an integer ≥ 2, got ${resolution}`);
    }
    const limits = trainer.memory.device.limits;
    return FieldSlice.build(
      trainer,
      pde,
      options,
      planFieldSlice(
        pde,
        trainer.architecture,
        resolution,
        limits,
        batchBytes,
        options.residual ?? true,
      ),
    );
  }

  private static async build(
    trainer: Trainer,
    pde: BallPdeEntry,
    options: FieldSliceOptions,
    plan: FieldSlicePlan,
  ): Promise<FieldSlice> {
    const memory = trainer.memory;
    const d = trainer.options.dimension;
    const { named, batch } = plan;
    const owned: GPUBuffer[] = [];
    const allocate = (planned: PlannedBuffer) => {
      const buffer = memory.create(planned.label, planned.bytes);
      owned.push(buffer);
      return buffer;
    };
    const destroyers: (() => void)[] = [];
    try {
      const x = allocate(named.points);
      const index = memory.createFrom(named.index.label, new Int32Array(batch).fill(-1));
      owned.push(index);
      const coefficient = allocate(named.coefficient);
      const forward = await trainer.createViewJet(plan.forward, {
        x,
        tangents: coefficient,
        tangentIndex: index,
      });
      destroyers.push(() => forward.destroy());
      const exact = await BallExactAtPoints.create(memory, pde, d, trainer.options.seed, {
        buffer: x,
        count: batch,
        label: sliceLabel,
      });
      destroyers.push(() => exact.destroy());
      let residual: SliceResults['residual'] = null;
      if (named.residual) {
        const points = { buffer: x, count: batch, label: sliceLabel };
        const batchResidual = await ExactResidual.create(trainer, pde, points);
        destroyers.push(() => batchResidual.destroy());
        residual = { grid: allocate(named.residual), batch: batchResidual };
      }
      const results = { rows: allocate(named.rows), exact: allocate(named.exact), residual };
      const inside = insideCells(options.resolution);
      return new FieldSlice(trainer, options, inside, plan, x, forward, exact, results, owned);
    } catch (error) {
      for (const destroy of destroyers) destroy();
      for (const buffer of owned) memory.destroy(buffer);
      throw error;
    }
  }

  /** u_θ with the trainer's current parameters, u* and r on the grid (awaits the readbacks). */
  async evaluate(): Promise<FieldValues> {
    const memory = this.trainer.memory;
    const device = memory.device;
    const d = this.trainer.options.dimension;
    const { count, batch } = this.plan;
    for (let first = 0; first < count; first += batch) {
      // A short last batch leaves the previous batch's points in the tail: their results are
      // computed and not copied out. writeBuffer is ordered before the submit that follows it.
      const n = Math.min(batch, count - first);
      memory.write(this.points, slicePoints(d, this.options, first, n));
      const encoder = device.createCommandEncoder({ label: 'field slice' });
      const pass = encoder.beginComputePass({ label: 'slice u*' });
      this.exact.record(pass);
      pass.end();
      this.forward.encode(encoder);
      const { rows, exact, residual } = this.results;
      residual?.batch.encode(encoder);
      encoder.copyBufferToBuffer(this.forward.buffers.output, 0, rows, first * 8, n * 8);
      encoder.copyBufferToBuffer(this.exact.exact, 0, exact, first * 4, n * 4);
      if (residual) {
        encoder.copyBufferToBuffer(residual.batch.residual, 0, residual.grid, first * 4, n * 4);
      }
      device.queue.submit([encoder.finish()]);
    }
    const grid = this.results.residual?.grid;
    const [rows, exact, residual] = await Promise.all([
      readFloat32(device, this.results.rows, count * 2),
      readFloat32(device, this.results.exact, count),
      grid ? readFloat32(device, grid, count) : new Float32Array(count).fill(NaN),
    ]);
    const cells = this.inside.length;
    const values: FieldValues = {
      u: new Float32Array(cells).fill(NaN),
      exact: new Float32Array(cells).fill(NaN),
      residual: new Float32Array(cells).fill(NaN),
      inside: this.inside,
    };
    let p = 0;
    this.inside.forEach((isInside, cell) => {
      if (!isInside) return;
      // Rows alternate value, zero-tangent coefficient: the value is every other entry.
      values.u[cell] = rows[2 * p];
      values.exact[cell] = exact[p];
      values.residual[cell] = residual[p];
      p++;
    });
    return values;
  }

  destroy(): void {
    this.forward.destroy();
    this.exact.destroy();
    this.results.residual?.batch.destroy();
    for (const buffer of this.owned) this.trainer.memory.destroy(buffer);
  }
}

function ballPdeOf(trainer: Trainer): BallPdeEntry {
  const pde = pdeOf(trainer.options);
  if (pde.domain !== 'ball') {
    throw new RangeError(`field slices are for ball problems; ${pde.id} is not one`);
  }
  return pde;
}

/** The residual at a step's collocation points, with each point's distance from the origin. */
export interface CollocationValues {
  /** The step whose points these are (the counter value the trainer drew them with). */
  step: number;
  /** |x| of each point: the square root of the f32 ‖x‖² the draw sums in block order. */
  radius: Float64Array;
  residual: Float32Array;
}

/**
 * The residual-against-radius view, from the options and the network alone. The view never
 * holds the step's N·d coordinates (at d = 10⁶ and 300 points one 1.12 GiB buffer, past common
 * bindings, and read back whole for the radii): it draws the points regenerated (scales and
 * ‖x‖² alone) and writes each chunk's coordinates into the residual's chunk buffer
 * (samplers.wgsl ballWriteRange), the same bits as the trainer's stored points.
 */
export interface CollocationResidualPlan {
  /** The step, then the range of points the chunk being written covers. */
  readonly counter: PlannedBuffer;
  /** (first point, points) of every chunk, copied into the counter before its chunk. */
  readonly ranges: PlannedBuffer;
  readonly draw: PointDrawPlan;
  readonly residual: ExactResidualPlan;
  /** Every buffer `CollocationResidual.create` allocates. */
  readonly buffers: readonly PlannedBuffer[];
}

/** Words of the view's counter: the step, the chunk's first point and its count. */
const COUNTER_WORDS = 3;

export function planCollocationResidual(
  pde: BallPdeEntry,
  options: Pick<TrainingOptions, 'dimension' | 'sampler' | 'points' | 'seed'>,
  architecture: MlpArchitecture,
  limits: EngineLimits,
  rowBudget?: number,
): CollocationResidualPlan {
  const { dimension, sampler, points, seed } = options;
  const counter = storageBuffer('residual view draw counters', COUNTER_WORDS * 4);
  // The trainer's law, count and seed on the trainer's stream: step s gives step s's points.
  const draw = planBallDraw(dimension, sampler, points, { seed }, BALL_BLOCK, 'regenerated');
  const residual = planExactResidual(
    pde,
    architecture,
    { count: points, label: collocationLabel },
    limits,
    rowBudget,
  );
  const ranges = storageBuffer(
    'residual view chunk ranges',
    Math.ceil(points / residual.chunk) * 2 * 4,
  );
  return {
    counter,
    ranges,
    draw,
    residual,
    buffers: [counter, ranges, ...draw.buffers, ...residual.buffers],
  };
}

/** (first point, points) of each chunk of `chunk` points of `count`. */
export function chunkRanges(count: number, chunk: number): Uint32Array {
  const chunks = Math.ceil(count / chunk);
  return Uint32Array.from({ length: 2 * chunks }, (_, k) => {
    const first = Math.floor(k / 2) * chunk;
    return k % 2 === 0 ? first : Math.min(chunk, count - first);
  });
}

/**
 * The exact residual at the collocation points of a training step: the trainer's own sampler
 * law, seed and count, with a step counter of its own, so the points of step s are the very
 * points the trainer drew at step s (the draws depend only on seed, stream and counter).
 */
export class CollocationResidual {
  private constructor(
    private readonly trainer: Trainer,
    private readonly counter: GpuStepCounter,
    private readonly ranges: GPUBuffer,
    private readonly draw: PointDraw,
    /** Where the draw's partials hold each point's ‖x‖². */
    private readonly normsAt: number,
    private readonly residual: ExactResidual,
  ) {}

  /** `rowBudget` bounds the jet rows per chunk (ExactResidual; tests set a small one). */
  static async create(trainer: Trainer, rowBudget?: number): Promise<CollocationResidual> {
    const pde = ballPdeOf(trainer);
    const memory = trainer.memory;
    const plan = planCollocationResidual(
      pde,
      trainer.options,
      trainer.architecture,
      memory.device.limits,
      rowBudget,
    );
    const norms = plan.draw.source.draw;
    if (!norms) throw new Error("the residual view's draw sums its points' norms");
    const counter = new GpuStepCounter(memory, plan.counter.label, COUNTER_WORDS);
    const count = plan.draw.points;
    const ranges = memory.createFrom(plan.ranges.label, chunkRanges(count, plan.residual.chunk));
    let draw: PointDraw | null = null;
    try {
      const samplers = await GpuPointSamplers.create(memory.device, [
        'regeneratedBall',
        'ballRange',
      ]);
      const drawn = samplers.prepare(memory, counter.buffer, plan.draw);
      draw = drawn;
      const write = (chunkPoints: GPUBuffer, chunk: number) => {
        if (chunk !== plan.residual.chunk) {
          throw new Error(`the residual's chunks of ${chunk} points are not the planned ranges'`);
        }
        const writer = samplers.rangeWriter(drawn, chunkPoints, chunk);
        return (encoder: GPUCommandEncoder, start: number) => {
          // Words 1 and 2 of the counter: this chunk's (first point, points).
          encoder.copyBufferToBuffer(ranges, (start / chunk) * 8, counter.buffer, 4, 8);
          const pass = encoder.beginComputePass({ label: 'residual view: chunk points' });
          writer.record(pass);
          pass.end();
        };
      };
      const points = { write, count, label: collocationLabel };
      const residual = await ExactResidual.create(trainer, pde, points, rowBudget);
      return new CollocationResidual(trainer, counter, ranges, drawn, norms.normsAt, residual);
    } catch (error) {
      draw?.destroy();
      memory.destroy(ranges);
      counter.destroy();
      throw error;
    }
  }

  /**
   * The points of step `step` (1-based: the trainer's step s draws with counter s) and the
   * residual of the current parameters there.
   */
  async evaluate(step: number): Promise<CollocationValues> {
    const device = this.trainer.memory.device;
    const count = this.trainer.options.points;
    this.counter.set(step);
    const encoder = device.createCommandEncoder({ label: 'collocation residual' });
    const pass = encoder.beginComputePass({ label: 'collocation draw' });
    this.draw.record(pass);
    pass.end();
    this.residual.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const [norms, residual] = await Promise.all([
      readBuffer(device, this.draw.partials, count * 4, this.normsAt * 4),
      readFloat32(device, this.residual.residual, count),
    ]);
    const radius = Float64Array.from(new Float32Array(norms), (squared) => Math.sqrt(squared));
    return { step, radius, residual };
  }

  destroy(): void {
    this.residual.destroy();
    this.draw.destroy();
    this.trainer.memory.destroy(this.ranges);
    this.counter.destroy();
  }
}
