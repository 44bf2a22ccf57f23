/**
 * shaders/samplers.wgsl on Dawn: the collocation samplers against their CPU mirror and against the
 * distributions they claim (Kolmogorov–Smirnov at significance 1e-3, fixed seeds: deterministic).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type GpuMemory, readFloat32 } from '../../src/gpu/gpuMemory.ts';
import {
  GpuPointSamplers,
  planBallDraw,
  type PointDraw,
} from '../../src/random/gpuPointSamplers.ts';
import { sampleBall, sampleParabolic } from '../../src/random/pointSamplers.ts';
import { GpuStepCounter } from '../../src/random/stepCounter.ts';
import { ksStatistic, ksSurvival, moments, normalCdf } from '../unit/random/statistics.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const ALPHA = 1e-3;

let memory: GpuMemory;
let samplers: GpuPointSamplers;
let stepCounter: GpuStepCounter;
const gpu = useNodeGpu((_context, b) => (memory = b));

beforeAll(async () => {
  samplers = await GpuPointSamplers.create(gpu.device);
  stepCounter = new GpuStepCounter(memory);
});

async function run(draw: PointDraw, step: number, points: number): Promise<Float32Array> {
  stepCounter.set(step);
  const encoder = gpu.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  draw.record(pass);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
  try {
    return await readFloat32(gpu.device, draw.points, points * draw.width);
  } finally {
    draw.destroy();
  }
}

/**
 * Coordinates agree with the float64 mirror to f32 accuracy: the normals to a few ulp, the norm
 * summed in a different order, and pow (volume-uniform radius) from the GPU's builtin.
 */
function expectClosePoints(gpuPoints: Float32Array, cpuPoints: Float32Array): void {
  expect(gpuPoints.length).toBe(cpuPoints.length);
  cpuPoints.forEach((x, i) => {
    expect(Math.abs(gpuPoints[i] - x), `coordinate ${i}`).toBeLessThanOrEqual(
      2e-6 * (1 + Math.abs(x)),
    );
  });
}

function radii(points: Float32Array, width: number, d: number): Float64Array {
  return Float64Array.from({ length: points.length / width }, (_, p) => {
    let s = 0;
    for (let i = 0; i < d; i++) s += points[p * width + i] ** 2;
    return Math.sqrt(s);
  });
}

describe('ball samplers on the GPU', () => {
  it('volume-uniform: equals the mirror; P(|x| ≤ s) = s^d (KS); directions centred', async () => {
    const d = 7;
    const N = 3000;
    const points = await run(
      samplers.ball(memory, d, 'volume-uniform', N, { seed: 42 }, stepCounter.buffer),
      3,
      N,
    );
    expectClosePoints(points, sampleBall(d, 'volume-uniform', N, { seed: 42, step: 3 }));
    const r = radii(points, d, d);
    expect(Math.max(...r)).toBeLessThanOrEqual(1 + 1e-6);
    const ks = ksStatistic(r, (s) => Math.min(1, s) ** d);
    console.log(
      `volume-uniform radii, d = ${d}: KS D = ${ks.toFixed(4)}, p = ${ksSurvival(ks, N).toFixed(3)}`,
    );
    expect(ksSurvival(ks, N)).toBeGreaterThan(ALPHA);
    // Uniform ball: E[x_i] = 0, E[x_i²] = 1/(d + 2), E[x_i⁴] = 3/((d + 2)(d + 4)); 4 standard errors.
    const variance = 1 / (d + 2);
    const fourth = 3 / ((d + 2) * (d + 4));
    for (let i = 0; i < d; i++) {
      const m = moments(Float64Array.from({ length: N }, (_, p) => points[p * d + i]));
      expect(Math.abs(m.mean)).toBeLessThan(4 * Math.sqrt(variance / N));
      expect(Math.abs(m.variance - variance)).toBeLessThan(
        4 * Math.sqrt((fourth - variance ** 2) / N),
      );
    }
  });

  it('radius-uniform (the STDE code sampler): |x| ~ U[0, 1) (KS), and not volume-uniform', async () => {
    const d = 5;
    const N = 3000;
    const points = await run(
      samplers.ball(memory, d, 'radius-uniform', N, { seed: 43 }, stepCounter.buffer),
      0,
      N,
    );
    expectClosePoints(points, sampleBall(d, 'radius-uniform', N, { seed: 43, step: 0 }));
    const r = radii(points, d, d);
    const ks = ksStatistic(r, (s) => Math.min(1, s));
    expect(ksSurvival(ks, N)).toBeGreaterThan(ALPHA);
    expect(
      ksSurvival(
        ksStatistic(r, (s) => Math.min(1, s) ** d),
        N,
      ),
    ).toBeLessThan(1e-6);
  });

  it('handles d larger than the workgroup (strided reduction) and a new step redraws', async () => {
    const d = 300;
    const N = 20;
    const draw = () =>
      samplers.ball(memory, d, 'volume-uniform', N, { seed: 1 }, stepCounter.buffer);
    const first = await run(draw(), 10, N);
    expectClosePoints(first, sampleBall(d, 'volume-uniform', N, { seed: 1, step: 10 }));
    expect(await run(draw(), 10, N)).toEqual(first);
    expect(await run(draw(), 11, N)).not.toEqual(first);
  });

  it('splits d over coordinate blocks: the mirror to f32 accuracy, the same bits every run', async () => {
    // d = 10 000: three blocks of 4096 (the default), the last short.
    const wide = planBallDraw(10_000, 'volume-uniform', 4, { seed: 6 });
    expect(wide.params).toMatchObject({ blocks: 3 });
    const drawn = await run(samplers.prepare(memory, stepCounter.buffer, wide), 2, 4);
    expectClosePoints(drawn, sampleBall(10_000, 'volume-uniform', 4, { seed: 6, step: 2 }));
    // d = 300 in blocks of 64 (five, the last of 44) against one block: the norm's sum in
    // another order, so the same points to f32 accuracy; each is reproducible to the bit.
    const d = 300;
    const N = 20;
    const blocked = () =>
      samplers.prepare(
        memory,
        stepCounter.buffer,
        planBallDraw(d, 'radius-uniform', N, { seed: 8 }, 64),
      );
    const split = await run(blocked(), 4, N);
    expect(await run(blocked(), 4, N)).toEqual(split);
    const whole = await run(
      samplers.ball(memory, d, 'radius-uniform', N, { seed: 8 }, stepCounter.buffer),
      4,
      N,
    );
    expectClosePoints(split, sampleBall(d, 'radius-uniform', N, { seed: 8, step: 4 }));
    expectClosePoints(split, whole);
  });

  it("writes ranges of a regenerated draw's points: the stored draw's bits, range by range", async () => {
    // d = 300 in blocks of 64, 20 points in ranges of 7 (the last of 6).
    const [d, N, range] = [300, 20, 7];
    const counter = new GpuStepCounter(memory, 'test range counter', 3);
    counter.set(5);
    const withRanges = await GpuPointSamplers.create(gpu.device, ['regeneratedBall', 'ballRange']);
    const key = { seed: 3 };
    const regenerated = planBallDraw(d, 'volume-uniform', N, key, 64, 'regenerated');
    const draw = withRanges.prepare(memory, counter.buffer, regenerated);
    const target = memory.create('test range points', range * d * 4);
    const writer = withRanges.rangeWriter(draw, target, range);
    const written = new Float32Array(N * d);
    for (let first = 0; first < N; first += range) {
      const count = Math.min(range, N - first);
      memory.write(counter.buffer, Uint32Array.of(first, count), 4);
      const encoder = gpu.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      draw.record(pass);
      writer.record(pass);
      pass.end();
      gpu.device.queue.submit([encoder.finish()]);
      written.set(await readFloat32(gpu.device, target, count * d), first * d);
    }
    const storedPlan = planBallDraw(d, 'volume-uniform', N, key, 64);
    const stored = await run(samplers.prepare(memory, stepCounter.buffer, storedPlan), 5, N);
    expect(Array.from(written)).toEqual(Array.from(stored));
    // A stored draw has no range to write.
    const storedDraw = samplers.prepare(memory, stepCounter.buffer, storedPlan);
    expect(() => withRanges.rangeWriter(storedDraw, target, range)).toThrow(/regenerated/);
    storedDraw.destroy();
    draw.destroy();
    memory.destroy(target);
    counter.destroy();
  });
});

describe('parabolic samplers on the GPU', () => {
  const T = 0.3;

  it('interior: t ~ U[0, T) (KS), x/sqrt(2t) ~ N(0, 1) (KS); equals the mirror', async () => {
    const d = 4;
    const N = 2000;
    const points = await run(
      samplers.parabolic(memory, d, T, 'interior', N, { seed: 9 }, stepCounter.buffer),
      2,
      N,
    );
    expectClosePoints(points, sampleParabolic(d, T, 'interior', N, { seed: 9, step: 2 }));
    const t = Float64Array.from({ length: N }, (_, p) => points[p * (d + 1) + d]);
    expect(
      ksSurvival(
        ksStatistic(t, (s) => s / T),
        N,
      ),
    ).toBeGreaterThan(ALPHA);
    const standardized: number[] = [];
    for (let p = 0; p < N; p++) {
      if (t[p] < 1e-3) continue; // x/sqrt(2t) loses accuracy as t → 0
      for (let i = 0; i < d; i++) standardized.push(points[p * (d + 1) + i] / Math.sqrt(2 * t[p]));
    }
    expect(ksSurvival(ksStatistic(standardized, normalCdf), standardized.length)).toBeGreaterThan(
      ALPHA,
    );
  });

  it('terminal: t = T exactly, x ~ N(0, 2T·I) (KS); a separate stream from the interior', async () => {
    const d = 3;
    const N = 2000;
    const points = await run(
      samplers.parabolic(memory, d, T, 'terminal', N, { seed: 9 }, stepCounter.buffer),
      2,
      N,
    );
    expectClosePoints(points, sampleParabolic(d, T, 'terminal', N, { seed: 9, step: 2 }));
    const x: number[] = [];
    for (let p = 0; p < N; p++) {
      expect(points[p * (d + 1) + d]).toBe(Math.fround(T));
      for (let i = 0; i < d; i++) x.push(points[p * (d + 1) + i] / Math.sqrt(2 * T));
    }
    expect(ksSurvival(ksStatistic(x, normalCdf), x.length)).toBeGreaterThan(ALPHA);
    const interior = sampleParabolic(d, T, 'interior', N, { seed: 9, step: 2 });
    expect(points[0] / Math.sqrt(2 * T)).not.toBeCloseTo(
      interior[0] / Math.sqrt(2 * interior[d]),
      3,
    );
  });
});
