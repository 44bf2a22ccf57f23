/**
 * Training with the parameters split into blocks (TrainerSettings.parameterBlockBytes,
 * src/engine/parameterBlocks.ts) is the unsplit run bit for bit: the same losses, weights, Adam
 * moments and evaluations, with backprop, in both zeroth-order modes and with the forward
 * gradient, with and without the rollback copy and the weight average; a divergence keeps the
 * same weights. Here the blocks are a few KiB at d = 300, so the 6 blocks cut the first layer's
 * weight between rows, as 1 GiB bindings do at d = 10⁷. A run that cannot take split parameters
 * (a box problem's passes) is refused before allocating.
 */
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { parameterLayout } from '../../src/engine/jetLayout.ts';
import { planParameterBlocks } from '../../src/engine/parameterBlocks.ts';
import { architectureOf, type TrainingOptions } from '../../src/train/options.ts';
import { MemoryBudgetError } from '../../src/train/memoryBudget.ts';
import { DivergenceError, Trainer, type TrainerSettings } from '../../src/train/trainer.ts';
import { estimateMemory } from '../../src/train/memoryBudget.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { bits, recordTraining } from '../shared/trainingRecords.ts';
import { smallRunOptions } from '../shared/smallRuns.ts';

let gpu: GpuContext;
useNodeGpu((context) => {
  gpu = context;
});

/** d = 300, 2 hidden layers of 16: W₁ is 4800 floats, everything after it 305. */
function spsaRun(overrides: Partial<TrainingOptions> = {}): TrainingOptions {
  return smallRunOptions({
    dimension: 300,
    steps: 8,
    logEvery: 1,
    evalEvery: 4,
    testPoints: 100,
    gradientEstimator: 'spsa',
    perturbationDirections: 2,
    subspaceRank: 2,
    subspacePeriod: 3,
    ...overrides,
  });
}

/** 3600-byte blocks: 3 rows of W₁ each (3600 bytes), the last its 16th row and the rest. */
const BLOCK_BYTES = 3600;

describe('training over parameter blocks', () => {
  it('cuts this network into 6 blocks', () => {
    const widths = architectureOf(spsaRun()).widths;
    const blocks = planParameterBlocks(widths, BLOCK_BYTES);
    expect(blocks.blocks.map((b) => b.count)).toEqual([...Array(5).fill(900), 300 + 305]);
    expect(parameterLayout(widths).count).toBe(5105);
  });

  const cases: [string, Partial<TrainingOptions>, TrainerSettings][] = [
    ['backprop + Adam, rollback copy', { gradientEstimator: 'backprop' }, {}],
    [
      // d = 5000: the first layer's product is split over its inputs too (d ≥ 4096); 60 000-byte
      // blocks of 3 rows, the last with 1 row and the rest.
      'backprop + Adam at d = 5000, no rollback copy, weight average',
      { gradientEstimator: 'backprop', dimension: 5000 },
      { rollback: false, averageDecay: 0.9, parameterBlockBytes: 60_000 },
    ],
    ['SPSA + SGD, rollback copy', { optimizer: 'sgd', learningRate: 1e-9 }, {}],
    ['SPSA + Adam, no rollback copy, weight average', {}, { rollback: false, averageDecay: 0.8 }],
    ['subspace SPSA + Adam, rollback copy', { gradientEstimator: 'spsa-subspace' }, {}],
    [
      'forward gradient + Adam, rollback copy',
      { gradientEstimator: 'forward-gradient', perturbationDirections: 1 },
      {},
    ],
    [
      // The tangent pass's first layer is split over its inputs at d = 5000 too.
      'forward gradient + Adam at d = 5000, no rollback copy, weight average',
      { gradientEstimator: 'forward-gradient', perturbationDirections: 1, dimension: 5000 },
      { rollback: false, averageDecay: 0.9, parameterBlockBytes: 60_000 },
    ],
  ];
  for (const [name, overrides, settings] of cases) {
    it(`${name}: the unsplit run's bits`, async () => {
      const options = spsaRun(overrides);
      const { parameterBlockBytes = BLOCK_BYTES, ...execution } = settings;
      const whole = await recordTraining(gpu.device, options, execution);
      const blocked = { ...execution, parameterBlockBytes };
      const split = await recordTraining(gpu.device, options, blocked);
      expect([whole.blocks, split.blocks]).toEqual([1, 6]);
      expect(whole.moved).toBe(true);
      expect(split.losses).toEqual(whole.losses);
      expect(split.weights).toEqual(whole.weights);
      expect(split.view).toEqual(whole.view);
      expect(split.moments).toEqual(whole.moments);
      expect(split.evaluations).toEqual(whole.evaluations);
      expect(split.evaluations).toHaveLength(2);
      // The gradient norm is summed block by block, then over the blocks: the same to rounding.
      split.norms.forEach((norm, k) =>
        expect(Math.abs(norm - whole.norms[k])).toBeLessThanOrEqual(1e-5 * whole.norms[k]),
      );
      // The estimate counts the blocks' buffers as the build allocates them.
      expect(
        estimateMemory(
          options,
          gpu.device.limits.maxStorageBufferBindingSize,
          gpu.device.limits,
          blocked,
        ).totalBytes,
      ).toBe(split.memory);
    }, 120_000);
  }

  for (const rollback of [true, false]) {
    it(`a divergence ${rollback ? 'with' : 'without'} the rollback copy keeps the same weights`, async () => {
      const options = spsaRun({ optimizer: 'sgd', learningRate: 10, steps: 40 });
      const outcome = async (settings: TrainerSettings) => {
        const trainer = await Trainer.create(gpu.device, options, undefined, undefined, {
          rollback,
          ...settings,
        });
        try {
          const error = await trainer.train(options.steps).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(DivergenceError);
          const state = await trainer.state();
          return { step: trainer.step, error: String(error), weights: bits(state.parameters) };
        } finally {
          trainer.dispose();
        }
      };
      const whole = await outcome({});
      const split = await outcome({ parameterBlockBytes: BLOCK_BYTES });
      expect(split).toEqual(whole);
    }, 120_000);
  }

  it('refuses split parameters for a box problem before allocating, saying which problems take them', async () => {
    // 2·16 + 16 weights and biases of the first layer, 305 after it: 1300-byte blocks cut W₁.
    const options = smallRunOptions({
      pde: 'kdv-2d',
      estimator: 'exact',
      dimension: 2,
      width: 16,
      depth: 2,
    });
    const error = await Trainer.create(gpu.device, options, undefined, undefined, {
      parameterBlockBytes: 1300,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemoryBudgetError);
    expect(String(error)).toMatch(/need 2 buffers, and only the ball problems .* not kdv-2d/);
  });

  it('refuses a block larger than the device binds, and one smaller than a row', async () => {
    const options = spsaRun();
    const tooLarge = gpu.device.limits.maxStorageBufferBindingSize + 4;
    for (const [bytes, pattern] of [
      [tooLarge, /larger than the device binds/],
      [1000, /one row of the first layer's weight .* 1200 bytes/],
    ] as const) {
      const error = await Trainer.create(gpu.device, options, undefined, undefined, {
        parameterBlockBytes: bytes,
      }).catch((e: unknown) => e);
      expect(String(error)).toMatch(pattern);
    }
  });
});
