/**
 * The mixed-partial constructions of the 2-D KdV, 2-D KP and 1-D g-KdV residuals, checked two
 * independent ways:
 *   symbolically: each quantity, expanded by Faà di Bruno term by term, is exactly the claimed
 *     partial(s) with coefficient 1 and nothing else (no leak, whatever the function);
 *   numerically: on a polynomial written by hand with its partials differentiated by hand (and
 *     monomials chosen so that every partial that could leak is nonzero), the jets pushed through
 *     src/jet's Jet arithmetic and combined by the operator give the hand values to 1e-12, and the
 *     PDE residuals of src/pdes/highOrder.ts read from those outputs give the hand residuals.
 */
import { describe, expect, it } from 'vitest';
import { rowOf, rowsPerPoint } from '../../../src/engine/jetLayout.ts';
import { pushCurve } from '../../../src/jet/jet.ts';
import { fixedJetTangents, along } from '../../../src/operators/fixedTangents.ts';
import { gkdv1dOperator } from '../../../src/operators/gkdv1d.ts';
import { kdv2dOperator } from '../../../src/operators/kdv2d.ts';
import { kp2dOperator } from '../../../src/operators/kp2d.ts';
import type { JetOperator } from '../../../src/operators/operator.ts';
import { gkdv1d, kdv2d, kp2d } from '../../../src/pdes/highOrder.ts';
import { evaluateResiduals } from '../../../src/pdes/residualTerms.ts';
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

/** Every quantity of the operator as the partials it claims (letters → coefficient). */
function expectSymbolic(
  operator: JetOperator,
  coordinates: Record<string, number>,
  claims: Record<string, Record<string, number>>,
): void {
  if (operator.draw.kind !== 'fixed') throw new Error('a fixed construction is expected');
  const jets = operator.draw.jets;
  expect(Object.keys(claims).sort()).toEqual(operator.quantities.map((q) => q.name).sort());
  for (const q of operator.quantities) {
    const expected = new Map(
      Object.entries(claims[q.name]).map(([letters, c]) => [partialKey(letters, coordinates), c]),
    );
    const actual = symbolicQuantity(jets, operator.order, q.terms);
    expect([...actual.keys()].sort(), q.name).toEqual([...expected.keys()].sort());
    for (const [key, c] of expected) expectClose(actual.get(key) ?? NaN, c, `${q.name} [${key}]`);
  }
}

/** The operator's quantities for a polynomial at one point, jets pushed through Jet arithmetic. */
function polynomialQuantities(
  operator: JetOperator,
  terms: readonly Monomial[],
  point: readonly number[],
): Record<string, Float64Array> {
  if (operator.draw.kind !== 'fixed') throw new Error('a fixed construction is expected');
  const shape = operator.shape(1);
  const outputs = new Float64Array(rowsPerPoint(shape));
  operator.draw.jets.forEach((jet, r) => {
    const tangents = fixedJetTangents(jet, operator.dimension, operator.order);
    const u = polynomialAlongJet(terms, pushCurve(point, tangents)).coeffs;
    outputs[0] = u[0];
    for (let k = 1; k <= operator.order; k++) outputs[rowOf(shape, r, k)] = u[k];
  });
  return operator.evaluate(outputs, shape);
}

describe('symbolic identities behind the constructions', () => {
  const xy = { x: 0, y: 1 };
  it('DESIGN.md §3: 5-jet v_2 = e_t, v_3 = e_x gives J_5 = 10u_xt', () => {
    const J = symbolicDerivatives([along(2, 1), along(3, 0)], 5);
    expect([...J[5]]).toEqual([[partialKey('xy', xy), 10]]);
  });

  it("the STDE paper's 9-jet v_2 = e_x, v_3 = e_y: J_9 = 1260u_xxxy + 280u_yyy (divisor 1260, not 840)", () => {
    const J = symbolicDerivatives([along(2, 0), along(3, 1)], 9);
    expect(J[9].size).toBe(2);
    expectClose(J[9].get(partialKey('xxxy', xy)) ?? NaN, 1260, 'u_xxxy');
    expectClose(J[9].get(partialKey('yyy', xy)) ?? NaN, 280, 'u_yyy');
  });

  it('no one-hot jet of order ≤ 8 isolates u_xxxy (why the constructions pair jets)', () => {
    // Every assignment of x and y to two distinct tangent orders a, b ≤ 8 (all other tangents 0).
    for (let a = 1; a <= 8; a++) {
      for (let b = 1; b <= 8; b++) {
        if (a === b) continue;
        const J = symbolicDerivatives([along(a, 0), along(b, 1)], 8);
        for (const partials of J) {
          const isolated = partials.size === 1 && partials.has(partialKey('xxxy', xy));
          expect(isolated, `x at ${a}, y at ${b}`).toBe(false);
        }
      }
    }
  });
});

describe('2-D KdV: u_ty + u_xxxy + 3(u_y u_x)_x − u_xx + 2u_yy', () => {
  const coordinates = { x: 0, y: 1, t: 2 };
  const operator = kdv2dOperator();

  it('three 5-jets, no collapsing; each quantity is exactly its partials', () => {
    expect(operator.order).toBe(5);
    expect(operator.directions).toBe(3);
    expect(operator.collapsible).toBe(false);
    expectSymbolic(operator, coordinates, {
      u: { '': 1 },
      u_x: { x: 1 },
      u_y: { y: 1 },
      u_xx: { xx: 1 },
      u_xy: { xy: 1 },
      u_yy: { yy: 1 },
      'u_ty+u_xxxy': { ty: 1, xxxy: 1 },
    });
  });

  it('exact on a hand-differentiated polynomial (every leaking partial present)', () => {
    // u = x⁵ + 2x³y − 3xy² + x²t + 4yt − x²y + y³ + x³yt + xyt² − 2x² + 3y² + 5xy + x − 2y + t
    const terms: Monomial[] = [
      [1, 5, 0, 0],
      [2, 3, 1, 0],
      [-3, 1, 2, 0],
      [1, 2, 0, 1],
      [4, 0, 1, 1],
      [-1, 2, 1, 0],
      [1, 0, 3, 0],
      [1, 3, 1, 1],
      [1, 1, 1, 2],
      [-2, 2, 0, 0],
      [3, 0, 2, 0],
      [5, 1, 1, 0],
      [1, 1, 0, 0],
      [-2, 0, 1, 0],
      [1, 0, 0, 1],
    ];
    const [x, y, t] = [0.7, -0.4, 0.3];
    const hand = {
      u:
        x ** 5 +
        2 * x ** 3 * y -
        3 * x * y ** 2 +
        x ** 2 * t +
        4 * y * t -
        x ** 2 * y +
        y ** 3 +
        x ** 3 * y * t +
        x * y * t ** 2 -
        2 * x ** 2 +
        3 * y ** 2 +
        5 * x * y +
        x -
        2 * y +
        t,
      u_x:
        5 * x ** 4 +
        6 * x ** 2 * y -
        3 * y ** 2 +
        2 * x * t -
        2 * x * y +
        3 * x ** 2 * y * t +
        y * t ** 2 -
        4 * x +
        5 * y +
        1,
      u_y:
        2 * x ** 3 -
        6 * x * y +
        4 * t -
        x ** 2 +
        3 * y ** 2 +
        x ** 3 * t +
        x * t ** 2 +
        6 * y +
        5 * x -
        2,
      u_xx: 20 * x ** 3 + 12 * x * y + 2 * t - 2 * y + 6 * x * y * t - 4,
      u_xy: 6 * x ** 2 - 6 * y - 2 * x + 3 * x ** 2 * t + t ** 2 + 5,
      u_yy: -6 * x + 6 * y + 6,
      u_ty: 4 + x ** 3 + 2 * x * t,
      u_xxxy: 12 + 6 * t,
    };
    const q = polynomialQuantities(operator, terms, [x, y, t]);
    expectClose(q.u[0], hand.u, 'u');
    expectClose(q.u_x[0], hand.u_x, 'u_x');
    expectClose(q.u_y[0], hand.u_y, 'u_y');
    expectClose(q.u_xx[0], hand.u_xx, 'u_xx');
    expectClose(q.u_xy[0], hand.u_xy, 'u_xy');
    expectClose(q.u_yy[0], hand.u_yy, 'u_yy');
    expectClose(q['u_ty+u_xxxy'][0], hand.u_ty + hand.u_xxxy, 'u_ty + u_xxxy');
    const residual =
      hand.u_ty +
      hand.u_xxxy +
      3 * (hand.u_xy * hand.u_x + hand.u_y * hand.u_xx) -
      hand.u_xx +
      2 * hand.u_yy;
    expectClose(evaluateResiduals(kdv2d.residuals, q)[0][0], residual, 'residual');
  });
});

describe('2-D KP: (u_t + 6uu_x + u_xxx)_x + 3u_yy', () => {
  const coordinates = { x: 0, y: 1, t: 2 };
  const operator = kp2dOperator();

  it('two 4-jets; each quantity is exactly its partials', () => {
    expect(operator.order).toBe(4);
    expect(operator.directions).toBe(2);
    expectSymbolic(operator, coordinates, {
      u: { '': 1 },
      u_x: { x: 1 },
      u_xx: { xx: 1 },
      'u_tx+u_xxxx': { tx: 1, xxxx: 1 },
      u_yy: { yy: 1 },
    });
  });

  it('exact on a hand-differentiated polynomial', () => {
    // u = x⁵ − 2x⁴y + x²t + 3xyt − xt² + x²y² + 2y³ − y²t + x³ + t
    const terms: Monomial[] = [
      [1, 5, 0, 0],
      [-2, 4, 1, 0],
      [1, 2, 0, 1],
      [3, 1, 1, 1],
      [-1, 1, 0, 2],
      [1, 2, 2, 0],
      [2, 0, 3, 0],
      [-1, 0, 2, 1],
      [1, 3, 0, 0],
      [1, 0, 0, 1],
    ];
    const [x, y, t] = [-0.6, 0.45, 0.8];
    const hand = {
      u:
        x ** 5 -
        2 * x ** 4 * y +
        x ** 2 * t +
        3 * x * y * t -
        x * t ** 2 +
        x ** 2 * y ** 2 +
        2 * y ** 3 -
        y ** 2 * t +
        x ** 3 +
        t,
      u_x:
        5 * x ** 4 - 8 * x ** 3 * y + 2 * x * t + 3 * y * t - t ** 2 + 2 * x * y ** 2 + 3 * x ** 2,
      u_xx: 20 * x ** 3 - 24 * x ** 2 * y + 2 * t + 2 * y ** 2 + 6 * x,
      u_xxxx: 120 * x - 48 * y,
      u_tx: 2 * x + 3 * y - 2 * t,
      u_yy: 2 * x ** 2 + 12 * y - 2 * t,
    };
    const q = polynomialQuantities(operator, terms, [x, y, t]);
    expectClose(q.u[0], hand.u, 'u');
    expectClose(q.u_x[0], hand.u_x, 'u_x');
    expectClose(q.u_xx[0], hand.u_xx, 'u_xx');
    expectClose(q['u_tx+u_xxxx'][0], hand.u_tx + hand.u_xxxx, 'u_tx + u_xxxx');
    expectClose(q.u_yy[0], hand.u_yy, 'u_yy');
    const residual =
      hand.u_tx + 6 * (hand.u_x ** 2 + hand.u * hand.u_xx) + hand.u_xxxx + 3 * hand.u_yy;
    expectClose(evaluateResiduals(kp2d.residuals, q)[0][0], residual, 'residual');
  });
});

describe('1-D gradient-enhanced KdV: r = u_t + uu_x + 0.0025u_xxx, r_x, r_t', () => {
  const coordinates = { x: 0, t: 1 };
  const operator = gkdv1dOperator();

  it('three 5-jets; each quantity is exactly its partial', () => {
    expectSymbolic(operator, coordinates, {
      u: { '': 1 },
      u_x: { x: 1 },
      u_t: { t: 1 },
      u_xx: { xx: 1 },
      u_xxx: { xxx: 1 },
      u_tx: { tx: 1 },
      u_tt: { tt: 1 },
      u_xxxx: { xxxx: 1 },
      u_txxx: { txxx: 1 },
    });
  });

  it('exact on a hand-differentiated polynomial, residual and its gradient included', () => {
    // u = x⁵ + x³t + 2xt² − x²t + 3x⁴ − t² + xt³ + 2x³ − xt + t + x⁴t
    const terms: Monomial[] = [
      [1, 5, 0],
      [1, 3, 1],
      [2, 1, 2],
      [-1, 2, 1],
      [3, 4, 0],
      [-1, 0, 2],
      [1, 1, 3],
      [2, 3, 0],
      [-1, 1, 1],
      [1, 0, 1],
      [1, 4, 1],
    ];
    const [x, t] = [0.55, -0.35];
    const hand = {
      u:
        x ** 5 +
        x ** 3 * t +
        2 * x * t ** 2 -
        x ** 2 * t +
        3 * x ** 4 -
        t ** 2 +
        x * t ** 3 +
        2 * x ** 3 -
        x * t +
        t +
        x ** 4 * t,
      u_x:
        5 * x ** 4 +
        3 * x ** 2 * t +
        2 * t ** 2 -
        2 * x * t +
        12 * x ** 3 +
        t ** 3 +
        6 * x ** 2 -
        t +
        4 * x ** 3 * t,
      u_t: x ** 3 + 4 * x * t - x ** 2 - 2 * t + 3 * x * t ** 2 - x + 1 + x ** 4,
      u_xx: 20 * x ** 3 + 6 * x * t - 2 * t + 36 * x ** 2 + 12 * x + 12 * x ** 2 * t,
      u_xxx: 60 * x ** 2 + 6 * t + 72 * x + 12 + 24 * x * t,
      u_tx: 3 * x ** 2 + 4 * t - 2 * x + 3 * t ** 2 - 1 + 4 * x ** 3,
      u_tt: 4 * x - 2 + 6 * x * t,
      u_xxxx: 120 * x + 72 + 24 * t,
      u_txxx: 6 + 24 * x,
    };
    const q = polynomialQuantities(operator, terms, [x, t]);
    for (const [name, value] of Object.entries(hand)) expectClose(q[name][0], value, name);
    const beta = 0.0025;
    const [r, rx, rt] = evaluateResiduals(gkdv1d.residuals, q);
    expectClose(r[0], hand.u_t + hand.u * hand.u_x + beta * hand.u_xxx, 'r');
    expectClose(rx[0], hand.u_tx + hand.u_x ** 2 + hand.u * hand.u_xx + beta * hand.u_xxxx, 'r_x');
    expectClose(
      rt[0],
      hand.u_tt + hand.u_t * hand.u_x + hand.u * hand.u_tx + beta * hand.u_txxx,
      'r_t',
    );
  });
});
