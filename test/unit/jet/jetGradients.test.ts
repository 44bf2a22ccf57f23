import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from '../../../src/jet/activations.ts';
import { type JetLossFunction, jetLossAndGradient } from './jetGradients.ts';
import {
  BOUNDARY_FACTORS,
  initParameters,
  type MlpArchitecture,
  type MlpParameters,
} from '../../../src/jet/mlp.ts';
import { referenceForwardJet, reverseJet } from '../../../src/jet/referenceJet.ts';
import { SeededRandom } from '../../../src/jet/seededRandom.ts';
import type { JetInput } from '../../../src/jet/vectorJet.ts';

const D = 2;
const WIDTHS = [D, 4, 3, 2];
const POINT = [0.3, -0.45];

/** Three jets at one point: first tangents only, a dense mix, and a sparse higher-order one. */
function jetInputs(order: number, random: SeededRandom): JetInput[] {
  const vector = () => Float64Array.from({ length: D }, () => random.normal());
  return [
    {
      point: POINT,
      tangents: Array.from({ length: order }, (_, i) => (i === 0 ? vector() : null)),
    },
    { point: POINT, tangents: Array.from({ length: order }, () => vector()) },
    {
      point: POINT,
      tangents: Array.from({ length: order }, (_, i) => (i % 2 === 1 ? null : vector())),
    },
  ];
}

/**
 * L = Σ_{j,o,k} w_jok·u_jok + ½(Σ_j u_{j,0,K} − 0.1)²: a linear term that touches every output
 * coefficient of every jet and a quadratic term that couples the jets' top coefficients, as a PDE
 * residual does.
 */
function makeLoss(order: number, random: SeededRandom): JetLossFunction {
  const w = Array.from({ length: 3 }, () =>
    Array.from({ length: 2 }, () =>
      Float64Array.from({ length: order + 1 }, () => random.normal()),
    ),
  );
  return (coefficients) => {
    const residual = coefficients.reduce((s, outputs) => s + outputs[0][order], 0) - 0.1;
    let value = 0.5 * residual * residual;
    const cotangents = coefficients.map((outputs, j) =>
      outputs.map((u, o) => {
        const bar = Float64Array.from(w[j][o]);
        u.forEach((uk, k) => (value += w[j][o][k] * uk));
        if (o === 0) bar[order] += residual;
        return bar;
      }),
    );
    return { value, cotangents };
  };
}

function lossValue(
  arch: MlpArchitecture,
  params: MlpParameters,
  inputs: JetInput[],
  loss: JetLossFunction,
): number {
  return loss(inputs.map((input) => referenceForwardJet(arch, params, input).coefficients)).value;
}

describe('reverse mode against central finite differences (float64, relative error < 1e-6)', () => {
  // Step 1e-5: truncation O(h²) and rounding O(ε/h) are both near 1e-10 relative, far below 1e-6.
  const h = 1e-5;
  for (const activation of ACTIVATIONS) {
    for (const boundary of BOUNDARY_FACTORS) {
      it(`${activation}, boundary ${boundary}, K ∈ {1, 2, 4, 8}`, () => {
        for (const order of [1, 2, 4, 8]) {
          const arch: MlpArchitecture = { widths: WIDTHS, activation, boundary };
          const params = initParameters(arch, 100 + order);
          const random = new SeededRandom(order);
          const inputs = jetInputs(order, random);
          const loss = makeLoss(order, random);
          const { value, gradient } = jetLossAndGradient(arch, params, inputs, loss);
          expect(value).toBeCloseTo(lossValue(arch, params, inputs, loss), 12);
          params.layers.forEach((layer, l) => {
            for (const name of ['weight', 'bias'] as const) {
              const values = layer[name];
              const analytic = gradient.layers[l][name];
              let maxError = 0;
              let maxReference = 0;
              for (let i = 0; i < values.length; i++) {
                const saved = values[i];
                values[i] = saved + h;
                const plus = lossValue(arch, params, inputs, loss);
                values[i] = saved - h;
                const minus = lossValue(arch, params, inputs, loss);
                values[i] = saved;
                const reference = (plus - minus) / (2 * h);
                maxError = Math.max(maxError, Math.abs(analytic[i] - reference));
                maxReference = Math.max(maxReference, Math.abs(reference));
              }
              const label = `K=${order} layer ${l} ${name}: ‖error‖∞/‖fd‖∞ = ${maxError / maxReference}`;
              expect(maxReference, label).toBeGreaterThan(1e-8);
              expect(maxError / maxReference, label).toBeLessThan(1e-6);
            }
          });
        }
      });
    }
  }
});

describe('reverse mode bookkeeping', () => {
  const arch: MlpArchitecture = { widths: WIDTHS, activation: 'tanh', boundary: 'ball' };
  const params = initParameters(arch, 1);
  const input: JetInput = { point: POINT, tangents: [[1, 0], null] };
  const forward = referenceForwardJet(arch, params, input);

  it('accumulates into a supplied gradient: two reverse passes give twice one', () => {
    const cotangents = [Float64Array.of(1, -2, 0.5), Float64Array.of(0, 1, 3)];
    const once = reverseJet(arch, params, forward, cotangents);
    const twice = reverseJet(
      arch,
      params,
      forward,
      cotangents,
      reverseJet(arch, params, forward, cotangents),
    );
    once.layers.forEach((layer, l) =>
      layer.weight.forEach((g, i) => expect(twice.layers[l].weight[i]).toBeCloseTo(2 * g, 14)),
    );
  });

  it('a zero cotangent gives a zero gradient', () => {
    const zero = reverseJet(arch, params, forward, [new Float64Array(3), new Float64Array(3)]);
    zero.layers.forEach(({ weight, bias }) => {
      expect(weight.every((g) => g === 0)).toBe(true);
      expect(bias.every((g) => g === 0)).toBe(true);
    });
  });

  it('rejects cotangents of the wrong shape', () => {
    expect(() => reverseJet(arch, params, forward, [new Float64Array(3)])).toThrow(/2 outputs/);
    expect(() =>
      reverseJet(arch, params, forward, [new Float64Array(3), new Float64Array(2)]),
    ).toThrow(/output 1: expected 3/);
    const wrongLoss: JetLossFunction = () => ({ value: 0, cotangents: [] });
    expect(() => jetLossAndGradient(arch, params, [input], wrongLoss)).toThrow(/0 of 1 jets/);
  });
});
