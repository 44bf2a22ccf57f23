import { describe, expect, it } from 'vitest';
import { initParameters, type MlpArchitecture } from '../../../src/jet/mlp.ts';
import { laplacianOperator } from '../../../src/operators/laplacian.ts';
import {
  samplesPerPass,
  sampleStatistics,
  sparseStandardDeviation,
} from '../../../src/train/estimatorSamples.ts';
import { inspectionPoint, referenceInspection } from '../../../src/train/jetInspection.ts';
import { resolveTrainingOptions } from '../../../src/train/options.ts';

/** The CPU parts of the jet inspector and the estimator panel. */

describe('sample statistics', () => {
  it('mean, n − 1 standard deviation and standard error', () => {
    const stats = sampleStatistics([1, 2, 3, 4]);
    expect(stats.count).toBe(4);
    expect(stats.mean).toBe(2.5);
    // Σ(x − 2.5)² = 5, over n − 1 = 3.
    expect(stats.standardDeviation).toBeCloseTo(Math.sqrt(5 / 3), 14);
    expect(stats.standardError).toBeCloseTo(Math.sqrt(5 / 3) / 2, 14);
    expect(sampleStatistics([7, 7, 7]).standardDeviation).toBe(0);
    expect(() => sampleStatistics([])).toThrow(/no samples/);
  });
});

describe('sparse standard deviation', () => {
  /** Every B-subset of the values, each equally likely: the exact sd of (n/B)·Σ_{i∈S} a_i. */
  function enumerated(values: number[], B: number): number {
    const estimates: number[] = [];
    const pick = (start: number, chosen: number[]) => {
      if (chosen.length === B) {
        estimates.push((values.length / B) * chosen.reduce((s, i) => s + values[i], 0));
        return;
      }
      for (let i = start; i < values.length; i++) pick(i + 1, [...chosen, i]);
    };
    pick(0, []);
    const mean = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    const variance = estimates.reduce((s, e) => s + (e - mean) ** 2, 0) / estimates.length;
    return Math.sqrt(variance);
  }

  it('is the spread over all B-subsets, and 0 at B = n', () => {
    const values = [0.3, -1.2, 2.5, 0.7, -0.4, 1.1];
    for (let B = 1; B <= values.length; B++) {
      expect(sparseStandardDeviation(values, B)).toBeCloseTo(enumerated(values, B), 12);
    }
    expect(sparseStandardDeviation(values, values.length)).toBe(0);
    expect(sparseStandardDeviation([4], 1)).toBe(0);
    expect(() => sparseStandardDeviation(values, 7)).toThrow(/1\.\.6/);
  });
});

describe('samples per pass', () => {
  it('keeps the widest layer jet and the dense tangents under the budget', () => {
    const sparse = laplacianOperator({ dimension: 100, method: 'sparse', samples: 4 });
    // 1 + 4·2 = 9 rows of 32 units, 4 bytes each: 1 152 bytes per sample.
    expect(samplesPerPass(sparse, 'standard', [100, 32, 32, 1], 1152 * 10)).toBe(10);
    // Collapsed: 1 + 4 + 1 = 6 rows.
    expect(samplesPerPass(sparse, 'collapsed', [100, 32, 32, 1], 768 * 10)).toBe(10);
    const dense = laplacianOperator({ dimension: 1000, method: 'gaussian', samples: 4 });
    // Dense tangents: 4 jets · 2 orders · 1 000 values = 32 000 bytes per sample.
    expect(samplesPerPass(dense, 'standard', [1000, 8, 1], 32_000 * 3)).toBe(3);
    expect(samplesPerPass(dense, 'standard', [1000, 8, 1], 10)).toBe(1);
  });
});

describe('inspection point', () => {
  it('lies on the diagonal at radius r, with t = 0 for space-time problems', () => {
    const ball = inspectionPoint(resolveTrainingOptions({ dimension: 9, jetsPerPoint: 4 }), 0.6);
    expect(ball).toHaveLength(9);
    expect(Math.hypot(...ball)).toBeCloseTo(0.6, 6);
    expect(new Set(ball).size).toBe(1);
    const parabolic = inspectionPoint(
      resolveTrainingOptions({ pde: 'semilinear-heat', dimension: 4, jetsPerPoint: 2 }),
      0.5,
    );
    expect(Array.from(parabolic)).toEqual([0.25, 0.25, 0.25, 0.25, 0]);
    expect(() => inspectionPoint(resolveTrainingOptions({ dimension: 20 }), 1)).toThrow(
      /radius.*\[0, 1\)/,
    );
  });
});

describe('reference inspection', () => {
  const architecture: MlpArchitecture = {
    widths: [3, 5, 4, 1],
    activation: 'tanh',
    boundary: 'ball',
  };
  const parameters = initParameters(architecture, 2);
  const point = [0.2, -0.3, 0.1];
  const v = [0.6, 0.8, -0.5];

  it('the first layer is W x + b and W v, coefficient-major', () => {
    const jet = referenceInspection(architecture, parameters, { point, tangents: [v, null] });
    const { weight, bias } = parameters.layers[0];
    const z = jet.layers[0].preActivation;
    for (let j = 0; j < 5; j++) {
      let value = bias[j];
      let slope = 0;
      for (let i = 0; i < 3; i++) {
        value += weight[j * 3 + i] * point[i];
        slope += weight[j * 3 + i] * v[i];
      }
      expect(z[j]).toBeCloseTo(value, 14);
      expect(z[5 + j]).toBeCloseTo(slope, 14);
      expect(z[10 + j]).toBe(0);
      expect(jet.layers[0].activation?.[j]).toBeCloseTo(Math.tanh(value), 14);
    }
    expect(jet.layers.map((l) => l.width)).toEqual([5, 4, 1]);
    expect(jet.layers[2].activation).toBeNull();
  });

  it('J_1 and J_2 are the derivatives of u along the line (float64 finite differences)', () => {
    const u = (t: number) =>
      referenceInspection(architecture, parameters, {
        point: point.map((x, i) => x + t * v[i]),
        tangents: [null],
      }).derivatives[0];
    const jet = referenceInspection(architecture, parameters, { point, tangents: [v, null] });
    expect(jet.derivatives[0]).toBe(u(0));
    const h = 1e-4;
    // Central differences: error O(h²) ≈ 1e-8 times the third/fourth derivative.
    expect(jet.derivatives[1]).toBeCloseTo((u(h) - u(-h)) / (2 * h), 7);
    expect(jet.derivatives[2]).toBeCloseTo((u(h) - 2 * u(0) + u(-h)) / h ** 2, 5);
    expect(() =>
      referenceInspection(architecture, parameters, { point: [0, 0], tangents: [v] }),
    ).toThrow(/2 coordinates, not d = 3/);
  });
});
