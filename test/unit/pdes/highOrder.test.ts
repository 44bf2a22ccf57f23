/**
 * The high-order problems (src/pdes/highOrder.ts) against their exact travelling waves, two
 * independent ways:
 *   closed form: each partial by the chain rule, ∂_t^a ∂_x^b ∂_y^c u = (−ω)^a k_x^b k_y^c A F^(a+b+c)(θ)
 *     (travellingWave.ts waveQuantity), read by the residual formulas;
 *   through the jets: the exact solution as float64 Taylor arithmetic (waveJet) pushed along the
 *     operator's own jet tangents and combined by the operator, as the trainer does with the network.
 * Each wave solves its equation exactly, so every residual must vanish to rounding relative to its
 * largest term; a wrong coefficient, a dropped term or a wrong dispersion relation would not (a 1 %
 * change of ω is checked to leave a residual far above the tolerance).
 */
import { describe, expect, it } from 'vitest';
import { rowOf, rowsPerPoint } from '../../../src/engine/jetLayout.ts';
import { pushCurve } from '../../../src/jet/jet.ts';
import { SeededRandom } from '../../../src/jet/seededRandom.ts';
import { fixedJetTangents } from '../../../src/operators/fixedTangents.ts';
import {
  PARTIAL_NAMES,
  partialMultiIndex,
  partialOrder,
  QUANTITY_NAMES,
  quantityPartials,
  type QuantityName,
} from '../../../src/operators/partials.ts';
import {
  gkdv1d,
  HIGH_ORDER_PROBLEMS,
  type HighOrderProblem,
  kdv2d,
  kp2d,
  requiredQuantities,
} from '../../../src/pdes/highOrder.ts';
import { evaluateResiduals, residualsOver } from '../../../src/pdes/residualTerms.ts';
import { type TravellingWave, waveQuantity, waveValue } from '../../../src/pdes/travellingWave.ts';

/** Uniform points of the problem's box, in its variable order. */
function boxPoints(problem: HighOrderProblem, count: number, seed: number): number[][] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () =>
    problem.variables.map((v) => {
      const [low, high] = problem.box[v] ?? [NaN, NaN];
      return random.uniformIn(low, high);
    }),
  );
}

/** Closed-form values of every quantity the problem's residuals read, at one point. */
function closedFormValues(
  problem: HighOrderProblem,
  wave: TravellingWave,
  point: readonly number[],
): Partial<Record<QuantityName, number>> {
  const values: Partial<Record<QuantityName, number>> = {};
  for (const q of requiredQuantities(problem)) {
    values[q] = waveQuantity(wave, problem.variables, q, point);
  }
  return values;
}

/**
 * The residual's own scale: its largest quantity and that squared (the nonlinear terms are
 * products of two quantities), times the sum's rounding. 1e-11 leaves ~100× over float64 rounding.
 */
function residualTolerance(values: Partial<Record<QuantityName, number>>): number {
  const scale = Math.max(...Object.values(values).map((v) => Math.abs(v ?? 0)));
  return 1e-11 * (scale + scale * scale);
}

/** The operator's outputs for the exact solution at some points, jets pushed through waveJet. */
function jetOutputs(problem: HighOrderProblem, points: readonly number[][]) {
  const operator = problem.operator();
  if (operator.draw.kind !== 'fixed') throw new Error('a fixed construction is expected');
  const jets = operator.draw.jets;
  const shape = operator.shape(points.length);
  const outputs = new Float64Array(rowsPerPoint(shape) * points.length);
  const stride = rowsPerPoint(shape);
  points.forEach((point, p) => {
    const block = outputs.subarray(p * stride, (p + 1) * stride);
    jets.forEach((jet, r) => {
      const tangents = fixedJetTangents(jet, operator.dimension, operator.order);
      const u = problem.exact.jet(pushCurve(point, tangents)).coeffs;
      block[0] = u[0];
      for (let k = 1; k <= operator.order; k++) block[rowOf(shape, r, k)] = u[k];
    });
  });
  return operator.evaluate(outputs, shape);
}

describe.each(HIGH_ORDER_PROBLEMS.map((problem) => [problem.title, problem] as const))(
  '%s: the exact solution',
  (_title, problem) => {
    const points = boxPoints(problem, 12, 41);

    it('zeroes every residual, from closed-form partials', () => {
      for (const point of points) {
        const values = closedFormValues(problem, problem.exact.wave, point);
        for (const term of problem.residuals) {
          expect(Math.abs(term.evaluate(values)), `${term.name} at ${point}`).toBeLessThanOrEqual(
            residualTolerance(values),
          );
        }
      }
    });

    it("zeroes every residual through the operator's float64 jets, whose outputs match the closed form", () => {
      const outputs = jetOutputs(problem, points);
      for (const q of requiredQuantities(problem)) {
        points.forEach((point, p) => {
          const expected = waveQuantity(problem.exact.wave, problem.variables, q, point);
          expect(Math.abs(outputs[q][p] - expected), `${q} at ${point}`).toBeLessThanOrEqual(
            1e-10 * Math.max(1, Math.abs(expected)),
          );
        });
      }
      const residuals = evaluateResiduals(problem.residuals, outputs);
      residuals.forEach((r, t) =>
        r.forEach((value, p) => {
          const tolerance = residualTolerance(
            closedFormValues(problem, problem.exact.wave, points[p]),
          );
          expect(Math.abs(value), `${problem.residuals[t].name}`).toBeLessThanOrEqual(tolerance);
        }),
      );
    });

    it('is not solved by a wave with ω 1 % off (the check has teeth)', () => {
      const wrong = { ...problem.exact.wave, omega: problem.exact.wave.omega * 1.01 };
      const worst = Math.max(
        ...points.map((point) => {
          const values = closedFormValues(problem, wrong, point);
          return Math.abs(problem.residuals[0].evaluate(values)) / residualTolerance(values);
        }),
      );
      expect(worst).toBeGreaterThan(1e4);
    });

    it('gives u* as its value, and initial and boundary data only on their faces', () => {
      for (const point of points) {
        expect(problem.exact.value(point)).toBe(
          waveValue(problem.exact.wave, problem.variables, point),
        );
      }
      const interior = points[0];
      const t = problem.variables.indexOf('t');
      const x = problem.variables.indexOf('x');
      const initial = interior.map((v, i) => (i === t ? 0 : v));
      const boundary = interior.map((v, i) => (i === x ? 1 : v));
      expect(problem.data.initial(initial)).toBe(problem.exact.value(initial));
      expect(problem.data.boundary(boundary)).toBe(problem.exact.value(boundary));
      expect(() => problem.data.initial(interior)).toThrow(/initial point has t = 0/);
      expect(() => problem.data.boundary(interior)).toThrow(/spatial coordinate at an end/);
      expect(() => problem.data.initial([0])).toThrow(/coordinates/);
      expect(problem.data.faces[0]).toEqual({ variable: 't', side: 0 });
      expect(problem.data.faces).toHaveLength(1 + 2 * (problem.variables.length - 1));
    });

    it('reads only quantities of its own variables, and needs no source', () => {
      for (const q of requiredQuantities(problem)) {
        for (const p of quantityPartials(q)) {
          const alpha = partialMultiIndex(p);
          for (const v of ['t', 'x', 'y'] as const) {
            if (alpha[v] > 0) expect(problem.variables, `${q}`).toContain(v);
          }
        }
      }
      expect(problem.exact.source).toBeNull();
      expect(problem.operator().dimension).toBe(problem.variables.length);
    });
  },
);

describe('the vocabulary of partials', () => {
  it('names each partial once, its variables in t, x, y order, with its multi-index', () => {
    expect(partialMultiIndex('u_txxx')).toEqual({ t: 1, x: 3, y: 0 });
    expect(partialMultiIndex('u_xxxy')).toEqual({ t: 0, x: 3, y: 1 });
    expect(partialMultiIndex('u')).toEqual({ t: 0, x: 0, y: 0 });
    expect(partialOrder('u')).toBe(0);
    expect(partialOrder('u_xxxx')).toBe(4);
    for (const name of PARTIAL_NAMES) {
      expect(name.slice(2)).toBe([...name.slice(2)].sort().join(''));
    }
    expect(new Set(QUANTITY_NAMES).size).toBe(QUANTITY_NAMES.length);
    expect(quantityPartials('u_ty+u_xxxy')).toEqual(['u_ty', 'u_xxxy']);
  });

  it('lists the quantities each problem reads, all outputs of its operator', () => {
    expect(new Set(requiredQuantities(kdv2d))).toEqual(
      new Set(['u_ty+u_xxxy', 'u_xy', 'u_x', 'u_y', 'u_xx', 'u_yy']),
    );
    expect(new Set(requiredQuantities(kp2d))).toEqual(
      new Set(['u_tx+u_xxxx', 'u', 'u_x', 'u_xx', 'u_yy']),
    );
    expect(new Set(requiredQuantities(gkdv1d))).toEqual(
      new Set(['u', 'u_t', 'u_x', 'u_xxx', 'u_tx', 'u_xx', 'u_xxxx', 'u_tt', 'u_txxx']),
    );
    for (const problem of HIGH_ORDER_PROBLEMS) {
      const outputs = new Set(problem.operator().quantities.map((q) => q.name));
      for (const q of requiredQuantities(problem)) expect(outputs, `${problem.id}`).toContain(q);
      expect([...outputs]).toEqual([...problem.outputs]);
    }
  });

  it('refuses a residual over a quantity its operator does not output, and a missing value', () => {
    const over = residualsOver(['u', 'u_x'] as const);
    expect(() =>
      over({ name: 'bad', tex: '', weight: 1, quantities: ['u_xx' as 'u'] }, (v) => v.u),
    ).toThrow(/residual bad reads u_xx, not an output of its operator \(u, u_x\)/);
    expect(() => kp2d.residuals[0].evaluate({ u: 1 })).toThrow(
      /residual residual needs u_tx\+u_xxxx/,
    );
  });
});
