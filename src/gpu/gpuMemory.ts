import { tellBuildListeners } from './buildEvents.ts';
import { LimitError } from './errors.ts';
import type { FieldValue, StructView } from './structView.ts';

export type BufferRole = 'storage' | 'uniform';

/**
 * Creates and frees the GPU buffers of one engine, keeping a count of the bytes it holds (what
 * the dashboard reports as GPU memory, and what a leak test watches). Sizes are checked against
 * the device limits before WebGPU is asked, so a too-large request is a readable LimitError.
 */
export class GpuMemory {
  readonly device: GPUDevice;
  private readonly live = new Map<GPUBuffer, number>();
  private liveBytes = 0;

  constructor(device: GPUDevice) {
    this.device = device;
  }

  get bytesInUse(): number {
    return this.liveBytes;
  }

  get count(): number {
    return this.live.size;
  }

  /** Bytes of the largest live buffer (what the memory estimate must predict exactly). */
  get largestBytes(): number {
    let largest = 0;
    for (const size of this.live.values()) largest = Math.max(largest, size);
    return largest;
  }

  /** A buffer of `bytes` (rounded up to 4) for a kernel binding; COPY_SRC/COPY_DST included. */
  create(label: string, bytes: number, role: BufferRole = 'storage'): GPUBuffer {
    if (!Number.isFinite(bytes) || bytes < 0) {
      throw new LimitError(`${label}: invalid buffer size ${bytes}`);
    }
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const limits = this.device.limits;
    if (size > limits.maxBufferSize) {
      throw new LimitError(
        `${label}: ${size} bytes exceeds the device's maxBufferSize of ${limits.maxBufferSize} bytes`,
      );
    }
    const bindingMax =
      role === 'uniform' ? limits.maxUniformBufferBindingSize : limits.maxStorageBufferBindingSize;
    if (size > bindingMax) {
      throw new LimitError(
        `${label}: ${size} bytes exceeds the device's ${role === 'uniform' ? 'maxUniformBufferBindingSize' : 'maxStorageBufferBindingSize'} of ${bindingMax} bytes`,
      );
    }
    const usage =
      (role === 'uniform' ? GPUBufferUsage.UNIFORM : GPUBufferUsage.STORAGE) |
      GPUBufferUsage.COPY_SRC |
      GPUBufferUsage.COPY_DST;
    const buffer = this.device.createBuffer({ label, size, usage });
    this.live.set(buffer, size);
    this.liveBytes += size;
    tellBuildListeners(this.device, (listener) => listener.allocated?.(label, size));
    return buffer;
  }

  /** A buffer holding `data`. */
  createFrom(label: string, data: ArrayBufferView, role: BufferRole = 'storage'): GPUBuffer {
    const buffer = this.create(label, data.byteLength, role);
    this.write(buffer, data);
    return buffer;
  }

  /** A uniform buffer holding `values`, laid out by the binding's reflected struct view. */
  createUniform(label: string, view: StructView, values: FieldValue): GPUBuffer {
    return this.createFrom(label, view.pack(values), 'uniform');
  }

  /** Rewrites a struct buffer by field name (see StructView). */
  writeStruct(buffer: GPUBuffer, view: StructView, values: FieldValue, byteOffset = 0): void {
    this.write(buffer, view.pack(values), byteOffset);
  }

  write(buffer: GPUBuffer, data: ArrayBufferView, byteOffset = 0): void {
    // writeBuffer needs a multiple of 4 bytes; typed arrays of 32-bit values always are.
    this.device.queue.writeBuffer(
      buffer,
      byteOffset,
      data.buffer,
      data.byteOffset,
      data.byteLength,
    );
  }

  destroy(buffer: GPUBuffer): void {
    const size = this.live.get(buffer);
    if (size === undefined) return;
    this.live.delete(buffer);
    this.liveBytes -= size;
    buffer.destroy();
  }

  destroyAll(): void {
    for (const buffer of [...this.live.keys()]) this.destroy(buffer);
  }
}

/**
 * Copies `bytes` of a GPU buffer back to the CPU. One awaited round trip: use it in tests, at
 * checkpoints and for evaluation, never inside a training step (DESIGN.md section 7).
 */
export async function readBuffer(
  device: GPUDevice,
  source: GPUBuffer,
  bytes = source.size,
  sourceOffset = 0,
): Promise<ArrayBuffer> {
  const size = Math.ceil(bytes / 4) * 4;
  const staging = device.createBuffer({
    label: `readback of ${source.label}`,
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder({ label: `readback of ${source.label}` });
  encoder.copyBufferToBuffer(source, sourceOffset, staging, 0, size);
  device.queue.submit([encoder.finish()]);
  try {
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange().slice(0, bytes);
  } finally {
    staging.destroy();
  }
}

export async function readFloat32(
  device: GPUDevice,
  source: GPUBuffer,
  count?: number,
): Promise<Float32Array> {
  const bytes = count === undefined ? source.size : count * 4;
  return new Float32Array(await readBuffer(device, source, bytes));
}
