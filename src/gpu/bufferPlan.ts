/**
 * The buffers a GPU build will allocate, listed before anything is allocated. A build is split
 * into a pure plan (sizes, layouts, dispatch grids and this buffer list: testable on the CPU) and
 * a short build step that compiles, allocates and binds from it. The memory estimate sums the
 * same lists, so what it predicts is what the builds allocate.
 */
import type { BufferRole } from './gpuMemory.ts';

export interface PlannedBuffer {
  /** The buffer's label (what WebGPU errors and the memory table name). */
  readonly label: string;
  /** Bytes requested; GpuMemory rounds up to a multiple of 4 (at least 4). */
  readonly bytes: number;
  readonly role: BufferRole;
}

/** Bytes GpuMemory.create really allocates for a request of `bytes`. */
export function allocatedBytes(bytes: number): number {
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}

export function storageBuffer(label: string, bytes: number): PlannedBuffer {
  return { label, bytes, role: 'storage' };
}

export function uniformBuffer(label: string, bytes: number): PlannedBuffer {
  return { label, bytes, role: 'uniform' };
}

/** Total bytes a list of planned buffers allocates. */
export function plannedBytes(buffers: readonly PlannedBuffer[]): number {
  return buffers.reduce((sum, b) => sum + allocatedBytes(b.bytes), 0);
}

/** The largest planned buffer: the one that meets a binding limit first. */
export function largestPlanned(buffers: readonly PlannedBuffer[]): PlannedBuffer | undefined {
  let largest: PlannedBuffer | undefined;
  for (const b of buffers) if (!largest || b.bytes > largest.bytes) largest = b;
  return largest;
}
