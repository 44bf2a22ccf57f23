import saxpyCode from '../../shaders/elementwise.wgsl?raw';
import type { GpuBuffers } from './buffers.ts';
import { readFloat32 } from './buffers.ts';
import { createKernel, type ComputeKernel } from './kernel.ts';

/** y ← a·x + y on the GPU: the smallest end-to-end use of the device layer. */
export class Saxpy {
  private constructor(private readonly kernel: ComputeKernel) {}

  static async create(device: GPUDevice): Promise<Saxpy> {
    return new Saxpy(await createKernel(device, { name: 'elementwise.wgsl', code: saxpyCode }));
  }

  async run(
    buffers: GpuBuffers,
    a: number,
    x: Float32Array,
    y: Float32Array,
  ): Promise<Float32Array> {
    if (x.length !== y.length) throw new Error(`saxpy: x has ${x.length} elements, y ${y.length}`);
    const n = x.length;
    const params = new ArrayBuffer(8);
    new Uint32Array(params, 0, 1)[0] = n;
    new Float32Array(params, 4, 1)[0] = a;
    const device = buffers.device;
    const paramsBuffer = buffers.createFrom('saxpy params', new Uint8Array(params), 'uniform');
    const xBuffer = buffers.createFrom('saxpy x', x);
    const yBuffer = buffers.createFrom('saxpy y', y);
    try {
      const bindGroup = this.kernel.bind({ params: paramsBuffer, x: xBuffer, y: yBuffer });
      const encoder = device.createCommandEncoder({ label: 'saxpy' });
      const pass = encoder.beginComputePass();
      this.kernel.dispatch(pass, bindGroup, this.kernel.workgroupsFor(n));
      pass.end();
      device.queue.submit([encoder.finish()]);
      return await readFloat32(device, yBuffer, n);
    } finally {
      buffers.destroy(paramsBuffer);
      buffers.destroy(xBuffer);
      buffers.destroy(yBuffer);
    }
  }
}
