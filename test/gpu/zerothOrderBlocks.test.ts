/**
 * The two-point zeroth-order estimate over parameters split into blocks (engine/parameterBlocks.ts):
 * θ, the trial point and the gradient cut into several buffers give the trial points and the
 * gradient of the one-block run bit for bit (z is drawn at the flat index, and the subspace
 * family's layer is looked up there), for the full and the subspace family, with the trial point
 * apart from the gradient and lent by it (as the trainer does). The plan lists the per-block
 * uniforms it allocates, the stages are one per trial point either way, and tensors split in
 * different ways are refused before anything is allocated.
 */
import { describe, expect, it } from 'vitest';
import type { KernelCost } from '../../src/engine/kernelCost.ts';
import { packParameters, parameterLayout } from '../../src/engine/jetLayout.ts';
import {
  type BlockedTensor,
  createBlockedTensor,
  destroyBlockedTensor,
  type ParameterBlocks,
  planParameterBlocks,
  readBlockedTensor,
  singleBlock,
} from '../../src/engine/parameterBlocks.ts';
import { GpuReducer, reductionResultBytes, reductionWord } from '../../src/engine/reductions.ts';
import { plannedBytes } from '../../src/gpu/bufferPlan.ts';
import { readBuffer, readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { initParameters } from '../../src/jet/mlp.ts';
import { GpuStepCounter } from '../../src/random/stepCounter.ts';
import type { StepEncoder } from '../../src/train/boundedSubmits.ts';
import type { DirectionFamily } from '../../src/train/parameterDirections.ts';
import {
  type LossProbe,
  planZerothOrder,
  type ZerothOrderConfig,
  ZerothOrderEstimator,
} from '../../src/train/zerothOrder.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

// d = 300 inputs: a row of W₁ is 1200 bytes, and everything after W₁ (305 floats) 1220 bytes.
const widths = [300, 16, 16, 1];
const P = parameterLayout(widths).count;
// Three rows and a bit per block: 3 full blocks of 900 floats … and a last block of one row plus
// the rest, so block edges fall inside workgroups and inside the first layer, and the last block
// spans four layers (the subspace family's layer lookup).
const blockBytes = 3 * 1200 + 100;
const theta = packParameters(
  widths,
  initParameters({ widths, activation: 'tanh', boundary: 'ball' }, 11),
);
const q = 2;
const step = 7;

const families: [string, DirectionFamily][] = [
  ['full', { kind: 'full' }],
  ['subspace, r = 3, T₀ = 10', { kind: 'subspace', rank: 3, period: 10 }],
];

function config(family: DirectionFamily, blocks?: ParameterBlocks): ZerothOrderConfig {
  return { widths, seed: 29, epsilon: 1e-2, directions: q, family, blocks };
}

/**
 * L(θ) = (1/P)·Σθ_i² of the blocked trial point: the blocks are copied into one flat buffer (in
 * flat order, so the loss is the same bits however the trial point is split) and reduced; each
 * trial point is kept in `history` for the comparison.
 */
class BlockedSquares implements LossProbe {
  readonly lossWord = reductionWord.meanOfSquares;
  private calls = 0;

  private constructor(
    readonly lossStats: GPUBuffer,
    private readonly trial: BlockedTensor,
    private readonly flat: GPUBuffer,
    readonly history: GPUBuffer,
    private readonly reducer: GpuReducer,
  ) {}

  static async create(trial: BlockedTensor): Promise<BlockedSquares> {
    const { memory } = gpu;
    return new BlockedSquares(
      memory.create('toy loss', reductionResultBytes),
      trial,
      memory.create('flat trial point', 4 * P),
      memory.create('trial points', 2 * q * 4 * P),
      await GpuReducer.create(memory),
    );
  }

  encodeLoss(steps: StepEncoder): void {
    const { encoder } = steps;
    this.trial.blocks.blocks.forEach((block, k) =>
      encoder.copyBufferToBuffer(
        this.trial.buffers[k],
        0,
        this.flat,
        4 * block.start,
        4 * block.count,
      ),
    );
    encoder.copyBufferToBuffer(this.flat, 0, this.history, 4 * P * (this.calls++ % (2 * q)), 4 * P);
    this.reducer.encode(encoder, this.flat, P, this.lossStats);
  }

  destroy(): void {
    for (const buffer of [this.lossStats, this.flat, this.history]) gpu.memory.destroy(buffer);
    this.reducer.destroy();
  }
}

interface Estimate {
  /** The 2q trial points, flat, as bits. */
  trials: Uint32Array;
  gradient: Uint32Array;
  lossStats: Uint32Array;
  stages: KernelCost[];
}

/** One estimate at `step` over `plan`'s blocks; the trial point lent by the gradient when `lent`. */
async function estimate(
  family: DirectionFamily,
  plan: ParameterBlocks,
  lent: boolean,
): Promise<Estimate> {
  const { memory, device } = gpu;
  const parameters = createBlockedTensor(memory, 'θ', plan, theta);
  const gradient = createBlockedTensor(memory, 'gradient', plan);
  const trial = lent ? gradient : createBlockedTensor(memory, 'trial θ', plan);
  const counter = new GpuStepCounter(memory);
  counter.set(step);
  const probe = await BlockedSquares.create(trial);
  const estimator = await ZerothOrderEstimator.create(
    memory,
    config(family, plan),
    { parameters, trial, gradient, stepCounter: counter.buffer },
    probe,
  );
  const stages: KernelCost[] = [];
  const encoder = device.createCommandEncoder();
  estimator.encodeGradient({ encoder, beginStage: (cost) => void stages.push(cost) });
  device.queue.submit([encoder.finish()]);
  const trials = new Uint32Array((await readFloat32(device, probe.history, 2 * q * P)).buffer);
  const result = {
    trials,
    gradient: new Uint32Array((await readBlockedTensor(device, gradient)).buffer),
    lossStats: new Uint32Array(await readBuffer(device, estimator.lossStats, reductionResultBytes)),
    stages,
  };
  // θ itself is never perturbed, in any block.
  expect(await readBlockedTensor(device, parameters)).toEqual(theta);
  if (!lent) {
    // The trial tensor, read back block by block, holds the last trial point θ − εz_{q−1}.
    const last = new Uint32Array((await readBlockedTensor(device, trial)).buffer);
    expect(last).toEqual(trials.subarray((2 * q - 1) * P));
    destroyBlockedTensor(memory, trial);
  }
  estimator.destroy();
  probe.destroy();
  counter.destroy();
  destroyBlockedTensor(memory, parameters);
  destroyBlockedTensor(memory, gradient);
  return result;
}

/** Bit-for-bit equality, reporting the first differing index rather than two huge arrays. */
function expectSameBits(actual: Uint32Array, expected: Uint32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const first = actual.findIndex((word, i) => word !== expected[i]);
  expect(first, `${what}: first differing word`).toBe(-1);
}

describe('zeroth-order estimate over parameter blocks', () => {
  const blocked = planParameterBlocks(widths, blockBytes);

  it('the test splits θ into several blocks, edges inside workgroups and inside W₁', () => {
    expect(blocked.count).toBe(P);
    expect(blocked.blocks.length).toBeGreaterThanOrEqual(3);
    expect(blocked.blocks.some((b) => b.start % 64 !== 0)).toBe(true);
    expect(blocked.blocks[blocked.blocks.length - 1].start).toBeLessThan(300 * 16);
  });

  for (const [name, family] of families) {
    it(`${name}: trial points, gradient and loss are the one-block run's bits`, async () => {
      const whole = await estimate(family, singleBlock(P), false);
      const split = await estimate(family, blocked, false);
      const splitLent = await estimate(family, blocked, true);
      const wholeLent = await estimate(family, singleBlock(P), true);
      // The estimate is not trivially zero, and moves each trial point off θ.
      const gradient = new Float32Array(whole.gradient.buffer);
      expect(gradient.every(Number.isFinite)).toBe(true);
      expect(gradient.filter((g) => g !== 0).length).toBeGreaterThan(P / 2);
      expect(new Float32Array(whole.trials.buffer, 0, P)).not.toEqual(theta);
      for (const [label, run] of [
        ['split', split],
        ['split, trial lent by the gradient', splitLent],
        ['one block, trial lent by the gradient', wholeLent],
      ] as const) {
        expectSameBits(run.trials, whole.trials, `${label}: trial points`);
        expectSameBits(run.gradient, whole.gradient, `${label}: gradient`);
        expectSameBits(run.lossStats, whole.lossStats, `${label}: loss statistics`);
        // One stage per trial point (all its blocks) and one for the gradient, costed over all
        // parameters either way.
        expect(run.stages).toEqual(whole.stages);
      }
      expect(whole.stages).toHaveLength(2 * q + 1);
    });
  }

  it('allocates what its plan lists: a perturb and a combine uniform per block', async () => {
    const { memory } = gpu;
    const parameters = createBlockedTensor(memory, 'θ', blocked, theta);
    const gradient = createBlockedTensor(memory, 'gradient', blocked);
    const counter = new GpuStepCounter(memory);
    const probe = await BlockedSquares.create(gradient);
    for (const family of families.map(([, f]) => f)) {
      const plan = planZerothOrder(config(family, blocked));
      const S = blocked.blocks.length;
      const one = planZerothOrder(config(family));
      expect(plan.buffers.length - one.buffers.length).toBe((2 * q + 1) * (S - 1));
      const before = { bytes: memory.bytesInUse, count: memory.count };
      const estimator = await ZerothOrderEstimator.create(
        memory,
        config(family, blocked),
        { parameters, trial: gradient, gradient, stepCounter: counter.buffer },
        probe,
      );
      expect({
        bytes: memory.bytesInUse - before.bytes,
        count: memory.count - before.count,
      }).toEqual({ bytes: plannedBytes(plan.buffers), count: plan.buffers.length });
      estimator.destroy();
      expect({ bytes: memory.bytesInUse, count: memory.count }).toEqual(before);
    }
    probe.destroy();
    counter.destroy();
    destroyBlockedTensor(memory, parameters);
    destroyBlockedTensor(memory, gradient);
  });

  it('refuses tensors split in different ways, before allocating anything', async () => {
    const { memory } = gpu;
    const family: DirectionFamily = { kind: 'full' };
    const parameters = createBlockedTensor(memory, 'θ', blocked, theta);
    const gradient = createBlockedTensor(memory, 'gradient', blocked);
    const whole = createBlockedTensor(memory, 'whole trial θ', singleBlock(P));
    const other = createBlockedTensor(
      memory,
      'other trial θ',
      planParameterBlocks(widths, 4 * 1200 + 100),
    );
    const counter = new GpuStepCounter(memory);
    const probe = await BlockedSquares.create(gradient);
    const before = { bytes: memory.bytesInUse, count: memory.count };
    const stepCounter = counter.buffer;
    const attempts: [Promise<ZerothOrderEstimator>, RegExp][] = [
      [
        ZerothOrderEstimator.create(
          memory,
          config(family),
          { parameters, trial: whole, gradient, stepCounter },
          probe,
        ),
        /θ, the trial point and the gradient must be split into the same parameter blocks; θ has 5105 parameters in 6 block\(s\) .*, the trial point 5105 parameters in 1 block\(s\) \[0, 5105\)/,
      ],
      [
        ZerothOrderEstimator.create(
          memory,
          config(family),
          { parameters, trial: other, gradient, stepCounter },
          probe,
        ),
        /must be split into the same parameter blocks/,
      ],
      [
        ZerothOrderEstimator.create(
          memory,
          config(family),
          { parameters, trial: gradient, gradient: other, stepCounter },
          probe,
        ),
        /the gradient 5105 parameters in \d+ block/,
      ],
      [
        // The config's plan (what the memory estimate counted) must be the tensors'.
        ZerothOrderEstimator.create(
          memory,
          config(family, singleBlock(P)),
          { parameters, trial: gradient, gradient, stepCounter },
          probe,
        ),
        /θ is split into 5105 parameters in 6 block\(s\).*the config's plan into 5105 parameters in 1 block/,
      ],
      [
        ZerothOrderEstimator.create(
          memory,
          config(family),
          { parameters, trial: parameters, gradient, stepCounter },
          probe,
        ),
        /the trial point needs its own buffers/,
      ],
      [
        ZerothOrderEstimator.create(
          memory,
          config(family),
          {
            parameters,
            trial: { blocks: blocked, buffers: gradient.buffers.slice(1) },
            gradient,
            stepCounter,
          },
          probe,
        ),
        /the trial point has 5 buffers for 6 parameter blocks/,
      ],
    ];
    for (const [attempt, message] of attempts) {
      await expect(attempt).rejects.toThrow(RangeError);
      await expect(attempt).rejects.toThrow(message);
    }
    expect({ bytes: memory.bytesInUse, count: memory.count }).toEqual(before);
    // A plan whose blocks do not tile the network's parameters.
    const gap: ParameterBlocks = {
      count: P,
      blocks: [
        { start: 0, count: 900 },
        { start: 1000, count: P - 1000 },
      ],
    };
    expect(() => planZerothOrder(config(family, gap))).toThrow(
      /the parameter blocks \(5105 parameters in 2 block\(s\) \[0, 900\) \[1000, 5105\)\) do not tile the network's 5105 parameters/,
    );
    expect(() => planZerothOrder(config(family, singleBlock(P + 1)))).toThrow(RangeError);
    probe.destroy();
    counter.destroy();
    for (const tensor of [parameters, gradient, whole, other]) destroyBlockedTensor(memory, tensor);
  });
});
