/**
 * The gPINN estimators of gpinnResidual.ts on the float64 reference engine, two-body Allen–Cahn,
 * d = 4, B = 2 sampled i per draw, two draws sharing each point's sampled j, 16 fixed points,
 * over many jet seeds. The exact values come from the same network by other jets: u_j = J_1[e_j]
 * and ∂_jΔu = Σ_i u_iij with u_iij from 3-jets by polarization (J_3[e_i + e_j] − J_3[e_i − e_j]
 * = 6u_iij + 2u_jjj), f and ∂_j f in closed form.
 *   ∂_j r̂ is unbiased: its error against the exact ∂_j r at the drawn j has mean within 4 SE of 0,
 *     and the same SE would resolve a 5 % scale error of ∂_jΔ̂u (the test can see such a bias).
 *   The two-draw term mean_p ∂_j r̂₁·∂_j r̂₂ is unbiased for mean_p (1/d)·‖∇r_p‖² (4 SE), and,
 *     paired seed by seed with the exact mean_p (∂_j r_p)² at the drawn j's (which removes the
 *     j-sampling variance), its excess is within 4 SE of 0, while the one-draw term
 *     mean_p (∂_j r̂₁)² of the same jets is more than 4 SE above (its excess is the mean variance of
 *     ∂_jΔ̂u): the control that shows the test sees a bias of that size.
 * The first layer's gain 3 spreads the third partials so that variance is large (as in
 * unbiasedSparseLoss.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ReferenceJetEngine } from '../../../src/engine/referenceEngine.ts';
import { initParameters, type MlpArchitecture } from '../../../src/jet/mlp.ts';
import { operatorBatch } from '../../../src/operators/batch.ts';
import {
  gradientCoordinates,
  laplacianGradientOperator,
} from '../../../src/operators/laplacianGradient.ts';
import { ballSource, ballSourceGradient } from '../../../src/pdes/ballProblem.ts';
import { type BallPdeEntry, findPde } from '../../../src/pdes/index.ts';
import { meanSquare } from '../../../src/pdes/losses.ts';
import {
  gpinnLoss,
  gpinnResiduals,
  gpinnRowWeights,
  gpinnSources,
  gpinnTerm,
} from '../../../src/train/gpinnResidual.ts';
import { directional, type Network, summarize, unit } from '../operators/network.ts';
import { ballPoints } from '../pdes/points.ts';

const d = 4;
const B = 2;
const N = 16;
const SEEDS = 1500;

function allenCahn(): BallPdeEntry {
  const pde = findPde('allen-cahn-two-body');
  if (pde.domain !== 'ball') throw new Error('a ball problem');
  return pde;
}

/** The network [4, 16, 16, 1], first-layer gain 3, and `count` fixed points in the ball. */
function setup(count: number): { net: Network; points: Float64Array[]; x: Float64Array } {
  const arch: MlpArchitecture = { widths: [d, 16, 16, 1], activation: 'tanh', boundary: 'ball' };
  const params = initParameters(arch, 3, 3);
  const points = ballPoints(d, count, 12);
  const x = Float64Array.from(points.flatMap((p) => Array.from(p)));
  return { net: { arch, params, engine: new ReferenceJetEngine(arch, params) }, points, x };
}

/** Exact ∂_j r at every point and coordinate, [p][j], from the network's own float64 jets. */
function exactResidualGradients(
  net: Network,
  points: readonly Float64Array[],
  c: Float64Array,
): number[][] {
  const pde = allenCahn();
  const n = pde.nonlinearity;
  return points.map((x) => {
    const u = directional(net, x, unit(d, 0), 0);
    return Array.from({ length: d }, (_, j) => {
      const ujjj = directional(net, x, unit(d, j), 3);
      let laplacianJ = ujjj;
      for (let i = 0; i < d; i++) {
        if (i === j) continue;
        const [plus, minus] = [unit(d, i), unit(d, i)];
        plus[j] = 1;
        minus[j] = -1;
        laplacianJ += (directional(net, x, plus, 3) - directional(net, x, minus, 3) - 2 * ujjj) / 6;
      }
      const uJ = directional(net, x, unit(d, j), 1);
      return laplacianJ + n.derivative(u) * uJ - ballSourceGradient(pde.solution, n, x, c, j);
    });
  });
}

describe('the gPINN term on the reference engine (d = 4, B = 2, two draws)', () => {
  it(`∂_j r̂ and mean ∂_j r̂₁·∂_j r̂₂ are unbiased over ${SEEDS} jet seeds (4 SE); mean (∂_j r̂)² is not`, async () => {
    const pde = allenCahn();
    const { net, points, x } = setup(N);
    const c = pde.coefficients(d, 3);
    const exact = exactResidualGradients(net, points, c);
    const exactTerm = exact.reduce((s, g) => s + g.reduce((a, v) => a + v * v, 0) / d, 0) / N;

    const operator = laplacianGradientOperator({ dimension: d, samples: B, draws: 2 });
    const weights = gpinnRowWeights(d, B, 2);
    const errors = new Float64Array(SEEDS);
    const scaleProbe = new Float64Array(SEEDS);
    const unbiased = new Float64Array(SEEDS);
    const unbiasedExcess = new Float64Array(SEEDS);
    const biasedExcess = new Float64Array(SEEDS);
    for (let s = 0; s < SEEDS; s++) {
      const batch = operatorBatch(operator, x, { seed: 500 + s, step: 0 });
      const rows = await net.engine.forward(batch);
      const js = gradientCoordinates(batch.tangents, N, operator.directions);
      const { rJ } = gpinnResiduals(pde.nonlinearity, weights, rows, gpinnSources(pde, x, c, js));
      const laplacianJ = operator.quantity('laplacian_j', rows, batch.shape);
      errors[s] = rJ[0].reduce((sum, v, p) => sum + v - exact[p][js[p]], 0) / N;
      scaleProbe[s] = laplacianJ.reduce((sum, v) => sum + Math.abs(v), 0) / N;
      // Paired with the exact term at the drawn j's, so the j-sampling variance cancels and only
      // that of the I-draws is left: E = 0 for an unbiased term, the mean variance of ∂_jΔ̂u else.
      const exactAtJ = exact.reduce((sum, g, p) => sum + g[js[p]] ** 2, 0) / N;
      unbiased[s] = gpinnTerm(rJ);
      unbiasedExcess[s] = unbiased[s] - exactAtJ;
      biasedExcess[s] = meanSquare(rJ[0]) - exactAtJ;
    }
    const e = summarize(errors);
    const u = summarize(unbiased);
    const du = summarize(unbiasedExcess);
    const db = summarize(biasedExcess);
    const resolvable = (0.05 * summarize(scaleProbe).mean) / e.standardError;
    console.log(
      `∂_j r̂ error: mean ${e.mean.toExponential(2)} (SE ${e.standardError.toExponential(2)}, ` +
        `${(e.mean / e.standardError).toFixed(2)} SE; a 5 % scale error of ∂_jΔ̂u ≈ ${resolvable.toFixed(1)} SE)\n` +
        `exact mean (1/d)‖∇r‖² ${exactTerm.toFixed(5)}; two-draw term ${u.mean.toFixed(5)} ` +
        `(SE ${u.standardError.toExponential(2)}, ${((u.mean - exactTerm) / u.standardError).toFixed(2)} SE)\n` +
        `paired with the exact term at the drawn j: two-draw excess ${du.mean.toExponential(2)} ` +
        `(SE ${du.standardError.toExponential(2)}, ${(du.mean / du.standardError).toFixed(2)} SE); ` +
        `one-draw excess ${db.mean.toExponential(2)} (SE ${db.standardError.toExponential(2)}, ` +
        `${(db.mean / db.standardError).toFixed(1)} SE)`,
    );
    expect(Math.abs(e.mean)).toBeLessThan(4 * e.standardError);
    expect(resolvable).toBeGreaterThan(4);
    expect(Math.abs(u.mean - exactTerm)).toBeLessThan(4 * u.standardError);
    expect(Math.abs(du.mean)).toBeLessThan(4 * du.standardError);
    expect(db.mean).toBeGreaterThan(4 * db.standardError);
  }, 120_000);

  it('B = d is exact: ∂_j r̂ equals the exact ∂_j r at every point (1e-10), the loss is r² + 0.1·∂_j r²', async () => {
    const pde = allenCahn();
    const { net, points, x } = setup(6);
    const c = pde.coefficients(d, 3);
    const exact = exactResidualGradients(net, points, c);
    const operator = laplacianGradientOperator({ dimension: d, samples: d });
    const batch = operatorBatch(operator, x, { seed: 9, step: 4 });
    const rows = await net.engine.forward(batch);
    const js = gradientCoordinates(batch.tangents, 6, d);
    const sources = gpinnSources(pde, x, c, js);
    const residuals = gpinnResiduals(pde.nonlinearity, gpinnRowWeights(d, d, 1), rows, sources);
    residuals.rJ[0].forEach((v, p) => {
      expect(Math.abs(v - exact[p][js[p]])).toBeLessThan(1e-10 * Math.max(1, Math.abs(v)));
    });
    // The residual r̂ of the same jets: Δu from J_4 = 12u_ii, against ballSource's f.
    const r = points.map((point) => {
      const laplacian = [0, 1, 2, 3].reduce(
        (s, i) => s + directional(net, point, unit(d, i), 2),
        0,
      );
      const u = directional(net, point, unit(d, 0), 0);
      return (
        laplacian +
        pde.nonlinearity.value(u) -
        ballSource(pde.solution, pde.nonlinearity, point, c).f
      );
    });
    residuals.r[0].forEach((v, p) =>
      expect(Math.abs(v - r[p])).toBeLessThan(1e-10 * Math.max(1, Math.abs(v))),
    );
    const loss = gpinnLoss(residuals);
    const expected = meanSquare(r) + 0.1 * meanSquare(residuals.rJ[0]);
    expect(Math.abs(loss - expected)).toBeLessThan(1e-12 * expected);
  });
});
