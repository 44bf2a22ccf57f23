import { SeededRandom } from '../../../src/jet/seededRandom.ts';

/**
 * `count` points inside the unit ball of R^d, seeded: Gaussian directions with radii spread from the
 * centre to near the sphere (where b = 1 − ‖x‖² is small and cancellation would show).
 */
export function ballPoints(d: number, count: number, seed: number): Float64Array[] {
  const random = new SeededRandom(seed, 7);
  return Array.from({ length: count }, (_, p) => {
    const x = Float64Array.from({ length: d }, () => random.normal());
    const norm = Math.hypot(...x);
    const radius = count === 1 ? 0.5 : 0.05 + (0.94 * p) / (count - 1);
    return x.map((xi) => (xi / norm) * radius);
  });
}
