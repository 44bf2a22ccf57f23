import { describe, expect, it } from 'vitest';
import { cauchyDerivatives, type Complex, cadd, cmul, complex, cscale } from './complex.ts';
import { combine, expectClose, unit } from './expectClose.ts';
import { complexNetwork, jetNetwork } from './networks.ts';
import { ACTIVATIONS } from '../../../src/jet/activations.ts';
import { pushCurve } from '../../../src/jet/jet.ts';
import {
  type AnyMlpParameters,
  BOUNDARY_FACTORS,
  initParameters,
  type MlpArchitecture,
  toFloat32Parameters,
} from '../../../src/jet/mlp.ts';
import { referenceForwardJet } from '../../../src/jet/referenceJet.ts';
import { factorial } from '../../../src/jet/series.ts';
import { SeededRandom } from '../../../src/jet/seededRandom.ts';
import { coefficientVector, type JetInput, unitSeries } from '../../../src/jet/vectorJet.ts';

const D = 3;
const WIDTHS = [D, 5, 4, 2];
const POINT = [0.3, -0.5, 0.4];

function randomTangents(order: number, random: SeededRandom): Float64Array[] {
  return Array.from({ length: order }, () =>
    Float64Array.from({ length: D }, () => random.normal()),
  );
}

/** J_k of every output along the jet, by the Cauchy integral over complex t (no series code at all). */
function cauchyJet(
  arch: MlpArchitecture,
  params: AnyMlpParameters,
  input: JetInput,
  radius: number,
) {
  const order = input.tangents.length;
  const curve = (t: Complex): Complex[] =>
    Array.from(input.point, (x, i) => {
      let g = complex(x);
      let power = complex(1);
      input.tangents.forEach((v, index) => {
        power = cmul(power, t);
        if (v !== null) g = cadd(g, cscale(power, v[i] / factorial(index + 1)));
      });
      return g;
    });
  return Array.from({ length: arch.widths[arch.widths.length - 1] }, (_, o) =>
    cauchyDerivatives((t) => complexNetwork(arch, params, curve(t))[o], 0, radius, order, 256),
  );
}

/** J_K of output 0 along a jet with first tangent v only. */
function directional(
  arch: MlpArchitecture,
  params: AnyMlpParameters,
  v: Float64Array,
  order: number,
) {
  const t = Array.from({ length: order }, (_, i) => (i === 0 ? v : null));
  return referenceForwardJet(arch, params, { point: POINT, tangents: t }).derivatives[0][order];
}

describe('forward jet through the MLP against the Cauchy integral (independent of all series code)', () => {
  // The rounding of the Cauchy reference for J_k is about ε·max|u|·k!/r^k, so r should be as large as
  // the analytic disc allows. For these networks and tangents r = 1.5 already shows truncation error
  // (5e-7 with 128 nodes), so the nearest singularity lies beyond 1.5: r = 1 with 256 nodes leaves a
  // truncation of order (2/3)^256 and a measured worst error of 1e-12, well inside 1e-9.
  for (const activation of ACTIVATIONS) {
    for (const boundary of BOUNDARY_FACTORS) {
      it(`${activation}, boundary ${boundary}, K = 8, every tangent nonzero: tolerance 1e-9 relative`, () => {
        const arch: MlpArchitecture = { widths: WIDTHS, activation, boundary };
        const params = initParameters(arch, 17);
        const random = new SeededRandom(5);
        const input = { point: POINT, tangents: randomTangents(8, random) };
        const forward = referenceForwardJet(arch, params, input);
        const reference = cauchyJet(arch, params, input, 1);
        reference.forEach((J, o) =>
          J.forEach((Jk, k) =>
            expectClose(forward.derivatives[o][k], Jk, 1e-9, `output ${o} J_${k}`),
          ),
        );
      });
    }
  }
});

describe('forward jet against the generic Jet arithmetic (tolerance 1e-12 relative)', () => {
  const configurations: { name: string; tangents: (Float64Array | null)[] }[] = [
    { name: 'K = 0', tangents: [] },
    { name: '7-jet, v_1 = e_x', tangents: [unit(D, 0), null, null, null, null, null, null] },
    {
      name: '7-jet, v_2 = e_i, v_3 = e_j',
      tangents: [null, unit(D, 0), unit(D, 2), null, null, null, null],
    },
    { name: '5-jet, v_2 = e_t, v_3 = e_x', tangents: [null, unit(D, 1), unit(D, 0), null, null] },
    {
      name: '7-jet, v_1 = e_x, v_4 = e_t',
      tangents: [unit(D, 0), null, null, unit(D, 2), null, null, null],
    },
  ];
  for (const activation of ACTIVATIONS) {
    for (const { name, tangents } of configurations) {
      it(`${activation}, ball2, ${name}: outputs and every layer's post-activation jets`, () => {
        const arch: MlpArchitecture = { widths: WIDTHS, activation, boundary: 'ball2' };
        const params = initParameters(arch, 23);
        const forward = referenceForwardJet(arch, params, { point: POINT, tangents });
        const { outputs, layerOutputs } = jetNetwork(arch, params, pushCurve(POINT, tangents));
        outputs.forEach((u, o) =>
          u.coeffs.forEach((c, k) => expectClose(forward.coefficients[o][k], c, 1e-12, `u_${k}`)),
        );
        forward.layers.forEach(({ postActivation }, l) =>
          layerOutputs[l].forEach((y, i) =>
            y.coeffs.forEach((c, k) =>
              expectClose(
                unitSeries(postActivation, i)[k],
                c,
                1e-12,
                `layer ${l} unit ${i} t^${k}`,
              ),
            ),
          ),
        );
      });
    }
  }
});

describe('forward jet result structure', () => {
  const arch: MlpArchitecture = { widths: WIDTHS, activation: 'tanh', boundary: 'ball' };
  const params = initParameters(arch, 3);
  const tangents = [unit(D, 1), null, combine(1, unit(D, 0), -2, unit(D, 2))];
  const forward = referenceForwardJet(arch, params, { point: POINT, tangents });

  it('chains the layer jets and records the curve, network and boundary jets', () => {
    expect(forward.order).toBe(3);
    expect(forward.layers).toHaveLength(3);
    expect(forward.layers[0].input).toBe(forward.curve);
    expect(forward.layers[1].input).toBe(forward.layers[0].postActivation);
    expect(forward.layers[2].postActivation).toBe(forward.layers[2].preActivation);
    expect(forward.network).toBe(forward.layers[2].postActivation);
    expect(Array.from(coefficientVector(forward.curve, 3))).toEqual([1 / 6, 0, -2 / 6]);
    // 1 − ‖g(t)‖² with g = POINT + t·e_1 + (t³/6)(e_0 − 2e_2): written out by hand.
    const b = forward.boundary as Float64Array;
    const r2 = POINT.reduce((s, x) => s + x * x, 0);
    expectClose(b[0], 1 - r2, 1e-15, 'b_0');
    expectClose(b[1], -2 * POINT[1], 1e-15, 'b_1');
    expectClose(b[2], -1, 1e-15, 'b_2');
    expectClose(b[3], (-2 * (POINT[0] - 2 * POINT[2])) / 6, 1e-15, 'b_3');
  });

  it('pre-activations are W·c_k (+ b at k = 0), post-activations σ at k = 0 (tolerance 1e-15)', () => {
    const { weight, bias } = params.layers[0];
    const { preActivation, postActivation, input } = forward.layers[0];
    for (let k = 0; k <= 3; k++) {
      const x = coefficientVector(input, k);
      for (let o = 0; o < 5; o++) {
        let z = k === 0 ? bias[o] : 0;
        for (let i = 0; i < D; i++) z += weight[o * D + i] * x[i];
        expectClose(coefficientVector(preActivation, k)[o], z, 1e-15, `z_${k}[${o}]`);
      }
    }
    coefficientVector(preActivation, 0).forEach((z, o) =>
      expectClose(coefficientVector(postActivation, 0)[o], Math.tanh(z), 1e-15, `s_0[${o}]`),
    );
  });

  it('derivatives are k!·coefficients', () => {
    forward.coefficients[1].forEach((c, k) =>
      expect(forward.derivatives[1][k]).toBe(c * factorial(k)),
    );
  });

  it('accepts float32 parameters as their exact float64 values', () => {
    const p32 = toFloat32Parameters(params);
    const p64 = {
      layers: p32.layers.map(({ weight, bias }) => ({
        weight: Float64Array.from(weight),
        bias: Float64Array.from(bias),
      })),
    };
    const a = referenceForwardJet(arch, p32, { point: POINT, tangents });
    const b = referenceForwardJet(arch, p64, { point: POINT, tangents });
    expect(Array.from(a.output.coeffs)).toEqual(Array.from(b.output.coeffs));
  });

  it('rejects inputs that do not fit the network', () => {
    expect(() => referenceForwardJet(arch, params, { point: [0, 0], tangents: [] })).toThrow(
      /dimension 2/,
    );
    expect(() => referenceForwardJet(arch, params, { point: POINT, tangents: [[1, 0]] })).toThrow(
      /v_1/,
    );
    const wrong: MlpArchitecture = { ...arch, widths: [D, 6, 4, 2] };
    expect(() => referenceForwardJet(wrong, params, { point: POINT, tangents: [] })).toThrow(
      /layer 0/,
    );
  });
});

describe('mixed-partial identities on the MLP, against polarization of plain directional jets', () => {
  // Polarization uses only first-tangent jets (J_n[v], v a sum of unit vectors), a different set of
  // jets from the mixed-tangent constructions; both must give the same partials (tolerance 1e-9).
  const arch: MlpArchitecture = { widths: WIDTHS, activation: 'tanh', boundary: 'ball' };
  const params = initParameters(arch, 29);
  const [x, t] = [unit(D, 0), unit(D, 2)];
  const J = (v: Float64Array, n: number) => directional(arch, params, v, n);
  const mixed = (order: number, nonzero: Record<number, Float64Array>) =>
    referenceForwardJet(arch, params, {
      point: POINT,
      tangents: Array.from({ length: order }, (_, i) => nonzero[i + 1] ?? null),
    }).derivatives[0];
  const xt = (J(combine(1, x, 1, t), 2) - J(combine(1, x, -1, t), 2)) / 4;

  it('5-jet, v_2 = e_t, v_3 = e_x: J_5 = 10u_xt', () => {
    expectClose(mixed(5, { 2: t, 3: x })[5], 10 * xt, 1e-9, 'J_5');
  });

  it('7-jet, v_2 = e_x, v_3 = e_t: J_3 = u_t, J_4 = 3u_xx, J_7 = 105u_xxt', () => {
    // J_3[e_x ± e_t] = u_xxx ± 3u_xxt + 3u_xtt ± u_ttt, so u_xxt = ((J_3[+] − J_3[−])/2 − u_ttt)/3.
    const xxt = ((J(combine(1, x, 1, t), 3) - J(combine(1, x, -1, t), 3)) / 2 - J(t, 3)) / 3;
    const jets = mixed(7, { 2: x, 3: t });
    expectClose(jets[3], J(t, 1), 1e-9, 'J_3');
    expectClose(jets[4], 3 * J(x, 2), 1e-9, 'J_4');
    expectClose(jets[7], 105 * xxt, 1e-9, 'J_7');
  });

  it('7-jet, v_1 = e_x, v_4 = e_t: J_4 = u_xxxx + u_t, J_5 = u_xxxxx + 5u_xt, J_7 = ∂⁷_x u + 35u_xxxt', () => {
    // J_4[e_x + s·e_t] = u_xxxx + 4s·u_xxxt + 6s²·u_xxtt + 4s³·u_xttt + s⁴·u_tttt; the odd parts at
    // s = 1 and s = 2 are A = 4u_xxxt + 4u_xttt and B = 8u_xxxt + 32u_xttt, so u_xxxt = (8A − B)/24.
    const odd = (s: number) => (J(combine(1, x, s, t), 4) - J(combine(1, x, -s, t), 4)) / 2;
    const xxxt = (8 * odd(1) - odd(2)) / 24;
    const jets = mixed(7, { 1: x, 4: t });
    expectClose(jets[4], J(x, 4) + J(t, 1), 1e-9, 'J_4');
    expectClose(jets[5], J(x, 5) + 5 * xt, 1e-9, 'J_5');
    expectClose(jets[7], J(x, 7) + 35 * xxxt, 1e-9, 'J_7');
  });
});
