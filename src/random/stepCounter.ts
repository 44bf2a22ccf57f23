import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { requireU32 } from './counterRandom.ts';

/**
 * The training step as the random kernels read it: word 0 of a storage buffer. A trainer may keep
 * that word on the GPU (advanced by its own kernels); this class is the host-written form, a
 * 4-byte write per step: the draws themselves are never uploaded.
 */
export class GpuStepCounter {
  readonly buffer: GPUBuffer;

  /**
   * `words` counts the step and what follows it for some reader (samplers.wgsl ballWriteRange
   * reads a range of points from words 1 and 2, which its caller copies in).
   */
  constructor(
    private readonly memory: GpuMemory,
    label = 'random step counter',
    words = 1,
  ) {
    this.buffer = memory.create(label, 4 * words);
  }

  set(step: number): void {
    this.memory.write(this.buffer, Uint32Array.of(requireU32(step, 'step')));
  }

  destroy(): void {
    this.memory.destroy(this.buffer);
  }
}
