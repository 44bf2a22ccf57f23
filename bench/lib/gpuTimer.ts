/**
 * Host and GPU time of encoded work (bench/lib/breakdownRun.ts, bench/lib/kernelsRun.ts). Times
 * encoded work in its own command buffer: host time from submit to done, and (with
 * `timestamps`, on a device with the timestamp-query feature) GPU time between two timestamps,
 * each written by an empty compute pass, one before the work and one after it, so submit and
 * wait are left out and work that begins its own passes is timed as a whole.
 */
export class GpuTimer {
  private readonly querySet: GPUQuerySet | null;
  private readonly resolve: GPUBuffer | null;
  private readonly read: GPUBuffer | null;

  constructor(
    private readonly device: GPUDevice,
    timestamps: boolean,
  ) {
    this.querySet = timestamps ? device.createQuerySet({ type: 'timestamp', count: 2 }) : null;
    this.resolve = timestamps
      ? device.createBuffer({
          size: 16,
          usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
        })
      : null;
    this.read = timestamps
      ? device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST })
      : null;
  }

  private marker(encoder: GPUCommandEncoder, index: number): void {
    if (!this.querySet) return;
    encoder
      .beginComputePass({
        label: `timestamp ${index}`,
        timestampWrites: { querySet: this.querySet, endOfPassWriteIndex: index },
      })
      .end();
  }

  async time(
    encode: (encoder: GPUCommandEncoder) => void,
  ): Promise<{ ms: number; gpuMs: number | null }> {
    const encoder = this.device.createCommandEncoder();
    this.marker(encoder, 0);
    encode(encoder);
    this.marker(encoder, 1);
    if (this.querySet && this.resolve && this.read) {
      encoder.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
      encoder.copyBufferToBuffer(this.resolve, 0, this.read, 0, 16);
    }
    const start = performance.now();
    this.device.queue.submit([encoder.finish()]);
    await this.device.queue.onSubmittedWorkDone();
    const ms = performance.now() - start;
    if (!this.read) return { ms, gpuMs: null };
    await this.read.mapAsync(GPUMapMode.READ);
    const [begin, end] = new BigUint64Array(this.read.getMappedRange().slice(0));
    this.read.unmap();
    return { ms, gpuMs: Number(end - begin) / 1e6 };
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolve?.destroy();
    this.read?.destroy();
  }
}
