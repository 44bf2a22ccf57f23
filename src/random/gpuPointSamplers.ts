/**
 * Collocation points drawn on the GPU with shaders/samplers.wgsl, from the same generator as the
 * random jets. The CPU mirror is pointSamplers.ts. `planBallDraw`/`planParabolicDraw` say what a
 * draw allocates and dispatches without a device; GpuPointSamplers builds it from that plan.
 */
import samplersCode from '../../shaders/samplers.wgsl?raw';
import { type PlannedBuffer, storageBuffer, uniformBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { composeShader } from '../gpu/composeShader.ts';
import { LimitError } from '../gpu/errors.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { reflectStructView, type StructValue, type StructView } from '../gpu/structView.ts';
import {
  BOX_MULLER_FLOPS,
  type KernelCost,
  REDRAWN_COORDINATE,
  REDRAWN_QUAD_COORDINATE,
  sumCosts,
  wordCost,
} from '../engine/kernelCost.ts';
import { type PointSource, type PointStorage, storedPoints } from '../engine/pointSource.ts';
import { RandomStream, requireU32 } from './counterRandom.ts';
import {
  type BallLaw,
  boxFaceCount,
  type BoxDrawSpec,
  type ParabolicLaw,
} from './pointSamplers.ts';

const SAMPLER_PARTS = [
  lib.random,
  lib.grid,
  lib.ballPoints,
  { name: 'samplers.wgsl', code: samplersCode },
];
/** The WORKGROUP_SIZE override's default (shaders/lib/grid.wgsl), given explicitly so plans know the grid. */
const WORKGROUP_SIZE = 64;

export type SamplerEntry = 'ball' | 'parabolic' | 'box';

/**
 * samplers.wgsl's entry points (its header): the ball draw is three dispatches with stored points,
 * plus one or two for the points' ‖x‖²; regenerated points skip ballWrite, and their entries that
 * read x are compiled with POINTS = 1.
 */
type SamplerEntryPoint =
  | 'ballNormals'
  | 'ballScales'
  | 'ballWrite'
  | 'ballNormBlocks'
  | 'ballNorms'
  | 'ballWriteRange'
  | 'parabolic'
  | 'box';
/** A compiled entry point: its name, and POINTS = 1 (regenerated ball points) where it matters. */
type SamplerKernel =
  | SamplerEntryPoint
  | 'ballNormals/regenerated'
  | 'ballNormBlocks/regenerated'
  | 'ballNorms/regenerated'
  | 'ballWriteRange/regenerated';
/**
 * What GpuPointSamplers.create compiles: the draws, the stored ball's norms, the regenerated
 * ball, and the writer of a range of its points (rangeWriter).
 */
type SamplerKernels = SamplerEntry | 'ballNorms' | 'regeneratedBall' | 'ballRange';
const ENTRY_POINTS: Record<SamplerKernels, readonly SamplerKernel[]> = {
  ball: ['ballNormals', 'ballScales', 'ballWrite'],
  ballNorms: ['ballNormBlocks', 'ballNorms'],
  regeneratedBall: [
    'ballNormals/regenerated',
    'ballScales',
    'ballNormBlocks/regenerated',
    'ballNorms/regenerated',
  ],
  ballRange: ['ballWriteRange/regenerated'],
  parabolic: ['parabolic'],
  box: ['box'],
};

/**
 * Coordinates per block of the ball draw: 64 per invocation. At d = 100 000 and 32 points that is
 * 25 blocks, 800 workgroups (the scale issue asks ≥ 512 of every stage growing with d there),
 * and every d ≤ 4096, the runs the tests and the dashboard's landing run make, stays one block,
 * hence the bits of the one-workgroup-per-point kernel (samplers.wgsl's header).
 */
export const BALL_BLOCK = 64 * WORKGROUP_SIZE;

const NO_BOX = { interior: 0, faces: 0, timeIndex: 0, boxLow: [0, 0, 0, 0], boxHigh: [0, 0, 0, 0] };
const NO_BLOCKS = { block: 0, blocks: 0 };

let paramsView: StructView | undefined;
/** The layout of samplers.wgsl's `params` (reflected once, without a device). */
export function samplerParamsView(): StructView {
  return (paramsView ??= reflectStructView(composeShader(SAMPLER_PARTS), 'params'));
}

interface SamplerKey {
  seed: number;
  stream?: number;
}

/** Everything one sampler draw allocates and dispatches, from its settings alone. */
export interface PointDrawPlan {
  readonly entry: SamplerEntry;
  /** Floats per point: d in the ball, d + 1 for (x, t). */
  readonly width: number;
  readonly points: number;
  /** samplers.wgsl's Params, by field name. */
  readonly params: StructValue;
  /** The dispatches in order, with their workgroups (folded into the device grid when recorded). */
  readonly dispatches: readonly { kernel: SamplerKernel; workgroups: number }[];
  /** Where the readers of the points find them: stored, or (ball only) regenerated. */
  readonly source: PointSource;
  readonly named: {
    readonly params: PlannedBuffer;
    /** N·width floats; a one-float stand-in with regenerated points. */
    readonly points: PlannedBuffer;
    /** The ball's block sums and per-point scales; a one-float stand-in for the other entries. */
    readonly partials: PlannedBuffer;
  };
  /** What `prepare` allocates, in order. */
  readonly buffers: readonly PlannedBuffer[];
}

function planDraw(
  entry: SamplerEntry,
  dimension: number,
  width: number,
  points: number,
  fields: {
    law: number;
    horizon: number;
    seed: number;
    stream: number;
    box?: typeof NO_BOX;
    blocks?: typeof NO_BLOCKS;
  },
  dispatches: readonly { kernel: SamplerKernel; workgroups: number }[],
  partialElements = 1,
  source: PointSource = storedPoints,
): PointDrawPlan {
  if (!Number.isInteger(dimension) || dimension < 1) {
    throw new RangeError(`dimension must be a positive integer, got ${dimension}`);
  }
  requireU32(points, 'points');
  if (points * width >= 2 ** 32) {
    throw new LimitError(`${points}×${width} coordinates exceed the kernel's 32-bit indexing`);
  }
  const label = `samplers.wgsl:${entry} points`;
  const named = {
    params: uniformBuffer(`${label} params`, samplerParamsView().size),
    points: storageBuffer(
      source.storage === 'stored' ? label : `${label} stand-in`,
      source.storage === 'stored' ? points * width * 4 : 4,
    ),
    partials: storageBuffer(`${label} partials`, partialElements * 4),
  };
  return {
    entry,
    width,
    points,
    params: {
      seed: requireU32(fields.seed, 'seed'),
      stream: requireU32(fields.stream, 'stream'),
      points,
      dimension,
      law: fields.law,
      horizon: fields.horizon,
      ...(fields.box ?? NO_BOX),
      ...(fields.blocks ?? NO_BLOCKS),
    },
    dispatches,
    source,
    named,
    buffers: [named.params, named.points, named.partials],
  };
}

/**
 * What one draw of `plan` computes and moves (kernelCost.ts's rules); Philox rounds are integer
 * work. The parabolic draw takes a normal and √(2t)·z per float (10 FLOPs), the box a uniform
 * scaled into the box (3); both read only the step counter and write every coordinate. The ball
 * draws each normal once (four from one Philox block: half a Box–Muller pair each) and squares and
 * adds it (2 more), sums S blocks of squares in trees of
 * WORKGROUP_SIZE, adds each point's S sums and forms its scale (radius, norm: about 20), and
 * scales every coordinate (2: a multiply and the offset); it writes the coordinates twice and
 * reads them once with their point's (scale, offset). Its norms (a training step's draw) read
 * every coordinate again and square and add it (2), in blocks whose sums are written and read
 * back when d spans several, and write a norm per point. Regenerated points store no coordinate
 * and skip the scaling pass; their norms redraw each coordinate (four a block over several
 * blocks, REDRAWN_COORDINATE over one), and the readers' redraws are the readers' cost.
 */
export function pointDrawCost(plan: PointDrawPlan): KernelCost {
  const floats = plan.points * plan.width;
  if (plan.entry !== 'ball') {
    return wordCost(floats * (plan.entry === 'parabolic' ? 10 : 3), 1, floats);
  }
  const N = plan.points;
  const sums = N * Number(plan.params.blocks);
  const regenerated = plan.source.storage === 'regenerated';
  // The normals (four from a block's two Box–Muller pairs), their squares' block sums and the
  // points' scales.
  const draw = wordCost(
    floats * (BOX_MULLER_FLOPS / 2 + 2) + sums * WORKGROUP_SIZE + N * 20,
    1 + sums,
    (regenerated ? 0 : floats) + sums + 2 * N,
  );
  const scaling = regenerated ? wordCost(0, 0, 0) : wordCost(2 * floats, 3 * floats, floats);
  if (!plan.source.draw) return sumCosts([draw, scaling]);
  const blocked = sums > N;
  // Blocked norms redraw four a block, each (point, block) loading its scale and offset once;
  // one block's are ballNorms', a coordinate at a time.
  const read = !regenerated
    ? { flops: 0, words: 1 }
    : blocked
      ? { flops: REDRAWN_QUAD_COORDINATE.flops, words: (2 * sums) / floats }
      : REDRAWN_COORDINATE;
  const norms = wordCost(
    floats * (2 + read.flops) + (blocked ? sums * WORKGROUP_SIZE + sums : 0),
    floats * read.words + (blocked ? sums : 0),
    (blocked ? sums : 0) + N,
  );
  return sumCosts([draw, scaling, norms]);
}

/**
 * N points in the unit ball B^d (default stream: points): normals over (point, block of `block`
 * coordinates, default BALL_BLOCK; a multiple of the workgroup size), the points' scales, the
 * scaled coordinates. The block sets the summation order: draws compared bit for bit use one.
 * With `norms` (a training step's draw) it also sums each point's ‖x‖² for the boundary factor;
 * with regenerated points (`storage`, which needs them) no coordinate is written. The plan's
 * source tells the readers where the scales and norms are (lib/ballPoints.wgsl).
 */
export function planBallDraw(
  dimension: number,
  law: BallLaw,
  points: number,
  key: SamplerKey,
  block = BALL_BLOCK,
  storage: PointStorage = 'stored',
  norms = storage === 'regenerated',
): PointDrawPlan {
  if (!Number.isInteger(block) || block < WORKGROUP_SIZE || block % WORKGROUP_SIZE !== 0) {
    throw new RangeError(
      `the ball draw's block must be a positive multiple of ${WORKGROUP_SIZE}, got ${block}`,
    );
  }
  const regenerated = storage === 'regenerated';
  if (regenerated && !norms) {
    throw new RangeError("regenerated points are read with their draw's norms (norms = true)");
  }
  const blocks = Math.ceil(dimension / block);
  const seed = key.seed;
  const stream = key.stream ?? RandomStream.points;
  const perPoint = Math.ceil(points / WORKGROUP_SIZE);
  const scalesAt = points * blocks;
  const variant = regenerated ? '/regenerated' : '';
  const dispatches: { kernel: SamplerKernel; workgroups: number }[] = [
    { kernel: `ballNormals${variant}` as SamplerKernel, workgroups: points * blocks },
    { kernel: 'ballScales', workgroups: perPoint },
  ];
  if (!regenerated) {
    dispatches.push({
      kernel: 'ballWrite',
      workgroups: Math.ceil((points * dimension) / WORKGROUP_SIZE),
    });
  }
  if (norms && blocks > 1) {
    dispatches.push({
      kernel: `ballNormBlocks${variant}` as SamplerKernel,
      workgroups: points * blocks,
    });
  }
  if (norms)
    dispatches.push({ kernel: `ballNorms${variant}` as SamplerKernel, workgroups: perPoint });
  const draw = { seed, stream, scalesAt, normsAt: scalesAt + 2 * points };
  return planDraw(
    'ball',
    dimension,
    dimension,
    points,
    { law: law === 'volume-uniform' ? 0 : 1, horizon: 0, seed, stream, blocks: { block, blocks } },
    dispatches,
    scalesAt + (norms ? 3 : 2) * points,
    norms ? { storage, draw } : storedPoints,
  );
}

/**
 * N points (x, t) with t last (default stream: points, or terminalPoints for terminal draws):
 * one invocation per output float.
 */
export function planParabolicDraw(
  dimension: number,
  horizon: number,
  law: ParabolicLaw,
  points: number,
  key: SamplerKey,
): PointDrawPlan {
  if (!(horizon > 0) || !Number.isFinite(horizon)) {
    throw new RangeError(`the horizon T must be positive, got ${horizon}`);
  }
  return planDraw(
    'parabolic',
    dimension,
    dimension + 1,
    points,
    {
      law: law === 'interior' ? 0 : 1,
      horizon,
      seed: key.seed,
      stream:
        key.stream ?? (law === 'interior' ? RandomStream.points : RandomStream.terminalPoints),
    },
    [{ kernel: 'parabolic', workgroups: Math.ceil((points * (dimension + 1)) / WORKGROUP_SIZE) }],
  );
}

/** N points of a box (default stream: points), the last N − interior on its faces. */
export function planBoxDraw(box: BoxDrawSpec, points: number, key: SamplerKey): PointDrawPlan {
  const width = box.low.length;
  if (width < 2 || width > 4 || box.high.length !== width) {
    throw new RangeError(`a box has 2 to 4 variables with a low and a high end each, got ${width}`);
  }
  if (!box.low.every((low, i) => low < box.high[i])) {
    throw new RangeError(`every interval of a box needs low < high: [${box.low}] … [${box.high}]`);
  }
  if (!Number.isInteger(box.timeIndex) || box.timeIndex < 0 || box.timeIndex >= width) {
    throw new RangeError(`the time variable's index must lie in 0..${width - 1}`);
  }
  if (!Number.isInteger(box.interior) || box.interior < 0 || box.interior > points) {
    throw new RangeError(`interior points must be an integer in 0..${points}, got ${box.interior}`);
  }
  const pad = (v: readonly number[]) => [...v, 0, 0, 0, 0].slice(0, 4);
  return planDraw(
    'box',
    width,
    width,
    points,
    {
      law: 0,
      horizon: 0,
      seed: key.seed,
      stream: key.stream ?? RandomStream.points,
      box: {
        interior: box.interior,
        faces: boxFaceCount(width),
        timeIndex: box.timeIndex,
        boxLow: pad(box.low),
        boxHigh: pad(box.high),
      },
    },
    [{ kernel: 'box', workgroups: Math.ceil((points * width) / WORKGROUP_SIZE) }],
  );
}

/** One dispatch of a draw, bound. */
interface BoundDispatch {
  kernel: ComputeKernel;
  bindGroup: GPUBindGroup;
  workgroups: number;
}

/** The buffers every dispatch of a draw binds (samplers.wgsl's bindings). */
interface DrawResources {
  readonly params: GPUBuffer;
  readonly stepCounter: GPUBuffer;
  /** N·width f32 coordinates, row-major; a one-float stand-in with regenerated points. */
  readonly points: GPUBuffer;
  /** The block sums, scales and (regenerated points) norms. */
  readonly partials: GPUBuffer;
}

/** A point buffer redrawn by every `record` for the step in the step counter. */
export class PointDraw {
  constructor(
    private readonly memory: GpuMemory,
    private readonly dispatches: readonly BoundDispatch[],
    readonly resources: DrawResources,
    /** Floats per point: d in the ball, d + 1 for (x, t). */
    readonly width: number,
    readonly source: PointSource,
  ) {}

  /** N·width f32 coordinates, row-major; a one-float stand-in with regenerated points. */
  get points(): GPUBuffer {
    return this.resources.points;
  }

  /** The block sums, scales and (regenerated points) norms. */
  get partials(): GPUBuffer {
    return this.resources.partials;
  }

  /** What a reader binds as the points: the coordinates, or the partials it redraws them from. */
  get readerPoints(): GPUBuffer {
    return this.source.storage === 'stored' ? this.points : this.partials;
  }

  /** The draw's dispatches, in order (one pass orders their storage writes). */
  record(pass: GPUComputePassEncoder): void {
    for (const d of this.dispatches) d.kernel.dispatchFolded(pass, d.bindGroup, d.workgroups);
  }

  destroy(): void {
    const { params, points, partials } = this.resources;
    for (const buffer of [params, points, partials]) this.memory.destroy(buffer);
  }
}

/**
 * Writes points [first, first + count) of a regenerated ball draw, count·d floats, into a buffer
 * of its reader's (samplers.wgsl ballWriteRange): the range is words 1 and 2 of the draw's step
 * counter, which the reader sets by a copy before each `record`.
 */
export class PointRangeWriter {
  constructor(private readonly dispatch: BoundDispatch) {}

  record(pass: GPUComputePassEncoder): void {
    const { kernel, bindGroup, workgroups } = this.dispatch;
    kernel.dispatchFolded(pass, bindGroup, workgroups);
  }
}

export class GpuPointSamplers {
  private constructor(private readonly kernels: Partial<Record<SamplerKernel, ComputeKernel>>) {}

  /**
   * Compiles the entries asked for (by default the ball and parabolic ones): the box entry, the
   * ball's norms (a training step's draw) and the regenerated ball only where such a draw runs,
   * so no other run compiles a pipeline it never dispatches.
   */
  static async create(
    device: GPUDevice,
    entries: readonly SamplerKernels[] = ['ball', 'parabolic'],
  ): Promise<GpuPointSamplers> {
    const entryPoints = [...new Set(entries.flatMap((entry) => ENTRY_POINTS[entry]))];
    const kernels = await Promise.all(
      entryPoints.map((name) => {
        const [entryPoint, variant] = name.split('/');
        const POINTS = variant === 'regenerated' ? 1 : 0;
        return cachedKernel(device, SAMPLER_PARTS, {
          entryPoint,
          constants: { WORKGROUP_SIZE, POINTS },
        });
      }),
    );
    return new GpuPointSamplers(Object.fromEntries(entryPoints.map((e, i) => [e, kernels[i]])));
  }

  /** N points in the unit ball B^d (default stream: points). */
  ball(
    memory: GpuMemory,
    dimension: number,
    law: BallLaw,
    points: number,
    key: SamplerKey,
    stepCounter: GPUBuffer,
  ): PointDraw {
    return this.prepare(memory, stepCounter, planBallDraw(dimension, law, points, key));
  }

  /** N points (x, t) with t last (default stream: points, or terminalPoints for terminal draws). */
  parabolic(
    memory: GpuMemory,
    dimension: number,
    horizon: number,
    law: ParabolicLaw,
    points: number,
    key: SamplerKey,
    stepCounter: GPUBuffer,
  ): PointDraw {
    return this.prepare(
      memory,
      stepCounter,
      planParabolicDraw(dimension, horizon, law, points, key),
    );
  }

  /** Allocates and binds a planned draw. */
  prepare(memory: GpuMemory, stepCounter: GPUBuffer, plan: PointDrawPlan): PointDraw {
    const kernels = plan.dispatches.map(({ kernel: name }) => {
      const kernel = this.kernels[name];
      if (!kernel) {
        throw new Error(`samplers.wgsl:${name} was not compiled (GpuPointSamplers.create)`);
      }
      return kernel;
    });
    const planned = plan.named;
    // One uniform for every dispatch: the entry points share samplers.wgsl's Params.
    const paramsBuffer = memory.createUniform(
      planned.params.label,
      kernels[0].struct('params'),
      plan.params,
    );
    const output = memory.create(planned.points.label, planned.points.bytes);
    const partials = memory.create(planned.partials.label, planned.partials.bytes);
    const resources = { params: paramsBuffer, stepCounter, points: output, partials };
    const dispatches = plan.dispatches.map(({ workgroups }, i) => ({
      kernel: kernels[i],
      bindGroup: kernels[i].bind(resources),
      workgroups,
    }));
    return new PointDraw(memory, dispatches, resources, plan.width, plan.source);
  }

  /**
   * The writer of up to `range` points of the regenerated ball draw `draw` into `target`
   * (range·d floats), compiled by create(…, ['ballRange']); the same bits as the stored draw's.
   */
  rangeWriter(draw: PointDraw, target: GPUBuffer, range: number): PointRangeWriter {
    const kernel = this.kernels['ballWriteRange/regenerated'];
    if (!kernel) throw new Error('samplers.wgsl:ballWriteRange was not compiled (ballRange)');
    if (draw.source.storage !== 'regenerated') {
      throw new Error('a range of points is written from a regenerated ball draw');
    }
    const bindGroup = kernel.bind({ ...draw.resources, points: target });
    const workgroups = Math.ceil((range * draw.width) / WORKGROUP_SIZE);
    return new PointRangeWriter({ kernel, bindGroup, workgroups });
  }
}
