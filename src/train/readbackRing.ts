/**
 * Asynchronous readback of small per-step statistics without stalling the step loop: a ring of
 * MAP_READ staging buffers. A step that logs copies its statistics into the next free slot and
 * starts mapAsync without awaiting it; the values arrive a few milliseconds later (DESIGN.md §7).
 * Only when every slot is still in flight does `capture` wait for the oldest one.
 */
export interface StagedCopy {
  source: GPUBuffer;
  offset: number;
  bytes: number;
}

interface Slot {
  buffer: GPUBuffer;
  pending: Promise<void> | null;
}

export class ReadbackRing {
  private readonly slots: Slot[];
  private cursor = 0;
  private readonly bytes: number;
  /** mapAsync calls made: the test of "no per-step readback" counts these. */
  mapCount = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly copies: readonly StagedCopy[],
    slots = 4,
  ) {
    this.bytes = copies.reduce((sum, c) => sum + c.bytes, 0);
    this.slots = Array.from({ length: slots }, (_, i) => ({
      buffer: device.createBuffer({
        label: `readback ring slot ${i}`,
        size: this.bytes,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      }),
      pending: null,
    }));
  }

  /**
   * Records the copies into `encoder` (call before submitting it) and returns a function to call
   * after the submit; that function starts the mapping and hands the bytes to `consume`.
   */
  async capture(
    encoder: GPUCommandEncoder,
    consume: (bytes: ArrayBuffer) => void,
  ): Promise<() => void> {
    const slot = this.slots[this.cursor];
    this.cursor = (this.cursor + 1) % this.slots.length;
    if (slot.pending) await slot.pending;
    let offset = 0;
    for (const copy of this.copies) {
      encoder.copyBufferToBuffer(copy.source, copy.offset, slot.buffer, offset, copy.bytes);
      offset += copy.bytes;
    }
    return () => {
      this.mapCount++;
      slot.pending = slot.buffer.mapAsync(GPUMapMode.READ).then(() => {
        const bytes = slot.buffer.getMappedRange().slice(0);
        slot.buffer.unmap();
        slot.pending = null;
        consume(bytes);
      });
      // Destroying the ring (or losing the device) rejects every mapping in flight, but a step
      // loop abandoned after a device loss awaits at most one of them; the rest must not surface
      // as unhandled rejections. capture() and drain() still see the rejection they await.
      slot.pending.catch(() => undefined);
    };
  }

  /** Waits for every capture in flight. */
  async drain(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.pending));
  }

  destroy(): void {
    for (const slot of this.slots) slot.buffer.destroy();
  }
}
