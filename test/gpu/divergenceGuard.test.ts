import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { type GpuMemory, readBuffer, readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { DivergenceGuard, type ScalarBinding } from '../../src/engine/divergenceGuard.ts';
import { GpuAdam, GpuSgd } from '../../src/engine/optimizers.ts';
import { type BlockedTensor, wholeTensor } from '../../src/engine/parameterBlocks.ts';
import {
  decodeReductionResult,
  GpuReducer,
  reductionResultBytes,
  reductionWord,
  type ReductionResult,
} from '../../src/engine/reductions.ts';

let gpu: GpuContext;
let memory: GpuMemory;
useNodeGpu((g, b) => {
  gpu = g;
  memory = b;
});

const u = 2 ** -24; // f32 unit roundoff

function fromBits(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0];
}

/** Mixed signs and magnitudes from 2^-8 to 2^8, rounded to f32. */
function testData(n: number, seed = 0): Float32Array {
  return Float32Array.from(
    { length: n },
    (_, i) => Math.sin(0.731 * i + seed) * 2 ** ((i % 17) - 8),
  );
}

describe('GpuReducer', () => {
  let reducer: GpuReducer;
  beforeAll(async () => {
    reducer = await GpuReducer.create(memory);
  });
  afterAll(() => reducer.destroy());

  /**
   * Error bounds for a summation tree of height h (each element meets at most h additions):
   * |Σ̂ − Σ| ≤ h·u·Σ|x| (the classical n·u·Σ|x| bound with n replaced by the depth), one more u for
   * the squares; mean and norm add the rounding of one division or square root (WGSL allows 2.5
   * and ~4.5 ulp for those).
   */
  function expectAccurate(result: ReductionResult, data: Float32Array, height: number): void {
    let sum = 0;
    let sumAbs = 0;
    let squares = 0;
    let maxAbs = 0;
    for (const x of data) {
      sum += x;
      sumAbs += Math.abs(x);
      squares += x * x;
      maxAbs = Math.max(maxAbs, Math.abs(x));
    }
    const n = data.length;
    const sumTolerance = height * u * sumAbs;
    const squaresTolerance = (height + 1) * u * squares;
    expect(Math.abs(result.sum - sum)).toBeLessThanOrEqual(sumTolerance);
    expect(Math.abs(result.sumOfSquares - squares)).toBeLessThanOrEqual(squaresTolerance);
    expect(result.maxAbs).toBe(maxAbs);
    expect(result.firstNonFinite).toBeNull();
    expect(result.count).toBe(n);
    expect(Math.abs(result.mean - sum / n)).toBeLessThanOrEqual(
      sumTolerance / n + 6 * u * Math.abs(sum / n),
    );
    expect(Math.abs(result.meanOfSquares - squares / n)).toBeLessThanOrEqual(
      squaresTolerance / n + 6 * u * (squares / n),
    );
    const norm = Math.sqrt(squares);
    expect(Math.abs(result.norm - norm)).toBeLessThanOrEqual(norm * ((height + 1) * u + 10 * u));
  }

  it.each([
    [1, 1],
    [255, 1],
    [256, 1],
    [257, 1],
    [100_000, 2],
  ])(
    'reduces %i elements in %i pass(es) to within the tree bound, bit-identically twice',
    async (n, passes) => {
      const data = testData(n);
      const input = memory.createFrom('data', data);
      expect(reducer.passesFor(n)).toBe(passes);
      const first = await readRaw(reducer, input, n);
      const second = await readRaw(reducer, input, n);
      expect(new Uint32Array(second)).toEqual(new Uint32Array(first));
      // A second reducer with the same shape compiles the same order.
      const other = await GpuReducer.create(memory);
      expect(new Uint32Array(await readRaw(other, input, n))).toEqual(new Uint32Array(first));
      other.destroy();
      // Per pass: 4 sequential additions per invocation, then log2(256) = 8 tree levels.
      expectAccurate(decodeReductionResult(first), data, passes * (4 + 8));
      memory.destroy(input);
    },
  );

  it('reports the first non-finite element and makes every float of the result NaN', async () => {
    const n = 3000;
    const data = testData(n);
    data[2900] = Infinity;
    data[1500] = NaN;
    data[2000] = -Infinity;
    const input = memory.createFrom('data', data);
    const result = await reducer.reduce(input, n);
    expect(result.firstNonFinite).toBe(1500);
    for (const key of ['sum', 'sumOfSquares', 'maxAbs', 'mean', 'meanOfSquares', 'norm'] as const) {
      expect(result[key]).toBeNaN();
    }
    expect(result.count).toBe(n);
    memory.destroy(input);
  });

  it('covers more than 65 535 workgroups with a 2-D grid (2 invocations × 1 element per workgroup)', async () => {
    const tiny = await GpuReducer.create(memory, { workgroupSize: 2, itemsPerThread: 1 });
    const n = 140_000;
    const data = testData(n, 1);
    const input = memory.createFrom('data', data);
    const passes = tiny.passesFor(n);
    expect(passes).toBe(Math.ceil(Math.log2(n)));
    expectAccurate(await tiny.reduce(input, n), data, passes * 2);
    tiny.destroy();
    memory.destroy(input);
  });

  it('refuses sizes and bindings that do not fit', async () => {
    const input = memory.create('data', 40);
    const encoder = gpu.device.createCommandEncoder();
    const result = memory.create('result', reductionResultBytes);
    expect(() => reducer.encode(encoder, input, 11, result)).toThrow(
      /holds 40 bytes, fewer than n = 11/,
    );
    expect(() => reducer.encode(encoder, input, 0, result)).toThrow(/n must be an integer/);
    expect(() => reducer.encode(encoder, input, 10, { buffer: result, size: 16 })).toThrow(
      /needs 32/,
    );
    await expect(GpuReducer.create(memory, { workgroupSize: 96 })).rejects.toThrow(/power of two/);
    encoder.finish();
    memory.destroy(input);
    memory.destroy(result);
  });
});

async function readRaw(reducer: GpuReducer, input: GPUBuffer, n: number): Promise<ArrayBuffer> {
  const result = memory.create('result', reductionResultBytes);
  const encoder = gpu.device.createCommandEncoder();
  reducer.encode(encoder, input, n, result);
  gpu.device.queue.submit([encoder.finish()]);
  const raw = await readBuffer(gpu.device, result);
  memory.destroy(result);
  return raw;
}

/**
 * The two checks the trainer records before an update with the rollback copy: the reduction
 * (encodeCheck, on a step that logs the norm) and the scan (encodeScan, every other step). Both
 * must give the same verdict, so every test here runs with each.
 */
describe.each(['encodeCheck', 'encodeScan'] as const)('DivergenceGuard with Adam, %s', (check) => {
  /**
   * Not a multiple of the 256-wide workgroups; the reduction's second tile and the scan's second
   * workgroup start at 1024.
   */
  const P = 1037;
  let guard: DivergenceGuard;
  let adam: GpuAdam;
  let params: GPUBuffer;
  let gradient: GPUBuffer;
  let loss: GPUBuffer;
  /** θ and g as the optimizer and the guard take them: one block each. */
  let thetaTensor: BlockedTensor;
  let gradientTensor: BlockedTensor;

  beforeAll(async () => {
    guard = await DivergenceGuard.create(memory, P);
    adam = await GpuAdam.create(memory, P);
    params = memory.create('theta', 4 * P);
    gradient = memory.create('gradient', 4 * P);
    loss = memory.create('loss', 4);
    thetaTensor = wholeTensor(params, P);
    gradientTensor = wholeTensor(gradient, P);
  });
  afterAll(() => {
    guard.destroy();
    adam.destroy();
  });

  function fresh(): void {
    guard.reset();
    adam.reset();
    memory.write(
      params,
      Float32Array.from({ length: P }, (_, i) => Math.cos(i)),
    );
  }

  /** One training step as the trainer records it: check, then the guarded update, one submit. */
  function step(t: number, values: Float32Array, lossValue?: ScalarBinding | number): void {
    memory.write(gradient, values);
    let lossBinding: ScalarBinding | undefined;
    if (typeof lossValue === 'number') {
      memory.write(loss, new Float32Array([lossValue]));
      lossBinding = loss;
    } else {
      lossBinding = lossValue;
    }
    const encoder = gpu.device.createCommandEncoder();
    guard[check](encoder, { gradient: gradientTensor, step: t, loss: lossBinding });
    adam.encodeStep(encoder, {
      params: thetaTensor,
      gradient: gradientTensor,
      learningRate: 1e-2,
      step: t,
      guard,
    });
    gpu.device.queue.submit([encoder.finish()]);
  }

  async function snapshot(): Promise<Uint32Array[]> {
    const { m, v } = await adam.downloadMoments();
    const theta = await readFloat32(gpu.device, params, P);
    return [theta, m, v].map((a) => new Uint32Array(a.buffer.slice(0)));
  }

  const finiteGradient = (t: number): Float32Array => testData(P, t);

  function withBits(g: Float32Array, index: number, bits: number): Float32Array {
    new Uint32Array(g.buffer)[index] = bits;
    return g;
  }

  it.each([
    ['NaN at the first element', 0, 0x7fc00000],
    ['+Inf at the last element', P - 1, 0x7f800000],
    ['−Inf in the middle', 518, 0xff800000],
    ['a negative NaN with a payload at a workgroup boundary', 256, 0xffc00001],
    ['a signalling NaN at the start of the second tile', 1024, 0x7f800001],
  ])(
    'trips on %s, reports it with the step, and leaves θ, m, v bit-identical',
    async (_, index, bits) => {
      fresh();
      step(1, finiteGradient(1), 0.5);
      step(2, finiteGradient(2), 0.4);
      const before = await snapshot();
      step(3, withBits(finiteGradient(3), index, bits), 0.3);
      expect(await snapshot()).toEqual(before);
      const status = await guard.readStatus();
      expect(status).toMatchObject({
        tripped: true,
        step: 3,
        source: 'gradient',
        gradientIndex: index,
        gradientBits: bits,
        lossValue: null,
        lastCheckedStep: 3,
        checks: 3,
      });
      expect(Number.isFinite(status.gradientValue)).toBe(false);
      expect(status.gradientValue).toBe(fromBits(bits)); // toBe treats NaN as equal to NaN
    },
  );

  it('keeps the state before the last applied update, through skipped steps, for the restore', async () => {
    fresh();
    step(1, finiteGradient(1), 0.5);
    const afterFirst = await snapshot();
    step(2, finiteGradient(2), 0.4);
    step(3, withBits(finiteGradient(3), 7, 0x7fc00000), 0.3);
    step(4, finiteGradient(4), 0.2); // skipped: the guard holds
    const encoder = gpu.device.createCommandEncoder();
    adam.encodeRestorePrevious(encoder, thetaTensor);
    gpu.device.queue.submit([encoder.finish()]);
    // Update 2 was the last applied: the copy holds θ, m, v as step 1 left them, bit for bit.
    expect(await snapshot()).toEqual(afterFirst);
  });

  it('reports the first bad element, stays tripped through later steps, and resumes after reset', async () => {
    fresh();
    step(1, finiteGradient(1));
    const before = await snapshot();
    const g = finiteGradient(2);
    g[900] = Infinity;
    g[17] = NaN;
    step(2, g);
    step(3, finiteGradient(3)); // finite again, but the guard holds until the host resets it
    step(4, withBits(finiteGradient(4), 3, 0xff800000));
    expect(await snapshot()).toEqual(before);
    expect(await guard.readStatus()).toMatchObject({
      tripped: true,
      step: 2,
      source: 'gradient',
      gradientIndex: 17,
      lastCheckedStep: 4,
      checks: 4,
    });

    guard.reset();
    step(5, finiteGradient(5));
    const after = await snapshot();
    expect(after[0]).not.toEqual(before[0]);
    expect(await guard.readStatus()).toEqual({
      tripped: false,
      step: null,
      source: null,
      gradientIndex: null,
      lossValue: null,
      gradientValue: null,
      lossBits: 0,
      gradientBits: 0,
      lastCheckedStep: 5,
      checks: 1,
    });
  });

  it('trips on a NaN loss, and on a loss that is NaN because a residual was', async () => {
    fresh();
    step(1, finiteGradient(1), 1.5);
    const before = await snapshot();
    step(2, finiteGradient(2), NaN);
    expect(await snapshot()).toEqual(before);
    expect(await guard.readStatus()).toMatchObject({
      tripped: true,
      step: 2,
      source: 'loss',
      gradientIndex: null,
      gradientValue: null,
      lossBits: 0x7fc00000,
    });

    // The trainer's loss: mean(r²) of a residual buffer, read from the reduction result.
    fresh();
    const reducer = await GpuReducer.create(memory);
    const residual = testData(100);
    residual[63] = -Infinity;
    const residualBuffer = memory.createFrom('residual', residual);
    const lossStats = memory.create('loss stats', reductionResultBytes);
    const encoder = gpu.device.createCommandEncoder();
    reducer.encode(encoder, residualBuffer, 100, lossStats);
    gpu.device.queue.submit([encoder.finish()]);
    step(7, withBits(finiteGradient(7), 1036, 0x7f800000), {
      buffer: lossStats,
      index: reductionWord.meanOfSquares,
    });
    const status = await guard.readStatus();
    expect(status).toMatchObject({
      tripped: true,
      step: 7,
      source: 'loss and gradient',
      gradientIndex: 1036,
    });
    expect(status.lossValue).toBeNaN();
    reducer.destroy();
    memory.destroy(residualBuffer);
    memory.destroy(lossStats);
  });

  it('never trips on finite extremes: ±3.4e38, 3e38, subnormals, ±0, and a loss of 3.4e38', async () => {
    fresh();
    const extremes = [0x7f7fffff, 0xff7fffff, 0x00000001, 0x807fffff, 0x80000000, 0, 0x00800000];
    const g = finiteGradient(1);
    extremes.forEach((bits, k) => withBits(g, 100 * k, bits));
    g[1036] = 3e38;
    const before = await snapshot();
    for (let t = 1; t <= 3; t++) step(t, g, fromBits(0x7f7fffff));
    const status = await guard.readStatus();
    expect(status).toMatchObject({ tripped: false, step: null, lastCheckedStep: 3, checks: 3 });
    expect((await snapshot())[0]).not.toEqual(before[0]); // the updates were applied
  });

  // Only the reduction computes the norm: the scan keeps the first non-finite element alone.
  if (check === 'encodeCheck') {
    it('exposes the checked gradient norm and max |g| for the trainer', async () => {
      fresh();
      const g = withBits(finiteGradient(9), 300, 0x7f7fffff);
      step(1, g);
      const stats = decodeReductionResult(await readBuffer(gpu.device, guard.gradientStats));
      expect(stats.firstNonFinite).toBeNull();
      expect(stats.maxAbs).toBe(fromBits(0x7f7fffff));
      fresh();
      const small = finiteGradient(9);
      step(1, small);
      const norm = Math.sqrt(small.reduce((s, x) => s + x * x, 0));
      const smallStats = decodeReductionResult(await readBuffer(gpu.device, guard.gradientStats));
      expect(Math.abs(smallStats.norm - norm)).toBeLessThanOrEqual(30 * u * norm);
      expect(smallStats.count).toBe(P);
    });
  }

  it('stops SGD as well, and refuses malformed checks', async () => {
    fresh();
    const sgd = await GpuSgd.create(memory, P);
    const before = await snapshot();
    memory.write(gradient, withBits(finiteGradient(1), 5, 0x7fc00000));
    const encoder = gpu.device.createCommandEncoder();
    guard[check](encoder, { gradient: gradientTensor, step: 1 });
    sgd.encodeStep(encoder, {
      params: thetaTensor,
      gradient: gradientTensor,
      learningRate: 0.1,
      guard,
    });
    gpu.device.queue.submit([encoder.finish()]);
    expect(await snapshot()).toEqual(before);
    expect(await guard.readStatus()).toMatchObject({ tripped: true, step: 1, gradientIndex: 5 });

    const bad = gpu.device.createCommandEncoder();
    expect(() => guard[check](bad, { gradient: gradientTensor, step: -1 })).toThrow(
      /step must be a u32/,
    );
    expect(() =>
      guard[check](bad, { gradient: gradientTensor, step: 1, loss: { buffer: loss, index: 1 } }),
    ).toThrow(/loss index 1 is outside/);
    const halves: BlockedTensor = {
      blocks: {
        count: P,
        blocks: [
          { start: 0, count: 518 },
          { start: 518, count: P - 518 },
        ],
      },
      buffers: [gradient, gradient],
    };
    expect(() => guard[check](bad, { gradient: halves, step: 1 })).toThrow(
      /divergence guard: gradient is split into blocks \[0\+518, 518\+519\]/,
    );
    bad.finish();
    sgd.destroy();
  });
});

describe('DivergenceGuard scan over a folded grid', () => {
  it('finds the first non-finite element past 65 535 workgroups (1 invocation × 4 elements each)', async () => {
    const n = 300_000;
    const guard = await DivergenceGuard.create(memory, n, { scanWorkgroupSize: 1 });
    const g = testData(n, 2);
    const gradient = memory.createFrom('folded gradient', g);
    const scan = async (step: number) => {
      const encoder = gpu.device.createCommandEncoder();
      guard.encodeScan(encoder, { gradient: wholeTensor(gradient, n), step });
      gpu.device.queue.submit([encoder.finish()]);
      return guard.readStatus();
    };
    expect(await scan(1)).toMatchObject({ tripped: false, checks: 1 });
    // Workgroup 65 535 (the first of the grid's second row) starts at element 262 140.
    const bits = new Uint32Array(g.buffer);
    bits[299_999] = 0x7fc00000;
    bits[262_141] = 0xff800000;
    memory.write(gradient, g);
    expect(await scan(2)).toMatchObject({
      tripped: true,
      step: 2,
      source: 'gradient',
      gradientIndex: 262_141,
      gradientBits: 0xff800000,
    });
    guard.destroy();
    memory.destroy(gradient);
  });
});

describe('DivergenceGuard with Adam without the rollback copy (the update checks the gradient)', () => {
  const P = 1037;
  let guards: { on: DivergenceGuard; off: DivergenceGuard };
  let optimizers: { on: GpuAdam; off: GpuAdam };
  let params: { on: GPUBuffer; off: GPUBuffer };
  let gradient: GPUBuffer;
  let gradientTensor: BlockedTensor;
  let loss: GPUBuffer;
  const modes = ['on', 'off'] as const;

  beforeAll(async () => {
    guards = {
      on: await DivergenceGuard.create(memory, P),
      off: await DivergenceGuard.create(memory, P),
    };
    optimizers = {
      on: await GpuAdam.create(memory, P),
      off: await GpuAdam.create(memory, P, { rollback: false }),
    };
    params = { on: memory.create('theta on', 4 * P), off: memory.create('theta off', 4 * P) };
    gradient = memory.create('gradient', 4 * P);
    loss = memory.create('loss', 4);
    gradientTensor = wholeTensor(gradient, P);
  });
  afterAll(() => {
    for (const mode of modes) {
      guards[mode].destroy();
      optimizers[mode].destroy();
    }
  });

  function fresh(): void {
    for (const mode of modes) {
      guards[mode].reset();
      optimizers[mode].reset();
      memory.write(
        params[mode],
        Float32Array.from({ length: P }, (_, i) => Math.cos(i)),
      );
    }
  }

  /** Step t in both modes: check then update (rollback), update then verdict (none). */
  function step(t: number, values: Float32Array, lossValue: number): void {
    memory.write(gradient, values);
    memory.write(loss, new Float32Array([lossValue]));
    const encoder = gpu.device.createCommandEncoder();
    for (const mode of modes) {
      const guard = guards[mode];
      const check = { gradient: gradientTensor, step: t, loss };
      if (mode === 'on') guard.encodeCheck(encoder, check);
      optimizers[mode].encodeStep(encoder, {
        params: wholeTensor(params[mode], P),
        gradient: gradientTensor,
        learningRate: 1e-2,
        step: t,
        guard,
        loss,
      });
      if (mode === 'off') guard.encodeVerdict(encoder, check);
    }
    gpu.device.queue.submit([encoder.finish()]);
  }

  async function state(mode: 'on' | 'off'): Promise<Uint32Array[]> {
    const { m, v } = await optimizers[mode].downloadMoments();
    const theta = await readFloat32(gpu.device, params[mode], P);
    return [theta, m, v].map((a) => new Uint32Array(a.buffer.slice(0)));
  }

  it('takes bit-identical finite steps and plans no copy of θ, m, v', async () => {
    fresh();
    for (let t = 1; t <= 5; t++) step(t, testData(P, t), 1 / t);
    expect(await state('off')).toEqual(await state('on'));
    expect(await guards.off.readStatus()).toEqual(await guards.on.readStatus());
    expect(() =>
      optimizers.off.encodeRestorePrevious(
        gpu.device.createCommandEncoder(),
        wholeTensor(params.off, P),
      ),
    ).toThrow(/without the rollback copy/);
  });

  it.each([
    ['a NaN gradient element', 518, 0x7fc00000, 0.3, 'gradient'],
    ['+Inf at the last element', P - 1, 0x7f800000, 0.3, 'gradient'],
    ['a NaN loss', -1, 0, NaN, 'loss'],
    ['a NaN loss and a −Inf element', 1024, 0xff800000, NaN, 'loss and gradient'],
  ] as const)(
    'reports %s as the rollback does, skips the bad element (or the step) and every later step',
    async (_, index, bits, lossValue, source) => {
      fresh();
      step(1, testData(P, 1), 0.5);
      step(2, testData(P, 2), 0.4);
      const before = await state('off');
      const g = testData(P, 3);
      if (index >= 0) new Uint32Array(g.buffer)[index] = bits;
      step(3, g, lossValue);
      const atTrip = await state('off');
      step(4, testData(P, 4), 0.2); // skipped: the guard holds
      expect(await state('off')).toEqual(atTrip);
      const status = await guards.off.readStatus();
      expect(status).toEqual(await guards.on.readStatus());
      expect(status).toMatchObject({
        tripped: true,
        step: 3,
        source,
        gradientIndex: index >= 0 ? index : null,
        lastCheckedStep: 4,
        checks: 4,
      });
      for (let k = 0; k < 3; k++) {
        if (source === 'gradient') {
          // Every other element took update 3; the bad one kept its θ, m, v.
          expect(atTrip[k][index]).toBe(before[k][index]);
          expect(atTrip[k][index === 0 ? 1 : 0]).not.toBe(before[k][index === 0 ? 1 : 0]);
        } else {
          expect(atTrip[k]).toEqual(before[k]);
        }
      }
    },
  );
});
