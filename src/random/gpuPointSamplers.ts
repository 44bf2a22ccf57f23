/**
 * Collocation points drawn on the GPU with shaders/samplers.wgsl, from the same generator as the
 * random jets. The CPU mirror is pointSamplers.ts.
 */
import randomCode from '../../shaders/random.wgsl?raw';
import samplersCode from '../../shaders/samplers.wgsl?raw';
import type { GpuBuffers } from '../gpu/buffers.ts';
import { createComposedKernel } from '../gpu/composeShader.ts';
import { LimitError } from '../gpu/errors.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { RandomStream, requireU32 } from './counterRandom.ts';
import { dispatchGrid } from '../gpu/dispatch.ts';
import type { BallLaw, ParabolicLaw } from './pointSamplers.ts';

/** Params of samplers.wgsl: six 4-byte words, padded to a multiple of 16 bytes. */
const PARAMS_BYTES = 32;

/** A point buffer redrawn by every `record` for the step in the step counter. */
export class PointDraw {
  constructor(
    private readonly buffers: GpuBuffers,
    private readonly kernel: ComputeKernel,
    private readonly bindGroup: GPUBindGroup,
    private readonly grid: [number, number],
    private readonly paramsBuffer: GPUBuffer,
    /** N·width f32 coordinates, row-major. */
    readonly points: GPUBuffer,
    /** Floats per point: d in the ball, d + 1 for (x, t). */
    readonly width: number,
  ) {}

  record(pass: GPUComputePassEncoder): void {
    this.kernel.dispatch(pass, this.bindGroup, this.grid[0], this.grid[1]);
  }

  destroy(): void {
    this.buffers.destroy(this.paramsBuffer);
    this.buffers.destroy(this.points);
  }
}

interface SamplerKey {
  seed: number;
  stream?: number;
}

/** Everything one sampler dispatch needs; `law` and `horizon` as samplers.wgsl reads them. */
interface DrawPlan {
  kernel: ComputeKernel;
  dimension: number;
  width: number;
  points: number;
  law: number;
  horizon: number;
  seed: number;
  stream: number;
  workgroups: number;
}

export class GpuPointSamplers {
  private constructor(
    private readonly device: GPUDevice,
    private readonly ballKernel: ComputeKernel,
    private readonly parabolicKernel: ComputeKernel,
  ) {}

  static async create(device: GPUDevice): Promise<GpuPointSamplers> {
    const parts = [
      { name: 'random.wgsl', code: randomCode },
      { name: 'samplers.wgsl', code: samplersCode },
    ];
    const [ball, parabolic] = await Promise.all([
      createComposedKernel(device, parts, { entryPoint: 'ball' }),
      createComposedKernel(device, parts, { entryPoint: 'parabolic' }),
    ]);
    return new GpuPointSamplers(device, ball, parabolic);
  }

  /** N points in the unit ball B^d (default stream: points). */
  ball(
    buffers: GpuBuffers,
    dimension: number,
    law: BallLaw,
    points: number,
    key: SamplerKey,
    stepCounter: GPUBuffer,
  ): PointDraw {
    return this.prepare(buffers, stepCounter, {
      kernel: this.ballKernel,
      dimension,
      width: dimension,
      points,
      law: law === 'volume-uniform' ? 0 : 1,
      horizon: 0,
      seed: key.seed,
      stream: key.stream ?? RandomStream.points,
      workgroups: points,
    });
  }

  /** N points (x, t) with t last (default stream: points, or terminalPoints for terminal draws). */
  parabolic(
    buffers: GpuBuffers,
    dimension: number,
    horizon: number,
    law: ParabolicLaw,
    points: number,
    key: SamplerKey,
    stepCounter: GPUBuffer,
  ): PointDraw {
    if (!(horizon > 0) || !Number.isFinite(horizon)) {
      throw new RangeError(`the horizon T must be positive, got ${horizon}`);
    }
    return this.prepare(buffers, stepCounter, {
      kernel: this.parabolicKernel,
      dimension,
      width: dimension + 1,
      points,
      law: law === 'interior' ? 0 : 1,
      horizon,
      seed: key.seed,
      stream:
        key.stream ?? (law === 'interior' ? RandomStream.points : RandomStream.terminalPoints),
      workgroups: this.parabolicKernel.workgroupsFor(points * (dimension + 1)),
    });
  }

  private prepare(buffers: GpuBuffers, stepCounter: GPUBuffer, plan: DrawPlan): PointDraw {
    const { kernel, dimension, width, points } = plan;
    if (!Number.isInteger(dimension) || dimension < 1) {
      throw new RangeError(`dimension must be a positive integer, got ${dimension}`);
    }
    requireU32(points, 'points');
    if (points * width >= 2 ** 32) {
      throw new LimitError(`${points}×${width} coordinates exceed the kernel's 32-bit indexing`);
    }
    const params = new ArrayBuffer(PARAMS_BYTES);
    new Uint32Array(params).set([
      requireU32(plan.seed, 'seed'),
      requireU32(plan.stream, 'stream'),
      points,
      dimension,
      plan.law,
    ]);
    new Float32Array(params)[5] = plan.horizon;
    const label = `${kernel.name} points`;
    const paramsBuffer = buffers.createFrom(`${label} params`, new Uint8Array(params), 'uniform');
    const output = buffers.create(label, points * width * 4);
    const bindGroup = kernel.bind({ params: paramsBuffer, stepCounter, points: output });
    const grid = dispatchGrid(plan.workgroups, this.device.limits.maxComputeWorkgroupsPerDimension);
    return new PointDraw(buffers, kernel, bindGroup, grid, paramsBuffer, output, width);
  }
}
