/**
 * Deterministic, counter-based random numbers.
 *
 * Word n of a stream is a pure function of (seed, stream, n):
 *   key     = hash32(seedLow ^ hash32(seedHigh ^ hash32(stream ^ 0x9e3779b9)))
 *   word(n) = hash32(key ^ hash32(n))
 * where hash32 is Chris Wellons' "lowbias32" integer hash (near-ideal avalanche). Why counter-based and
 * 32-bit: WGSL has no 64-bit integers, so a shader can regenerate exactly these words with u32
 * arithmetic (the SDZE perturbations of DESIGN.md §6 are regenerated from a seed, never stored), and
 * any draw can be recomputed without replaying the draws before it. A stream holds 2^32 words.
 */

const GOLDEN = 0x9e3779b9;
const TWO_POW_32 = 2 ** 32;

/** lowbias32: x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16 (mod 2^32). */
export function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The 32-bit key of a (seed, stream) pair; seed is any non-negative safe integer, stream a u32. */
export function streamKey(seed: number, stream = 0): number {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  }
  if (!Number.isInteger(stream) || stream < 0 || stream >= TWO_POW_32) {
    throw new RangeError(`stream must be an integer in [0, 2^32), got ${stream}`);
  }
  const low = seed % TWO_POW_32;
  const high = Math.floor(seed / TWO_POW_32);
  return hash32(low ^ hash32(high ^ hash32(stream ^ GOLDEN)));
}

/** Word `counter` (a u32) of the stream with this key. */
export function randomWord(key: number, counter: number): number {
  return hash32(key ^ hash32(counter));
}

/** A sequential reader of one stream: uniform draws in [0, 1) with 53 random bits, and normals. */
export class SeededRandom {
  readonly key: number;
  private counter = 0;
  private spareNormal: number | null = null;

  constructor(seed: number, stream = 0) {
    this.key = streamKey(seed, stream);
  }

  nextU32(): number {
    if (this.counter >= TWO_POW_32) {
      throw new RangeError('this random stream is exhausted (2^32 words); use another stream');
    }
    return randomWord(this.key, this.counter++);
  }

  /** Uniform on [0, 1): 27 + 26 bits from two words, the same construction as genrand_res53. */
  uniform(): number {
    const high = this.nextU32() >>> 5;
    const low = this.nextU32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform on [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Standard normal by Box–Muller; each pair of uniforms yields two normals, handed out in turn. */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}
