import { describe, expect, it } from 'vitest';
import { BALL_NONLINEARITIES, ballResidual, ballSource } from '../../../src/pdes/ballProblem.ts';
import type { BallSolution } from '../../../src/pdes/ballSolution.ts';
import { clampedSinCos } from '../../../src/pdes/clampedSinCos.ts';
import { drawCoefficients } from '../../../src/pdes/coefficients.ts';
import { threeBody } from '../../../src/pdes/threeBody.ts';
import { twoBody } from '../../../src/pdes/twoBody.ts';
import {
  clampedSinCosJet,
  jetBiharmonic,
  jetLaplacian,
  jetValue,
  threeBodyJet,
  twoBodyJet,
  type JetFunction,
} from './jetReference.ts';
import { ballPoints } from './points.ts';

/** Closed forms against float64 jets agree to ~1e-14; 1e-8 leaves room without hiding a wrong term. */
const TOLERANCE = 1e-8;

function expectRelative(actual: number, expected: number, label: string): void {
  const error = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
  expect(error, `${label}: got ${actual}, expected ${expected}`).toBeLessThanOrEqual(TOLERANCE);
}

interface Case {
  name: string;
  solution: BallSolution;
  jetOf: (c: ArrayLike<number>) => JetFunction;
  reference: typeof jetLaplacian;
}

const CASES: Case[] = [
  { name: 'two-body', solution: twoBody, jetOf: twoBodyJet, reference: jetLaplacian },
  { name: 'three-body', solution: threeBody, jetOf: threeBodyJet, reference: jetLaplacian },
  {
    name: 'clamped sin·cos',
    solution: clampedSinCos,
    jetOf: clampedSinCosJet,
    reference: jetBiharmonic,
  },
];

describe.each(CASES)('$name exact solution', ({ solution, jetOf, reference }) => {
  it.each([3, 5, 8])(
    `u* and its ${solution.operator} match jets of u* at d = %i (relative 1e-8)`,
    (d) => {
      const c = drawCoefficients(d, solution.coefficientCount(d));
      const u = jetOf(c);
      for (const [p, x] of ballPoints(d, 5, 100 + d).entries()) {
        const { u: value, operator } = solution.evaluate(x, c);
        expectRelative(value, jetValue(u, x), `u*, point ${p}`);
        expectRelative(operator, reference(u, x), `${solution.operator}, point ${p}`);
      }
    },
  );

  it('vanishes on the sphere', () => {
    const d = 4;
    const c = drawCoefficients(1, solution.coefficientCount(d));
    const [x] = ballPoints(d, 1, 3).map((v) => v.map((xi) => xi * 2));
    expect(Math.abs(solution.evaluate(x, c).u)).toBeLessThan(1e-15);
  });

  it('refuses a wrong number of coefficients or too small a dimension', () => {
    expect(() => solution.evaluate([0.1, 0.2, 0.3], [])).toThrow(/needs \d coefficients, got 0/);
    expect(() => solution.evaluate([0.1], [])).toThrow(/needs d ≥/);
  });
});

describe('ball problem sources f = L u*', () => {
  const nonlinear: [keyof typeof BALL_NONLINEARITIES, (u: number) => number][] = [
    ['none', () => 0],
    ['allen-cahn', (u) => u - u ** 3],
    ['sine-gordon', (u) => Math.sin(u)],
  ];
  it.each(nonlinear)('%s: f = Δu* + N(u*) with Δu* from jets (relative 1e-8)', (id, n) => {
    for (const [solution, jetOf] of [
      [twoBody, twoBodyJet],
      [threeBody, threeBodyJet],
    ] as const) {
      for (const d of [3, 5, 8]) {
        const c = drawCoefficients(7, solution.coefficientCount(d));
        for (const x of ballPoints(d, 4, d)) {
          const u = jetOf(c);
          const value = jetValue(u, x);
          const { u: exact, f } = ballSource(solution, BALL_NONLINEARITIES[id], x, c);
          expectRelative(exact, value, `${solution.id} u*`);
          expectRelative(f, jetLaplacian(u, x) + n(value), `${solution.id} f`);
        }
      }
    }
  });

  it('the residual of u* with its exact operator value is zero', () => {
    const x = [0.2, -0.3, 0.1, 0.4];
    const c = drawCoefficients(3, 3);
    const allenCahn = BALL_NONLINEARITIES['allen-cahn'];
    const { u, f } = ballSource(twoBody, allenCahn, x, c);
    const { operator } = twoBody.evaluate(x, c);
    expect(ballResidual(allenCahn, operator, u, f)).toBe(0);
    expect(ballResidual(allenCahn, operator + 0.5, u, f)).toBeCloseTo(0.5, 14);
  });
});

describe('coefficients', () => {
  it('are a deterministic function of the seed, and differ between seeds', () => {
    const a = drawCoefficients(42, 1000);
    expect(Array.from(drawCoefficients(42, 1000))).toEqual(Array.from(a));
    expect(Array.from(drawCoefficients(42, 10))).toEqual(Array.from(a.subarray(0, 10)));
    expect(drawCoefficients(43, 1)[0]).not.toBe(a[0]);
  });

  it('look standard normal (mean and variance of 10^4 draws within 4 standard errors)', () => {
    const n = 10_000;
    const c = drawCoefficients(5, n);
    const mean = c.reduce((s, v) => s + v, 0) / n;
    const variance = c.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
  });
});
