/**
 * Sparse draws with the drawn tangent at another order and a per-point tangent (jetDraws.ts
 * sampledOrder, pointTangent: the ∂_jΔu jets of laplacianGradient.ts). The pair (I, j) must be
 * uniform over C(d, B)·d cells, i.e. I a uniform subset, j uniform and the two independent (the
 * gPINN estimator's "I and J sampled independently"); a j that reuses the subset's words fails the
 * same test. Fixed seeds; each χ² must stay below its critical value at p = 1e-4.
 */
import { describe, expect, it } from 'vitest';
import { randomKey, RandomStream } from '../../../src/random/counterRandom.ts';
import {
  drawTangents,
  type JetDrawSpec,
  pointTangentIndex,
  sparseIndices,
  validateDrawSpec,
} from '../../../src/random/jetDraws.ts';
import { planRandomJets } from '../../../src/random/gpuRandomJets.ts';
import { chiSquareCritical, pearsonStatistic } from './statistics.ts';

const P = 1e-4;

/** Pearson's χ² of (subset, j) pairs against the uniform law on C(d, B)·d cells. */
function jointChiSquare(
  pair: (p: number) => [ArrayLike<number>, number],
  draws: number,
): { statistic: number; df: number } {
  const cells = new Map<string, number>();
  for (let p = 0; p < draws; p++) {
    const [subset, j] = pair(p);
    const key = `${Array.from(subset)
      .sort((a, b) => a - b)
      .join(',')}|${j}`;
    cells.set(key, (cells.get(key) ?? 0) + 1);
  }
  const observed = [...cells.values()];
  // d = 5, B = 2: 10 subsets × 5 values of j = 50 cells; a cell never seen counts as 0.
  const total = 50;
  while (observed.length < total) observed.push(0);
  const expected = observed.map(() => draws / total);
  return { statistic: pearsonStatistic(observed, expected), df: total - 1 };
}

describe('a per-point tangent with the sparse draw', () => {
  const d = 5;
  const B = 2;
  const draws = 30_000;
  const key = randomKey(77, RandomStream.jets);

  it('(I, j) is uniform over the 50 cells: I uniform, j uniform, independent', () => {
    const { statistic, df } = jointChiSquare(
      (p) => [sparseIndices(key, 3, p, d, B), pointTangentIndex(key, 3, p, d, 1)],
      draws,
    );
    console.log(`(I, j): χ² = ${statistic.toFixed(1)} on ${df} df`);
    expect(statistic).toBeLessThan(chiSquareCritical(P, df));
  });

  it('control: j from the subset’s own word stream (subset index 0) fails the test', () => {
    const { statistic, df } = jointChiSquare(
      (p) => [sparseIndices(key, 3, p, d, B), pointTangentIndex(key, 3, p, d, 0)],
      draws,
    );
    console.log(`control (I, j from the same words): χ² = ${statistic.toFixed(1)} on ${df} df`);
    expect(statistic).toBeGreaterThan(chiSquareCritical(P, df));
  });

  it('lays out v_2 = e_i (coefficient 1) and v_3 = e_j in every jet; the subsets are the plain ones', () => {
    const plain: JetDrawSpec = { kind: 'sparse', directions: 2, order: 7, dimension: 6, range: 6 };
    const mixed: JetDrawSpec = { ...plain, sampledOrder: 2, pointTangent: { order: 3 } };
    const a = drawTangents(plain, 20, { seed: 5, step: 9 });
    const b = drawTangents(mixed, 20, { seed: 5, step: 9 });
    if (a.kind !== 'oneHot' || b.kind !== 'oneHot') throw new Error('one-hot expected');
    for (let p = 0; p < 20; p++) {
      const j = pointTangentIndex(randomKey(5, RandomStream.jets), 9, p, 6, 1);
      for (let r = 0; r < 2; r++) {
        const slot = (p * 2 + r) * 7;
        expect([...b.index.subarray(slot, slot + 7)]).toEqual([
          -1,
          a.index[slot],
          j,
          -1,
          -1,
          -1,
          -1,
        ]);
        expect([...b.coefficient.subarray(slot, slot + 7)]).toEqual([0, 1, 1, 0, 0, 0, 0]);
      }
    }
  });

  it('refuses the new fields outside sparse draws and out-of-range or clashing orders; the GPU plan passes them on', () => {
    const base: JetDrawSpec = { kind: 'sparse', directions: 2, order: 7, dimension: 6, range: 6 };
    expect(() => validateDrawSpec({ ...base, kind: 'rademacher', sampledOrder: 2 })).toThrow(
      /sparse draws only/,
    );
    expect(() => validateDrawSpec({ ...base, sampledOrder: 8 })).toThrow(/1\.\.7/);
    expect(() =>
      validateDrawSpec({ ...base, sampledOrder: 3, pointTangent: { order: 3 } }),
    ).toThrow(/distinct orders/);
    expect(() =>
      validateDrawSpec({
        ...base,
        pointTangent: { order: 2 },
        extra: { order: 2, index: 0, value: 1 },
      }),
    ).toThrow(/distinct orders/);
    const plan = planRandomJets({ ...base, sampledOrder: 2, pointTangent: { order: 3 } }, 4, {
      seed: 1,
    });
    expect([plan.params.sampledOrder, plan.params.pointOrder]).toEqual([2, 3]);
    const plain = planRandomJets(base, 4, { seed: 1 });
    expect([plain.params.sampledOrder, plain.params.pointOrder]).toEqual([1, 0]);
  });
});
