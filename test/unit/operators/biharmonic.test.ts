/**
 * The biharmonic Δ²u: the exact polarization construction checked symbolically, on a polynomial
 * with a hand-computed Δ², and on the network against a finite-difference Laplacian of the exact
 * jet Laplacian; the Gaussian estimator unbiased within 4 standard errors.
 */
import { describe, expect, it } from 'vitest';
import { pushCurve } from '../../../src/jet/jet.ts';
import { biharmonicOperator } from '../../../src/operators/biharmonic.ts';
import { fixedJetTangents } from '../../../src/operators/fixedTangents.ts';
import { directional, network, repeatedEstimates, summarize, unit } from './network.ts';
import { polynomialAlongJet, type Monomial } from './polynomials.ts';
import { partialKey, symbolicQuantity } from './symbolicJets.ts';

describe('exact biharmonic by polarization', () => {
  const operator = biharmonicOperator({ dimension: 3, method: 'exact' });
  if (operator.draw.kind !== 'fixed') throw new Error('fixed jets expected');
  const jets = operator.draw.jets;

  it('uses d² jets and is exactly Σ_i u_iiii + 2Σ_{i<j} u_iijj (symbolic)', () => {
    expect(operator.directions).toBe(9);
    expect(operator.collapsible).toBe(false);
    const c = { x: 0, y: 1, z: 2 };
    const actual = symbolicQuantity(jets, 4, operator.quantities[0].terms);
    const expected = { xxxx: 1, yyyy: 1, zzzz: 1, xxyy: 2, xxzz: 2, yyzz: 2 };
    expect(actual.size).toBe(6);
    for (const [letters, value] of Object.entries(expected)) {
      expect(actual.get(partialKey(letters, c))).toBeCloseTo(value, 12);
    }
  });

  it('is exact on a polynomial: Δ²(x⁴ + x²y² + 2y²z² − z⁴/2 + x³y + xyz² + x⁵ + x³z² + y⁴z + x²y) = 36 + 144x + 24z', () => {
    const terms: Monomial[] = [
      [1, 4, 0, 0],
      [1, 2, 2, 0],
      [2, 0, 2, 2],
      [-0.5, 0, 0, 4],
      [1, 3, 1, 0],
      [1, 1, 1, 2],
      [1, 5, 0, 0],
      [1, 3, 0, 2],
      [1, 0, 4, 1],
      [1, 2, 1, 0],
    ];
    const point = [0.4, -0.7, 0.2];
    const J4 = jets.map(
      (jet) =>
        polynomialAlongJet(terms, pushCurve(point, fixedJetTangents(jet, 3, 4))).derivatives()[4],
    );
    const value = operator.quantities[0].terms.reduce(
      (s, t) => s + t.scale * J4[t.direction as number],
      0,
    );
    const exact = 36 + 144 * point[0] + 24 * point[2];
    expect(Math.abs(value - exact)).toBeLessThan(1e-12 * Math.abs(exact));
  });
});

describe('biharmonic on the network [d, 16, 16, 1]', () => {
  it('exact (d = 3) matches the finite-difference Laplacian of the jet Laplacian (1e-4)', async () => {
    const net = network([3, 16, 16, 1]);
    const point = [0.2, -0.3, 0.15];
    const [value] = await repeatedEstimates(
      net,
      biharmonicOperator({ dimension: 3, method: 'exact' }),
      point,
      1,
      [0],
    );
    const laplacian = (x: number[]) =>
      [0, 1, 2].reduce((s, i) => s + directional(net, x, unit(3, i), 2), 0);
    const h = 5e-3;
    let fd = 0;
    for (let i = 0; i < 3; i++) {
      const plus = point.map((x, j) => (j === i ? x + h : x));
      const minus = point.map((x, j) => (j === i ? x - h : x));
      fd += (laplacian(plus) - 2 * laplacian(point) + laplacian(minus)) / (h * h);
    }
    expect(Math.abs(value - fd)).toBeLessThan(1e-4 * Math.max(1, Math.abs(value)));
  });

  // Network seed 1: Δ²u ≈ 5.9 against a per-estimate standard deviation ≈ 6.8, so a wrong
  // constant (no 1/3, or the STDE paper's spurious factor d) would be dozens of SE away.
  it('Gaussian 4-jets (B = 2, d = 5): (1/(3B))·Σ J_4[v] is unbiased (4 SE)', async () => {
    const net = network([5, 16, 16, 1], 1);
    const point = [0.3, -0.2, 0.1, 0.25, -0.15];
    const [exact] = await repeatedEstimates(
      net,
      biharmonicOperator({ dimension: 5, method: 'exact' }),
      point,
      1,
      [0],
    );
    const gaussian = biharmonicOperator({ dimension: 5, method: 'gaussian', samples: 2 });
    expect(gaussian.collapsible).toBe(true);
    const s = summarize(await repeatedEstimates(net, gaussian, point, 1500, [1, 2]));
    console.log(
      `biharmonic gaussian B=2: mean ${s.mean.toPrecision(5)} (exact ${exact.toPrecision(5)}, SE ${s.standardError.toExponential(2)}), variance ${s.variance.toPrecision(4)}`,
    );
    expect(Math.abs(s.mean - exact)).toBeLessThan(4 * s.standardError);
  });
});
