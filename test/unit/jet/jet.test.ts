import { describe, expect, it } from 'vitest';
import { expectClose } from './expectClose.ts';
import { Jet, pushCurve, sumJets } from '../../../src/jet/jet.ts';

const TOL = 1e-14;

describe('Jet arithmetic along a curve', () => {
  it('pushCurve stores c_k = v_k/k! and zero for null tangents', () => {
    const [x, y] = pushCurve([0.5, -1], [[1, 2], null, [6, -12]]);
    expect(Array.from(x.coeffs)).toEqual([0.5, 1, 0, 1]);
    expect(Array.from(y.coeffs)).toEqual([-1, 2, 0, -2]);
    expect(Array.from(x.derivatives())).toEqual([0.5, 1, 0, 6]);
    expect(() => pushCurve([0, 0], [[1]])).toThrow(/tangent v_1 has length 1/);
  });

  it('order 0 is a plain value', () => {
    const [x] = pushCurve([2], []);
    expect(x.order).toBe(0);
    expect(x.mul(x).add(1).value).toBe(5);
  });

  it('satisfies algebraic identities of elementary functions (tolerance 1e-14)', () => {
    const [x, y] = pushCurve(
      [0.3, -0.8],
      [[1, 0.5], [0.2, -1], null, [0.7, 0.1], null, null, [1, 1]],
    );
    const z = x.mul(y).add(x.pow(3));
    const one = z.sin().pow(2).add(z.cos().pow(2));
    const alsoOne = z.exp().mul(z.neg().exp());
    const ratio = z.add(2).div(z.add(2));
    for (const jet of [one, alsoOne, ratio]) {
      expectClose(jet.value, 1, TOL);
      for (let k = 1; k <= 7; k++) expectClose(jet.coeffs[k], 0, TOL, `t^${k}`);
    }
    expect(Array.from(z.div(2).coeffs)).toEqual(Array.from(z.scale(0.5).coeffs));
    expect(Array.from(z.sub(z).coeffs).every((c) => c === 0)).toBe(true);
  });

  it('along v_1 = e_x, the jet of x^n has J_k = n!/(n−k)!·x^{n−k} (tolerance 1e-14)', () => {
    const x0 = 0.7;
    const [x] = pushCurve([x0], [[1], null, null, null, null, null]);
    const J = x.pow(5).derivatives();
    const falling = (n: number, k: number) => {
      let p = 1;
      for (let i = 0; i < k; i++) p *= n - i;
      return p;
    };
    for (let k = 0; k <= 6; k++) expectClose(J[k], falling(5, k) * x0 ** (5 - k), TOL, `J_${k}`);
  });

  it('sums jets', () => {
    const jets = [Jet.constant(1, 2), Jet.constant(2, 2)];
    expect(Array.from(sumJets(jets, 2).coeffs)).toEqual([3, 0, 0]);
    expect(Array.from(sumJets([], 1).coeffs)).toEqual([0, 0]);
  });
});
