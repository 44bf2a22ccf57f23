import { describe, expect, it } from 'vitest';
import { Jet, pushCurve } from '../../../src/jet/jet.ts';
import {
  gkdv1d,
  GKDV_DISPERSION,
  HIGH_ORDER_PROBLEMS,
  kdv2d,
  kp2d,
  requiredPartials,
} from '../../../src/pdes/highOrder.ts';
import {
  PARTIAL_NAMES,
  partialMultiIndex,
  partialOrder,
  type PartialName,
  type PartialValues,
} from '../../../src/pdes/partials.ts';

/**
 * The residual formulas are checked on exact travelling waves u = F(θ), θ = kx + ly − ωt, whose
 * partials are ∂_t^a ∂_x^b ∂_y^c u = (−ω)^a k^b l^c F^(a+b+c)(θ), with F's derivatives from a
 * one-dimensional float64 jet. Each wave solves its equation exactly, so every residual must vanish
 * (to rounding, relative to the largest term); a wrong coefficient or a dropped term would not.
 */
interface Wave {
  k: number;
  l: number;
  omega: number;
  profile: (theta: Jet) => Jet;
}

const sech2 = (theta: Jet): Jet => theta.apply('tanh').pow(2).neg().add(1);

function wavePartials(wave: Wave, x: number, y: number, t: number): PartialValues {
  const theta0 = wave.k * x + wave.l * y - wave.omega * t;
  const [theta] = pushCurve([theta0], [[1], null, null, null]);
  const derivatives = wave.profile(theta).derivatives();
  const values: Partial<Record<PartialName, number>> = {};
  for (const name of PARTIAL_NAMES) {
    const alpha = partialMultiIndex(name);
    const factor = (-wave.omega) ** alpha.t * wave.k ** alpha.x * wave.l ** alpha.y;
    values[name] = factor * derivatives[partialOrder(name)];
  }
  return values;
}

/** |r| ≤ 1e-12 · (largest |partial| + its square): rounding in sums of terms of that size. */
function expectResidualVanishes(values: PartialValues, r: number): void {
  const scale = Math.max(...Object.values(values).map((v) => Math.abs(v ?? 0)));
  expect(Math.abs(r)).toBeLessThanOrEqual(1e-12 * (scale + scale * scale));
}

const SAMPLES: [number, number, number][] = [
  [0.3, -0.2, 0.1],
  [-0.7, 0.5, 0.8],
  [0.05, 0.9, 0.4],
];

describe('high-order residuals vanish on exact travelling waves', () => {
  it('2-D KdV: u = 2k tanh θ with ω = (2l² − k² + 4k³l)/l', () => {
    // With G = F': the residual is d/dθ[(2l² − k² − ωl)G + k³l G'' + 3k²l G²]; G = A sech²θ needs A = 2k.
    const k = 0.8;
    const l = 1.3;
    const wave = {
      k,
      l,
      omega: (2 * l * l - k * k + 4 * k ** 3 * l) / l,
      profile: (theta: Jet) => theta.apply('tanh').scale(2 * k),
    };
    for (const [x, y, t] of SAMPLES) {
      const values = wavePartials(wave, x, y, t);
      expectResidualVanishes(values, kdv2d.residuals[0].evaluate(values));
    }
  });

  it('2-D KP: u = 2k² sech²θ with ω = (3l² + 4k⁴)/k', () => {
    // The residual is d²/dθ²[(3l² − ωk)F + 3k²F² + k⁴F''], zero for F = 2k² sech²θ and this ω.
    const k = 1.1;
    const l = 0.6;
    const wave = {
      k,
      l,
      omega: (3 * l * l + 4 * k ** 4) / k,
      profile: (theta: Jet) => sech2(theta).scale(2 * k * k),
    };
    for (const [x, y, t] of SAMPLES) {
      const values = wavePartials(wave, x, y, t);
      expectResidualVanishes(values, kp2d.residuals[0].evaluate(values));
    }
  });

  it('1-D gKdV: the soliton u = 3c sech²(k(x − ct)), k = √c/(2δ), zeroes r, r_x and r_t', () => {
    const c = 0.5;
    const k = Math.sqrt(c) / (2 * Math.sqrt(GKDV_DISPERSION));
    const wave = { k, l: 0, omega: k * c, profile: (theta: Jet) => sech2(theta).scale(3 * c) };
    for (const [x, , t] of SAMPLES) {
      const values = wavePartials(wave, x / 10, 0, t / 10);
      for (const term of gkdv1d.residuals) expectResidualVanishes(values, term.evaluate(values));
    }
  });

  it('a perturbed wave leaves a residual (the check has teeth)', () => {
    const values = { ...wavePartials({ k: 1, l: 1, omega: 1, profile: sech2 }, 0.4, 0.2, 0.3) };
    expect(Math.abs(kp2d.residuals[0].evaluate(values))).toBeGreaterThan(1e-3);
  });
});

describe('partials and problem metadata', () => {
  it('names partials canonically (t, x, y order) with their multi-indices', () => {
    expect(partialMultiIndex('u_txxx')).toEqual({ t: 1, x: 3, y: 0 });
    expect(partialMultiIndex('u_xxxy')).toEqual({ t: 0, x: 3, y: 1 });
    expect(partialMultiIndex('u')).toEqual({ t: 0, x: 0, y: 0 });
    expect(partialOrder('u')).toBe(0);
    expect(partialOrder('u_xxxx')).toBe(4);
    for (const name of PARTIAL_NAMES) {
      expect(name.slice(2)).toBe([...name.slice(2)].sort().join(''));
    }
  });

  it('lists the partials each problem needs', () => {
    expect(new Set(requiredPartials(kdv2d))).toEqual(
      new Set(['u_ty', 'u_xxxy', 'u_xy', 'u_x', 'u_y', 'u_xx', 'u_yy']),
    );
    expect(new Set(requiredPartials(kp2d))).toEqual(
      new Set(['u_tx', 'u', 'u_x', 'u_xx', 'u_xxxx', 'u_yy']),
    );
    expect(new Set(requiredPartials(gkdv1d))).toEqual(
      new Set(['u', 'u_t', 'u_x', 'u_xxx', 'u_tx', 'u_xx', 'u_xxxx', 'u_tt', 'u_txxx']),
    );
    for (const problem of HIGH_ORDER_PROBLEMS) {
      for (const p of requiredPartials(problem)) {
        const alpha = partialMultiIndex(p);
        for (const variable of ['t', 'x', 'y'] as const) {
          if (alpha[variable] > 0) expect(problem.variables).toContain(variable);
        }
      }
    }
  });

  it('refuses to evaluate a residual with a partial missing', () => {
    expect(() => kp2d.residuals[0].evaluate({ u: 1 })).toThrow(/residual needs u_tx/);
  });
});
