import type { GpuMemory } from './gpuMemory.ts';
import { LimitError } from './errors.ts';
import type { BufferBinding, ComputeKernel } from './kernel.ts';
import { type PlannedBuffer, uniformBuffer } from './bufferPlan.ts';
import type { FieldValue, StructView } from './structView.ts';

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

/** The one device limit a dispatch grid depends on (GPUSupportedLimits has it). */
export interface GridLimits {
  readonly maxComputeWorkgroupsPerDimension: number;
}

/**
 * Workgroup counts (x, y, z) covering `workgroups` when one dimension allows at most the device's
 * `maxComputeWorkgroupsPerDimension` (65 535 by default): kernels number workgroup
 * g = y·num_workgroups.x + x and let the surplus of the last row return, so a buffer needing more
 * workgroups than one dimension allows (Adam over 128 M parameters at d = 10^6 needs 500 000) is
 * still one dispatch. The only grid folding in the engine; `ComputeKernel.dispatchFolded` uses it.
 */
export function dispatchGrid(workgroups: number, limits: GridLimits): [number, number, number] {
  const max = limits.maxComputeWorkgroupsPerDimension;
  if (workgroups <= max) return [Math.max(workgroups, 1), 1, 1];
  const y = Math.ceil(workgroups / max);
  if (y > max) {
    throw new LimitError(`${workgroups} workgroups exceed the ${max}×${max} dispatch grid`);
  }
  return [max, y, 1];
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

/** The device limit a uniform ring's slot stride depends on. */
export type RingLimits = Pick<GPUSupportedLimits, 'minUniformBufferOffsetAlignment'>;

/** Distance between a ring's slots: the struct rounded up to the uniform offset alignment. */
function ringStride(view: StructView, limits: RingLimits): number {
  const alignment = limits.minUniformBufferOffsetAlignment;
  return Math.ceil(view.size / alignment) * alignment;
}

/**
 * WebGPU's default maxUniformBufferBindingSize, which every device grants and GpuMemory holds a
 * uniform buffer to: the most a ring may take.
 */
const RING_BYTES = 65_536;

/**
 * Slots of a ring that takes `pushes` uniforms per recorded step (one per parameter block): room
 * for `steps` steps between two submits, or as many as RING_BYTES holds, at least one step's.
 * Throws when one step's uniforms do not fit.
 */
export function ringSlotsFor(
  label: string,
  steps: number,
  pushes: number,
  view: StructView,
  limits: RingLimits,
): number {
  const most = Math.floor(RING_BYTES / ringStride(view, limits));
  if (pushes > most) {
    throw new RangeError(
      `${label}: ${pushes} uniforms per step (one per parameter block) do not fit the ` +
        `${RING_BYTES}-byte ring, which holds ${most}; use larger parameter blocks`,
    );
  }
  return Math.min(steps * pushes, most);
}

/** The buffer a UniformRing of `slots` copies of `view` allocates, for plans (no device). */
export function planUniformRing(
  label: string,
  view: StructView,
  slots: number,
  limits: RingLimits,
): PlannedBuffer {
  if (!Number.isInteger(slots) || slots < 1) {
    throw new RangeError(`${label}: uniformSlots must be a positive integer, got ${slots}`);
  }
  return uniformBuffer(label, ringStride(view, limits) * slots);
}

/**
 * A uniform buffer with `slots` copies of a small per-step struct (written by field name through
 * its reflected view), used round-robin.
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

  readonly bytes: number;

  constructor(
    private readonly memory: GpuMemory,
    label: string,
    readonly view: StructView,
    readonly slots: number,
  ) {
    this.bytes = view.size;
    const planned = planUniformRing(label, view, slots, memory.device.limits);
    this.stride = ringStride(view, memory.device.limits);
    this.buffer = memory.create(label, planned.bytes, 'uniform');
  }

  /** Writes `values` into the next slot and returns the binding of that slot. */
  push(values: FieldValue): { buffer: GPUBuffer; offset: number; size: number } {
    const data = this.view.pack(values);
    const offset = this.cursor * this.stride;
    this.cursor = (this.cursor + 1) % this.slots;
    this.memory.device.queue.writeBuffer(this.buffer, offset, data);
    return { buffer: this.buffer, offset, size: this.bytes };
  }

  destroy(): void {
    this.memory.destroy(this.buffer);
  }
}
