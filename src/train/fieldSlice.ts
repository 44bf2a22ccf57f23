/**
 * A 2-D slice through the unit ball of a ball problem: coordinates i and j vary over a square
 * grid, every other coordinate is 0. The network u_θ, the exact u* and the PDE residual of u_θ
 * (exact operator) are evaluated on the GPU at the grid cells inside the ball, for the dashboard's
 * field views. The grid is fixed for the slice's life, so its points are computed on the CPU and
 * uploaded once; each evaluation records one forward pass, one u* dispatch and the residual's
 * passes, and reads the three back. CollocationResidual does the residual at a training step's
 * own collocation points, for the residual-against-radius view.
 */
import { ForwardJet } from '../engine/forwardJet.ts';
import { readFloat32 } from '../gpu/gpuMemory.ts';
import type { BallPdeEntry } from '../pdes/index.ts';
import { GpuPointSamplers, type PointDraw } from '../random/gpuPointSamplers.ts';
import { GpuStepCounter } from '../random/stepCounter.ts';
import { BallExactAtPoints } from './ballExactAtPoints.ts';
import { ExactResidual } from './exactResidual.ts';
import { pdeOf } from './options.ts';
import type { Trainer } from './trainer.ts';

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

/** The d-dimensional points of the inside cells, in grid order, count × d row-major. */
export function slicePoints(d: number, options: FieldSliceOptions): Float32Array {
  const { i, j, resolution } = options;
  const inside = insideCells(resolution);
  const count = inside.reduce((sum, v) => sum + v, 0);
  const points = new Float32Array(count * d);
  let p = 0;
  inside.forEach((isInside, cell) => {
    if (!isInside) return;
    points[p * d + i] = cellCentre(cell % resolution, resolution);
    points[p * d + j] = cellCentre(Math.floor(cell / resolution), resolution);
    p++;
  });
  return points;
}

export class FieldSlice {
  private constructor(
    private readonly trainer: Trainer,
    readonly options: FieldSliceOptions,
    readonly inside: Uint8Array,
    private readonly count: number,
    private readonly forward: ForwardJet,
    private readonly exact: BallExactAtPoints,
    private readonly residual: ExactResidual,
    private readonly owned: GPUBuffer[],
  ) {}

  /**
   * Builds the slice's kernels on the trainer's memory, bound to its parameter buffer; evaluate
   * only between the trainer's train() calls, which write that buffer.
   */
  static async create(trainer: Trainer, options: FieldSliceOptions): Promise<FieldSlice> {
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
    return FieldSlice.build(trainer, pde, options);
  }

  private static async build(
    trainer: Trainer,
    pde: BallPdeEntry,
    options: FieldSliceOptions,
  ): Promise<FieldSlice> {
    const memory = trainer.memory;
    const d = trainer.options.dimension;
    const inside = insideCells(options.resolution);
    const points = slicePoints(d, options);
    const count = points.length / d;
    const owned: GPUBuffer[] = [];
    try {
      const x = memory.createFrom('slice points', points);
      owned.push(x);
      // Values only: one jet of order 1 with a zero tangent (index −1) per point.
      const index = memory.createFrom('slice tangent index', new Int32Array(count).fill(-1));
      owned.push(index);
      const coefficient = memory.create('slice tangent coefficient', count * 4);
      owned.push(coefficient);
      const forward = await ForwardJet.create(
        memory,
        {
          architecture: trainer.architecture,
          shape: { points: count, directions: 1, order: 1, structure: 'standard' },
          tangentKind: 'oneHot',
        },
        trainer.parameterBuffer,
        { x, tangents: coefficient, tangentIndex: index },
      );
      let exact: BallExactAtPoints | null = null;
      try {
        exact = await BallExactAtPoints.create(memory, pde, d, trainer.options.seed, {
          buffer: x,
          count,
          label: 'slice',
        });
        const residual = await ExactResidual.create(trainer, pde, {
          buffer: x,
          count,
          label: 'slice',
        });
        return new FieldSlice(trainer, options, inside, count, forward, exact, residual, owned);
      } catch (error) {
        forward.destroy();
        exact?.destroy();
        throw error;
      }
    } catch (error) {
      for (const buffer of owned) memory.destroy(buffer);
      throw error;
    }
  }

  /** u_θ with the trainer's current parameters and u* on the grid (awaits the readbacks). */
  async evaluate(): Promise<FieldValues> {
    const device = this.trainer.memory.device;
    const encoder = device.createCommandEncoder({ label: 'field slice' });
    const pass = encoder.beginComputePass({ label: 'slice u*' });
    this.exact.record(pass);
    pass.end();
    this.forward.encode(encoder);
    this.residual.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const [rows, exact, residual] = await Promise.all([
      readFloat32(device, this.forward.buffers.output, this.count * 2),
      readFloat32(device, this.exact.exact, this.count),
      readFloat32(device, this.residual.residual, this.count),
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
    const { dimension, sampler, points, seed } = trainer.options;
    const memory = trainer.memory;
    const counter = new GpuStepCounter(memory, 'residual view step counter');
    let draw: PointDraw | null = null;
    try {
      const samplers = await GpuPointSamplers.create(memory.device);
      draw = samplers.ball(memory, dimension, sampler, points, { seed }, counter.buffer);
      const residual = await ExactResidual.create(trainer, pde, {
        buffer: draw.points,
        count: points,
        label: 'collocation view',
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
