/**
 * The operator interface: metadata for the dashboard, channel structure rules, the layout of
 * estimates, how tangents are drawn from (seed, step), and the refusals.
 */
import { describe, expect, it } from 'vitest';
import { rowsPerPoint } from '../../../src/engine/jetLayout.ts';
import { biharmonicOperator } from '../../../src/operators/biharmonic.ts';
import { operatorBatch } from '../../../src/operators/batch.ts';
import { pointValues } from '../../../src/operators/combine.ts';
import { diagonalOperator } from '../../../src/operators/diagonal.ts';
import { along, fixedTangents } from '../../../src/operators/fixedTangents.ts';
import {
  directionalDerivativeOperator,
  gradientOperator,
  timeDerivativeOperator,
} from '../../../src/operators/firstOrder.ts';
import { gkdv1dOperator } from '../../../src/operators/gkdv1d.ts';
import { kdv2dOperator } from '../../../src/operators/kdv2d.ts';
import { kp2dOperator } from '../../../src/operators/kp2d.ts';
import { laplacianOperator } from '../../../src/operators/laplacian.ts';
import {
  defineOperator,
  type JetOperator,
  OperatorError,
} from '../../../src/operators/operator.ts';

const d = 6;
const all: [
  JetOperator,
  { order: number; directions: number; collapsible: boolean; stochastic: boolean },
][] = [
  [
    laplacianOperator({ dimension: d, method: 'sparse', samples: 3 }),
    { order: 2, directions: 3, collapsible: true, stochastic: true },
  ],
  [
    laplacianOperator({ dimension: d, method: 'rademacher', samples: 4 }),
    { order: 2, directions: 4, collapsible: true, stochastic: true },
  ],
  [
    laplacianOperator({ dimension: d, method: 'gaussian', samples: 4 }),
    { order: 2, directions: 4, collapsible: true, stochastic: true },
  ],
  [
    laplacianOperator({ dimension: d, method: 'exact' }),
    { order: 2, directions: d, collapsible: true, stochastic: false },
  ],
  [
    diagonalOperator({ dimension: d, derivativeOrder: 4, samples: 2 }),
    { order: 4, directions: 2, collapsible: true, stochastic: true },
  ],
  [
    biharmonicOperator({ dimension: d, method: 'gaussian', samples: 3 }),
    { order: 4, directions: 3, collapsible: true, stochastic: true },
  ],
  [
    biharmonicOperator({ dimension: 3, method: 'exact' }),
    { order: 4, directions: 9, collapsible: false, stochastic: false },
  ],
  [
    timeDerivativeOperator({ dimension: d, time: 5 }),
    { order: 1, directions: 1, collapsible: false, stochastic: false },
  ],
  [
    directionalDerivativeOperator({ dimension: 2, direction: [1, 2] }),
    { order: 1, directions: 1, collapsible: false, stochastic: false },
  ],
  [
    gradientOperator({ dimension: d }),
    { order: 1, directions: d, collapsible: false, stochastic: false },
  ],
  [kdv2dOperator(), { order: 5, directions: 3, collapsible: false, stochastic: false }],
  [kp2dOperator(), { order: 4, directions: 2, collapsible: false, stochastic: false }],
  [gkdv1dOperator(), { order: 5, directions: 3, collapsible: false, stochastic: false }],
];

describe('every operator', () => {
  for (const [operator, expected] of all) {
    it(`${operator.name}: order ${expected.order}, ${expected.directions} jets per point, collapsible ${expected.collapsible}`, () => {
      expect(operator.name).toMatch(/^[a-z0-9-]+$/);
      expect(operator.tex.length).toBeGreaterThan(0);
      expect(operator).toMatchObject(expected);
      for (const q of operator.quantities) expect(q.tex.length).toBeGreaterThan(0);
      const tangents = operator.tangents(3, { seed: 11, step: 4 });
      const slots = 3 * operator.directions * operator.order;
      if (tangents.kind === 'oneHot') expect(tangents.index.length).toBe(slots);
      else expect(tangents.values.length).toBe(slots * operator.dimension);
      expect(operator.tangents(3, { seed: 11, step: 4 })).toEqual(tangents);
      const redrawn = operator.tangents(3, { seed: 11, step: 5 });
      if (expected.stochastic) expect(redrawn).not.toEqual(tangents);
      else expect(redrawn).toEqual(tangents);
      if (!expected.collapsible)
        expect(() => operator.shape(3, 'collapsed')).toThrow(OperatorError);
    });
  }
});

describe('estimates from output coefficients', () => {
  it('read J_k = k!·u_k, N×Q point-major, from either channel structure', () => {
    const operator = kp2dOperator();
    const shape = operator.shape(2);
    const V = rowsPerPoint(shape);
    const outputs = Float64Array.from({ length: 2 * V }, (_, i) => i + 1);
    const estimate = operator.estimate(outputs, shape);
    expect(estimate.length).toBe(2 * operator.quantities.length);
    const q = operator.evaluate(outputs, shape);
    // Point 1, jet 0, order 4 is row 4 of the point: u_4 = V + 5, J_4 = 24·u_4.
    expect(q['u_tx+u_xxxx'][1]).toBe(24 * (V + 5));
    expect(estimate[operator.quantities.length + 3]).toBe(24 * (V + 5));
    expect(q.u).toEqual(pointValues(outputs, shape));
    expect(operator.quantity('u_yy', outputs, shape)[0]).toBe(2 * (1 + 4 + 2));

    const laplacian = laplacianOperator({ dimension: 4, method: 'exact' });
    const collapsed = laplacian.shape(1, 'collapsed');
    // Collapsed rows: value, the 4 first-order rows, one summed second-order row.
    expect(laplacian.estimate([0, 1, 1, 1, 1, 0.25], collapsed)[0]).toBe(0.5);
    const standard = laplacian.shape(1);
    expect(laplacian.estimate([0, 1, 0.1, 1, 0.05, 1, 0.05, 1, 0.05], standard)[0]).toBeCloseTo(
      0.5,
      14,
    );
  });

  it('refuses a wrong number of outputs and unknown quantities', () => {
    // Typed as any operator: an unknown name is a compile error on kdv2dOperator()'s own type.
    const operator: JetOperator = kdv2dOperator();
    expect(() => operator.estimate(new Float64Array(3), operator.shape(1))).toThrow(
      /expected 16 output coefficients/,
    );
    expect(() => operator.quantity('u_zz', new Float64Array(16), operator.shape(1))).toThrow(
      /no quantity 'u_zz'/,
    );
    const foreign = kp2dOperator().shape(1);
    expect(() => operator.estimate(new Float64Array(16), foreign)).toThrow(
      /3 jets of order 5 per point; the outputs have 2 of order 4/,
    );
  });

  it('operatorBatch checks the points against the dimension', () => {
    const operator = laplacianOperator({ dimension: 3, method: 'sparse', samples: 2 });
    const batch = operatorBatch(operator, new Float64Array(6), { seed: 1, step: 0 }, 'collapsed');
    expect(batch.shape).toEqual({ points: 2, directions: 2, order: 2, structure: 'collapsed' });
    expect(() => operatorBatch(operator, new Float64Array(5), { seed: 1, step: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('construction rules', () => {
  it('fixed jets are one-hot when each tangent has one component, dense otherwise; normalized', () => {
    const oneHot = fixedTangents([[along(1, 0), along(3, 2, 0.25)]], 3, 4, 1);
    expect(oneHot).toEqual({
      kind: 'oneHot',
      index: Int32Array.of(0, -1, 2, -1),
      coefficient: Float32Array.of(1, 0, 0.25 / 6, 0),
    });
    const dense = fixedTangents(
      [
        [
          {
            order: 2,
            components: [
              { index: 0, value: 2 },
              { index: 1, value: -4 },
            ],
          },
        ],
      ],
      2,
      2,
      1,
    );
    expect(dense).toEqual({ kind: 'dense', values: Float32Array.of(0, 0, 1, -2) });
  });

  it('refuses impossible operators with a readable message', () => {
    expect(() => laplacianOperator({ dimension: 4, method: 'sparse', samples: 5 })).toThrow(
      /samples must be an integer in 1..4/,
    );
    expect(() =>
      laplacianOperator({ dimension: 4, method: 'sparse', samples: 2, spatial: 3, time: 1 }),
    ).toThrow(/time index/);
    expect(() => diagonalOperator({ dimension: 4, derivativeOrder: 9 })).toThrow(/2..8/);
    expect(() => biharmonicOperator({ dimension: 4, method: 'gaussian' })).toThrow(/samples/);
    expect(() => timeDerivativeOperator({ dimension: 2, time: 2 })).toThrow(/time index/);
    expect(() =>
      defineOperator({
        name: 'bad',
        tex: 'x',
        dimension: 2,
        order: 2,
        draw: { kind: 'fixed', jets: [[along(1, 0)]] },
        quantities: [{ name: 'q', tex: 'q', terms: [{ direction: 1, order: 2, scale: 1 }] }],
      }),
    ).toThrow(/direction 1 invalid/);
  });
});
