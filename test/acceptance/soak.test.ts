/**
 * A long run (the robustness issue): 20 000 steps of a small network, trained in chunks of 1000.
 * After every chunk: the GPU buffers (count and bytes), the JS heap after a full collection, the
 * promises created and not yet settled, and the chunk's it/s. Nothing may grow with the step
 * count, and the rate must stay steady.
 */
import { createHook } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../src/train/trainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { tinyProblemOptions } from '../shared/smallRuns.ts';

setFlagsFromString('--expose_gc');
const collectGarbage = runInNewContext('gc') as () => void;

const gpu = useNodeGpu();

interface ChunkSample {
  step: number;
  buffers: number;
  bytes: number;
  heapBytes: number;
  unsettledPromises: number;
  itPerSecond: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

describe('soak', () => {
  it('20 000 steps: no growth in GPU buffers, JS heap or unsettled promises; steady it/s', async () => {
    const steps = 20_000;
    const chunk = 1000;
    const options = tinyProblemOptions({
      steps,
      learningRate: 1e-3,
      logEvery: 50,
      evalEvery: 5000,
      testPoints: 200,
    });
    const unsettled = new Set<number>();
    const hook = createHook({
      init(id, type) {
        if (type === 'PROMISE') unsettled.add(id);
      },
      promiseResolve(id) {
        unsettled.delete(id);
      },
      destroy(id) {
        unsettled.delete(id);
      },
    });
    const trainer = await Trainer.create(gpu.device, options);
    const samples: ChunkSample[] = [];
    hook.enable();
    try {
      while (trainer.step < steps) {
        const started = performance.now();
        await trainer.train(chunk);
        const seconds = (performance.now() - started) / 1000;
        collectGarbage();
        samples.push({
          step: trainer.step,
          buffers: trainer.memory.count,
          bytes: trainer.memoryBytes,
          heapBytes: process.memoryUsage().heapUsed,
          unsettledPromises: unsettled.size,
          itPerSecond: chunk / seconds,
        });
      }
    } finally {
      hook.disable();
    }
    console.log(
      'soak (step, buffers, bytes, heap MiB, unsettled promises, it/s):\n' +
        samples
          .map((s) =>
            [s.step, s.buffers, s.bytes, (s.heapBytes / 2 ** 20).toFixed(1), s.unsettledPromises]
              .concat(s.itPerSecond.toFixed(0))
              .join(', '),
          )
          .join('\n'),
    );
    expect(gpu.errors.map((e) => e.message)).toEqual([]);
    expect(trainer.step).toBe(steps);
    expect(trainer.logs).toHaveLength(steps / options.logEvery);
    expect(trainer.logs.every((l) => Number.isFinite(l.loss))).toBe(true);
    const first = samples[0];
    for (const s of samples) {
      expect(s.buffers).toBe(first.buffers);
      expect(s.bytes).toBe(first.bytes);
    }
    // The logs (400 small objects) are the only state that grows; everything else is reused.
    // Compare the last quarter with the second (the first includes pipeline warm-up).
    const quarter = samples.length / 4;
    const early = samples.slice(quarter, 2 * quarter);
    const late = samples.slice(3 * quarter);
    expect(median(late.map((s) => s.heapBytes))).toBeLessThan(
      median(early.map((s) => s.heapBytes)) + 4 * 2 ** 20,
    );
    expect(Math.max(...late.map((s) => s.unsettledPromises))).toBeLessThanOrEqual(
      Math.max(...early.map((s) => s.unsettledPromises)) + 8,
    );
    // Steady rate: the late chunks run at least half as fast as the early ones (the machine
    // is shared, so the bound is loose; a leak that slows each step grows without bound).
    expect(median(late.map((s) => s.itPerSecond))).toBeGreaterThan(
      0.5 * median(early.map((s) => s.itPerSecond)),
    );
    trainer.dispose();
  }, 900_000);
});
