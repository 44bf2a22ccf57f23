import { SeededRandom } from '../jet/seededRandom.ts';

/**
 * The random stream that problem coefficients come from. Keeping it apart from stream 0 (network
 * initialisation and other draws that may share a seed) means changing how weights are drawn never
 * changes which PDE a seed names.
 */
export const COEFFICIENT_STREAM = 0x70de;

/**
 * The coefficients c_0 … c_{count−1} ~ N(0, 1) of an exact solution, drawn once per problem from its
 * seed: Box–Muller normals, in order, from the counter-based generator of src/jet/seededRandom.ts
 * (lowbias32 hash of (seed, COEFFICIENT_STREAM, counter)). The GPU never regenerates them, so this
 * generator need not match the shader one; the result is uploaded once as f32.
 */
export function drawCoefficients(seed: number, count: number): Float64Array {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`coefficient count must be a non-negative integer, got ${count}`);
  }
  const random = new SeededRandom(seed, COEFFICIENT_STREAM);
  const c = new Float64Array(count);
  for (let i = 0; i < count; i++) c[i] = random.normal();
  return c;
}
