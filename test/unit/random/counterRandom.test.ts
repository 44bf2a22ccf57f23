/**
 * The CPU mirror of shaders/lib/random.wgsl: Philox against Random123's known answers, the 32×32-bit
 * product against BigInt, and the distributions of the derived draws. Seeds are fixed, so every
 * statistical test is deterministic; each would fail a correct generator with probability 1e-3.
 */
import { describe, expect, it } from 'vitest';
import { mulHigh, mulLow, philox4x32 } from '../../../src/random/philox.ts';
import {
  normalAt,
  rademacherAt,
  randomKey,
  uniformAt,
  WordStream,
} from '../../../src/random/counterRandom.ts';
import { chiSquareSurvival, ksStatistic, ksSurvival, moments, normalCdf } from './statistics.ts';

const ALPHA = 1e-3;

describe('Philox-4x32-10', () => {
  it("reproduces Random123's known-answer vectors", () => {
    const cases = [
      { ctr: [0, 0, 0, 0], key: [0, 0], out: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
      {
        ctr: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
        key: [0xffffffff, 0xffffffff],
        out: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
      },
      {
        ctr: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
        key: [0xa4093822, 0x299f31d0],
        out: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
      },
    ];
    for (const { ctr, key, out } of cases) expect([...philox4x32(ctr, key)]).toEqual(out);
  });

  it('builds the 64-bit product from 16-bit halves exactly (against BigInt)', () => {
    const stream = new WordStream(randomKey(1, 0), 0, 0, 0);
    const edge = [0, 1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
    const values = [...edge, ...Array.from({ length: 200 }, () => stream.nextWord())];
    for (const a of values) {
      for (const b of values.slice(0, 20)) {
        const product = BigInt(a) * BigInt(b);
        expect(mulHigh(a, b)).toBe(Number(product >> 32n));
        expect(mulLow(a, b)).toBe(Number(product & 0xffffffffn));
      }
    }
  });
});

describe('derived draws', () => {
  const key = randomKey(20240617, 7);
  const n = 20000;

  it('uniforms are multiples of 2^-24 in [0, 1), KS-uniform, with mean 1/2 and variance 1/12', () => {
    const u = Float64Array.from({ length: n }, (_, i) => uniformAt(key, 3, i % 97, 1, i));
    for (const x of u) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      expect(Number.isInteger(x * 2 ** 24)).toBe(true);
    }
    expect(
      ksSurvival(
        ksStatistic(u, (x) => x),
        n,
      ),
    ).toBeGreaterThan(ALPHA);
    const m = moments(u);
    // Standard errors: σ/√n for the mean, sqrt((μ4 − σ⁴)/n) with μ4 = 1/80 for the variance.
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(m.variance - 1 / 12)).toBeLessThan(4 * Math.sqrt((1 / 80 - 1 / 144) / n));
  });

  it('normals are KS-normal with moments 0, 1, 0, 3 (within 4 standard errors)', () => {
    const z = Float64Array.from({ length: n }, (_, i) => normalAt(key, 5, 11, i % 13, i));
    expect(ksSurvival(ksStatistic(z, normalCdf), n)).toBeGreaterThan(ALPHA);
    const m = moments(z);
    expect(Math.abs(m.mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(m.variance - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    expect(Math.abs(m.skewness)).toBeLessThan(4 * Math.sqrt(6 / n));
    expect(Math.abs(m.kurtosis - 3)).toBeLessThan(4 * Math.sqrt(24 / n));
  });

  it('the two normals of one Box–Muller pair are uncorrelated', () => {
    let product = 0;
    for (let i = 0; i < n; i++) product += normalAt(key, 1, i, 0, 0) * normalAt(key, 1, i, 0, 1);
    expect(Math.abs(product / n)).toBeLessThan(4 / Math.sqrt(n));
  });

  it('Rademacher signs are ±1, balanced, and independent bit to bit', () => {
    const s = Float64Array.from({ length: n }, (_, i) => rademacherAt(key, 2, 0, 0, i));
    expect(s.every((x) => x === 1 || x === -1)).toBe(true);
    expect(Math.abs(moments(s).mean)).toBeLessThan(4 / Math.sqrt(n));
    let lag = 0;
    for (let i = 1; i < n; i++) lag += s[i] * s[i - 1];
    expect(Math.abs(lag / (n - 1))).toBeLessThan(4 / Math.sqrt(n));
  });

  it('the same key and counter give the same draw; a different stream, step, point or jet does not', () => {
    expect(normalAt(key, 4, 5, 6, 7)).toBe(normalAt(randomKey(20240617, 7), 4, 5, 6, 7));
    const base = uniformAt(key, 4, 5, 6, 7);
    expect(uniformAt(randomKey(20240617, 8), 4, 5, 6, 7)).not.toBe(base);
    expect(uniformAt(key, 5, 5, 6, 7)).not.toBe(base);
    expect(uniformAt(key, 4, 6, 6, 7)).not.toBe(base);
    expect(uniformAt(key, 4, 5, 7, 7)).not.toBe(base);
  });

  it('uniformBelow is in range and chi-square uniform, also where rejection is likely', () => {
    // n = 3·2^30 rejects 1/4 of the words (2^32 mod n = 2^30): a biased modulus would show.
    for (const bound of [7, 3 * 2 ** 30]) {
      const stream = new WordStream(key, 9, bound % 1000, 0);
      const bins = 8;
      const counts = new Float64Array(bins);
      for (let i = 0; i < n; i++) {
        const v = stream.uniformBelow(bound);
        expect(v).toBeLessThan(bound);
        counts[Math.floor((v * bins) / bound)]++;
      }
      // With n = 7 every value has its own bin; the last bin is then empty by construction.
      const used = bound === 7 ? 7 : bins;
      let statistic = 0;
      for (let b = 0; b < used; b++) {
        const expected = bound === 7 ? n / 7 : n / bins;
        statistic += (counts[b] - expected) ** 2 / expected;
      }
      expect(chiSquareSurvival(statistic, used - 1)).toBeGreaterThan(ALPHA);
    }
  });

  it('refuses keys that are not u32', () => {
    expect(() => randomKey(-1, 0)).toThrow(RangeError);
    expect(() => randomKey(2 ** 32, 0)).toThrow(/seed must be an integer in \[0, 2\^32\)/);
    expect(() => randomKey(0, 1.5)).toThrow(/stream/);
  });
});
