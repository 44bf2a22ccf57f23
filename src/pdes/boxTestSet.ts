/**
 * The test set of a high-order box problem: a tensor grid of cell centres over its box, the same
 * in every run, with u* at each point. A grid (not random points) so that the relative errors
 * weigh every part of the box, the travelling wave's front included, alike.
 */
import type { HighOrderProblem } from './highOrder.ts';

export interface BoxTestSet {
  /** Row-major, one point per row in the problem's variable order. */
  readonly points: Float32Array;
  /** u* at the f32 points, in float64. */
  readonly exact: Float64Array;
  /** Grid points per variable. */
  readonly perAxis: number;
}

/** Points per variable of the largest grid of at most `count` points over `width` variables. */
export function boxGridPerAxis(width: number, count: number): number {
  // The epsilon keeps an exact power (4096 = 16³) from rounding down.
  const perAxis = Math.floor(count ** (1 / width) + 1e-9);
  if (perAxis < 2) {
    throw new RangeError(`a test grid needs at least 2^${width} points, got ${count}`);
  }
  return perAxis;
}

/** The largest grid of at most `count` points with the same number of points per variable. */
export function boxTestSet(problem: HighOrderProblem, count: number): BoxTestSet {
  const width = problem.variables.length;
  const perAxis = boxGridPerAxis(width, count);
  const total = perAxis ** width;
  const points = new Float32Array(total * width);
  const exact = new Float64Array(total);
  for (let n = 0; n < total; n++) {
    let rest = n;
    for (let i = width - 1; i >= 0; i--) {
      const [low, high] = problem.box[problem.variables[i]] ?? [NaN, NaN];
      const cell = rest % perAxis;
      rest = Math.floor(rest / perAxis);
      points[n * width + i] = low + ((high - low) * (cell + 0.5)) / perAxis;
    }
    exact[n] = problem.exact.value(points.subarray(n * width, (n + 1) * width));
  }
  return { points, exact, perAxis };
}
