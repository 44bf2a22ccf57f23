import { describe, expect, it } from 'vitest';
import { hash32, randomWord, SeededRandom, streamKey } from '../../../src/jet/seededRandom.ts';

/** lowbias32 with exact 64-bit BigInt products reduced mod 2^32: the C reference semantics. */
function hash32BigInt(x: number): number {
  const mask = 0xffffffffn;
  let h = BigInt(x >>> 0);
  h ^= h >> 16n;
  h = (h * 0x7feb352dn) & mask;
  h ^= h >> 15n;
  h = (h * 0x846ca68bn) & mask;
  h ^= h >> 16n;
  return Number(h);
}

function moments(
  draw: () => number,
  n: number,
): { mean: number; variance: number; fourth: number } {
  const xs = Array.from({ length: n }, draw);
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
  const fourth = xs.reduce((s, x) => s + (x - mean) ** 4, 0) / n;
  return { mean, variance, fourth };
}

describe('seeded random numbers', () => {
  it('hash32 matches lowbias32 computed with exact integer arithmetic', () => {
    const random = new SeededRandom(1);
    const inputs = [0, 1, 2, 0xffffffff, 0x80000000, 123456789];
    for (let i = 0; i < 1000; i++) inputs.push(random.nextU32());
    for (const x of inputs) expect(hash32(x), `x=${x}`).toBe(hash32BigInt(x));
  });

  it('is deterministic per (seed, stream) and differs across seeds and streams', () => {
    const take = (r: SeededRandom) => Array.from({ length: 16 }, () => r.nextU32());
    expect(take(new SeededRandom(42))).toEqual(take(new SeededRandom(42)));
    expect(take(new SeededRandom(42))).not.toEqual(take(new SeededRandom(43)));
    expect(take(new SeededRandom(42, 0))).not.toEqual(take(new SeededRandom(42, 1)));
    // Seeds that agree in their low 32 bits are still different seeds.
    expect(take(new SeededRandom(5))).not.toEqual(take(new SeededRandom(5 + 2 ** 32)));
  });

  it('is counter-based: word n is randomWord(key, n), no replay needed', () => {
    const r = new SeededRandom(7, 3);
    const words = Array.from({ length: 10 }, () => r.nextU32());
    expect(r.key).toBe(streamKey(7, 3));
    words.forEach((w, n) => expect(w).toBe(randomWord(streamKey(7, 3), n)));
  });

  it('rejects seeds and streams it cannot represent', () => {
    expect(() => new SeededRandom(-1)).toThrow(RangeError);
    expect(() => new SeededRandom(0.5)).toThrow(RangeError);
    expect(() => new SeededRandom(2 ** 53)).toThrow(RangeError);
    expect(() => new SeededRandom(1, 2 ** 32)).toThrow(RangeError);
  });

  it('uniform draws lie in [0, 1) with mean 1/2 ± 0.005 and variance 1/12 ± 0.002 (n = 200 000)', () => {
    const r = new SeededRandom(2024);
    let min = 1;
    let max = 0;
    const { mean, variance } = moments(() => {
      const u = r.uniform();
      min = Math.min(min, u);
      max = Math.max(max, u);
      return u;
    }, 200_000);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // The standard error of the mean is 0.29/√n ≈ 6.5e-4, so these bounds are ~8 standard errors.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
  });

  it('uniformIn scales to the interval', () => {
    const r = new SeededRandom(3);
    const xs = Array.from({ length: 1000 }, () => r.uniformIn(-2, 5));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...xs)).toBeLessThan(5);
  });

  it('normal draws have mean 0 ± 0.02, variance 1 ± 0.03, fourth moment 3 ± 0.15 (n = 200 000)', () => {
    const r = new SeededRandom(99);
    const { mean, variance, fourth } = moments(() => r.normal(), 200_000);
    // Standard errors: mean 0.0022, variance 0.0032, fourth moment ≈ √96/√n ≈ 0.022.
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    expect(Math.abs(fourth - 3)).toBeLessThan(0.15);
  });

  it('consecutive uniform draws are uncorrelated (|lag-1 correlation| < 0.01, n = 100 000)', () => {
    const r = new SeededRandom(5);
    const xs = Array.from({ length: 100_000 }, () => r.uniform() - 0.5);
    let c = 0;
    for (let i = 1; i < xs.length; i++) c += xs[i] * xs[i - 1];
    const correlation = c / (xs.length - 1) / (1 / 12);
    expect(Math.abs(correlation)).toBeLessThan(0.01);
  });
});
