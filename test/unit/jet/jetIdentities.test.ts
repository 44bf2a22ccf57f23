/**
 * The mixed-partial identities of DESIGN.md §3, checked on polynomials whose partial derivatives are
 * known independently (written by hand, or taken symbolically monomial by monomial). A polynomial with
 * every monomial up to degree 7 makes any partial that should not leak into J_k show up if it does.
 */
import { describe, expect, it } from 'vitest';
import { expectClose, unit } from './expectClose.ts';
import { Polynomial } from './polynomial.ts';
import { pushCurve } from '../../../src/jet/jet.ts';
import { SeededRandom } from '../../../src/jet/seededRandom.ts';

const TOL = 1e-11;

type Tangents = (Float64Array | null)[];

/** Tangents of a K-jet with v_k = given vectors at the given orders, zero elsewhere. */
function tangents(order: number, nonzero: Record<number, Float64Array>): Tangents {
  return Array.from({ length: order }, (_, i) => nonzero[i + 1] ?? null);
}

/** J_0..J_K of the polynomial along the jet. */
function jetDerivatives(p: Polynomial, point: number[], t: Tangents): Float64Array {
  return p.alongJet(pushCurve(point, t)).derivatives();
}

// u(x, t) = x⁴t − 2x³t² + x⁷/7 + 3xt³ + t² − x, with its partials differentiated by hand.
const X = 0;
const T = 1;
const hand = new Polynomial(2, [
  { coefficient: 1, powers: [4, 1] },
  { coefficient: -2, powers: [3, 2] },
  { coefficient: 1 / 7, powers: [7, 0] },
  { coefficient: 3, powers: [1, 3] },
  { coefficient: 1, powers: [0, 2] },
  { coefficient: -1, powers: [1, 0] },
]);
const handPartials = (x: number, t: number) => ({
  u: x ** 4 * t - 2 * x ** 3 * t ** 2 + x ** 7 / 7 + 3 * x * t ** 3 + t ** 2 - x,
  x: 4 * x ** 3 * t - 6 * x ** 2 * t ** 2 + x ** 6 + 3 * t ** 3 - 1,
  t: x ** 4 - 4 * x ** 3 * t + 9 * x * t ** 2 + 2 * t,
  xx: 12 * x ** 2 * t - 12 * x * t ** 2 + 6 * x ** 5,
  tt: -4 * x ** 3 + 18 * x * t + 2,
  xt: 4 * x ** 3 - 12 * x ** 2 * t + 9 * t ** 2,
  xxx: 24 * x * t - 12 * t ** 2 + 30 * x ** 4,
  xxt: 12 * x ** 2 - 24 * x * t,
  ttx: -12 * x ** 2 + 18 * t,
  xxxx: 24 * t + 120 * x ** 3,
  xxxt: 24 * x - 24 * t,
  x5: 360 * x ** 2,
  x6: 720 * x,
  x7: 720,
});

describe('jet identities on a hand-differentiated polynomial (tolerance 1e-11 relative)', () => {
  const point = [0.7, -0.4];
  const h = handPartials(point[0], point[1]);
  const ex = unit(2, X);
  const et = unit(2, T);

  it('the symbolic differentiator agrees with the hand partials', () => {
    const at = (q: Polynomial) => q.evaluate(point);
    expectClose(at(hand), h.u, TOL, 'u');
    expectClose(at(hand.partial(X, T)), h.xt, TOL, 'u_xt');
    expectClose(at(hand.partial(X, X, X, T)), h.xxxt, TOL, 'u_xxxt');
    expectClose(at(hand.partial(T, T, X)), h.ttx, TOL, 'u_ttx');
    expectClose(at(hand.partial(X, X, X, X, X, X, X)), h.x7, TOL, 'u_x⁷');
  });

  it('7-jet, v_1 = e_x: J_n = ∂^n u/∂x^n', () => {
    const J = jetDerivatives(hand, point, tangents(7, { 1: ex }));
    const expected = [h.u, h.x, h.xx, h.xxx, h.xxxx, h.x5, h.x6, h.x7];
    expected.forEach((e, n) => expectClose(J[n], e, TOL, `J_${n}`));
  });

  it('7-jet, v_2 = e_i, v_3 = e_j: J_3 = u_j, J_4 = 3u_ii, J_7 = 105u_iij (also i = j)', () => {
    const cases = [
      { vi: ex, vj: et, uj: h.t, uii: h.xx, uiij: h.xxt },
      { vi: et, vj: ex, uj: h.x, uii: h.tt, uiij: h.ttx },
      { vi: ex, vj: ex, uj: h.x, uii: h.xx, uiij: h.xxx },
    ];
    for (const { vi, vj, uj, uii, uiij } of cases) {
      const J = jetDerivatives(hand, point, tangents(7, { 2: vi, 3: vj }));
      expectClose(J[3], uj, TOL, 'J_3');
      expectClose(J[4], 3 * uii, TOL, 'J_4');
      expectClose(J[7], 105 * uiij, TOL, 'J_7');
    }
  });

  it('5-jet, v_2 = e_t, v_3 = e_x: J_5 = 10u_xt', () => {
    const J = jetDerivatives(hand, point, tangents(5, { 2: et, 3: ex }));
    expectClose(J[5], 10 * h.xt, TOL, 'J_5');
  });

  it('7-jet, v_1 = e_x, v_4 = e_t: J_4 = u_xxxx + u_t, J_5 = u_xxxxx + 5u_xt, J_7 = ∂⁷_x u + 35u_xxxt', () => {
    const J = jetDerivatives(hand, point, tangents(7, { 1: ex, 4: et }));
    expectClose(J[4], h.xxxx + h.t, TOL, 'J_4');
    expectClose(J[5], h.x5 + 5 * h.xt, TOL, 'J_5');
    expectClose(J[7], h.x7 + 35 * h.xxxt, TOL, 'J_7');
  });
});

describe('jet identities on a dense random polynomial in 3 variables, degree 7 (tolerance 1e-11 relative)', () => {
  const p = Polynomial.dense(3, 7, new SeededRandom(314));
  const point = [0.3, -0.6, 0.8];
  const d = (...indices: number[]) => p.partial(...indices).evaluate(point);
  const e = (i: number) => unit(3, i);

  it('has every monomial of degree ≤ 7', () => {
    expect(p.terms.length).toBe(120);
  });

  it('7-jet, v_1 = e_i: J_n = ∂^n u/∂x_i^n', () => {
    for (let i = 0; i < 3; i++) {
      const J = jetDerivatives(p, point, tangents(7, { 1: e(i) }));
      for (let n = 0; n <= 7; n++) {
        expectClose(J[n], d(...Array<number>(n).fill(i)), TOL, `i=${i}, J_${n}`);
      }
    }
  });

  it('7-jet, v_2 = e_i, v_3 = e_j: J_3 = u_j, J_4 = 3u_ii, J_7 = 105u_iij for all i, j', () => {
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const J = jetDerivatives(p, point, tangents(7, { 2: e(i), 3: e(j) }));
        expectClose(J[3], d(j), TOL, `i=${i} j=${j} J_3`);
        expectClose(J[4], 3 * d(i, i), TOL, `i=${i} j=${j} J_4`);
        expectClose(J[7], 105 * d(i, i, j), TOL, `i=${i} j=${j} J_7`);
      }
    }
  });

  it('5-jet, v_2 = e_t, v_3 = e_x: J_5 = 10u_xt for every pair', () => {
    for (let t = 0; t < 3; t++) {
      for (let x = 0; x < 3; x++) {
        if (t === x) continue;
        const J = jetDerivatives(p, point, tangents(5, { 2: e(t), 3: e(x) }));
        expectClose(J[5], 10 * d(x, t), TOL, `t=${t} x=${x}`);
      }
    }
  });

  it('7-jet, v_1 = e_x, v_4 = e_t: J_4 = u_xxxx + u_t, J_5 = u_xxxxx + 5u_xt, J_7 = ∂⁷_x u + 35u_xxxt', () => {
    for (let t = 0; t < 3; t++) {
      for (let x = 0; x < 3; x++) {
        if (t === x) continue;
        const J = jetDerivatives(p, point, tangents(7, { 1: e(x), 4: e(t) }));
        expectClose(J[4], d(x, x, x, x) + d(t), TOL, 'J_4');
        expectClose(J[5], d(x, x, x, x, x) + 5 * d(x, t), TOL, 'J_5');
        expectClose(J[7], d(x, x, x, x, x, x, x) + 35 * d(x, x, x, t), TOL, 'J_7');
      }
    }
  });

  it('a wrong construction leaks: 6-jet with v_2 = e_x, v_3 = e_t has J_6 = 15u_xxx + 10u_tt', () => {
    // Partitions of 6 from parts {2, 3}: 2+2+2 and 3+3. The jet cannot isolate either partial, which
    // is the "unique partition" rule of DESIGN.md §3 seen from the failing side.
    const J = jetDerivatives(p, point, tangents(6, { 2: e(0), 3: e(1) }));
    expectClose(J[6], 15 * d(0, 0, 0) + 10 * d(1, 1), TOL, 'J_6');
  });
});
