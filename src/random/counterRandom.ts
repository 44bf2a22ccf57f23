/**
 * The CPU mirror of shaders/lib/random.wgsl: the same Philox-4x32-10 words for the same key and
 * counter, and the same maps from words to uniforms, normals, signs and bounded integers. A draw
 * is named by (seed, stream, step, point, jet, element); see the shader's header for which block,
 * word and bit each element uses.
 *
 * Integer results (words, signs, bounded integers, uniforms: a 24-bit integer times 2^-24) are
 * identical to the GPU's. Normals are computed here in float64 from the identical words; the
 * shader computes its own log, sin and cos in f32, so the two differ by a few f32 ulp on any GPU.
 */
import { mulHigh, mulLow, philox4x32 } from './philox.ts';

/** A Philox key: [seed, stream], both u32. */
export type RandomKey = readonly [seed: number, stream: number];

/**
 * Stream ids that keep the draws of different purposes independent under one seed: the jets of
 * step s and the collocation points of step s must not share words.
 */
export const RandomStream = {
  jets: 1,
  points: 2,
  terminalPoints: 3,
} as const;

const TWO_POW_32 = 2 ** 32;
const TWO_POW_MINUS_24 = 2 ** -24;

export function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < TWO_POW_32;
}

/** Throws a RangeError naming `what` unless value is an integer in [0, 2^32). */
export function requireU32(value: number, what: string): number {
  if (!isU32(value)) throw new RangeError(`${what} must be an integer in [0, 2^32), got ${value}`);
  return value;
}

export function randomKey(seed: number, stream: number): RandomKey {
  return [requireU32(seed, 'seed'), requireU32(stream, 'stream')];
}

export function randomBlock(
  key: RandomKey,
  step: number,
  point: number,
  jet: number,
  block: number,
): Uint32Array {
  return philox4x32([step, point, jet, block], key);
}

/** Uniform on [0, 1) from the top 24 bits of a word; exact in f32. */
export function unitFromWord(word: number): number {
  return (word >>> 8) * TWO_POW_MINUS_24;
}

/** Two standard normals (cos, sin) from two words, as shaders/lib/random.wgsl's boxMuller. */
export function boxMuller(word0: number, word1: number): [number, number] {
  const radius = Math.sqrt(Math.max(-2 * Math.log(1 - unitFromWord(word0)), 0));
  const angle = 2 * Math.PI * unitFromWord(word1);
  return [radius * Math.cos(angle), radius * Math.sin(angle)];
}

export function uniformAt(
  key: RandomKey,
  step: number,
  point: number,
  jet: number,
  n: number,
): number {
  return unitFromWord(randomBlock(key, step, point, jet, n >>> 2)[n & 3]);
}

export function normalAt(
  key: RandomKey,
  step: number,
  point: number,
  jet: number,
  n: number,
): number {
  const words = randomBlock(key, step, point, jet, n >>> 2);
  const first = (n >>> 1) & 1 ? 2 : 0;
  return boxMuller(words[first], words[first + 1])[n & 1];
}

export function rademacherAt(
  key: RandomKey,
  step: number,
  point: number,
  jet: number,
  n: number,
): number {
  const words = randomBlock(key, step, point, jet, n >>> 7);
  return (words[(n >>> 5) & 3] >>> (n & 31)) & 1 ? -1 : 1;
}

/**
 * Words 0, 1, 2, … of one sequence (key, step, point, jet), read in order: for algorithms whose
 * number of draws depends on what they drew. Mirrors the shader's WordStream.
 */
export class WordStream {
  private readonly counter: [number, number, number, number];
  private words: Uint32Array = new Uint32Array(4);
  private next = 0;

  constructor(
    private readonly key: RandomKey,
    step: number,
    point: number,
    jet: number,
  ) {
    this.counter = [step, point, jet, 0];
  }

  nextWord(): number {
    const lane = this.next & 3;
    if (lane === 0) {
      this.counter[3] = this.next >>> 2;
      this.words = philox4x32(this.counter, this.key);
    }
    this.next++;
    return this.words[lane];
  }

  /**
   * A uniform integer in [0, n), 1 ≤ n ≤ 2^32 − 1, exactly: Lemire's multiply-and-reject (see
   * uniformBelow in shaders/lib/random.wgsl for why it is exact).
   */
  uniformBelow(n: number): number {
    const threshold = (TWO_POW_32 - n) % n;
    for (;;) {
      const word = this.nextWord();
      if (mulLow(word, n) >= threshold) return mulHigh(word, n);
    }
  }
}
