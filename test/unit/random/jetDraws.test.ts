/**
 * The CPU mirror of randomJets.wgsl: sparse draws are uniform over *subsets* (the property the
 * estimators need), every index has the right frequency, and the layouts follow jetLayout.ts.
 * Fixed seeds; significance level 1e-3.
 */
import { describe, expect, it } from 'vitest';
import { randomKey } from '../../../src/random/counterRandom.ts';
import { drawTangents, sparseIndices, validateDrawSpec } from '../../../src/random/jetDraws.ts';
import { chiSquareSurvival, sparseIndexChiSquare } from './statistics.ts';

const ALPHA = 1e-3;

describe('sparse draws (Floyd over the counter-based stream)', () => {
  it('all C(6, 3) = 20 subsets are equally likely (χ² on 19 df over 40 000 draws)', () => {
    const key = randomKey(314, 1);
    const counts = new Map<string, number>();
    const draws = 40000;
    for (let p = 0; p < draws; p++) {
      const picks = [...sparseIndices(key, 0, p, 6, 3)];
      expect(new Set(picks).size).toBe(3);
      const subset = picks.sort().join(',');
      counts.set(subset, (counts.get(subset) ?? 0) + 1);
    }
    expect(counts.size).toBe(20);
    const expected = draws / 20;
    let statistic = 0;
    for (const c of counts.values()) statistic += (c - expected) ** 2 / expected;
    expect(chiSquareSurvival(statistic, 19)).toBeGreaterThan(ALPHA);
  });

  it('index frequencies pass the without-replacement χ² test (d = 50, B = 7)', () => {
    const key = randomKey(2718, 1);
    const counts = new Float64Array(50);
    const points = 5000;
    for (let p = 0; p < points; p++) for (const i of sparseIndices(key, 3, p, 50, 7)) counts[i]++;
    const test = sparseIndexChiSquare(counts, points, 7);
    expect(test.pValue).toBeGreaterThan(ALPHA);
  });

  it('B = d returns a permutation of all indices', () => {
    const picks = [...sparseIndices(randomKey(1, 1), 0, 0, 9, 9)].sort((a, b) => a - b);
    expect(picks).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('tangent layouts', () => {
  it('one-hot: v_1 at slot (p·R + r)·K, the extra tangent at its order, zeros elsewhere', () => {
    const t = drawTangents(
      {
        kind: 'sparse',
        directions: 2,
        order: 3,
        dimension: 5,
        range: 4,
        extra: { order: 3, index: 4, value: 3 },
      },
      2,
      { seed: 1, step: 2 },
    );
    if (t.kind !== 'oneHot') throw new Error('one-hot expected');
    for (let jet = 0; jet < 4; jet++) {
      expect(t.index[3 * jet]).toBeGreaterThanOrEqual(0);
      expect(t.index[3 * jet]).toBeLessThan(4);
      expect(t.coefficient[3 * jet]).toBe(1);
      expect([t.index[3 * jet + 1], t.coefficient[3 * jet + 1]]).toEqual([-1, 0]);
      expect([t.index[3 * jet + 2], t.coefficient[3 * jet + 2]]).toEqual([4, 0.5]);
    }
  });

  it('dense: ±1 on the drawn range, zero beyond it and at the other orders', () => {
    const t = drawTangents(
      { kind: 'rademacher', directions: 3, order: 2, dimension: 4, range: 3 },
      2,
      {
        seed: 5,
        step: 0,
      },
    );
    if (t.kind !== 'dense') throw new Error('dense expected');
    for (let jet = 0; jet < 6; jet++) {
      const v1 = t.values.subarray(8 * jet, 8 * jet + 4);
      expect([...v1.subarray(0, 3)].every((x) => x === 1 || x === -1)).toBe(true);
      expect(v1[3]).toBe(0);
      expect([...t.values.subarray(8 * jet + 4, 8 * jet + 8)]).toEqual([0, 0, 0, 0]);
    }
  });

  it('refuses impossible draws', () => {
    const base = { directions: 3, order: 2, dimension: 4, range: 4 };
    expect(() => validateDrawSpec({ kind: 'sparse', ...base, directions: 5 })).toThrow(
      /5 distinct coordinates out of 4/,
    );
    expect(() => validateDrawSpec({ kind: 'exact', ...base })).toThrow(/must equal range/);
    expect(() => validateDrawSpec({ kind: 'gaussian', ...base, range: 5 })).toThrow(/range/);
    expect(() => validateDrawSpec({ kind: 'gaussian', ...base, order: 9 })).toThrow(/order/);
    expect(() =>
      validateDrawSpec({ kind: 'sparse', ...base, extra: { order: 1, index: 0, value: 1 } }),
    ).toThrow(/extra tangent's order/);
    expect(() => drawTangents({ kind: 'sparse', ...base }, 1, { seed: -1, step: 0 })).toThrow(
      /seed/,
    );
  });
});
