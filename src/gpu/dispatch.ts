import type { GpuBuffers } from './buffers.ts';
import { LimitError } from './errors.ts';
import type { BufferBinding, ComputeKernel } from './kernel.ts';

/**
 * Step kernels are recorded either into their own compute pass (given a command encoder) or into
 * a pass the caller already has open, so a trainer can put a whole step into one pass.
 */
export type ComputeTarget = GPUCommandEncoder | GPUComputePassEncoder;

export function inComputePass(
  target: ComputeTarget,
  label: string,
  record: (pass: GPUComputePassEncoder) => void,
): void {
  if ('beginComputePass' in target) {
    const pass = target.beginComputePass({ label });
    record(pass);
    pass.end();
  } else {
    record(target);
  }
}

/**
 * Dispatches `groups` workgroups of a kernel that numbers them y·num_workgroups.x + x, so a
 * buffer needing more than the 65 535 workgroups one dimension allows (Adam over 128 M parameters
 * at d = 10^6 needs 500 000) is still one dispatch. Kernels return early for surplus workgroups.
 */
export function dispatchLinear(
  kernel: ComputeKernel,
  pass: GPUComputePassEncoder,
  bindGroup: GPUBindGroup,
  groups: number,
  maxPerDimension: number,
): void {
  kernel.dispatch(pass, bindGroup, ...dispatchGrid(groups, maxPerDimension));
}

/**
 * Workgroup counts (x, y) covering `workgroups` when one dimension allows at most
 * `maxPerDimension` (65 535 by default): the shaders number workgroup g = y·num_workgroups.x + x
 * and let the surplus of the last row return.
 */
export function dispatchGrid(workgroups: number, maxPerDimension: number): [number, number] {
  if (workgroups <= maxPerDimension) return [Math.max(workgroups, 1), 1];
  const y = Math.ceil(workgroups / maxPerDimension);
  if (y > maxPerDimension) {
    throw new LimitError(
      `${workgroups} workgroups exceed the ${maxPerDimension}×${maxPerDimension} dispatch grid`,
    );
  }
  return [maxPerDimension, y];
}

const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 0;

function bufferId(buffer: GPUBuffer): number {
  let id = bufferIds.get(buffer);
  if (id === undefined) {
    id = nextBufferId++;
    bufferIds.set(buffer, id);
  }
  return id;
}

/** The buffer, offset and size a binding resolves to, with the defaults WebGPU applies. */
export function resolveBinding(binding: BufferBinding): {
  buffer: GPUBuffer;
  offset: number;
  size: number;
} {
  if (binding instanceof GPUBuffer) return { buffer: binding, offset: 0, size: binding.size };
  const offset = binding.offset ?? 0;
  return { buffer: binding.buffer, offset, size: binding.size ?? binding.buffer.size - offset };
}

/**
 * Bind groups of one kernel, reused while the same buffer ranges come back. A training step binds
 * the same few buffers every time; creating its bind groups anew each step costs a round trip into
 * the WebGPU implementation per group (through the GPU process in a browser).
 */
export class BindGroupCache {
  private readonly groups = new Map<string, GPUBindGroup>();

  constructor(
    private readonly kernel: ComputeKernel,
    private readonly capacity = 256,
  ) {}

  get(resources: Record<string, BufferBinding>): GPUBindGroup {
    const key = this.kernel.bindings
      .map((b) => {
        const resource = resources[b.name];
        if (!resource) return `${b.name}:-`;
        const { buffer, offset, size } = resolveBinding(resource);
        return `${b.name}:${bufferId(buffer)}:${offset}:${size}`;
      })
      .join('|');
    const cached = this.groups.get(key);
    if (cached) {
      // Re-inserting keeps the Map in least-recently-used order for eviction.
      this.groups.delete(key);
      this.groups.set(key, cached);
      return cached;
    }
    const group = this.kernel.bind(resources);
    this.groups.set(key, group);
    if (this.groups.size > this.capacity) {
      this.groups.delete(this.groups.keys().next().value as string);
    }
    return group;
  }
}

/**
 * A uniform buffer with `slots` copies of a small per-step struct, used round-robin.
 * queue.writeBuffer takes effect before the *next submit*, not at its place in an encoder: if two
 * steps recorded into one command buffer shared a uniform, both would see the second step's
 * learning rate. With a ring, up to `slots` steps may be recorded between two submits; a write
 * into a slot that an earlier submit still reads is safe, because queue operations run in order.
 */
export class UniformRing {
  readonly buffer: GPUBuffer;
  /** Distance between slots: the device's uniform offset alignment (256 bytes by default). */
  readonly stride: number;
  private cursor = 0;

  constructor(
    private readonly buffers: GpuBuffers,
    label: string,
    readonly bytes: number,
    readonly slots: number,
  ) {
    if (!Number.isInteger(slots) || slots < 1) {
      throw new RangeError(`${label}: uniformSlots must be a positive integer, got ${slots}`);
    }
    const alignment = buffers.device.limits.minUniformBufferOffsetAlignment;
    this.stride = Math.ceil(bytes / alignment) * alignment;
    this.buffer = buffers.create(label, this.stride * slots, 'uniform');
  }

  /** Writes `data` into the next slot and returns the binding of that slot. */
  push(data: ArrayBuffer): { buffer: GPUBuffer; offset: number; size: number } {
    if (data.byteLength !== this.bytes) {
      throw new RangeError(
        `${this.buffer.label}: expected ${this.bytes} bytes, got ${data.byteLength}`,
      );
    }
    const offset = this.cursor * this.stride;
    this.cursor = (this.cursor + 1) % this.slots;
    this.buffers.device.queue.writeBuffer(this.buffer, offset, data);
    return { buffer: this.buffer, offset, size: this.bytes };
  }

  destroy(): void {
    this.buffers.destroy(this.buffer);
  }
}
