import { describe, expect, it } from 'vitest';
import {
  meanProduct,
  meanSquare,
  PARABOLIC_LOSS_WEIGHTS,
  parabolicLoss,
  terminalLoss,
} from '../../../src/pdes/losses.ts';
import {
  pointRelativeError,
  RelativeErrorAccumulator,
  relativeErrors,
} from '../../../src/pdes/metrics.ts';
import { evaluationBatchSize, TEST_SET_SIZE } from '../../../src/pdes/testSet.ts';

describe('metrics', () => {
  it('relative L2 and L1 of hand-made arrays', () => {
    // error (0, 0, 1, −2), exact (1, 2, 2, −4): ‖e‖₂/‖u*‖₂ = √5/5, ‖e‖₁/‖u*‖₁ = 3/9.
    const { relativeL2, relativeL1 } = relativeErrors([1, 2, 3, -6], [1, 2, 2, -4]);
    expect(relativeL2).toBeCloseTo(Math.sqrt(5) / 5, 15);
    expect(relativeL1).toBeCloseTo(1 / 3, 15);
    expect(relativeErrors([3, 4], [3, 4])).toEqual({ relativeL2: 0, relativeL1: 0 });
  });

  it('gives the same bits however the test set is batched', () => {
    const n = 1000;
    const exact = Float64Array.from({ length: n }, (_, i) => Math.sin(i) + 0.1);
    const predicted = exact.map((v, i) => v + 1e-3 * Math.cos(7 * i));
    const whole = relativeErrors(predicted, exact);
    const batched = new RelativeErrorAccumulator();
    for (let start = 0; start < n; start += 333) {
      batched.add(predicted.subarray(start, start + 333), exact.subarray(start, start + 333));
    }
    expect(batched.count).toBe(n);
    expect(batched.result()).toEqual(whole);
  });

  it('refuses mismatched arrays and an all-zero exact solution', () => {
    expect(() => relativeErrors([1, 2], [1])).toThrow(/2 predictions for 1 exact/);
    expect(() => relativeErrors([1], [0])).toThrow(/undefined/);
  });

  it('point relative error |u − ref|/|ref|', () => {
    expect(pointRelativeError(0.5, 0.4)).toBeCloseTo(0.25, 15);
    expect(pointRelativeError(-0.3, -0.4)).toBeCloseTo(0.25, 15);
    expect(() => pointRelativeError(1, 0)).toThrow(RangeError);
  });

  it('evaluation batches fit one storage binding', () => {
    const limit = 128 * 1024 * 1024;
    expect(TEST_SET_SIZE).toBe(20_000);
    expect(evaluationBatchSize(1000, limit)).toBe(20_000);
    expect(evaluationBatchSize(1_000_000, limit)).toBe(33);
    expect(() => evaluationBatchSize(40_000_000, limit)).toThrow(/exceeds/);
    // A larger binding does not make the batch larger than 256 MiB of points.
    const large = 4 * 2 ** 30;
    expect(evaluationBatchSize(100_000, large, 2000)).toBe(671);
    expect(evaluationBatchSize(1_000_000, large)).toBe(67);
    expect(evaluationBatchSize(3355, large)).toBe(20_000);
    // A point larger than the cap but inside the binding is a batch of one.
    expect(evaluationBatchSize(100_000_000, large)).toBe(1);
  });
});

describe('losses', () => {
  it('mean(r²) and the unbiased two-draw product', () => {
    expect(meanSquare([1, -2, 3])).toBeCloseTo(14 / 3, 15);
    expect(meanProduct([1, 2], [3, -1])).toBe(0.5);
    expect(() => meanProduct([1], [1, 2])).toThrow(RangeError);
  });

  it('parabolic loss = mean r² + 20 (mean|u − g|² + 0.05 mean‖∇u − ∇g‖²)', () => {
    expect(PARABOLIC_LOSS_WEIGHTS).toEqual({ terminal: 20, terminalGradient: 0.05 });
    // Two points, d = 2: |u − g|² = (1, 4), ‖∇u − ∇g‖² = (1 + 4, 9 + 0).
    const terminal = {
      u: [1, 0],
      g: [0, 2],
      gradU: [1, 2, 3, 0],
      gradG: [0, 0, 0, 0],
    };
    const expectedTerminal = (1 + 4) / 2 + (0.05 * (5 + 9)) / 2;
    expect(terminalLoss(terminal)).toBeCloseTo(expectedTerminal, 15);
    expect(parabolicLoss([1, 1], terminal)).toBeCloseTo(1 + 20 * expectedTerminal, 13);
    expect(() => terminalLoss({ ...terminal, gradG: [0, 0, 0] })).toThrow(RangeError);
    // Other weights: λ = 3, γ = 0.5.
    const reweighted = (1 + 4) / 2 + (0.5 * (5 + 9)) / 2;
    expect(terminalLoss(terminal, 0.5)).toBeCloseTo(reweighted, 15);
    expect(parabolicLoss([1, 1], terminal, { terminal: 3, terminalGradient: 0.5 })).toBeCloseTo(
      1 + 3 * reweighted,
      13,
    );
  });
});
