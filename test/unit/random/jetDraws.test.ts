/**
 * The CPU mirror of randomJets.wgsl: sparse draws are uniform over *subsets* (the property the
 * estimators need), every index has the right frequency, and the layouts follow jetLayout.ts.
 * Fixed seeds; significance level 1e-3.
 */
import { describe, expect, it } from 'vitest';
import { randomKey, RandomStream } from '../../../src/random/counterRandom.ts';
import {
  drawTangents,
  type JetDrawSpec,
  sparseIndices,
  sparseSubsetIndices,
  validateDrawSpec,
} from '../../../src/random/jetDraws.ts';
import {
  chiSquareCritical,
  chiSquareSurvival,
  sparseIndexChiSquare,
  subsetPairChiSquares,
} from './statistics.ts';

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

describe('two independent uniform subsets per point (the unbiased loss: subsets = 2)', () => {
  // d = 6, B = 2: C(6, 2) = 15 subsets, 225 pairs; 60 000 pairs, so ≥ 266 expected per joint cell.
  // Each statistic must stay below its χ² critical value at p = 1e-4 (deterministic: fixed seed).
  const d = 6;
  const B = 2;
  const draws = 60_000;
  const P = 1e-4;
  const key = randomKey(4242, 1);
  const tests = ['first', 'second', 'joint', 'overlap'] as const;
  const report = (name: string, result: ReturnType<typeof subsetPairChiSquares>) =>
    tests
      .map((t) => {
        const { statistic, df } = result[t];
        return `${name} ${t}: χ² = ${statistic.toFixed(1)} on ${df} df (critical ${chiSquareCritical(P, df).toFixed(1)})`;
      })
      .join('\n');

  // d = 5, B = 3 as well: 2B > d, so every pair overlaps (1..3, the hypergeometric law's support).
  for (const [dd, BB] of [
    [d, B],
    [5, 3],
  ]) {
    it(`d = ${dd}, B = ${BB}: each half is a uniform B-subset, the halves independent (χ² at p = 1e-4)`, () => {
      const result = subsetPairChiSquares(
        (p) => {
          const picks = sparseSubsetIndices(key, 5, p, dd, BB, 2);
          return [picks.subarray(0, BB), picks.subarray(BB)];
        },
        draws,
        dd,
        BB,
      );
      console.log(report(`two Floyd subsets (d = ${dd}, B = ${BB})`, result));
      for (const t of tests) {
        expect(result[t].statistic, t).toBeLessThan(chiSquareCritical(P, result[t].df));
      }
    });
  }

  it('the halves of one 2B-draw (the old scheme) fail all four: first half in 0..3, no overlap', () => {
    const result = subsetPairChiSquares(
      (p) => {
        const picks = sparseIndices(key, 5, p, d, 2 * B);
        return [picks.subarray(0, B), picks.subarray(B)];
      },
      draws,
      d,
      B,
    );
    console.log(report('halves of one 2B-draw', result));
    // Floyd's first B picks lie in 0..d − B − 1 (here 0..3), and the halves are disjoint.
    for (const t of tests) {
      expect(result[t].statistic, t).toBeGreaterThan(chiSquareCritical(P, result[t].df));
    }
  });

  it('subset 0 is the plain draw: the biased loss keeps its jets; B = d per subset is allowed', () => {
    const plain: JetDrawSpec = { kind: 'sparse', directions: 3, order: 2, dimension: 7, range: 6 };
    const two: JetDrawSpec = { ...plain, directions: 6, subsets: 2 };
    const one = drawTangents(plain, 40, { seed: 9, step: 4 });
    const both = drawTangents(two, 40, { seed: 9, step: 4 });
    if (one.kind !== 'oneHot' || both.kind !== 'oneHot') throw new Error('one-hot expected');
    let differs = false;
    for (let p = 0; p < 40; p++) {
      // Jets [0, 3) of the two-subset draw are the plain draw's, slot for slot.
      expect([...both.index.subarray(12 * p, 12 * p + 6)]).toEqual([
        ...one.index.subarray(6 * p, 6 * p + 6),
      ]);
      const second = both.index.subarray(12 * p + 6, 12 * p + 12);
      expect(second).toEqual(
        Int32Array.from(
          Array.from(sparseIndices(randomKey(9, RandomStream.jets), 4, p, 6, 3, 1)).flatMap((i) => [
            i,
            -1,
          ]),
        ),
      );
      differs ||= second.join() !== both.index.subarray(12 * p, 12 * p + 6).join();
    }
    expect(differs).toBe(true);
    const full = drawTangents({ ...plain, directions: 12, subsets: 2, range: 6 }, 2, {
      seed: 1,
      step: 0,
    });
    if (full.kind !== 'oneHot') throw new Error('one-hot expected');
    for (const first of [0, 6, 12, 18]) {
      const picks = [0, 1, 2, 3, 4, 5].map((r) => full.index[2 * (first + r)]);
      expect(picks.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    }
  });

  it('refuses subsets that do not divide the jets, exceed the range, or are not sparse', () => {
    const base: JetDrawSpec = { kind: 'sparse', directions: 6, order: 2, dimension: 4, range: 4 };
    expect(() => validateDrawSpec({ ...base, subsets: 2 })).not.toThrow();
    expect(() => validateDrawSpec({ ...base, subsets: 4 })).toThrow(/divides directions = 6/);
    expect(() => validateDrawSpec({ ...base, subsets: 0 })).toThrow(/positive integer/);
    expect(() => validateDrawSpec({ ...base, directions: 10, subsets: 2 })).toThrow(
      /5 distinct coordinates out of 4/,
    );
    expect(() => validateDrawSpec({ ...base, kind: 'rademacher', subsets: 2 })).toThrow(
      /subsets apply to sparse draws only/,
    );
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
