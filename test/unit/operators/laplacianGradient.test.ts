/**
 * ∂_jΔu from 7-jets v_2 = 2e_i, v_3 = 6e_j (laplacianGradient.ts), checked two independent ways:
 *   symbolically: each output, expanded by Faà di Bruno term by term (symbolicJets.ts), is exactly
 *     the claimed partials with the claimed weights and nothing else leaks in; and no one-hot jet of
 *     order < 7 isolates u_iij (why the construction needs order 7);
 *   numerically: on a polynomial whose partials come from exact monomial differentiation (no
 *     Taylor arithmetic), with monomials that make every partial that could leak nonzero, the
 *     jets of the operator's own random draw, pushed through src/jet's Jet arithmetic in float64,
 *     give u, u_j, (d/B)·Σ_{i∈I} u_ii and (d/B)·Σ_{i∈I} u_iij at the drawn (I, j) to 1e-12.
 */
import { describe, expect, it } from 'vitest';
import { rowOf, rowsPerPoint, tangentSlot } from '../../../src/engine/jetLayout.ts';
import { pushCurve } from '../../../src/jet/jet.ts';
import { factorial } from '../../../src/jet/series.ts';
import { along, type FixedJet } from '../../../src/operators/fixedTangents.ts';
import {
  gradientCoordinates,
  laplacianGradientOperator,
} from '../../../src/operators/laplacianGradient.ts';
import type { JetOperator } from '../../../src/operators/operator.ts';
import { polynomialAlongJet, type Monomial } from './polynomials.ts';
import { partialKey, symbolicDerivatives, symbolicQuantity } from './symbolicJets.ts';

const TOL = 1e-12;

function expectClose(actual: number, expected: number, label: string): void {
  const bound = TOL * Math.max(1, Math.abs(expected));
  expect(
    Math.abs(actual - expected),
    `${label}: got ${actual}, expected ${expected}`,
  ).toBeLessThanOrEqual(bound);
}

/** The drawn jets of point p as FixedJets (derivative convention: value = coefficient·k!). */
function drawnJets(operator: JetOperator, points: number, p: number, step: number): FixedJet[] {
  const tangents = operator.tangents(points, { seed: 11, step });
  if (tangents.kind !== 'oneHot') throw new Error('one-hot jets expected');
  const shape = operator.shape(points);
  return Array.from({ length: operator.directions }, (_, r) => {
    const jet = [];
    for (let k = 1; k <= operator.order; k++) {
      const slot = tangentSlot(shape, p, r, k);
      const index = tangents.index[slot];
      if (index >= 0) jet.push(along(k, index, tangents.coefficient[slot] * factorial(k)));
    }
    return jet;
  });
}

/** ∂^α of a polynomial, α given as a list of coordinates, by exact monomial differentiation. */
function differentiate(terms: readonly Monomial[], coordinates: readonly number[]): Monomial[] {
  return coordinates.reduce<Monomial[]>(
    (current, i) =>
      current
        .filter(([, ...powers]) => (powers[i] ?? 0) > 0)
        .map(([c, ...powers]) => [c * powers[i], ...powers.map((p, k) => (k === i ? p - 1 : p))]),
    [...terms],
  );
}

function evaluatePolynomial(terms: readonly Monomial[], x: readonly number[]): number {
  return terms.reduce(
    (sum, [c, ...powers]) => sum + powers.reduce((acc, p, i) => acc * x[i] ** p, c),
    0,
  );
}

describe('the 7-jet v_2 = 2e_i, v_3 = 6e_j (symbolic Faà di Bruno)', () => {
  const letters = { i: 0, j: 1 };
  it('J_3 = 6u_j, J_4 = 12u_ii, J_7 = 2520u_iij with nothing else, for i ≠ j', () => {
    const J = symbolicDerivatives([along(2, 0, 2), along(3, 1, 6)], 7);
    expect([...J[3]]).toEqual([[partialKey('j', letters), 6]]);
    expect([...J[4]]).toEqual([[partialKey('ii', letters), 12]]);
    expect([...J[7]]).toEqual([[partialKey('iij', letters), 2520]]);
  });

  it('and for i = j: J_3 = 6u_i, J_4 = 12u_ii, J_7 = 2520u_iii', () => {
    const J = symbolicDerivatives([along(2, 0, 2), along(3, 0, 6)], 7);
    expect([...J[3]]).toEqual([['0', 6]]);
    expect([...J[4]]).toEqual([['0,0', 12]]);
    expect([...J[7]]).toEqual([['0,0,0', 2520]]);
  });

  it("unscaled (DESIGN.md §3's v_2 = e_i, v_3 = e_j): J_7 = 105u_iij", () => {
    const J = symbolicDerivatives([along(2, 0), along(3, 1)], 7);
    expect([...J[7]]).toEqual([[partialKey('iij', letters), 105]]);
  });

  it('no one-hot jet of order ≤ 6 isolates u_iij (why order 7)', () => {
    for (let a = 1; a <= 6; a++) {
      for (let b = 1; b <= 6; b++) {
        if (a === b) continue;
        const J = symbolicDerivatives([along(a, 0), along(b, 1)], 6);
        for (const partials of J) {
          const isolated = partials.size === 1 && partials.has(partialKey('iij', letters));
          expect(isolated, `i at ${a}, j at ${b}`).toBe(false);
        }
      }
    }
  });

  it('the 4-jet pair v_1 = e_i, v_2 = ±e_j: (J_4⁺ − J_4⁻)/12 = u_iij (the candidate it beats)', () => {
    const pair = [
      [along(1, 0), along(2, 1, 1)],
      [along(1, 0), along(2, 1, -1)],
    ];
    const q = symbolicQuantity(pair, 4, [
      { direction: 0, order: 4, scale: 1 / 12 },
      { direction: 1, order: 4, scale: -1 / 12 },
    ]);
    expect([...q]).toEqual([[partialKey('iij', letters), 1]]);
  });
});

describe('the operator on its own draws (d = 5)', () => {
  const d = 5;
  for (const [B, draws] of [
    [2, 1],
    [3, 2],
    [5, 1],
  ]) {
    it(`B = ${B}, ${draws} draw(s): each output is exactly its partials at the drawn I and j`, () => {
      const operator = laplacianGradientOperator({ dimension: d, samples: B, draws });
      expect(operator.order).toBe(7);
      expect(operator.directions).toBe(B * draws);
      expect(operator.collapsible).toBe(true);
      const points = 6;
      const js = gradientCoordinates(
        operator.tangents(points, { seed: 11, step: 2 }),
        points,
        B * draws,
      );
      for (let p = 0; p < points; p++) {
        const jets = drawnJets(operator, points, p, 2);
        const j = js[p];
        const I = jets.map((jet) => jet[0].components[0].index);
        // Every jet: v_2 = 2e_i, v_3 = 6e_j with the point's j; each draw's i distinct.
        for (const jet of jets) {
          expect(jet.map((t) => [t.order, t.components[0].value])).toEqual([
            [2, 2],
            [3, 6],
          ]);
          expect(jet[1].components[0].index).toBe(j);
        }
        for (let g = 0; g < draws; g++) {
          expect(new Set(I.slice(g * B, (g + 1) * B)).size).toBe(B);
        }
        const weight = d / (B * draws);
        const expected = {
          u: new Map([['', 1]]),
          u_j: new Map([[`${j}`, 1]]),
          laplacian: new Map<string, number>(),
          laplacian_j: new Map<string, number>(),
        };
        for (const i of I) {
          const ii = `${i},${i}`;
          const iij = [i, i, j].sort((a, b) => a - b).join(',');
          expected.laplacian.set(ii, (expected.laplacian.get(ii) ?? 0) + weight);
          expected.laplacian_j.set(iij, (expected.laplacian_j.get(iij) ?? 0) + weight);
        }
        for (const q of operator.quantities) {
          const actual = symbolicQuantity(jets, 7, q.terms);
          const want = expected[q.name];
          expect([...actual.keys()].sort(), `${q.name}, point ${p}`).toEqual(
            [...want.keys()].sort(),
          );
          for (const [key, c] of want) expectClose(actual.get(key) ?? NaN, c, `${q.name} [${key}]`);
        }
      }
    });
  }

  it('refuses B outside 1..d and a non-integer number of draws', () => {
    expect(() => laplacianGradientOperator({ dimension: 4, samples: 5 })).toThrow(/1\.\.4/);
    expect(() => laplacianGradientOperator({ dimension: 4, samples: 2, draws: 1.5 })).toThrow(
      /draws/,
    );
  });
});

describe('on a polynomial (float64 jets against exact differentiation, 1e-12)', () => {
  // u over (x, y, z): every partial that could leak into J_3, J_4 or J_7 (u_iiii, u_jj, u_iii,
  // u_ij, ∂^7 of anything reachable) has a monomial that keeps it nonzero at the point.
  const terms: Monomial[] = [
    [1, 7, 0, 0],
    [2, 3, 2, 1],
    [-1, 2, 1, 0],
    [3, 0, 4, 2],
    [1, 1, 1, 1],
    [-2, 0, 2, 3],
    [1, 4, 0, 3],
    [5, 2, 0, 1],
    [-3, 0, 3, 0],
    [1, 0, 0, 7],
    [2, 1, 5, 0],
    [-1, 0, 1, 2],
    [4, 1, 0, 0],
  ];
  const point = [0.45, -0.6, 0.3];
  const d = 3;

  it('a hand check of the exact differentiation: ∂_x∂_x∂_y u', () => {
    const [x, y, z] = point;
    // ∂_xx∂_y of 2x³y²z, −x²y, 2xy⁵ (the others vanish): 24xyz − 2.
    const hand = 24 * x * y * z - 2;
    expectClose(evaluatePolynomial(differentiate(terms, [0, 0, 1]), point), hand, 'u_xxy');
  });

  for (const [B, draws] of [
    [1, 1],
    [2, 2],
    [3, 1],
  ]) {
    it(`B = ${B}, ${draws} draw(s), 8 points`, () => {
      const operator = laplacianGradientOperator({ dimension: d, samples: B, draws });
      const points = 8;
      const shape = operator.shape(1);
      const js = gradientCoordinates(
        operator.tangents(points, { seed: 11, step: 5 }),
        points,
        B * draws,
      );
      for (let p = 0; p < points; p++) {
        const jets = drawnJets(operator, points, p, 5);
        const outputs = new Float64Array(rowsPerPoint(shape));
        jets.forEach((jet, r) => {
          const tangents: (Float64Array | null)[] = Array.from({ length: 7 }, () => null);
          for (const { order, components } of jet) {
            tangents[order - 1] = Float64Array.from({ length: d }, (_, i) =>
              i === components[0].index ? components[0].value : 0,
            );
          }
          const u = polynomialAlongJet(terms, pushCurve(point, tangents)).coeffs;
          outputs[0] = u[0];
          for (let k = 1; k <= 7; k++) outputs[rowOf(shape, r, k)] = u[k];
        });
        const q = operator.evaluate(outputs, shape);
        const j = js[p];
        const I = jets.map((jet) => jet[0].components[0].index);
        const weight = d / (B * draws);
        const at = (alpha: number[]) => evaluatePolynomial(differentiate(terms, alpha), point);
        expectClose(q.u[0], at([]), 'u');
        expectClose(q.u_j[0], at([j]), 'u_j');
        expectClose(q.laplacian[0], weight * I.reduce((s, i) => s + at([i, i]), 0), 'Δu');
        expectClose(q.laplacian_j[0], weight * I.reduce((s, i) => s + at([i, i, j]), 0), '∂_jΔu');
      }
    });
  }
});
