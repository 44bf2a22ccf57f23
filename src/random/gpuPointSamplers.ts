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
import { BOX_MULLER_FLOPS, type KernelCost, wordCost } from '../engine/kernelCost.ts';
import { RandomStream, requireU32 } from './counterRandom.ts';
import {
  type BallLaw,
  boxFaceCount,
  type BoxDrawSpec,
  type ParabolicLaw,
} from './pointSamplers.ts';

const SAMPLER_PARTS = [lib.random, lib.grid, { name: 'samplers.wgsl', code: samplersCode }];
/** The WORKGROUP_SIZE override's default (shaders/lib/grid.wgsl), given explicitly so plans know the grid. */
const WORKGROUP_SIZE = 64;

export type SamplerEntry = 'ball' | 'parabolic' | 'box';

const NO_BOX = { interior: 0, faces: 0, timeIndex: 0, boxLow: [0, 0, 0, 0], boxHigh: [0, 0, 0, 0] };

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
  /** Workgroups of the dispatch (folded into the device grid when recorded). */
  readonly workgroups: number;
  readonly named: { readonly params: PlannedBuffer; readonly points: PlannedBuffer };
  /** What `prepare` allocates, in order. */
  readonly buffers: readonly PlannedBuffer[];
}

function planDraw(
  entry: SamplerEntry,
  dimension: number,
  width: number,
  points: number,
  fields: { law: number; horizon: number; seed: number; stream: number; box?: typeof NO_BOX },
  workgroups: number,
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
    points: storageBuffer(label, points * width * 4),
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
    },
    workgroups,
    named,
    buffers: [named.params, named.points],
  };
}

/**
 * What one draw of `plan` computes and moves (kernelCost.ts's rules): it writes every coordinate
 * and reads only the step counter; its Philox rounds are integer work. The ball draws each normal
 * twice (the norm, then the scaled write: 2 and 2 more FLOPs) and sums the squares in a tree of
 * WORKGROUP_SIZE per point; the parabolic draw takes a normal and √(2t)·z per float (10), the
 * box a uniform scaled into the box (3).
 */
export function pointDrawCost(plan: PointDrawPlan): KernelCost {
  const floats = plan.points * plan.width;
  const perFloat =
    plan.entry === 'ball' ? 2 * BOX_MULLER_FLOPS + 4 : plan.entry === 'parabolic' ? 10 : 3;
  const tree = plan.entry === 'ball' ? plan.points * (WORKGROUP_SIZE - 1) : 0;
  return wordCost(floats * perFloat + tree, 1, floats);
}

/** N points in the unit ball B^d (default stream: points): one workgroup per point. */
export function planBallDraw(
  dimension: number,
  law: BallLaw,
  points: number,
  key: SamplerKey,
): PointDrawPlan {
  return planDraw(
    'ball',
    dimension,
    dimension,
    points,
    {
      law: law === 'volume-uniform' ? 0 : 1,
      horizon: 0,
      seed: key.seed,
      stream: key.stream ?? RandomStream.points,
    },
    points,
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
    Math.ceil((points * (dimension + 1)) / WORKGROUP_SIZE),
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
    Math.ceil((points * width) / WORKGROUP_SIZE),
  );
}

/** A point buffer redrawn by every `record` for the step in the step counter. */
export class PointDraw {
  constructor(
    private readonly memory: GpuMemory,
    private readonly kernel: ComputeKernel,
    private readonly bindGroup: GPUBindGroup,
    private readonly workgroups: number,
    private readonly paramsBuffer: GPUBuffer,
    /** N·width f32 coordinates, row-major. */
    readonly points: GPUBuffer,
    /** Floats per point: d in the ball, d + 1 for (x, t). */
    readonly width: number,
  ) {}

  record(pass: GPUComputePassEncoder): void {
    this.kernel.dispatchFolded(pass, this.bindGroup, this.workgroups);
  }

  destroy(): void {
    this.memory.destroy(this.paramsBuffer);
    this.memory.destroy(this.points);
  }
}

export class GpuPointSamplers {
  private constructor(private readonly kernels: Partial<Record<SamplerEntry, ComputeKernel>>) {}

  /**
   * Compiles the entries asked for (by default the ball and parabolic ones): the box entry only
   * where a box problem runs, so no other run compiles a pipeline it never dispatches.
   */
  static async create(
    device: GPUDevice,
    entries: readonly SamplerEntry[] = ['ball', 'parabolic'],
  ): Promise<GpuPointSamplers> {
    const kernels = await Promise.all(
      entries.map((entryPoint) =>
        cachedKernel(device, SAMPLER_PARTS, { entryPoint, constants: { WORKGROUP_SIZE } }),
      ),
    );
    return new GpuPointSamplers(Object.fromEntries(entries.map((e, i) => [e, kernels[i]])));
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
    const kernel = this.kernels[plan.entry];
    if (!kernel) {
      throw new Error(`samplers.wgsl:${plan.entry} was not compiled (GpuPointSamplers.create)`);
    }
    const planned = plan.named;
    const paramsBuffer = memory.createUniform(
      planned.params.label,
      kernel.struct('params'),
      plan.params,
    );
    const output = memory.create(planned.points.label, planned.points.bytes);
    const bindGroup = kernel.bind({ params: paramsBuffer, stepCounter, points: output });
    return new PointDraw(
      memory,
      kernel,
      bindGroup,
      plan.workgroups,
      paramsBuffer,
      output,
      plan.width,
    );
  }
}
