/**
 * STDE's published numbers (DESIGN.md §5): two-body Allen–Cahn, one A100 40 GB, JAX, the STDE
 * setup (3 × 128 tanh, 100 points, Adam). Another machine: drawn as a reference, never compared
 * as if measured here.
 */
export interface ReferenceSeries {
  /** Matches a scaling estimator id where there is one. */
  estimator: string;
  label: string;
  /** d → it/s and MB; null where STDE reports OOM. */
  points: { dimension: number; itPerSecond: number | null; memoryMB: number | null }[];
}

const D = [100, 1_000, 10_000, 100_000, 1_000_000];

function series(
  estimator: string,
  label: string,
  itPerSecond: (number | null)[],
  memoryMB: (number | null)[],
): ReferenceSeries {
  return {
    estimator,
    label,
    points: D.map((dimension, i) => ({
      dimension,
      itPerSecond: itPerSecond[i],
      memoryMB: memoryMB[i],
    })),
  };
}

export const STDE_A100_MACHINE = 'one NVIDIA A100 40 GB, JAX (STDE paper)';

export const STDE_A100: readonly ReferenceSeries[] = [
  series(
    'sparse-100-collapsed',
    'STDE, B = 100',
    [1035, 1054, 454, 157, 13.6],
    [543, 537, 795, 1073, 6235],
  ),
  series(
    'sparse-16-collapsed',
    'STDE, B = 16',
    [1834, 1559, 588, 283, 21.3],
    [457, 481, 741, 1063, 6295],
  ),
  series(
    'exact-collapsed',
    'Forward Laplacian (exact)',
    [1975, 374, 32, null, null],
    [507, 913, 5505, null, null],
  ),
  series(
    'parallel-backward-sdgd',
    'parallel backward SDGD',
    [1377, 845, 217, 29, null],
    [539, 579, 1177, 4931, null],
  ),
];

/**
 * STDE's accuracy on the same problem (DESIGN.md §5): test-set relative L2 error, the best of the
 * evaluations made every 1000 steps over a 10 000-step run, on 20 000 test points drawn with
 * STDE's radius-uniform sampler. STDE reports no final value, only the best.
 */
export interface AccuracyReference {
  dimension: number;
  jetsPerPoint: number;
  bestRelativeL2: number;
}

export const STDE_ACCURACY_STEPS = 10_000;
export const STDE_ACCURACY_EVAL_EVERY = 1000;
export const STDE_ACCURACY_TEST_POINTS = 20_000;

export const STDE_ACCURACY: readonly AccuracyReference[] = [
  ...[1.0e-2, 6.2e-4, 3.5e-3, 2.6e-3, 1.4e-3].map((bestRelativeL2, i) => ({
    dimension: D[i],
    jetsPerPoint: 100,
    bestRelativeL2,
  })),
  ...[1.9e-2, 7.1e-4, 8.3e-4, 1.5e-3, 4.0e-3].map((bestRelativeL2, i) => ({
    dimension: D[i],
    jetsPerPoint: 16,
    bestRelativeL2,
  })),
];

export function stdeAccuracyAt(dimension: number, jetsPerPoint: number): number | null {
  return (
    STDE_ACCURACY.find((r) => r.dimension === dimension && r.jetsPerPoint === jetsPerPoint)
      ?.bestRelativeL2 ?? null
  );
}
