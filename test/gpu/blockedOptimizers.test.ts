/**
 * The optimizers and the divergence guard over parameters split into blocks (parameterBlocks.ts):
 * every step, restore and verdict must be the one-buffer run's, bit for bit, since the update of
 * an element reads only that element and every index the guard keeps is a flat one. Only the
 * logged gradient statistics may differ in their last bits (the blocks' sums are added in block
 * order, not in one tree): they are checked against a float64 reference instead.
 */
import { describe, expect, it } from 'vitest';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { plannedBytes, type PlannedBuffer } from '../../src/gpu/bufferPlan.ts';
import { readBuffer } from '../../src/gpu/gpuMemory.ts';
import { DivergenceGuard, planDivergenceGuard } from '../../src/engine/divergenceGuard.ts';
import { GpuAdam, GpuSgd, planOptimizer } from '../../src/engine/optimizers.ts';
import {
  type BlockedTensor,
  createBlockedTensor,
  destroyBlockedTensor,
  type ParameterBlocks,
  planParameterBlocks,
  readBlockedTensor,
  singleBlock,
  writeBlockedTensor,
} from '../../src/engine/parameterBlocks.ts';
import { decodeReductionResult, type ReductionResult } from '../../src/engine/reductions.ts';

const gpu = useNodeGpu();

const u = 2 ** -24; // f32 unit roundoff

/**
 * [300, 16, 16, 1] has 5105 parameters; blocks of 6000 bytes hold five rows of W₁ (1500 floats)
 * each and the last one row and the 305 parameters after W₁: blocks [0, 1500), [1500, 3000),
 * [3000, 4500), [4500, 5105). No block is a multiple of the 256-wide workgroups.
 */
const widths = [300, 16, 16, 1];
const blocked = planParameterBlocks(widths, 6000);
const P = blocked.count;
const one = singleBlock(P);
const layouts = { one, blocked } as const;
type Layout = keyof typeof layouts;

/** The middle of block 2. */
const middleOfBlock2 = blocked.blocks[2].start + blocked.blocks[2].count / 2;

function initialParams(): Float32Array {
  return Float32Array.from({ length: P }, (_, i) => Math.cos(0.37 * i + 0.1));
}

/** A different gradient every step, magnitudes from 1e-10 to 1e2, some elements always 0. */
const gradientScales = [1e-10, 1e-6, 1e-3, 1e-2, 0.1, 1, 10, 100];
function gradientAt(step: number): Float32Array {
  return Float32Array.from({ length: P }, (_, i) =>
    i % 97 === 5 ? 0 : gradientScales[i % 8] * Math.sin(1.3 * i + 0.7 * step + 0.2),
  );
}

function withBits(values: Float32Array, index: number, bits: number): Float32Array {
  new Uint32Array(values.buffer)[index] = bits;
  return values;
}

const bitsOf = (values: Float32Array) => new Uint32Array(values.buffer.slice(0));

async function read(tensor: BlockedTensor): Promise<Uint32Array> {
  return bitsOf(await readBlockedTensor(gpu.device, tensor));
}

/** θ and g of one layout, θ from initialParams and g written before each step. */
function tensors(layout: Layout): { theta: BlockedTensor; gradient: BlockedTensor } {
  const plan = layouts[layout];
  return {
    theta: createBlockedTensor(gpu.memory, `θ ${layout}`, plan, initialParams()),
    gradient: createBlockedTensor(gpu.memory, `g ${layout}`, plan),
  };
}

function free(...list: BlockedTensor[]): void {
  for (const tensor of list) destroyBlockedTensor(gpu.memory, tensor);
}

type Optimizer = GpuAdam | GpuSgd;

/**
 * Steps 1–3 one submit each, steps 4–7 recorded into one encoder (every block's Hyper of every
 * step needs its own ring slot: uniformSlots 4 is exactly enough), each with its own gradient and
 * learning rate; then θ (and m, v) after step 3 and after step 7, and after encodeRestorePrevious
 * (the state after step 6) where the optimizer keeps the copy.
 */
async function runOptimizer(
  kind: 'adam' | 'sgd',
  layout: Layout,
  rollback: boolean,
): Promise<{ afterThree: Uint32Array[]; after: Uint32Array[]; restored: Uint32Array[] | null }> {
  const plan = layouts[layout];
  const options = { rollback, uniformSlots: 4 };
  const optimizer: Optimizer =
    kind === 'adam'
      ? await GpuAdam.create(gpu.memory, plan, { ...options, weightDecay: 0.1 })
      : await GpuSgd.create(gpu.memory, plan, options);
  const theta = createBlockedTensor(gpu.memory, `θ ${layout}`, plan, initialParams());
  const gradients = Array.from({ length: 7 }, (_, k) =>
    createBlockedTensor(gpu.memory, `g${k + 1}`, plan, gradientAt(k + 1)),
  );
  const step = (encoder: GPUCommandEncoder, t: number) => {
    const update = { params: theta, gradient: gradients[t - 1], learningRate: 0.02 / t };
    if (optimizer instanceof GpuAdam) optimizer.encodeStep(encoder, { ...update, step: t });
    else optimizer.encodeStep(encoder, update);
  };
  const state = async (): Promise<Uint32Array[]> => {
    const thetaBits = await read(theta);
    if (!(optimizer instanceof GpuAdam)) return [thetaBits];
    return [thetaBits, await read(optimizer.m), await read(optimizer.v)];
  };
  const device = gpu.device;
  for (let t = 1; t <= 3; t++) {
    const encoder = device.createCommandEncoder();
    step(encoder, t);
    device.queue.submit([encoder.finish()]);
  }
  const afterThree = await state();
  const encoder = device.createCommandEncoder();
  for (let t = 4; t <= 7; t++) step(encoder, t);
  device.queue.submit([encoder.finish()]);
  const after = await state();
  let restored: Uint32Array[] | null = null;
  if (rollback) {
    const restore = device.createCommandEncoder();
    optimizer.encodeRestorePrevious(restore, theta);
    device.queue.submit([restore.finish()]);
    restored = await state();
  }
  optimizer.destroy();
  free(theta, ...gradients);
  return { afterThree, after, restored };
}

describe('optimizers over parameter blocks', () => {
  it('splits [300, 16, 16, 1] into four blocks, the third from 3000 to 4500', () => {
    expect(blocked.blocks).toEqual([
      { start: 0, count: 1500 },
      { start: 1500, count: 1500 },
      { start: 3000, count: 1500 },
      { start: 4500, count: 605 },
    ]);
    expect(middleOfBlock2).toBe(3750);
  });

  it.each([
    ['adam', true],
    ['adam', false],
    ['sgd', true],
    ['sgd', false],
  ] as const)(
    '%s (rollback %s): θ, m, v and the restored state are the one-buffer run’s, bit for bit',
    async (kind, rollback) => {
      const reference = await runOptimizer(kind, 'one', rollback);
      const split = await runOptimizer(kind, 'blocked', rollback);
      expect(split.afterThree).toEqual(reference.afterThree);
      expect(split.after).toEqual(reference.after);
      expect(split.restored).toEqual(reference.restored);
      // The steps moved θ in every block, and the restore went back one update.
      const initial = bitsOf(initialParams());
      for (const block of blocked.blocks) {
        const range = (bits: Uint32Array) => bits.subarray(block.start, block.start + block.count);
        expect(range(reference.after[0])).not.toEqual(range(initial));
        expect(range(reference.after[0])).not.toEqual(range(reference.afterThree[0]));
        if (reference.restored) {
          expect(range(reference.restored[0])).not.toEqual(range(reference.after[0]));
        }
      }
      expect(reference.restored === null).toBe(!rollback);
    },
  );

  it('uploads and downloads Adam’s moments in flat order, and reset() zeroes every block', async () => {
    const adam = await GpuAdam.create(gpu.memory, blocked);
    const m = Float32Array.from({ length: P }, (_, i) => i + 0.5);
    const v = Float32Array.from({ length: P }, (_, i) => 2 * i);
    adam.uploadMoments({ m, v });
    const down = await adam.downloadMoments();
    expect(bitsOf(down.m)).toEqual(bitsOf(m));
    expect(bitsOf(down.v)).toEqual(bitsOf(v));
    // Block 2's buffer holds flat elements 3000…4499.
    const block2 = await readBlockedTensor(gpu.device, {
      blocks: singleBlock(1500),
      buffers: [adam.m.buffers[2]],
    });
    expect(block2[0]).toBe(3000.5);
    adam.reset();
    const cleared = await adam.downloadMoments();
    expect(cleared.m.every((x) => x === 0) && cleared.v.every((x) => x === 0)).toBe(true);
    expect(() => adam.uploadMoments({ m: new Float32Array(P - 1), v })).toThrow(RangeError);
    adam.destroy();
  });

  it('refuses θ or g in other blocks than the optimizer’s', async () => {
    const sgd = await GpuSgd.create(gpu.memory, blocked);
    const whole = tensors('one');
    const split = tensors('blocked');
    const encoder = gpu.device.createCommandEncoder();
    expect(() =>
      sgd.encodeStep(encoder, { params: whole.theta, gradient: split.gradient, learningRate: 1 }),
    ).toThrow(/sgd: params is split into blocks \[0\+5105\] in 1 buffers, expected \[0\+1500/);
    expect(() => sgd.encodeRestorePrevious(encoder, whole.theta)).toThrow(/sgd: params/);
    encoder.finish();
    sgd.destroy();
    free(whole.theta, whole.gradient, split.theta, split.gradient);
  });
});

/** What `build` allocates; checks that `destroy` gives it all back. */
async function allocation(build: () => Promise<{ destroy(): void }>) {
  const { memory } = gpu;
  const before = { bytes: memory.bytesInUse, count: memory.count };
  const built = await build();
  const added = { bytes: memory.bytesInUse - before.bytes, count: memory.count - before.count };
  built.destroy();
  expect({ bytes: memory.bytesInUse, count: memory.count }).toEqual(before);
  return added;
}

const planned = (buffers: readonly PlannedBuffer[]) => ({
  bytes: plannedBytes(buffers),
  count: buffers.length,
});

describe('plans over parameter blocks', () => {
  it('GpuAdam, GpuSgd and DivergenceGuard allocate what their plans list', async () => {
    const limits = gpu.device.limits;
    for (const rollback of [true, false]) {
      for (const kind of ['adam', 'sgd'] as const) {
        const plan = planOptimizer(
          { kind, parameterCount: P, blocks: blocked, rollback, uniformSlots: 3 },
          limits,
        );
        const options = { rollback, uniformSlots: 3 };
        const create =
          kind === 'adam'
            ? () => GpuAdam.create(gpu.memory, blocked, options)
            : () => GpuSgd.create(gpu.memory, blocked, options);
        expect(await allocation(create)).toEqual(planned(plan.buffers));
      }
    }
    const guard = planDivergenceGuard({ gradientCount: P, blocks: blocked }, limits);
    expect(await allocation(() => DivergenceGuard.create(gpu.memory, blocked))).toEqual(
      planned([...guard.buffers, ...guard.reduction.buffers]),
    );
  });
});

/** How the guard checks a step: with the rollback copy (before the update) or without (after). */
type CheckMode = 'encodeCheck' | 'encodeScan' | 'verdict';

/** An Adam run of one layout guarded by a DivergenceGuard, stepped as the trainer steps it. */
async function guardedRun(layout: Layout, mode: CheckMode) {
  const plan = layouts[layout];
  const rollback = mode !== 'verdict';
  const guard = await DivergenceGuard.create(gpu.memory, plan, { uniformSlots: 4 });
  const adam = await GpuAdam.create(gpu.memory, plan, { rollback, uniformSlots: 4 });
  const { theta, gradient } = tensors(layout);
  const loss = gpu.memory.create(`loss ${layout}`, 4);
  return {
    guard,
    adam,
    /** Records step t with gradient `values` and `lossValue`; one submit. */
    step(t: number, values: Float32Array, lossValue: number): void {
      writeBlockedTensor(gpu.memory, gradient, values);
      gpu.memory.write(loss, new Float32Array([lossValue]));
      const encoder = gpu.device.createCommandEncoder();
      const check = { gradient, step: t, loss };
      if (mode === 'encodeCheck') guard.encodeCheck(encoder, check);
      if (mode === 'encodeScan') guard.encodeScan(encoder, check);
      adam.encodeStep(encoder, {
        params: theta,
        gradient,
        learningRate: 1e-2,
        step: t,
        guard,
        loss,
      });
      if (mode === 'verdict') guard.encodeVerdict(encoder, check);
      gpu.device.queue.submit([encoder.finish()]);
    },
    async state(): Promise<Uint32Array[]> {
      return [await read(theta), await read(adam.m), await read(adam.v)];
    },
    async stats(): Promise<ReductionResult> {
      return decodeReductionResult(await readBuffer(gpu.device, guard.gradientStats));
    },
    destroy(): void {
      guard.destroy();
      adam.destroy();
      free(theta, gradient);
      gpu.memory.destroy(loss);
    },
  };
}

describe.each(['encodeCheck', 'encodeScan', 'verdict'] as const)(
  'DivergenceGuard over parameter blocks, %s',
  (mode) => {
    /**
     * Bad elements to plant, each case's first (smallest index) the one the status must name:
     * in the middle of block 2 (with a later one in block 3, whose buffer the latch binds), in
     * block 0 ahead of one in block 2, and in the last block alone.
     */
    it.each([
      ['a NaN in the middle of block 2', [middleOfBlock2, 4600], 0x7fc00000],
      ['a −Inf at the start of block 0, another in block 2', [0, 3001], 0xff800000],
      ['+Inf in the last block, the latch’s own', [P - 1], 0x7f800000],
      ['a NaN with a payload at the end of block 1', [2999], 0xffc00001],
    ] as const)(
      'reports %s as the one-buffer guard does, and both keep the same state',
      async (_, indices, bits) => {
        const runs = {
          one: await guardedRun('one', mode),
          blocked: await guardedRun('blocked', mode),
        };
        for (const run of Object.values(runs)) {
          run.step(1, gradientAt(1), 0.5);
          run.step(2, gradientAt(2), 0.4);
          const bad = gradientAt(3);
          for (const index of indices) withBits(bad, index, bits);
          run.step(3, bad, 0.3);
          // The reduction of the bad step names the same flat index.
          if (mode === 'encodeCheck') expect((await run.stats()).firstNonFinite).toBe(indices[0]);
          run.step(4, gradientAt(4), 0.2); // skipped: the guard holds
        }
        const status = await runs.blocked.guard.readStatus();
        expect(status).toEqual(await runs.one.guard.readStatus());
        expect(status).toMatchObject({
          tripped: true,
          step: 3,
          source: 'gradient',
          gradientIndex: indices[0],
          gradientBits: bits,
          lastCheckedStep: 4,
          checks: 4,
        });
        expect(await runs.blocked.state()).toEqual(await runs.one.state());
        Object.values(runs).forEach((run) => run.destroy());
      },
    );

    it('reports a NaN loss with a bad element in block 2 as the one-buffer guard does', async () => {
      const runs = {
        one: await guardedRun('one', mode),
        blocked: await guardedRun('blocked', mode),
      };
      for (const run of Object.values(runs)) {
        run.step(1, gradientAt(1), 0.5);
        run.step(2, withBits(gradientAt(2), middleOfBlock2, 0x7f800001), NaN);
      }
      const status = await runs.blocked.guard.readStatus();
      expect(status).toEqual(await runs.one.guard.readStatus());
      expect(status).toMatchObject({
        source: 'loss and gradient',
        gradientIndex: middleOfBlock2,
        gradientBits: 0x7f800001,
        lossBits: 0x7fc00000,
      });
      expect(await runs.blocked.state()).toEqual(await runs.one.state());
      // After a reset both run on: a finite loss alone does not trip, and gradientBits stay 0.
      for (const run of Object.values(runs)) {
        run.guard.reset();
        run.step(3, gradientAt(3), NaN);
      }
      expect(await runs.blocked.guard.readStatus()).toEqual(await runs.one.guard.readStatus());
      expect(await runs.blocked.guard.readStatus()).toMatchObject({
        source: 'loss',
        gradientIndex: null,
        gradientBits: 0,
      });
      Object.values(runs).forEach((run) => run.destroy());
    });

    it('takes finite steps bit-identical to the one-buffer run and stays untripped', async () => {
      const runs = {
        one: await guardedRun('one', mode),
        blocked: await guardedRun('blocked', mode),
      };
      for (const run of Object.values(runs)) {
        for (let t = 1; t <= 4; t++) run.step(t, gradientAt(t), 1 / t);
      }
      expect(await runs.blocked.state()).toEqual(await runs.one.state());
      const status = await runs.blocked.guard.readStatus();
      expect(status).toEqual(await runs.one.guard.readStatus());
      expect(status).toMatchObject({ tripped: false, gradientBits: 0, checks: 4 });
      Object.values(runs).forEach((run) => run.destroy());
    });
  },
);

describe('gradient statistics over parameter blocks', () => {
  /** Mixed signs and magnitudes from 2^-8 to 2^8. */
  const data = Float32Array.from(
    { length: P },
    (_, i) => Math.sin(0.731 * i + 0.3) * 2 ** ((i % 17) - 8),
  );

  async function statsOf(plan: ParameterBlocks, values: Float32Array): Promise<ReductionResult> {
    const guard = await DivergenceGuard.create(gpu.memory, plan);
    const gradient = createBlockedTensor(gpu.memory, 'g', plan, values);
    const encoder = gpu.device.createCommandEncoder();
    guard.encodeGradientStats(encoder, gradient);
    gpu.device.queue.submit([encoder.finish()]);
    const stats = decodeReductionResult(await readBuffer(gpu.device, guard.gradientStats));
    guard.destroy();
    free(gradient);
    return stats;
  }

  it('agree with a float64 reference within the summation bound', async () => {
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
    const stats = await statsOf(blocked, data);
    // Each element meets at most 2 passes × (4 sequential + 8 tree) additions in its block's
    // reduction and 3 more where the combine adds the four blocks' sums: h = 27. |Σ̂ − Σ| ≤ h·u·Σ|x|,
    // one u more for the squares; the mean and the norm add one division or square root (WGSL
    // allows 2.5 and about 4.5 ulp).
    const h = 2 * (4 + 8) + 3;
    expect(Math.abs(stats.sum - sum)).toBeLessThanOrEqual(h * u * sumAbs);
    expect(Math.abs(stats.sumOfSquares - squares)).toBeLessThanOrEqual((h + 1) * u * squares);
    expect(stats.maxAbs).toBe(maxAbs);
    expect(stats.firstNonFinite).toBeNull();
    expect(stats.count).toBe(P);
    expect(Math.abs(stats.mean - sum / P)).toBeLessThanOrEqual(
      (h * u * sumAbs) / P + 6 * u * Math.abs(sum / P),
    );
    expect(Math.abs(stats.meanOfSquares - squares / P)).toBeLessThanOrEqual(
      ((h + 1) * u * squares) / P + 6 * u * (squares / P),
    );
    const norm = Math.sqrt(squares);
    expect(Math.abs(stats.norm - norm)).toBeLessThanOrEqual(norm * (h + 11) * u);
    // max |g| and the count are exact either way; the sums are the one-buffer run's within the
    // same bounds (their last bits may differ: another summation order).
    const whole = await statsOf(one, data);
    expect(whole.maxAbs).toBe(stats.maxAbs);
    expect(Math.abs(whole.sum - stats.sum)).toBeLessThanOrEqual(2 * h * u * sumAbs);
  });

  it('report the first non-finite element by its flat index, and every float as NaN', async () => {
    const values = Float32Array.from(data);
    values[4700] = Infinity;
    values[middleOfBlock2] = NaN;
    values[3900] = -Infinity;
    const stats = await statsOf(blocked, values);
    expect(stats.firstNonFinite).toBe(middleOfBlock2);
    for (const key of ['sum', 'sumOfSquares', 'maxAbs', 'mean', 'meanOfSquares', 'norm'] as const) {
      expect(stats[key]).toBeNaN();
    }
    expect(stats.count).toBe(P);
    expect(await statsOf(one, values)).toEqual(stats);
  });
});
