import { describe, expect, it } from 'vitest';
import { learningRateAt } from '../../../src/train/schedule.ts';

const base = { learningRate: 1e-3, steps: 10, finalLearningRateFraction: 1e-2, warmupSteps: 0 };

describe('learning-rate schedules', () => {
  it('constant stays at η', () => {
    for (const step of [1, 5, 10]) {
      expect(learningRateAt({ ...base, schedule: 'constant' }, step)).toBe(1e-3);
    }
  });

  it("linear (STDE's) starts at η and falls by η/T a step, reaching 0 after the last", () => {
    const lr = (step: number) => learningRateAt({ ...base, schedule: 'linear' }, step);
    expect(lr(1)).toBe(1e-3);
    expect(lr(10)).toBeCloseTo(1e-4, 15);
    for (let step = 2; step <= 10; step++) expect(lr(step - 1) - lr(step)).toBeCloseTo(1e-4, 15);
  });

  it('exponential goes from η to φ·η geometrically', () => {
    const lr = (step: number) => learningRateAt({ ...base, schedule: 'exponential' }, step);
    expect(lr(1)).toBe(1e-3);
    expect(lr(10)).toBeCloseTo(1e-5, 15);
    const ratio = lr(2) / lr(1);
    for (let step = 2; step <= 10; step++) expect(lr(step) / lr(step - 1)).toBeCloseTo(ratio, 12);
    expect(ratio ** 9).toBeCloseTo(1e-2, 12);
  });

  it('cosine is η at the start, η/2 halfway, symmetric about the middle', () => {
    const lr = (step: number) => learningRateAt({ ...base, schedule: 'cosine' }, step);
    expect(lr(1)).toBe(1e-3);
    expect(lr(6)).toBeCloseTo(5e-4, 15);
    expect(lr(4) + lr(8)).toBeCloseTo(1e-3, 15);
    expect(lr(10)).toBeGreaterThan(0);
  });

  it('a warm-up of W steps scales the schedule by t/W up to step W, then leaves it alone', () => {
    for (const schedule of ['constant', 'linear', 'exponential', 'cosine'] as const) {
      const plain = (step: number) => learningRateAt({ ...base, schedule }, step);
      const warm = (step: number) => learningRateAt({ ...base, schedule, warmupSteps: 4 }, step);
      expect(warm(1)).toBeCloseTo(plain(1) / 4, 18);
      expect(warm(3)).toBeCloseTo((plain(3) * 3) / 4, 18);
      for (const step of [4, 5, 10]) expect(warm(step)).toBe(plain(step));
    }
    // Constant with a warm-up: η/W, 2η/W, … a straight line up to η.
    const ramp = [1, 2, 3, 4].map((t) =>
      learningRateAt({ ...base, schedule: 'constant', warmupSteps: 4 }, t),
    );
    expect(ramp).toEqual([2.5e-4, 5e-4, 7.5e-4, 1e-3]);
  });
});
