/**
 * The unbiased loss with sparse jets (options loss 'unbiased', estimator 'sparse') is unbiased:
 * with the jets, row weights and operator the ball graph builds (ballOperators: two independent
 * uniform B-subsets per point, r₁ from jets [0, B) and r₂ from [B, 2B)), the loss
 * mean_p r₁·r₂ at fixed points and weights, averaged over many jet seeds, is within 4 standard
 * errors of the exact mean_p r² from the exact Laplacian on the same points. The biased loss
 * mean_p r₁² of the same draws is not (its excess is the mean variance of the estimate), which
 * shows the test can see a bias of that size. Float64 reference engine, fixed seeds; the first
 * layer's gain 3 (about √(d + 2)) gives the Hessian diagonal enough spread that the biased loss's
 * excess (measured: 11 SE) stands out, while the unbiased one is within 1 SE.
 */
import { describe, expect, it } from 'vitest';
import { rowsPerPoint } from '../../../src/engine/jetLayout.ts';
import { ReferenceJetEngine } from '../../../src/engine/referenceEngine.ts';
import { initParameters } from '../../../src/jet/mlp.ts';
import { operatorBatch } from '../../../src/operators/batch.ts';
import { ballSource } from '../../../src/pdes/ballProblem.ts';
import { findPde } from '../../../src/pdes/index.ts';
import { meanProduct, meanSquare } from '../../../src/pdes/losses.ts';
import { sampleBall } from '../../../src/random/pointSamplers.ts';
import { ballOperator, ballOperators, planBallGraph } from '../../../src/train/ballProblemGraph.ts';
import { architectureOf, resolveTrainingOptions } from '../../../src/train/options.ts';
import { DEFAULT_TRAINING_LIMITS } from '../../../src/train/trainingPlan.ts';
import { summarize } from '../operators/network.ts';

describe('the unbiased sparse loss', () => {
  it('d = 6, B = 2 (two 2-subsets per point): mean over 2000 jet seeds within 4 SE of the exact mean r²', async () => {
    const d = 6;
    const options = resolveTrainingOptions({
      pde: 'allen-cahn-two-body',
      dimension: d,
      estimator: 'sparse',
      jetsPerPoint: 2,
      loss: 'unbiased',
      collapsed: false,
      points: 24,
      width: 16,
      depth: 2,
      seed: 3,
      firstLayerGain: 3,
    });
    const pde = findPde(options.pde);
    if (pde.domain !== 'ball') throw new Error('a ball problem');
    const architecture = architectureOf(options);
    const plan = planBallGraph(pde, options, architecture, DEFAULT_TRAINING_LIMITS);
    expect(plan.split).toBe(true);
    expect(plan.shape.directions).toBe(4);
    const { draw, loss } = ballOperators(pde, options, plan);
    expect(draw.draw.kind === 'random' && draw.draw.spec.subsets).toBe(2);
    if (loss.kind !== 'residual' || !loss.weights2) {
      throw new Error('the unbiased loss has two weight vectors');
    }
    const { weights, weights2 } = loss;

    const engine = new ReferenceJetEngine(
      architecture,
      initParameters(architecture, options.seed, options.firstLayerGain),
    );
    const N = options.points;
    const x = sampleBall(d, options.sampler, N, { seed: 1, step: 0 });
    const c = pde.coefficients(d, options.seed);
    const f = Float64Array.from({ length: N }, (_, p) => {
      const point = x.subarray(p * d, (p + 1) * d);
      return ballSource(pde.solution, pde.nonlinearity, point, c).f;
    });
    const nonlinearity = (u: number) => pde.nonlinearity.value(u);

    // The exact loss: Σ_i J_2[e_i] at the same points.
    const exactOperator = ballOperator(pde, { dimension: d, estimator: 'exact' }, d);
    const exactBatch = operatorBatch(exactOperator, x, { seed: 0, step: 0 });
    const exactRows = await engine.forward(exactBatch);
    const laplacian = exactOperator.estimate(exactRows, exactBatch.shape);
    const exactV = rowsPerPoint(exactBatch.shape);
    const r = laplacian.map((l, p) => l + nonlinearity(exactRows[p * exactV]) - f[p]);
    const exact = meanSquare(r);

    const seeds = 2000;
    const unbiased = new Float64Array(seeds);
    const biased = new Float64Array(seeds);
    const V = rowsPerPoint(plan.shape);
    for (let s = 0; s < seeds; s++) {
      const batch = operatorBatch(draw, x, { seed: 1000 + s, step: 0 }, 'standard');
      const rows = await engine.forward(batch);
      const residual = (w: Float64Array) =>
        Float64Array.from({ length: N }, (_, p) => {
          let estimate = 0;
          for (let v = 0; v < V; v++) estimate += w[v] * rows[p * V + v];
          return estimate + nonlinearity(rows[p * V]) - f[p];
        });
      const [r1, r2] = [residual(weights), residual(weights2)];
      unbiased[s] = meanProduct(r1, r2);
      biased[s] = meanSquare(r1);
    }
    const u = summarize(unbiased);
    const b = summarize(biased);
    console.log(
      `exact mean r² ${exact.toFixed(6)}; unbiased sparse loss ${u.mean.toFixed(6)} ` +
        `(SE ${u.standardError.toExponential(2)}, ${((u.mean - exact) / u.standardError).toFixed(2)} SE); ` +
        `biased mean r₁² ${b.mean.toFixed(6)} (SE ${b.standardError.toExponential(2)}, ` +
        `${((b.mean - exact) / b.standardError).toFixed(1)} SE)`,
    );
    expect(Math.abs(u.mean - exact)).toBeLessThan(4 * u.standardError);
    expect(b.mean - exact).toBeGreaterThan(4 * b.standardError);
    // 2000 float64 forward jets: about 5 s alone, more beside the other test files.
  }, 60_000);
});
