/**
 * u_t, ∇u·w and ∇u from 1-jets on the fixed network, against central finite differences of the
 * network's value (independent of Taylor mode) and against each other.
 */
import { describe, expect, it } from 'vitest';
import { referenceForwardJet } from '../../../src/jet/referenceJet.ts';
import { operatorBatch } from '../../../src/operators/batch.ts';
import {
  directionalDerivativeOperator,
  gradientOperator,
  timeDerivativeOperator,
} from '../../../src/operators/firstOrder.ts';
import { network } from './network.ts';

const net = network([6, 16, 16, 1], 5);
const POINT = [0.1, -0.3, 0.2, 0.05, -0.1, 0.25];
const d = POINT.length;

function value(point: readonly number[]): number {
  return referenceForwardJet(net.arch, net.params, { point, tangents: [null] }).coefficients[0][0];
}

/** Central difference of the value along e_i (error ~h²·u'''/6 ≈ 1e-10 here). */
function partial(i: number): number {
  const h = 1e-5;
  const plus = POINT.map((x, j) => (j === i ? x + h : x));
  const minus = POINT.map((x, j) => (j === i ? x - h : x));
  return (value(plus) - value(minus)) / (2 * h);
}

const x = Float64Array.from(POINT);

describe('first-order operators', () => {
  it('the gradient over the first 5 inputs (spatial ∇_x u) matches finite differences (1e-8)', async () => {
    const operator = gradientOperator({ dimension: d, coordinates: 5 });
    expect(operator.directions).toBe(5);
    const batch = operatorBatch(operator, x, { seed: 0, step: 0 });
    const gradient = operator.estimate(await net.engine.forward(batch), batch.shape);
    expect(gradient.length).toBe(5);
    gradient.forEach((g, i) => expect(Math.abs(g - partial(i))).toBeLessThan(1e-8));
  });

  it('u_t matches the finite difference along the time input (1e-8)', async () => {
    const operator = timeDerivativeOperator({ dimension: d, time: 5 });
    const batch = operatorBatch(operator, x, { seed: 0, step: 0 });
    const [ut] = operator.estimate(await net.engine.forward(batch), batch.shape);
    expect(Math.abs(ut - partial(5))).toBeLessThan(1e-8);
  });

  it('∇u·w equals Σ_i w_i ∂_i u (w exact in f32; 1e-12)', async () => {
    const w = [0.5, -1.25, 2, 0, 0.75, -0.125];
    const operator = directionalDerivativeOperator({ dimension: d, direction: w });
    const batch = operatorBatch(operator, x, { seed: 0, step: 0 });
    expect(batch.tangents.kind).toBe('dense');
    const [directional] = operator.estimate(await net.engine.forward(batch), batch.shape);
    const gradientOp = gradientOperator({ dimension: d });
    const gradientBatch = operatorBatch(gradientOp, x, { seed: 0, step: 0 });
    const gradient = gradientOp.estimate(
      await net.engine.forward(gradientBatch),
      gradientBatch.shape,
    );
    const expected = w.reduce((s, wi, i) => s + wi * gradient[i], 0);
    expect(Math.abs(directional - expected)).toBeLessThan(1e-12);
  });
});
