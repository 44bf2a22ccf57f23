/**
 * Memory per parameter, mode by mode (src/train/parameterMemory.ts), on the CPU: the bytes per
 * parameter the plans give against hand counts read off the code, and the largest d against the
 * memory check it bisects over.
 */
import { describe, expect, it } from 'vitest';
import { parameterLayout } from '../../../src/engine/jetLayout.ts';
import { fitsMemory, type MemoryLimits } from '../../../src/train/memoryBudget.ts';
import {
  architectureOf,
  MAX_DIMENSION,
  resolveTrainingOptions,
} from '../../../src/train/options.ts';
import {
  bytesPerParameter,
  describeModeMemory,
  memoryModes,
  modeMemory,
  modeOf,
  parameterMemory,
} from '../../../src/train/parameterMemory.ts';

/** STDE's setup (3 × 128 tanh, 100 points, sparse B = 16) at d = 1000. */
const stde = resolveTrainingOptions({ dimension: 1000 });
/** WebGPU's default limits: 128 MiB per binding, 256 MiB per buffer; the default 4 GiB budget. */
const webgpuDefaults: MemoryLimits = {
  maxStorageBufferBindingSize: 2 ** 27,
  maxBufferSize: 2 ** 28,
};
/** What SwiftShader grants here. */
const swiftShader: MemoryLimits = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };

/**
 * Beside the per-parameter state, the divergence guard's reduction of the gradient writes one
 * 16-byte record per 1024-element tile in its first pass (reductions.ts: recordBytes, the
 * reducer's tile): 1/64 B per parameter, in every mode.
 */
const GUARD_RECORDS = 16 / 1024;

describe('bytes per parameter', () => {
  it('backprop + Adam: θ, g, m, v, and the rollback copy of θ, m, v', () => {
    // θ and its gradient (the trainer's), Adam's m and v: 4 floats; the rollback copy of the
    // step before ('adam previous θ', '… m', '… v'): 3 more. 7 × 4 B.
    expect(bytesPerParameter(stde, swiftShader)).toBeCloseTo(28 + GUARD_RECORDS, 3);
    // --no-rollback: no copy (two 4-byte stand-ins instead, not per parameter). 4 × 4 B.
    expect(bytesPerParameter(stde, swiftShader, { rollback: false })).toBeCloseTo(
      16 + GUARD_RECORDS,
      3,
    );
  });

  it('backprop + SGD: θ, g and the rollback copy of θ', () => {
    const sgd = { ...stde, optimizer: 'sgd' as const };
    // SGD's m and v are 4-byte placeholders; its rollback copy is θ alone ('sgd previous θ').
    expect(bytesPerParameter(sgd, swiftShader)).toBeCloseTo(12 + GUARD_RECORDS, 3);
    expect(bytesPerParameter(sgd, swiftShader, { rollback: false })).toBeCloseTo(
      8 + GUARD_RECORDS,
      3,
    );
  });

  it('the backprop-free modes hold what backprop does per parameter: directions are not stored', () => {
    // SPSA writes θ ± εz into the gradient buffer (dead until the final write) and regenerates
    // z from (seed, step, j); subspace SPSA its U, V the same way; the forward gradient its
    // tangent v. So θ, g, m, v and the rollback copy again: 28 B, and 16 without the copy for
    // subspace SPSA (SPSA and the forward gradient are then inline, below).
    for (const gradientEstimator of ['spsa', 'spsa-subspace', 'forward-gradient'] as const) {
      const options = { ...stde, gradientEstimator };
      expect(bytesPerParameter(options, swiftShader), gradientEstimator).toBeCloseTo(
        28 + GUARD_RECORDS,
        3,
      );
      if (gradientEstimator !== 'spsa-subspace') continue;
      expect(bytesPerParameter(options, swiftShader, { rollback: false })).toBeCloseTo(
        16 + GUARD_RECORDS,
        3,
      );
    }
  });

  it('SPSA and the forward gradient without the rollback copy store no trial point, v or gradient: θ, m, v', () => {
    // The loss pass reads θ ± εz inline (the tangent pass draws v) and the update sums g from the
    // losses (from ∇L·v); it writes one norm partial per 256-parameter workgroup, which the guard
    // reduces (no per-parameter records).
    const partials = 4 / 256;
    for (const gradientEstimator of ['spsa', 'forward-gradient'] as const) {
      const options = { ...stde, gradientEstimator };
      expect(bytesPerParameter(options, swiftShader, { rollback: false })).toBeCloseTo(
        12 + partials,
        3,
      );
    }
    const spsa = { ...stde, gradientEstimator: 'spsa' as const };
    const sgd = { ...spsa, optimizer: 'sgd' as const };
    expect(bytesPerParameter(sgd, swiftShader, { rollback: false })).toBeCloseTo(4 + partials, 3);
  });

  it('is the cost of each further parameter: the same at d = 100 and d = 1M, small nets aside', () => {
    const at = (dimension: number) => bytesPerParameter({ ...stde, dimension }, webgpuDefaults);
    expect(at(100)).toBeCloseTo(at(1000), 3);
    // At d = 1M θ is split into 4 blocks at width 128 and 2 at 64: each block's uniforms and
    // reduction of the gradient (one 8-word result per block, not per element) move the slope
    // by 0.016 B of 28.
    expect(Math.abs(at(1_000_000) - at(1000))).toBeLessThan(0.02);
    // A 3 × 8 network at d = 5 has 193 parameters and 17 KiB of fixed uniforms and counters
    // in the same parts: the slope leaves those out.
    const tiny = resolveTrainingOptions({ dimension: 5, width: 8, jetsPerPoint: 2 });
    expect(bytesPerParameter(tiny, webgpuDefaults)).toBeCloseTo(28, 0);
  });
});

describe('the largest d that fits', () => {
  const countAt = (d: number) =>
    parameterLayout(architectureOf({ ...stde, dimension: d }).widths).count;

  it("at WebGPU's default limits, is where the step's points meet the binding, θ split", () => {
    const adam = modeMemory(stde, modeOf(stde), webgpuDefaults);
    if (!adam.available) throw new Error(adam.reason);
    // θ, g, m, v are split into parameter blocks past 128 MiB (count = 128·d + 33 281: the first
    // layer d·128 + 128, two 128 × 128 layers, the output 129), so the first buffer to meet the
    // binding is the step's stored points, N·d floats for N = 100, with or without the rollback
    // copy.
    expect(countAt(1)).toBe(128 + 33_281);
    const byHand = Math.floor(2 ** 27 / (4 * stde.points));
    expect(adam.largestDimension).toBe(byHand);
    expect(4 * countAt(byHand)).toBeGreaterThan(2 ** 27);
    const noCopy = modeMemory(stde, modeOf(stde), webgpuDefaults, { rollback: false });
    if (!noCopy.available) throw new Error(noCopy.reason);
    expect(noCopy.largestDimension).toBe(byHand);
  });

  it('is the edge of the memory check, and grows without the rollback copy and with the budget', () => {
    for (const mode of memoryModes('adam')) {
      const memory = modeMemory(stde, mode, swiftShader);
      if (!memory.available) throw new Error(memory.reason);
      const d = memory.largestDimension!;
      const options = {
        ...stde,
        gradientEstimator: mode.gradientEstimator,
        optimizer: mode.optimizer,
      };
      expect(fitsMemory({ ...options, dimension: d }, swiftShader), mode.label).toBe(true);
      expect(fitsMemory({ ...options, dimension: d + 1 }, swiftShader), mode.label).toBe(false);
      const noCopy = modeMemory(stde, mode, swiftShader, { rollback: false });
      const larger = modeMemory(stde, mode, { ...swiftShader, budgetBytes: 2 ** 34 });
      if (!noCopy.available || !larger.available) throw new Error('the mode vanished');
      expect(noCopy.largestDimension!).toBeGreaterThanOrEqual(d);
      expect(larger.largestDimension!).toBeGreaterThanOrEqual(d);
      expect(memory.fits).toBe(true);
    }
  });

  it('takes what decides fitting from the caller (the dashboard adds its views)', () => {
    const upTo = 5000;
    const memory = modeMemory(stde, modeOf(stde), swiftShader, {}, (o) => o.dimension <= upTo);
    expect(memory.available && memory.largestDimension).toBe(upTo);
    const any = modeMemory(stde, modeOf(stde), swiftShader, {}, () => true);
    expect(any.available && any.largestDimension).toBe(MAX_DIMENSION);
    expect(describeModeMemory(any)).toBe(`28.0 B/param, every d up to ${MAX_DIMENSION} fits`);
  });
});

describe('the modes of a run', () => {
  it('are the run’s own and the other four, the backprop-free ones with the run’s optimizer', () => {
    const sgd = resolveTrainingOptions({
      dimension: 1000,
      optimizer: 'sgd',
      gradientEstimator: 'spsa',
    });
    const { current, others } = parameterMemory(sgd, swiftShader);
    expect(current.mode.label).toBe('SPSA + SGD');
    expect(others.map((m) => m.mode.label)).toEqual([
      'backprop + Adam',
      'backprop + SGD',
      'subspace SPSA + SGD',
      'forward gradient + SGD',
    ]);
    expect(describeModeMemory(current)).toMatch(/^12\.0 B\/param, d ≤ \d+$/);
  });

  it('says which modes a problem cannot train in, and that a box problem fixes d', () => {
    const kdv = resolveTrainingOptions({ pde: 'kdv-2d' });
    const { current, others } = parameterMemory(kdv, swiftShader);
    expect(current.available && current.largestDimension).toBeNull();
    expect(describeModeMemory(current)).toMatch(/B\/param, d fixed by the problem$/);
    const forward = others.find((m) => m.mode.gradientEstimator === 'forward-gradient')!;
    expect(forward.available).toBe(false);
    expect(!forward.available && forward.reason).toMatch(/runs on the ball problems/);
    expect(describeModeMemory(forward)).toBe('not for this run');
    // The gPINN term trains with backprop only.
    const gpinn = resolveTrainingOptions({ dimension: 100, gpinnWeight: 0.1 });
    const modes = parameterMemory(gpinn, swiftShader).others;
    expect(modes.filter((m) => m.available).map((m) => m.mode.label)).toEqual(['backprop + SGD']);
  });
});
