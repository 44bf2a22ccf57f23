import matmulCode from '../../shaders/matmul.wgsl?raw';
import type { GpuMemory } from '../../src/gpu/gpuMemory.ts';
import type { ComputeKernel } from '../../src/gpu/kernel.ts';
import { cachedKernel } from '../../src/gpu/kernelCache.ts';
import { layerTiling, type LayerTiling } from '../../src/engine/forwardJet.ts';

export interface MatmulShape {
  rows: number;
  inputs: number;
  outputs: number;
}

export interface MatmulOperands {
  /** rows × inputs, row-major. */
  a: GPUBuffer;
  /** outputs × inputs, row-major (the parameter layout's [out][in]). */
  w: GPUBuffer;
  /** rows × outputs, written. */
  c: GPUBuffer;
}

/**
 * C = A·Wᵀ with the same tiling the forward jet kernel uses for the same output width: the
 * yardstick the jet kernels are benchmarked against (bench/lib/kernelsRun.ts).
 */
export class MatmulBaseline {
  readonly shape: MatmulShape;
  readonly tiling: LayerTiling;
  private readonly memory: GpuMemory;
  private readonly kernel: ComputeKernel;
  private readonly uniforms: GPUBuffer;
  private readonly bindGroup: GPUBindGroup;

  private constructor(
    memory: GpuMemory,
    shape: MatmulShape,
    tiling: LayerTiling,
    kernel: ComputeKernel,
    uniforms: GPUBuffer,
    operands: MatmulOperands,
  ) {
    this.memory = memory;
    this.shape = shape;
    this.tiling = tiling;
    this.kernel = kernel;
    this.uniforms = uniforms;
    this.bindGroup = kernel.bind({ params: uniforms, ...operands });
  }

  static async create(
    memory: GpuMemory,
    shape: MatmulShape,
    operands: MatmulOperands,
  ): Promise<MatmulBaseline> {
    const limits = memory.device.limits;
    const tiling = layerTiling(shape.outputs, limits.maxComputeWorkgroupStorageSize);
    const kernel = await cachedKernel(
      memory.device,
      { name: 'matmul.wgsl', code: matmulCode },
      {
        constants: {
          WORKGROUP_SIZE: tiling.workgroupSize,
          THREADS_OUTS: tiling.threadsOuts,
          TILE_INNER: tiling.tileInner,
        },
      },
    );
    const uniforms = memory.createUniform('matmul params', kernel.struct('params'), {
      rows: shape.rows,
      inputs: shape.inputs,
      outputs: shape.outputs,
    });
    try {
      return new MatmulBaseline(memory, shape, tiling, kernel, uniforms, operands);
    } catch (error) {
      memory.destroy(uniforms);
      throw error;
    }
  }

  /** Records the product into `encoder` as one compute pass. */
  encode(encoder: GPUCommandEncoder): void {
    const pass = encoder.beginComputePass({ label: 'matmul baseline' });
    this.kernel.dispatch(
      pass,
      this.bindGroup,
      Math.ceil(this.shape.outputs / this.tiling.tileOuts),
      Math.ceil(this.shape.rows / this.tiling.tileRows),
    );
    pass.end();
  }

  destroy(): void {
    this.memory.destroy(this.uniforms);
  }
}
