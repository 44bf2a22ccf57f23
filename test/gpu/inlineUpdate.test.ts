/**
 * The inline updates (optimizersChecked.wgsl adam_inline, sgd_inline; optimizers.ts gradient
 * 'inline') sum SPSA's gradient g_i = Σ_j c_j·z_j[i] from the 2q losses, or the forward
 * gradient's (∇L·v)·v_i from ∇L·v, as they apply it. Checked against the stored path —
 * zerothOrder.wgsl's combine (or direction then scale) writing g to a buffer, then the checked
 * update reading it — byte for byte (θ, m, v), in one buffer and in 3 parameter blocks; the norm partials against ‖g‖ of the stored gradient in float64; a g that overflows in
 * some elements against the stored path's update and verdict; a NaN step loss skips the update.
 */
import { describe, expect, it } from 'vitest';
import { plannedBytes } from '../../src/gpu/bufferPlan.ts';
import { readFloat32, type GpuMemory } from '../../src/gpu/gpuMemory.ts';
import { DivergenceGuard } from '../../src/engine/divergenceGuard.ts';
import { parameterLayout } from '../../src/engine/jetLayout.ts';
import {
  GpuAdam,
  GpuSgd,
  planOptimizer,
  type InlineGradient,
} from '../../src/engine/optimizers.ts';
import {
  type BlockedTensor,
  createBlockedTensor,
  destroyBlockedTensor,
  planParameterBlocks,
  type ParameterBlocks,
  readBlockedTensor,
  singleBlock,
} from '../../src/engine/parameterBlocks.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { DirectionStream, ParameterDirections } from '../../src/train/parameterDirections.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

let memory: GpuMemory;
useNodeGpu((_context, created) => (memory = created));

/** 661 parameters: W₁ is 30 rows of 20. */
const widths = [20, 30, 1];
const count = parameterLayout(widths).count;
/** Blocks of 12 rows of W₁: [0, 240), [240, 480), [480, 661). */
const split = planParameterBlocks(widths, 12 * 20 * 4);
const whole = singleBlock(count);
const seed = 5;
const trainStep = 4;
const q = 3;
const epsilon = 1e-2;
const learningRate = 1e-3;
/** 64-wide workgroups: several per block, none aligned with a block's end. */
const workgroupSize = 64;

const random = new SeededRandom(9);
const theta = Float32Array.from({ length: count }, () => random.normal());
const moments = {
  m: Float32Array.from({ length: count }, () => 0.1 * random.normal()),
  v: Float32Array.from({ length: count }, () => Math.abs(0.1 * random.normal())),
};
/** L(θ ± εz_j) for j = 0, 1, 2: finite, each pair a different difference. */
const finiteLosses = Float32Array.of(1.25, 1.5, 0.75, 0.5, 2, 2.125);
/**
 * c_0 = 2e37/(2ε·q) ≈ 3.3e38 is finite but c_0·z_0[i] overflows where |z_0[i]| > 1.02; the other
 * pairs give c = 0. So only some elements' g are ±Inf.
 */
const overflowingLosses = Float32Array.of(2e37, 0, 1, 1, 1, 1);

/** ∇L·v in word 0 of a reduction result (the other words are not read). */
const derivativeWords = Float32Array.of(-0.375, 9, 9, 9, 9, 9, 9, 9);

type Estimate = InlineGradient['estimate'];

function inlineOf(losses: GPUBuffer, estimate: Estimate): InlineGradient {
  if (estimate === 'directional') {
    const directionStream = DirectionStream.tangent;
    return {
      kind: 'inline',
      estimate,
      losses,
      seed,
      directionStream,
      trainStep,
      directions: 1,
      epsilon: 0,
    };
  }
  return twoPoint(losses);
}

function twoPoint(losses: GPUBuffer): InlineGradient {
  const directionStream = DirectionStream.perturbation;
  return {
    kind: 'inline',
    estimate: 'two-point',
    losses,
    seed,
    directionStream,
    trainStep,
    directions: q,
    epsilon,
  };
}

const bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer));

function submit(record: (encoder: GPUCommandEncoder) => void): void {
  const encoder = memory.device.createCommandEncoder();
  record(encoder);
  memory.device.queue.submit([encoder.finish()]);
}

/**
 * g as the stored estimate writes it, per block: Σ_j c_j·z_j (zerothOrder.wgsl combine), or
 * (∇L·v)·v (direction, then scale).
 */
async function storedGradient(
  blocks: ParameterBlocks,
  losses: GPUBuffer,
  estimate: Estimate,
): Promise<BlockedTensor> {
  const directional = estimate === 'directional';
  const directions = await ParameterDirections.create(memory, {
    widths,
    seed,
    stream: directional ? DirectionStream.tangent : DirectionStream.perturbation,
    family: { kind: 'full' },
  });
  const stepCounter = memory.createFrom('step', Uint32Array.of(trainStep));
  const params = createBlockedTensor(memory, 'θ for combine', blocks, theta);
  const gradient = createBlockedTensor(memory, 'gradient', blocks);
  const entries = directional ? (['direction', 'scale'] as const) : (['combine'] as const);
  const combine = entries.flatMap((entry) =>
    blocks.blocks.map((block, k) =>
      directions.bind(
        entry,
        { stepCounter, parameters: params.buffers[k], losses, destination: gradient.buffers[k] },
        { directions: q, epsilon },
        block,
      ),
    ),
  );
  submit((encoder) => {
    const pass = encoder.beginComputePass();
    for (const dispatch of combine) dispatch.record(pass);
    pass.end();
  });
  await memory.device.queue.onSubmittedWorkDone();
  directions.destroy();
  memory.destroy(stepCounter);
  destroyBlockedTensor(memory, params);
  return gradient;
}

type Kind = 'adam' | 'sgd';
type Gradient = 'stored' | 'inline';

/** What the guard of a guarded update is given: the step's loss and the guard itself. */
interface Guarding {
  guard: DivergenceGuard;
  loss: GPUBuffer;
}

/**
 * One update of θ (and Adam's m, v at step 3) from `lossValues`: the stored path (combine, then
 * the *_step entry) or the two-point entry. Returns θ (m, v) as bits, the norm partials and the
 * stored gradient.
 */
async function update(
  kind: Kind,
  blocks: ParameterBlocks,
  gradient: Gradient,
  lossValues: Float32Array,
  guarding?: Guarding,
  estimate: Estimate = 'two-point',
) {
  const options = { rollback: false, gradient, workgroupSize };
  const optimizer =
    kind === 'adam'
      ? await GpuAdam.create(memory, blocks, options)
      : await GpuSgd.create(memory, blocks, options);
  if (optimizer instanceof GpuAdam) optimizer.uploadMoments(moments);
  const losses = memory.createFrom('losses', lossValues);
  const params = createBlockedTensor(memory, 'θ', blocks, theta);
  const g =
    gradient === 'stored'
      ? await storedGradient(blocks, losses, estimate)
      : inlineOf(losses, estimate);
  submit((encoder) => {
    const step = { params, gradient: g, learningRate, ...guarding };
    if (optimizer instanceof GpuAdam) optimizer.encodeStep(encoder, { ...step, step: 3 });
    else optimizer.encodeStep(encoder, step);
    if (!guarding) return;
    const check = { step: 7, loss: guarding.loss };
    if ('kind' in g) guarding.guard.encodeInlineVerdict(encoder, check);
    else guarding.guard.encodeVerdict(encoder, { ...check, gradient: g });
  });
  const device = memory.device;
  const state = bits(await readBlockedTensor(device, params));
  if (optimizer instanceof GpuAdam) {
    const { m, v } = await optimizer.downloadMoments();
    state.push(...bits(m), ...bits(v));
  }
  const partials = optimizer.normPartials;
  const result = {
    state,
    partials: partials ? await readFloat32(device, partials.buffer, partials.count) : null,
    gradient: 'kind' in g ? null : await readBlockedTensor(device, g),
  };
  if (!('kind' in g)) destroyBlockedTensor(memory, g);
  destroyBlockedTensor(memory, params);
  memory.destroy(losses);
  optimizer.destroy();
  return result;
}

/** √Σ x² in float64. */
const norm = (values: Float32Array) => Math.sqrt(values.reduce((sum, x) => sum + x * x, 0));

/** A guard and a step loss of `value` for a guarded update; destroy() frees both. */
async function guarding(value: number): Promise<Guarding & { destroy(): void }> {
  const guard = await DivergenceGuard.create(memory, whole);
  const loss = memory.createFrom('step loss', Float32Array.of(value));
  return {
    guard,
    loss,
    destroy: () => {
      guard.destroy();
      memory.destroy(loss);
    },
  };
}

describe('the inline update', () => {
  it('cuts the network into 3 blocks', () => {
    expect(split.blocks).toEqual([
      { start: 0, count: 240 },
      { start: 240, count: 240 },
      { start: 480, count: 181 },
    ]);
  });

  for (const kind of ['sgd', 'adam'] as const) {
    it(`${kind}: the stored gradient's update, bit for bit, split or not; partials of ‖g‖`, async () => {
      const stored = await update(kind, whole, 'stored', finiteLosses);
      const inline = await update(kind, whole, 'inline', finiteLosses);
      const blocked = await update(kind, split, 'inline', finiteLosses);
      expect(stored.partials).toBeNull();
      expect(inline.state).toEqual(stored.state);
      expect(blocked.state).toEqual(stored.state);
      expect(inline.state.slice(0, count)).not.toEqual(bits(theta));
      if (!stored.gradient || !inline.partials || !blocked.partials) throw new Error('no outputs');
      const expected = norm(stored.gradient);
      for (const partials of [inline.partials, blocked.partials]) {
        expect(Math.abs(norm(partials) - expected)).toBeLessThanOrEqual(1e-5 * expected);
      }
      // One partial per workgroup: ⌈661/64⌉ whole, ⌈240/64⌉ + ⌈240/64⌉ + ⌈181/64⌉ split.
      expect(inline.partials).toHaveLength(11);
      expect(blocked.partials).toHaveLength(4 + 4 + 3);
    }, 60_000);
  }

  for (const kind of ['sgd', 'adam'] as const) {
    it(`${kind}: the stored forward gradient's update, bit for bit, split or not`, async () => {
      const args = [derivativeWords, undefined, 'directional'] as const;
      const stored = await update(kind, whole, 'stored', ...args);
      const inline = await update(kind, whole, 'inline', ...args);
      const blocked = await update(kind, split, 'inline', ...args);
      expect(inline.state).toEqual(stored.state);
      expect(blocked.state).toEqual(stored.state);
      expect(inline.state.slice(0, count)).not.toEqual(bits(theta));
      // Another ∇L·v moves θ elsewhere: the update reads word 0.
      const other = await update(
        kind,
        split,
        'inline',
        Float32Array.of(0.5),
        undefined,
        'directional',
      );
      expect(other.state).not.toEqual(stored.state);
      if (!stored.gradient || !blocked.partials) throw new Error('no outputs');
      const expected = norm(stored.gradient);
      expect(Math.abs(norm(blocked.partials) - expected)).toBeLessThanOrEqual(1e-5 * expected);
    }, 60_000);
  }

  it('allocates what its plan lists, partials included', async () => {
    for (const kind of ['sgd', 'adam'] as const) {
      const options = { rollback: false, gradient: 'inline', workgroupSize } as const;
      const config = { ...options, kind, parameterCount: count, blocks: split };
      const plan = planOptimizer(config, memory.device.limits);
      const before = memory.bytesInUse;
      const optimizer =
        kind === 'adam'
          ? await GpuAdam.create(memory, split, options)
          : await GpuSgd.create(memory, split, options);
      expect(memory.bytesInUse - before).toBe(plannedBytes(plan.buffers));
      expect(optimizer.normPartials?.count).toBe(11);
      optimizer.destroy();
      expect(memory.bytesInUse).toBe(before);
    }
  });

  it('updates the finite elements of an overflowing g as the stored path does, latching the first bad index', async () => {
    const storedGuard = await guarding(0.5);
    const inlineGuard = await guarding(0.5);
    const stored = await update('sgd', whole, 'stored', overflowingLosses, storedGuard);
    const inline = await update('sgd', split, 'inline', overflowingLosses, inlineGuard);
    expect(inline.state).toEqual(stored.state);
    const g = stored.gradient;
    if (!g) throw new Error('no stored gradient');
    const bad = g.findIndex((x) => !Number.isFinite(x));
    // Some elements overflow, not the first, nor all; those keep θ, the others moved.
    expect(bad).toBeGreaterThan(0);
    expect(g.some((x) => Number.isFinite(x) && x !== 0)).toBe(true);
    const initial = bits(theta);
    const kept = inline.state.map((word, i) => word === initial[i]);
    expect(kept).toEqual(Array.from(g, (x) => !Number.isFinite(x)));
    const status = await inlineGuard.guard.readStatus();
    expect(status).toMatchObject({
      tripped: true,
      step: 7,
      source: 'gradient',
      gradientIndex: bad,
    });
    expect(status.gradientIndex).toBe((await storedGuard.guard.readStatus()).gradientIndex);
    // No gradient buffer to read the bad element's bits from.
    expect(status.gradientBits).toBe(0);
    storedGuard.destroy();
    inlineGuard.destroy();
  }, 60_000);

  it('skips the whole update for a NaN step loss', async () => {
    const nanLoss = await guarding(NaN);
    const { state } = await update('adam', split, 'inline', finiteLosses, nanLoss);
    expect(state).toEqual([...bits(theta), ...bits(moments.m), ...bits(moments.v)]);
    const status = await nanLoss.guard.readStatus();
    expect(status).toMatchObject({ tripped: true, source: 'loss', gradientIndex: null });
    nanLoss.destroy();
  });

  it('refuses the wrong gradient, too few losses, the rollback copy and an odd workgroup', async () => {
    const options = { rollback: false, workgroupSize } as const;
    const inline = await GpuSgd.create(memory, count, { ...options, gradient: 'inline' });
    const stored = await GpuSgd.create(memory, count, options);
    const params = createBlockedTensor(memory, 'θ', whole, theta);
    const gradient = createBlockedTensor(memory, 'g', whole);
    const losses = memory.createFrom('losses', finiteLosses.subarray(0, 2 * q - 1));
    const encoder = memory.device.createCommandEncoder();
    expect(() => inline.encodeStep(encoder, { params, gradient, learningRate })).toThrow(
      /reads an inline gradient/,
    );
    expect(() =>
      stored.encodeStep(encoder, { params, gradient: twoPoint(losses), learningRate }),
    ).toThrow(/reads a stored gradient tensor/);
    expect(() =>
      inline.encodeStep(encoder, { params, gradient: twoPoint(losses), learningRate }),
    ).toThrow(/2q losses, got q = 3 and 20 bytes/);
    const directional = { ...inlineOf(losses, 'directional'), directions: 2 };
    expect(() =>
      inline.encodeStep(encoder, { params, gradient: directional, learningRate }),
    ).toThrow(/one direction and ∇L·v in word 0, got q = 2/);
    encoder.finish();
    await expect(GpuSgd.create(memory, count, { gradient: 'inline' })).rejects.toThrow(
      /no rollback copy/,
    );
    await expect(
      GpuAdam.create(memory, count, { rollback: false, gradient: 'inline', workgroupSize: 96 }),
    ).rejects.toThrow(/power of two, got 96/);
    for (const optimizer of [inline, stored]) optimizer.destroy();
    for (const tensor of [params, gradient]) destroyBlockedTensor(memory, tensor);
    memory.destroy(losses);
  });
});
