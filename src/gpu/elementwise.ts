import saxpyCode from '../../shaders/elementwise.wgsl?raw';
import type { GpuMemory } from './gpuMemory.ts';
import { readFloat32 } from './gpuMemory.ts';
import type { ComputeKernel } from './kernel.ts';
import { cachedKernel } from './kernelCache.ts';

/** y ← a·x + y on the GPU: the smallest end-to-end use of the device layer. */
export class Saxpy {
  private constructor(private readonly kernel: ComputeKernel) {}

  static async create(device: GPUDevice): Promise<Saxpy> {
    return new Saxpy(await cachedKernel(device, { name: 'elementwise.wgsl', code: saxpyCode }));
  }

  async run(memory: GpuMemory, a: number, x: Float32Array, y: Float32Array): Promise<Float32Array> {
    if (x.length !== y.length) throw new Error(`saxpy: x has ${x.length} elements, y ${y.length}`);
    const n = x.length;
    const device = memory.device;
    const paramsBuffer = memory.createUniform('saxpy params', this.kernel.struct('params'), {
      n,
      a,
    });
    const xBuffer = memory.createFrom('saxpy x', x);
    const yBuffer = memory.createFrom('saxpy y', y);
    try {
      const bindGroup = this.kernel.bind({ params: paramsBuffer, x: xBuffer, y: yBuffer });
      const encoder = device.createCommandEncoder({ label: 'saxpy' });
      const pass = encoder.beginComputePass();
      this.kernel.dispatch(pass, bindGroup, this.kernel.workgroupsFor(n));
      pass.end();
      device.queue.submit([encoder.finish()]);
      return await readFloat32(device, yBuffer, n);
    } finally {
      memory.destroy(paramsBuffer);
      memory.destroy(xBuffer);
      memory.destroy(yBuffer);
    }
  }
}
