/**
 * Operator constructions of DESIGN.md §3 checked exactly: the Gaussian biharmonic estimator by
 * Gauss–Hermite quadrature, and the jet Laplacian against a Hessian built by polarization.
 */
import { describe, expect, it } from 'vitest';
import { combine, expectClose, unit } from './expectClose.ts';
import { Polynomial } from './polynomial.ts';
import { pushCurve } from '../../../src/jet/jet.ts';
import {
  type AnyMlpParameters,
  BOUNDARY_FACTORS,
  initParameters,
  type MlpArchitecture,
} from '../../../src/jet/mlp.ts';
import { referenceForwardJet } from '../../../src/jet/referenceJet.ts';
import { SeededRandom } from '../../../src/jet/seededRandom.ts';

const D = 3;
const POINT = [0.25, -0.4, 0.35];

/**
 * E_{v~N(0,I)}[f(v)] for a polynomial f of degree ≤ 5 in each coordinate, exactly: the 3-node
 * probabilists' Gauss–Hermite rule (nodes 0, ±√3, weights 2/3, 1/6) on each of the d axes.
 */
function gaussianExpectation(d: number, f: (v: Float64Array) => number): number {
  const nodes = [-Math.sqrt(3), 0, Math.sqrt(3)];
  const weights = [1 / 6, 2 / 3, 1 / 6];
  let sum = 0;
  for (let index = 0; index < 3 ** d; index++) {
    const v = new Float64Array(d);
    let w = 1;
    for (let a = 0, rest = index; a < d; a++, rest = Math.floor(rest / 3)) {
      v[a] = nodes[rest % 3];
      w *= weights[rest % 3];
    }
    sum += w * f(v);
  }
  return sum;
}

/** J_order of output 0 along the jet with first tangent v and no others. */
function directional(
  arch: MlpArchitecture,
  params: AnyMlpParameters,
  v: ArrayLike<number>,
  order: number,
) {
  const tangents = Array.from({ length: order }, (_, i) => (i === 0 ? v : null));
  return referenceForwardJet(arch, params, { point: POINT, tangents }).derivatives[0][order];
}

describe('Gaussian biharmonic: E_v[J_4[v]] = 3Δ²u, exact by Gauss–Hermite over 3^d directions', () => {
  it('quadrature sanity: E[v_a⁴] = 3, E[v_a² v_b²] = 1, E[v_a v_b] = 0', () => {
    expectClose(
      gaussianExpectation(D, (v) => v[0] ** 4),
      3,
      1e-14,
    );
    expectClose(
      gaussianExpectation(D, (v) => v[0] ** 2 * v[2] ** 2),
      1,
      1e-14,
    );
    expectClose(
      gaussianExpectation(D, (v) => v[0] * v[1]),
      0,
      1e-14,
    );
  });

  it('on a dense degree-6 polynomial in 3 variables, Δ²u = Σ_{a,b} u_aabb taken symbolically (tolerance 1e-11)', () => {
    const p = Polynomial.dense(D, 6, new SeededRandom(8));
    let biharmonic = 0;
    for (let a = 0; a < D; a++) {
      for (let b = 0; b < D; b++) biharmonic += p.partial(a, a, b, b).evaluate(POINT);
    }
    const estimate = gaussianExpectation(
      D,
      (v) => p.alongJet(pushCurve(POINT, [v, null, null, null])).derivatives()[4],
    );
    expectClose(estimate, 3 * biharmonic, 1e-11, 'E[J_4] vs 3Δ²u');
  });

  for (const [activation, boundary] of [
    ['tanh', 'ball2'],
    ['sin', 'none'],
    ['softplus', 'ball'],
  ] as const) {
    it(`on an MLP (${activation}, ${boundary}) against Δ²u from polarized 4-jets (tolerance 1e-9)`, () => {
      const arch: MlpArchitecture = { widths: [D, 6, 5, 1], activation, boundary };
      const params = initParameters(arch, 41);
      const J4 = (v: ArrayLike<number>) => directional(arch, params, v, 4);
      // J_4[e_a ± e_b] = u_aaaa ± 4u_aaab + 6u_aabb ± 4u_abbb + u_bbbb, so the sum of the two
      // isolates u_aabb = (J_4[e_a + e_b] + J_4[e_a − e_b] − 2u_aaaa − 2u_bbbb)/12.
      const pure = Array.from({ length: D }, (_, a) => J4(unit(D, a)));
      let biharmonic = 0;
      for (let a = 0; a < D; a++) {
        for (let b = 0; b < D; b++) {
          if (a === b) {
            biharmonic += pure[a];
          } else {
            const sum =
              J4(combine(1, unit(D, a), 1, unit(D, b))) +
              J4(combine(1, unit(D, a), -1, unit(D, b)));
            biharmonic += (sum - 2 * pure[a] - 2 * pure[b]) / 12;
          }
        }
      }
      const estimate = gaussianExpectation(D, J4);
      expect(Math.abs(biharmonic)).toBeGreaterThan(1e-3);
      expectClose(estimate, 3 * biharmonic, 1e-9, 'E[J_4] vs 3Δ²u');
    });
  }
});

describe('jet Laplacian and the Hessian from d(d+1)/2 2-jets (no finite differences)', () => {
  const widths = [D, 6, 5, 1];

  /** H_ii = J_2[e_i]; H_ij from J_2[e_i + e_j] = u_ii + 2u_ij + u_jj. */
  function polarizedHessian(arch: MlpArchitecture, params: AnyMlpParameters): number[][] {
    const J2 = (v: ArrayLike<number>) => directional(arch, params, v, 2);
    const H = Array.from({ length: D }, () => new Array<number>(D).fill(0));
    for (let i = 0; i < D; i++) H[i][i] = J2(unit(D, i));
    for (let i = 0; i < D; i++) {
      for (let j = i + 1; j < D; j++) {
        H[i][j] = H[j][i] = (J2(combine(1, unit(D, i), 1, unit(D, j))) - H[i][i] - H[j][j]) / 2;
      }
    }
    return H;
  }

  const trace = (H: number[][]) => H.reduce((s, row, i) => s + row[i], 0);
  const quadratic = (H: number[][], v: ArrayLike<number>) =>
    H.reduce((s, row, i) => s + row.reduce((t, h, j) => t + v[i] * h * v[j], 0), 0);

  for (const boundary of BOUNDARY_FACTORS) {
    it(`boundary ${boundary}: J_2[v] = vᵀHv for dense v, and the exhaustive Rademacher mean of J_2 = tr H = Σ_i J_2[e_i] (tolerance 1e-12)`, () => {
      const arch: MlpArchitecture = { widths, activation: 'tanh', boundary };
      const params = initParameters(arch, 43);
      const H = polarizedHessian(arch, params);
      const laplacian = Array.from({ length: D }, (_, i) =>
        directional(arch, params, unit(D, i), 2),
      ).reduce((s, x) => s + x, 0);
      expectClose(laplacian, trace(H), 1e-12, 'Σ J_2[e_i] vs tr H');
      const random = new SeededRandom(4);
      for (let trial = 0; trial < 5; trial++) {
        const v = Float64Array.from({ length: D }, () => random.normal());
        expectClose(directional(arch, params, v, 2), quadratic(H, v), 1e-12, 'J_2[v] vs vᵀHv');
      }
      let hutchinson = 0;
      for (let signs = 0; signs < 2 ** D; signs++) {
        const v = Float64Array.from({ length: D }, (_, a) => ((signs >> a) & 1 ? -1 : 1));
        hutchinson += directional(arch, params, v, 2) / 2 ** D;
      }
      expectClose(hutchinson, trace(H), 1e-12, 'Rademacher mean vs tr H');
    });
  }

  it('the boundary factors obey the product rule: Δ(b·m) = Δb·m + 2∇b·∇m + b·Δm (tolerance 1e-12)', () => {
    // m is the same network without a factor; its gradient comes from 1-jets and its Laplacian from
    // 2-jets. b = 1 − ‖x‖² has ∇b = −2x, Δb = −2d; b² has ∇(b²) = −4b·x, Δ(b²) = 8‖x‖² − 4d·b.
    const plain: MlpArchitecture = { widths, activation: 'sin', boundary: 'none' };
    const params = initParameters(plain, 47);
    const m = referenceForwardJet(plain, params, { point: POINT, tangents: [] }).coefficients[0][0];
    const gradM = Array.from({ length: D }, (_, i) => directional(plain, params, unit(D, i), 1));
    const lapM = Array.from({ length: D }, (_, i) =>
      directional(plain, params, unit(D, i), 2),
    ).reduce((s, x) => s + x, 0);
    const r2 = POINT.reduce((s, x) => s + x * x, 0);
    const b = 1 - r2;
    const xDotGradM = POINT.reduce((s, x, i) => s + x * gradM[i], 0);
    const expected = {
      ball: -2 * D * m + 2 * -2 * xDotGradM + b * lapM,
      ball2: (8 * r2 - 4 * D * b) * m + 2 * -4 * b * xDotGradM + b * b * lapM,
    };
    for (const boundary of ['ball', 'ball2'] as const) {
      const arch = { ...plain, boundary };
      const laplacian = Array.from({ length: D }, (_, i) =>
        directional(arch, params, unit(D, i), 2),
      ).reduce((s, x) => s + x, 0);
      expectClose(laplacian, expected[boundary], 1e-12, boundary);
    }
  });
});
