/**
 * Laplacian estimators on a fixed network (widths [5, 16, 16, 1], tanh, ball boundary) through the
 * float64 reference engine: the exact operator (standard and collapsed) against the Hessian trace,
 * and every stochastic estimator unbiased (mean within 4 standard errors of the exact value, fixed
 * seeds) with the variance its theory predicts.
 *
 * Variances of one estimate with B jets, H the Hessian, h_i = H_ii, σ² = (1/d)Σ(h_i − h̄)²:
 *   sparse     (d²/B)·σ²·(d − B)/(d − 1)   (sampling without replacement: zero at B = d)
 *   rademacher (2/B)·Σ_{i≠j} H_ij²
 *   gaussian   (2/B)·‖H‖_F² = rademacher + (2/B)·Σ_i h_i²
 * So Gaussian is never better than Rademacher, by (2/B)·Σ_i h_i² (DESIGN.md §3: Rademacher has the
 * lowest variance of the dense estimators). Sparse against Rademacher is decided by the spread of
 * the diagonal against the off-diagonal mass, and the finite-population factor (d − B)/(d − 1)
 * favours sparse as B grows (zero at B = d). At this point and B = 2 the formulas predict
 * Rademacher < sparse < Gaussian (the diagonal varies more than the off-diagonal is large; the
 * boundary factor's −2·MLP·I shifts every h_i alike, which costs only the Gaussian estimator), and
 * the measured variances must come out in the same order.
 */
import { describe, expect, it } from 'vitest';
import { laplacianOperator } from '../../../src/operators/laplacian.ts';
import { operatorBatch } from '../../../src/operators/batch.ts';
import { referenceForwardJet } from '../../../src/jet/referenceJet.ts';
import { directional, hessian, network, repeatedEstimates, summarize, unit } from './network.ts';

const net = network([5, 16, 16, 1]);
const POINT = [0.3, -0.2, 0.1, 0.25, -0.15];
const d = POINT.length;
const H = hessian(net, POINT);
const trace = H.reduce((s, row, i) => s + row[i], 0);

function value(point: readonly number[]): number {
  return referenceForwardJet(net.arch, net.params, { point, tangents: [null] }).coefficients[0][0];
}

describe('exact Laplacian', () => {
  it('matches a finite-difference Hessian trace (independent of Taylor mode; 1e-6)', () => {
    const h = 1e-3;
    let fd = 0;
    for (let i = 0; i < d; i++) {
      const plus = POINT.map((x, j) => (j === i ? x + h : x));
      const minus = POINT.map((x, j) => (j === i ? x - h : x));
      fd += (value(plus) - 2 * value(POINT) + value(minus)) / (h * h);
    }
    expect(Math.abs(trace - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(trace)));
  });

  it('collapsed (Forward Laplacian) == sum of the standard jets == Hessian trace (1e-12)', async () => {
    const operator = laplacianOperator({ dimension: d, method: 'exact' });
    expect(operator.collapsible).toBe(true);
    expect(operator.stochastic).toBe(false);
    const x = Float64Array.from(POINT);
    const results: number[] = [];
    for (const structure of ['standard', 'collapsed'] as const) {
      const batch = operatorBatch(operator, x, { seed: 0, step: 0 }, structure);
      results.push(operator.estimate(await net.engine.forward(batch), batch.shape)[0]);
    }
    const [standard, collapsed] = results;
    expect(Math.abs(standard - trace)).toBeLessThan(1e-12 * Math.abs(trace));
    expect(Math.abs(collapsed - standard)).toBeLessThan(1e-12 * Math.abs(trace));
  });
});

describe('stochastic Laplacians are unbiased, with the predicted variance', () => {
  const B = 2;
  const offDiagonal = H.reduce(
    (s, row, i) => s + row.reduce((t, h, j) => t + (i === j ? 0 : h * h), 0),
    0,
  );
  const diagonal = H.map((row, i) => row[i]);
  const mean = trace / d;
  const spread = diagonal.reduce((s, h) => s + (h - mean) ** 2, 0) / d;
  const predicted = {
    sparse: ((d * d) / B) * spread * ((d - B) / (d - 1)),
    rademacher: (2 / B) * offDiagonal,
    gaussian: (2 / B) * (offDiagonal + diagonal.reduce((s, h) => s + h * h, 0)),
  };
  const measured: Record<string, number> = {};

  for (const method of ['sparse', 'rademacher', 'gaussian'] as const) {
    it(`${method}, B = ${B}: mean within 4 SE of Δu, variance within 5 SE of theory`, async () => {
      const operator = laplacianOperator({ dimension: d, method, samples: B });
      expect(operator.collapsible).toBe(true);
      const s = summarize(await repeatedEstimates(net, operator, POINT, 500, [1, 2, 3]));
      measured[method] = s.variance;
      console.log(
        `Laplacian ${method} B=${B}: mean ${s.mean.toFixed(5)} (exact ${trace.toFixed(5)}, SE ${s.standardError.toExponential(2)}), ` +
          `variance ${s.variance.toFixed(5)} (theory ${predicted[method].toFixed(5)})`,
      );
      expect(Math.abs(s.mean - trace)).toBeLessThan(4 * s.standardError);
      expect(Math.abs(s.variance - predicted[method])).toBeLessThan(5 * s.varianceError);
    });
  }

  it('orders as the formulas predict: Rademacher < Gaussian always, here Rademacher < sparse', () => {
    const order = (v: Record<string, number>) =>
      (['sparse', 'rademacher', 'gaussian'] as const).slice().sort((a, b) => v[a] - v[b]);
    console.log(
      `predicted variance order ${order(predicted).join(' < ')}; measured ${order(measured).join(' < ')}`,
    );
    expect(order(predicted)).toEqual(['rademacher', 'sparse', 'gaussian']);
    expect(order(measured)).toEqual(order(predicted));
  });

  it('two draws (the unbiased loss): sparse ones are two subsets, their mean unbiased (4 SE)', async () => {
    const operator = laplacianOperator({ dimension: d, method: 'sparse', samples: 3, draws: 2 });
    // Two independent subsets of 3 of the d = 5 coordinates: six jets, though 6 > d.
    expect(operator.directions).toBe(6);
    expect(operator.draw.kind === 'random' && operator.draw.spec.subsets).toBe(2);
    expect(operator.quantities[0].terms).toEqual([{ direction: 'all', order: 2, scale: d / 6 }]);
    const s = summarize(await repeatedEstimates(net, operator, POINT, 500, [1, 2]));
    expect(Math.abs(s.mean - trace)).toBeLessThan(4 * s.standardError);
    // Dense draws are the same jets as B·draws plain ones; exact jets take no second draw.
    const dense = laplacianOperator({ dimension: d, method: 'rademacher', samples: 2, draws: 2 });
    expect(dense.draw).toEqual(
      laplacianOperator({ dimension: d, method: 'rademacher', samples: 4 }).draw,
    );
    expect(() => laplacianOperator({ dimension: d, method: 'exact', draws: 2 })).toThrow(
      /draws must be 1/,
    );
  });

  it('sparse with B = d is exact: zero variance', async () => {
    const operator = laplacianOperator({ dimension: d, method: 'sparse', samples: d });
    const estimates = await repeatedEstimates(net, operator, POINT, 20, [5]);
    for (const e of estimates) expect(Math.abs(e - trace)).toBeLessThan(1e-12 * Math.abs(trace));
  });
});

describe('u_t + Δ_x u in the same jets (parabolic PDEs)', () => {
  const netXT = network([6, 16, 16, 1], 99);
  const xt = [0.2, -0.1, 0.3, 0.05, -0.25, 0.15];
  const t = 5;
  const uT = directional(netXT, xt, unit(6, t), 1);
  const laplacianX = [0, 1, 2, 3, 4].reduce((s, i) => s + directional(netXT, xt, unit(6, i), 2), 0);
  const exact = uT + laplacianX;

  it('exact jets with v_2 = e_t/d give u_t + Δ_x u', async () => {
    const operator = laplacianOperator({ dimension: 6, spatial: 5, method: 'exact', time: t });
    const estimates = await repeatedEstimates(netXT, operator, xt, 1, [0]);
    // The coefficient 1/(2d) of v_2 is stored in f32 (TangentInput): u_t is off by ≤ 2^-24 relative.
    const bound = 2 ** -24 * Math.abs(uT) + 1e-12 * Math.max(1, Math.abs(exact));
    expect(Math.abs(estimates[0] - exact)).toBeLessThan(bound);
  });

  for (const method of ['sparse', 'rademacher'] as const) {
    it(`${method}, B = 2: unbiased for u_t + Δ_x u (4 SE); t is never sampled`, async () => {
      const operator = laplacianOperator({ dimension: 6, spatial: 5, method, samples: 2, time: t });
      const s = summarize(await repeatedEstimates(netXT, operator, xt, 400, [1, 2]));
      expect(Math.abs(s.mean - exact)).toBeLessThan(4 * s.standardError);
    });
  }
});
