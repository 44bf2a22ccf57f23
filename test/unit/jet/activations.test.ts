import { describe, expect, it } from 'vitest';
import { cauchyDerivatives, type Complex, csin, csoftplus, ctanh, maxOnCircle } from './complex.ts';
import { expectClose } from './expectClose.ts';
import {
  type Activation,
  ACTIVATIONS,
  activationDerivatives,
  activationTaylorCoefficients,
  activationValue,
} from '../../../src/jet/activations.ts';
import { factorial } from '../../../src/jet/series.ts';

const POINTS = [-2.5, -0.7, 0, 0.3, 1.9];
const ORDER = 8;

const complexForms: Record<Activation, (z: Complex) => Complex> = {
  tanh: ctanh,
  sin: csin,
  softplus: csoftplus,
  identity: (z) => z,
};

describe('activation derivatives, closed forms at low order (tolerance 1e-14 relative)', () => {
  it('tanh: tanh′ = sech², tanh″ = −2 tanh sech², tanh‴ = 4 tanh² sech² − 2 sech⁴', () => {
    for (const z of POINTS) {
      const th = Math.tanh(z);
      const s2 = 1 / Math.cosh(z) ** 2;
      const d = activationDerivatives('tanh', z, 3);
      expectClose(d[0], th, 1e-14, `tanh(${z})`);
      expectClose(d[1], s2, 1e-14, `tanh'(${z})`);
      expectClose(d[2], -2 * th * s2, 1e-14, `tanh''(${z})`);
      expectClose(d[3], 4 * th * th * s2 - 2 * s2 * s2, 1e-14, `tanh'''(${z})`);
    }
  });

  it('sin cycles: sin^(k)(z) = sin(z + kπ/2) up to order 8', () => {
    for (const z of POINTS) {
      const d = activationDerivatives('sin', z, ORDER);
      for (let k = 0; k <= ORDER; k++) {
        expectClose(d[k], Math.sin(z + (k * Math.PI) / 2), 1e-14, `sin^(${k})(${z})`);
      }
    }
  });

  it('softplus: σ = log(1 + e^z), σ′ = s = 1/(1 + e^{−z}), σ″ = s(1 − s), σ‴ = s(1 − s)(1 − 2s)', () => {
    for (const z of POINTS) {
      const s = 1 / (1 + Math.exp(-z));
      const d = activationDerivatives('softplus', z, 3);
      expectClose(d[0], Math.log(1 + Math.exp(z)), 1e-14, `softplus(${z})`);
      expectClose(d[1], s, 1e-14, `softplus'(${z})`);
      expectClose(d[2], s * (1 - s), 1e-14, `softplus''(${z})`);
      expectClose(d[3], s * (1 - s) * (1 - 2 * s), 1e-14, `softplus'''(${z})`);
    }
  });

  it('identity: [z, 1, 0, …]', () => {
    expect(Array.from(activationDerivatives('identity', 1.5, 4))).toEqual([1.5, 1, 0, 0, 0]);
    expect(Array.from(activationDerivatives('identity', 1.5, 0))).toEqual([1.5]);
  });
});

describe('activation derivatives against the Cauchy integral formula, orders 0..8', () => {
  // Radius 1 stays inside tanh's pole distance π/2 and softplus's branch points at ±iπ; 128 nodes make
  // the truncation error negligible (≤ (2/π)^128). Rounding is about ε·max|f|·k!/r^k ≤ 1e-11·max|f|.
  const radius = 1;
  for (const activation of ACTIVATIONS) {
    it(`${activation}: |error| ≤ 1e-10·max(1, max|σ| on the circle)·max(1, |σ^(k)|)`, () => {
      for (const z of POINTS) {
        const f = complexForms[activation];
        const reference = cauchyDerivatives(f, z, radius, ORDER);
        const scale = maxOnCircle(f, z, radius);
        const d = activationDerivatives(activation, z, ORDER);
        for (let k = 0; k <= ORDER; k++) {
          expectClose(d[k], reference[k], 1e-10 * Math.max(1, scale), `${activation}^(${k})(${z})`);
        }
      }
    });
  }
});

describe('activations at large arguments', () => {
  it('z = ±1000 gives finite values and derivatives for every order up to 8', () => {
    for (const activation of ACTIVATIONS) {
      for (const z of [-1000, 1000]) {
        const d = activationDerivatives(activation, z, ORDER);
        expect(Array.from(d).every(Number.isFinite), `${activation} at ${z}`).toBe(true);
      }
    }
    expect(activationValue('tanh', 1000)).toBe(1);
    expect(activationValue('tanh', -1000)).toBe(-1);
    expect(activationValue('softplus', 1000)).toBe(1000);
    expect(activationValue('softplus', -1000)).toBe(0);
  });

  it('tanh keeps relative accuracy in saturation: tanh^(k)(20) ≈ −2(−2)^k e^{−40} (rel. 1e-12)', () => {
    // tanh z = 1 − 2e^{−2z} + O(e^{−4z}); the neglected term is e^{−40} ≈ 4e-18 relative.
    const d = activationDerivatives('tanh', 20, ORDER);
    const dm = activationDerivatives('tanh', -20, ORDER);
    for (let k = 1; k <= ORDER; k++) {
      const expected = -2 * (-2) ** k * Math.exp(-40);
      expect(Math.abs(d[k] / expected - 1), `k=${k}`).toBeLessThan(1e-12);
      // tanh is odd, so its k-th derivative has parity (−1)^(k+1).
      expect(Math.abs(dm[k] / ((-1) ** (k + 1) * expected) - 1), `k=${k}, z=-20`).toBeLessThan(
        1e-12,
      );
    }
  });

  it('softplus keeps relative accuracy in both tails: σ^(k)(40) ≈ (−1)^k e^{−40}, σ^(k)(−40) ≈ e^{−40} (rel. 1e-12)', () => {
    // σ(z) = z + e^{−z} − e^{−2z}/2 + …; the neglected term is 2^(k−1)·e^{−40} ≤ 1e-15 relative.
    const right = activationDerivatives('softplus', 40, ORDER);
    const left = activationDerivatives('softplus', -40, ORDER);
    for (let k = 2; k <= ORDER; k++) {
      expect(Math.abs(right[k] / ((-1) ** k * Math.exp(-40)) - 1), `k=${k}`).toBeLessThan(1e-12);
      expect(Math.abs(left[k] / Math.exp(-40) - 1), `k=${k}`).toBeLessThan(1e-12);
    }
  });
});

describe('activation Taylor coefficients', () => {
  it('are σ^(j)/j!', () => {
    for (const activation of ACTIVATIONS) {
      const d = activationDerivatives(activation, 0.4, ORDER);
      const t = activationTaylorCoefficients(activation, 0.4, ORDER);
      for (let j = 0; j <= ORDER; j++) expect(t[j]).toBeCloseTo(d[j] / factorial(j), 15);
    }
  });

  it('reject unknown activations and bad orders', () => {
    expect(() => activationDerivatives('relu' as unknown as Activation, 0, 2)).toThrow(/relu/);
    expect(() => activationDerivatives('tanh', 0, -1)).toThrow(RangeError);
  });
});
