import terminalCode from '../../shaders/pdeTerminal.wgsl?raw';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { readFloat32 } from '../gpu/gpuMemory.ts';
import { composeShader } from '../gpu/composeShader.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { reflectStructView, type StructView } from '../gpu/structView.ts';
import type { ParabolicId } from './parabolic.ts';
import { checkBatch, createPointParams, type PointBatch } from './pointGrid.ts';

const TERMINAL_PARTS = [lib.grid, lib.pointBatch, { name: 'pdeTerminal.wgsl', code: terminalCode }];

let paramsView: StructView | undefined;
/** The layout of pdeTerminal.wgsl's `params` (reflected once, without a device). */
export function terminalParamsView(): StructView {
  return (paramsView ??= reflectStructView(composeShader(TERMINAL_PARTS), 'params'));
}

const KERNELS: Record<ParabolicId, { entryPoint: string; scaleByDimension?: boolean }> = {
  'semilinear-heat': { entryPoint: 'rational', scaleByDimension: false },
  'allen-cahn-parabolic': { entryPoint: 'arctanMax' },
  'sine-gordon-parabolic': { entryPoint: 'rational', scaleByDimension: true },
};

export interface TerminalDispatch {
  readonly bindGroup: GPUBindGroup;
  readonly params: GPUBuffer;
  /** Points: one workgroup each, folded into the device grid. */
  readonly workgroups: number;
}

export interface TerminalOutputs {
  /** g(x_p), count f32. */
  value: GPUBuffer;
  /** ∇g(x_p), count × dim f32, row-major. */
  gradient: GPUBuffer;
}

/** g(x) and ∇g(x) of one parabolic problem for a buffer of points (shaders/pdeTerminal.wgsl). */
export class TerminalKernel {
  private constructor(private readonly kernel: ComputeKernel) {}

  static async create(
    device: GPUDevice,
    problem: ParabolicId,
    workgroupSize = 64,
  ): Promise<TerminalKernel> {
    if (!Number.isInteger(Math.log2(workgroupSize))) {
      throw new RangeError(`workgroup size must be a power of two, got ${workgroupSize}`);
    }
    const { entryPoint, scaleByDimension } = KERNELS[problem];
    const constants: Record<string, number> = { WORKGROUP_SIZE: workgroupSize };
    if (scaleByDimension !== undefined) constants.SCALE_BY_DIMENSION = scaleByDimension ? 1 : 0;
    const kernel = await cachedKernel(device, TERMINAL_PARTS, { entryPoint, constants });
    return new TerminalKernel(kernel);
  }

  /** Binds points and outputs; a batch with stride dim + 1 reads (x, t) rows and skips t. */
  prepare(memory: GpuMemory, batch: PointBatch, outputs: TerminalOutputs): TerminalDispatch {
    const checked = checkBatch(batch);
    const params = createPointParams(memory, this.kernel.struct('params'), checked);
    const bindGroup = this.kernel.bind({
      params,
      points: checked.points,
      value: { buffer: outputs.value, size: checked.count * 4 },
      gradient: { buffer: outputs.gradient, size: checked.count * checked.dim * 4 },
    });
    return { bindGroup, params, workgroups: checked.count };
  }

  encode(pass: GPUComputePassEncoder, dispatch: TerminalDispatch): void {
    this.kernel.dispatchFolded(pass, dispatch.bindGroup, dispatch.workgroups);
  }

  release(memory: GpuMemory, dispatch: TerminalDispatch): void {
    memory.destroy(dispatch.params);
  }

  /** One round trip for tests: points are count × dim, row-major. */
  async evaluate(
    memory: GpuMemory,
    points: Float32Array,
    dim: number,
  ): Promise<{ g: Float32Array; gradient: Float32Array }> {
    const count = points.length / dim;
    if (!Number.isInteger(count)) {
      throw new RangeError(`${points.length} coordinates are not a whole number of ${dim}-vectors`);
    }
    const device = memory.device;
    const pointBuffer = memory.createFrom('terminal points', points);
    const value = memory.create('terminal g', count * 4);
    const gradient = memory.create('terminal ∇g', count * dim * 4);
    const dispatch = this.prepare(memory, { points: pointBuffer, count, dim }, { value, gradient });
    try {
      const encoder = device.createCommandEncoder({ label: 'pde terminal' });
      const pass = encoder.beginComputePass();
      this.encode(pass, dispatch);
      pass.end();
      device.queue.submit([encoder.finish()]);
      const g = await readFloat32(device, value, count);
      const grad = await readFloat32(device, gradient, count * dim);
      return { g, gradient: grad };
    } finally {
      this.release(memory, dispatch);
      for (const buffer of [pointBuffer, value, gradient]) memory.destroy(buffer);
    }
  }
}
