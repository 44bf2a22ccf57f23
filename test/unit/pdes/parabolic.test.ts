import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../src/jet/seededRandom.ts';
import {
  allenCahnParabolic,
  argmax,
  PARABOLIC_HORIZON,
  PARABOLIC_PROBLEMS,
  parabolicResidual,
  semilinearHeat,
  sineGordonParabolic,
} from '../../../src/pdes/parabolic.ts';
import {
  PARABOLIC_REFERENCES,
  parabolicReferenceValue,
} from '../../../src/pdes/parabolicReference.ts';

/** Terminal points as the sampler draws them: x ~ N(0, 2T·I). */
function terminalPoints(d: number, count: number, seed: number): Float64Array[] {
  const random = new SeededRandom(seed, 11);
  const sigma = Math.sqrt(2 * PARABOLIC_HORIZON);
  return Array.from({ length: count }, () =>
    Float64Array.from({ length: d }, () => sigma * random.normal()),
  );
}

/**
 * Fourth-order central difference with step h = 1e-3: truncation h⁴·|g⁽⁵⁾|/30 ≈ 1e-13 and rounding
 * ≈ ε·|g|/h ≈ 1e-13 for these g, so a tolerance of 1e-9·max(1, |g|) is far from both.
 */
const STEP = 1e-3;
const FD_TOLERANCE = 1e-9;

function centralDifference(g: (x: Float64Array) => number, x: Float64Array, j: number): number {
  const at = (offset: number) => {
    const y = Float64Array.from(x);
    y[j] += offset;
    return g(y);
  };
  return (-at(2 * STEP) + 8 * at(STEP) - 8 * at(-STEP) + at(-2 * STEP)) / (12 * STEP);
}

describe.each(PARABOLIC_PROBLEMS.map((p) => ({ name: p.id, problem: p })))(
  '$name terminal condition',
  ({ problem }) => {
    it.each([3, 5, 8, 100])(
      '∇g matches 4th-order central differences (h = 1e-3, tolerance 1e-9·max(1, |g|)) at d = %i',
      (d) => {
        for (const x of terminalPoints(d, 4, d)) {
          if (problem === allenCahnParabolic) {
            // The finite-difference stencil must not cross a switch of the argmax.
            const sorted = Array.from(x).sort((a, b) => b - a);
            expect(sorted[0] - sorted[1]).toBeGreaterThan(4 * STEP);
          }
          const gradient = problem.terminalGradient(x);
          const bound = FD_TOLERANCE * Math.max(1, Math.abs(problem.terminal(x)));
          for (let j = 0; j < d; j++) {
            const fd = centralDifference((y) => problem.terminal(y), x, j);
            expect(Math.abs(gradient[j] - fd), `∂_${j} g`).toBeLessThanOrEqual(bound);
          }
        }
      },
    );
  },
);

describe('parabolic problems', () => {
  it('Allen–Cahn: ∇g is one-hot at the argmax, ties going to the lowest index', () => {
    expect(argmax([0, 0, 0])).toBe(0);
    expect(argmax([1, 3, 3, -2])).toBe(1);
    expect(Array.from(allenCahnParabolic.terminalGradient(new Float64Array(3)))).toEqual([1, 0, 0]);
    const g = allenCahnParabolic.terminalGradient(Float64Array.from([1, 3, 3, -2]));
    expect(Array.from(g)).toEqual([0, 0.1, 0, 0]);
    expect(allenCahnParabolic.terminal([1, 3, 3, -2])).toBe(Math.atan(3));
  });

  it('writes the gradient into a caller buffer of the right length', () => {
    const out = new Float64Array(2);
    expect(semilinearHeat.terminalGradient([1, 2], out)).toBe(out);
    expect(Array.from(out)).toEqual([-20 / 400, -40 / 400]);
    expect(() => semilinearHeat.terminalGradient([1, 2], new Float64Array(3))).toThrow(RangeError);
  });

  it('scaled sine-Gordon is d times the unscaled problem: u = d·w', () => {
    const x = Float64Array.from([0.3, -1, 2, 0.5]);
    const d = x.length;
    expect(sineGordonParabolic.terminal(x)).toBeCloseTo(d * semilinearHeat.terminal(x), 14);
    const w = 0.7;
    expect(sineGordonParabolic.nonlinearity(d * w, d)).toBeCloseTo(d * Math.sin(w), 14);
  });

  it('residual is u_t + Δu + N(u) with no source', () => {
    expect(parabolicResidual(semilinearHeat, 0, 0.25, -0.5, 10)).toBe(0.25 - 0.5 + 1);
    expect(parabolicResidual(allenCahnParabolic, 2, 1, 1, 10)).toBe(1 + 1 + 2 - 8);
    expect(parabolicResidual(sineGordonParabolic, 0, 0, 0, 10)).toBe(0);
  });

  it('reference values u(0, 0) are DESIGN.md §4 exactly; sine-Gordon is d × w and provisional', () => {
    const dims = [10, 100, 1000, 10000];
    expect(PARABOLIC_REFERENCES['semilinear-heat']).toEqual({
      dimensions: dims,
      values: [0.47006, 0.31674, 0.28753, 0.28433],
      scale: 'one',
      provisional: false,
    });
    expect(PARABOLIC_REFERENCES['allen-cahn-parabolic']).toEqual({
      dimensions: dims,
      values: [0.8906, 1.0451, 1.091, 1.11402],
      scale: 'one',
      provisional: false,
    });
    expect(PARABOLIC_REFERENCES['sine-gordon-parabolic']).toEqual({
      dimensions: dims,
      values: [0.322947, 0.0528368, 0.0055896, 0.0005621],
      scale: 'dimension',
      provisional: true,
    });
    expect(parabolicReferenceValue('semilinear-heat', 100)).toBe(0.31674);
    expect(parabolicReferenceValue('sine-gordon-parabolic', 1000)).toBe(1000 * 0.0055896);
    expect(parabolicReferenceValue('allen-cahn-parabolic', 20)).toBeUndefined();
    expect(PARABOLIC_HORIZON).toBe(0.3);
  });
});
