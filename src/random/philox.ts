/**
 * Philox-4x32-10 on the CPU, bit for bit the function `philox4x32` of shaders/lib/random.wgsl (Salmon
 * et al., SC 2011; checked against Random123's known-answer vectors). The high word of a 32×32-bit
 * product is built from 16-bit halves exactly as the shader does, because WGSL has no 64-bit
 * integers; in JavaScript every partial product is below 2^32 and therefore exact in a double.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const ROUNDS = 10;

/** The high 32 bits of the 64-bit product of two u32 values. */
export function mulHigh(a: number, b: number): number {
  const aLow = a & 0xffff;
  const aHigh = a >>> 16;
  const bLow = b & 0xffff;
  const bHigh = b >>> 16;
  const lowHigh = aLow * bHigh;
  const highLow = aHigh * bLow;
  const middle = ((aLow * bLow) >>> 16) + (lowHigh & 0xffff) + (highLow & 0xffff);
  return (aHigh * bHigh + (lowHigh >>> 16) + (highLow >>> 16) + (middle >>> 16)) >>> 0;
}

/** The low 32 bits of the product (multiplication modulo 2^32). */
export function mulLow(a: number, b: number): number {
  return Math.imul(a, b) >>> 0;
}

/** The four output words for a counter (4 u32) and a key (2 u32). */
export function philox4x32(counter: ArrayLike<number>, key: ArrayLike<number>): Uint32Array {
  let c0 = counter[0] >>> 0;
  let c1 = counter[1] >>> 0;
  let c2 = counter[2] >>> 0;
  let c3 = counter[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let round = 0; round < ROUNDS; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const high0 = mulHigh(M0, c0);
    const low0 = mulLow(M0, c0);
    const high1 = mulHigh(M1, c2);
    const low1 = mulLow(M1, c2);
    c0 = (high1 ^ c1 ^ k0) >>> 0;
    c1 = low1;
    c2 = (high0 ^ c3 ^ k1) >>> 0;
    c3 = low0;
  }
  return Uint32Array.of(c0, c1, c2, c3);
}
