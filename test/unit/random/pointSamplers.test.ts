/**
 * The CPU collocation samplers (the mirror of samplers.wgsl; the GPU test compares the two):
 * radius laws by Kolmogorov–Smirnov at significance 1e-3, fixed seeds.
 */
import { describe, expect, it } from 'vitest';
import { sampleBall, sampleBox, sampleParabolic } from '../../../src/random/pointSamplers.ts';
import { ksStatistic, ksSurvival } from './statistics.ts';

const ALPHA = 1e-3;

function radii(points: Float32Array, d: number): Float64Array {
  return Float64Array.from({ length: points.length / d }, (_, p) =>
    Math.hypot(...points.subarray(p * d, (p + 1) * d)),
  );
}

describe('ball samplers', () => {
  for (const d of [2, 10]) {
    it(`d = ${d}: volume-uniform radii follow s^d, radius-uniform radii follow s`, () => {
      const N = 4000;
      const volume = radii(sampleBall(d, 'volume-uniform', N, { seed: 3, step: d }), d);
      expect(
        ksSurvival(
          ksStatistic(volume, (s) => Math.min(s, 1) ** d),
          N,
        ),
      ).toBeGreaterThan(ALPHA);
      const radial = radii(sampleBall(d, 'radius-uniform', N, { seed: 3, step: d }), d);
      expect(
        ksSurvival(
          ksStatistic(radial, (s) => Math.min(s, 1)),
          N,
        ),
      ).toBeGreaterThan(ALPHA);
      expect(Math.max(...volume, ...radial)).toBeLessThanOrEqual(1 + 1e-6);
    });
  }

  it('is reproducible from (seed, step) and changes with either', () => {
    const a = sampleBall(3, 'volume-uniform', 5, { seed: 1, step: 1 });
    expect(sampleBall(3, 'volume-uniform', 5, { seed: 1, step: 1 })).toEqual(a);
    expect(sampleBall(3, 'volume-uniform', 5, { seed: 1, step: 2 })).not.toEqual(a);
    expect(sampleBall(3, 'volume-uniform', 5, { seed: 2, step: 1 })).not.toEqual(a);
  });
});

describe('parabolic samplers', () => {
  it('interior t ~ U[0, T) (KS); terminal t = T; x scales with sqrt(2t)', () => {
    const T = 0.3;
    const N = 3000;
    const interior = sampleParabolic(2, T, 'interior', N, { seed: 4, step: 0 });
    const t = Float64Array.from({ length: N }, (_, p) => interior[3 * p + 2]);
    expect(
      ksSurvival(
        ksStatistic(t, (s) => s / T),
        N,
      ),
    ).toBeGreaterThan(ALPHA);
    const terminal = sampleParabolic(2, T, 'terminal', N, { seed: 4, step: 0 });
    let sumSquares = 0;
    for (let p = 0; p < N; p++) {
      expect(terminal[3 * p + 2]).toBe(Math.fround(T));
      sumSquares += terminal[3 * p] ** 2 + terminal[3 * p + 1] ** 2;
    }
    // E[x_i²] = 2T; the mean of 2N such squares has standard error 2T·sqrt(2/(2N)).
    expect(Math.abs(sumSquares / (2 * N) - 2 * T)).toBeLessThan(4 * 2 * T * Math.sqrt(1 / N));
    expect(() => sampleParabolic(2, 0, 'interior', 1, { seed: 0, step: 0 })).toThrow(/horizon/);
  });
});

describe('box sampler', () => {
  const box = { low: [-1, -0.5, 0], high: [1, 0.5, 2], timeIndex: 2, interior: 4000 };

  it('interior points: each coordinate uniform on its interval (KS)', () => {
    const x = sampleBox(box, 4000, { seed: 3, step: 1 });
    for (let i = 0; i < 3; i++) {
      const [low, high] = [box.low[i], box.high[i]];
      const unit = Float64Array.from(
        { length: 4000 },
        (_, p) => (x[p * 3 + i] - low) / (high - low),
      );
      expect(Math.min(...unit)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...unit)).toBeLessThan(1);
      expect(
        ksSurvival(
          ksStatistic(unit, (s) => s),
          unit.length,
        ),
      ).toBeGreaterThan(ALPHA);
    }
  });

  it('data points cycle through the faces: t = t₀, then both ends of x, then of y', () => {
    const x = sampleBox({ ...box, interior: 3 }, 3 + 10, { seed: 3, step: 1 });
    const fixed = [
      [2, 0],
      [0, -1],
      [0, 1],
      [1, -0.5],
      [1, 0.5],
    ];
    for (let m = 0; m < 10; m++) {
      const [variable, value] = fixed[m % 5];
      const row = x.subarray((3 + m) * 3, (4 + m) * 3);
      expect(row[variable], `data point ${m}`).toBe(Math.fround(value));
      row.forEach((v, i) => {
        expect(v).toBeGreaterThanOrEqual(box.low[i]);
        expect(v).toBeLessThanOrEqual(box.high[i]);
      });
    }
    // The interior points are those of the all-interior draw: face points take their own rows.
    expect(x.subarray(0, 9)).toEqual(sampleBox(box, 3, { seed: 3, step: 1 }));
  });
});
