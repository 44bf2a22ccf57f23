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
import { readFloat32 } from '../gpu/gpuMemory.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import type { BallPdeEntry } from '../pdes/index.ts';
import {
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
}

/**
 * Values on the resolution × resolution grid, row-major with the row along x_j and the column
 * along x_i, both increasing from −1; cells outside the ball hold NaN and `inside` 0.
 */
export interface FieldValues {
  u: Float32Array;
  exact: Float32Array;
  /** r = L₀u_θ + N(u_θ) − f with the exact operator. */
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
  readonly residual: ExactResidualPlan;
  readonly named: {
    readonly points: PlannedBuffer;
    readonly index: PlannedBuffer;
    readonly coefficient: PlannedBuffer;
    /** The whole grid's results: the forward pass's rows (value, zero coefficient), u*, r. */
    readonly rows: PlannedBuffer;
    readonly exact: PlannedBuffer;
    readonly residual: PlannedBuffer;
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
    residual: storageBuffer('slice grid residual', count * 4),
  };
  const forward = valueJetConfig(architecture, batch);
  const exact = planExactAtPoints(pde, d, batch, sliceLabel);
  const residual = planExactResidual(
    pde,
    architecture,
    { count: batch, label: sliceLabel },
    limits,
  );
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
      ...residual.buffers,
      named.rows,
      named.exact,
      named.residual,
    ],
  };
}

/** The whole grid's result buffers, filled batch by batch. */
interface SliceResults {
  rows: GPUBuffer;
  exact: GPUBuffer;
  residual: GPUBuffer;
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
    private readonly residual: ExactResidual,
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
      planFieldSlice(pde, trainer.architecture, resolution, limits, batchBytes),
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
      const residual = await ExactResidual.create(trainer, pde, {
        buffer: x,
        count: batch,
        label: sliceLabel,
      });
      destroyers.push(() => residual.destroy());
      const results = {
        rows: allocate(named.rows),
        exact: allocate(named.exact),
        residual: allocate(named.residual),
      };
      const inside = insideCells(options.resolution);
      return new FieldSlice(
        trainer,
        options,
        inside,
        plan,
        x,
        forward,
        exact,
        residual,
        results,
        owned,
      );
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
      this.residual.encode(encoder);
      const { rows, exact, residual } = this.results;
      encoder.copyBufferToBuffer(this.forward.buffers.output, 0, rows, first * 8, n * 8);
      encoder.copyBufferToBuffer(this.exact.exact, 0, exact, first * 4, n * 4);
      encoder.copyBufferToBuffer(this.residual.residual, 0, residual, first * 4, n * 4);
      device.queue.submit([encoder.finish()]);
    }
    const [rows, exact, residual] = await Promise.all([
      readFloat32(device, this.results.rows, count * 2),
      readFloat32(device, this.results.exact, count),
      readFloat32(device, this.results.residual, count),
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
    this.residual.destroy();
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
  /** count × d row-major. */
  points: Float32Array;
  radius: Float64Array;
  residual: Float32Array;
}

/** The residual-against-radius view, from the options and the network alone. */
export interface CollocationResidualPlan {
  readonly counter: PlannedBuffer;
  readonly draw: PointDrawPlan;
  readonly residual: ExactResidualPlan;
  /** Every buffer `CollocationResidual.create` allocates. */
  readonly buffers: readonly PlannedBuffer[];
}

export function planCollocationResidual(
  pde: BallPdeEntry,
  options: Pick<TrainingOptions, 'dimension' | 'sampler' | 'points' | 'seed'>,
  architecture: MlpArchitecture,
  limits: EngineLimits,
): CollocationResidualPlan {
  const { dimension, sampler, points, seed } = options;
  const counter = storageBuffer('residual view step counter', 4);
  // The trainer's law, count and seed on the trainer's stream: step s gives step s's points.
  const draw = planBallDraw(dimension, sampler, points, { seed });
  const residual = planExactResidual(
    pde,
    architecture,
    { count: points, label: collocationLabel },
    limits,
  );
  return { counter, draw, residual, buffers: [counter, ...draw.buffers, ...residual.buffers] };
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
    private readonly draw: PointDraw,
    private readonly residual: ExactResidual,
  ) {}

  static async create(trainer: Trainer): Promise<CollocationResidual> {
    const pde = ballPdeOf(trainer);
    const memory = trainer.memory;
    const plan = planCollocationResidual(
      pde,
      trainer.options,
      trainer.architecture,
      memory.device.limits,
    );
    const counter = new GpuStepCounter(memory, plan.counter.label);
    let draw: PointDraw | null = null;
    try {
      const samplers = await GpuPointSamplers.create(memory.device);
      draw = samplers.prepare(memory, counter.buffer, plan.draw);
      const residual = await ExactResidual.create(trainer, pde, {
        buffer: draw.points,
        count: plan.draw.points,
        label: collocationLabel,
      });
      return new CollocationResidual(trainer, counter, draw, residual);
    } catch (error) {
      draw?.destroy();
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
    const d = this.trainer.options.dimension;
    const count = this.trainer.options.points;
    this.counter.set(step);
    const encoder = device.createCommandEncoder({ label: 'collocation residual' });
    const pass = encoder.beginComputePass({ label: 'collocation draw' });
    this.draw.record(pass);
    pass.end();
    this.residual.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const [points, residual] = await Promise.all([
      readFloat32(device, this.draw.points, count * d),
      readFloat32(device, this.residual.residual, count),
    ]);
    const radius = new Float64Array(count);
    for (let p = 0; p < count; p++) {
      let sum = 0;
      for (let k = 0; k < d; k++) sum += points[p * d + k] ** 2;
      radius[p] = Math.sqrt(sum);
    }
    return { step, points, radius, residual };
  }

  destroy(): void {
    this.residual.destroy();
    this.draw.destroy();
    this.counter.destroy();
  }
}
