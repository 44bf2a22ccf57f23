/**
 * ∂_j f = ∂_jΔu* + N'(u*)·∂_j u* of the two-body ball problems in closed form (twoBody.gradient,
 * ballSourceGradient), against float64 jets of u* written as plain Jet arithmetic (jetReference.ts,
 * no closed-form derivative anywhere): ∂_j u* = J_1[e_j], and ∂_jΔu* = Σ_i u_iij with each u_iij
 * from third-order jets by polarization,
 *   J_3[e_i + e_j] − J_3[e_i − e_j] = 6u_iij + 2u_jjj  (i ≠ j),   u_jjj = J_3[e_j],
 * a construction unrelated to the 7-jets of laplacianGradient.ts. Every coordinate j, including the
 * ends 0 and d − 1 (one neighbouring summand only).
 */
import { describe, expect, it } from 'vitest';
import {
  BALL_NONLINEARITIES,
  ballResidualGradient,
  ballSourceGradient,
} from '../../../src/pdes/ballProblem.ts';
import { drawCoefficients } from '../../../src/pdes/coefficients.ts';
import { threeBody } from '../../../src/pdes/threeBody.ts';
import { twoBody } from '../../../src/pdes/twoBody.ts';
import { directional, jetValue, twoBodyJet, type JetFunction } from './jetReference.ts';
import { ballPoints } from './points.ts';

/** As ballSources.test.ts: the closed forms agree with float64 jets to ~1e-14. */
const TOLERANCE = 1e-8;

/** The largest relative error seen, logged per test. */
let worst = 0;

function expectRelative(actual: number, expected: number, label: string): void {
  const error = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
  worst = Math.max(worst, error);
  expect(error, `${label}: got ${actual}, expected ${expected}`).toBeLessThanOrEqual(TOLERANCE);
}

function unit(d: number, i: number, sign = 1, j = -1): Float64Array {
  const e = new Float64Array(d);
  e[i] = 1;
  if (j >= 0) e[j] = sign;
  return e;
}

/** ∂_jΔu = Σ_i u_iij from 3-jets by polarization. */
function jetLaplacianGradient(u: JetFunction, x: ArrayLike<number>, j: number): number {
  const d = x.length;
  const ujjj = directional(u, x, unit(d, j), 3);
  let total = ujjj;
  for (let i = 0; i < d; i++) {
    if (i === j) continue;
    const plus = directional(u, x, unit(d, i, 1, j), 3);
    const minus = directional(u, x, unit(d, i, -1, j), 3);
    total += (plus - minus - 2 * ujjj) / 6;
  }
  return total;
}

describe('two-body ∂_j u* and ∂_jΔu* in closed form', () => {
  it.each([2, 3, 5, 8])('match float64 jets at d = %i, every j (relative 1e-8)', (d) => {
    const c = drawCoefficients(d + 20, twoBody.coefficientCount(d));
    const u = twoBodyJet(c);
    for (const [p, x] of ballPoints(d, 5, 40 + d).entries()) {
      for (let j = 0; j < d; j++) {
        const gradient = twoBody.gradient?.(x, c, j);
        if (!gradient) throw new Error('two-body has a gradient');
        expectRelative(gradient.u, directional(u, x, unit(d, j), 1), `∂_${j}u*, point ${p}`);
        expectRelative(gradient.operator, jetLaplacianGradient(u, x, j), `∂_${j}Δu*, point ${p}`);
      }
    }
    console.log(
      `two-body ∂_j u*, ∂_jΔu* at d = ${d}: largest relative error ${worst.toExponential(1)}`,
    );
    worst = 0;
  });

  it('refuses a coordinate outside 0..d−1; three-body has no gradient', () => {
    const c = drawCoefficients(1, 2);
    expect(() => twoBody.gradient?.([0.1, 0.2, 0.3], c, 3)).toThrow(/outside 0\.\.2/);
    expect(threeBody.gradient).toBeUndefined();
    expect(() =>
      ballSourceGradient(threeBody, BALL_NONLINEARITIES.none, [0.1, 0.2, 0.3], [1], 0),
    ).toThrow(/no closed-form gradient/);
  });
});

describe('∂_j f of the two-body ball problems', () => {
  const cases: [keyof typeof BALL_NONLINEARITIES, (u: number) => number][] = [
    ['none', () => 0],
    ['allen-cahn', (u) => 1 - 3 * u * u],
    ['sine-gordon', (u) => Math.cos(u)],
  ];
  it.each(cases)("%s: ∂_j f = ∂_jΔu* + N'(u*)∂_j u* from jets (relative 1e-8)", (id, dN) => {
    for (const d of [3, 6]) {
      const c = drawCoefficients(9, twoBody.coefficientCount(d));
      const u = twoBodyJet(c);
      for (const x of ballPoints(d, 4, 2 * d)) {
        for (let j = 0; j < d; j++) {
          const expected =
            jetLaplacianGradient(u, x, j) + dN(jetValue(u, x)) * directional(u, x, unit(d, j), 1);
          const fJ = ballSourceGradient(twoBody, BALL_NONLINEARITIES[id], x, c, j);
          expectRelative(fJ, expected, `${id} ∂_${j}f`);
        }
      }
    }
    console.log(`${id} ∂_j f: largest relative error ${worst.toExponential(1)}`);
    worst = 0;
  });

  it('the gPINN residual of u* with its exact partials is zero', () => {
    const x = [0.2, -0.3, 0.1, 0.4];
    const c = drawCoefficients(3, 3);
    const allenCahn = BALL_NONLINEARITIES['allen-cahn'];
    const { u } = twoBody.evaluate(x, c);
    const gradient = twoBody.gradient?.(x, c, 2);
    if (!gradient) throw new Error('two-body has a gradient');
    const fJ = ballSourceGradient(twoBody, allenCahn, x, c, 2);
    expect(ballResidualGradient(allenCahn, gradient.operator, u, gradient.u, fJ)).toBe(0);
  });
});
