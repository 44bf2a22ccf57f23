/**
 * Σ_i ∂^k u/∂x_i^k for k = 3..8 on the fixed network [5, 16, 16, 1] (tanh, ball boundary): the
 * exact operator against the float64 directional derivatives, and the sparse estimator (B = 2)
 * unbiased within 4 standard errors with the finite-population variance (d²/B)·σ²·(d − B)/(d − 1),
 * σ² the spread of the d diagonal derivatives (within 5 standard errors of the variance).
 */
import { describe, expect, it } from 'vitest';
import { diagonalOperator } from '../../../src/operators/diagonal.ts';
import { directional, network, repeatedEstimates, summarize, unit } from './network.ts';

const net = network([5, 16, 16, 1]);
const POINT = [0.3, -0.2, 0.1, 0.25, -0.15];
const d = POINT.length;
const B = 2;

describe('diagonal k-th order operator', () => {
  for (let k = 3; k <= 8; k++) {
    const diagonal = Array.from({ length: d }, (_, i) => directional(net, POINT, unit(d, i), k));
    const exact = diagonal.reduce((s, v) => s + v, 0);

    it(`k = ${k}: exact equals Σ_i J_${k}[e_i]; sparse is unbiased with the predicted variance`, async () => {
      const exactOperator = diagonalOperator({ dimension: d, derivativeOrder: k });
      expect(exactOperator.stochastic).toBe(false);
      const [value] = await repeatedEstimates(net, exactOperator, POINT, 1, [0]);
      expect(Math.abs(value - exact)).toBeLessThan(1e-12 * Math.max(1, Math.abs(exact)));

      const sparse = diagonalOperator({ dimension: d, derivativeOrder: k, samples: B });
      expect(sparse.collapsible).toBe(true);
      const s = summarize(await repeatedEstimates(net, sparse, POINT, 300, [1, 2]));
      const mean = exact / d;
      const spread = diagonal.reduce((acc, v) => acc + (v - mean) ** 2, 0) / d;
      const predicted = ((d * d) / B) * spread * ((d - B) / (d - 1));
      console.log(
        `diagonal k=${k} sparse B=${B}: mean ${s.mean.toPrecision(6)} (exact ${exact.toPrecision(6)}, SE ${s.standardError.toExponential(2)}), variance ${s.variance.toPrecision(4)} (theory ${predicted.toPrecision(4)})`,
      );
      expect(Math.abs(s.mean - exact)).toBeLessThan(4 * s.standardError);
      expect(Math.abs(s.variance - predicted)).toBeLessThan(5 * s.varianceError);
    });
  }
});
