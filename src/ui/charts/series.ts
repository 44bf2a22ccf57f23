/**
 * Pure transforms between run history and what a chart draws: thinning long histories and
 * smoothing noisy losses. Kept apart from the D3 code so they are plain functions of arrays.
 */

export interface Point {
  x: number;
  y: number;
}

/**
 * At most `max` points, evenly strided, always keeping the last one. An SVG path with tens of
 * thousands of vertices makes every animation frame slow, and a chart a few hundred pixels wide
 * cannot show more than ~1000 of them anyway.
 */
export function downsample(points: readonly Point[], max = 1000): Point[] {
  if (points.length <= max) return [...points];
  const stride = Math.ceil(points.length / max);
  const kept: Point[] = [];
  for (let i = 0; i < points.length; i += stride) kept.push(points[i]);
  if (kept[kept.length - 1] !== points[points.length - 1]) kept.push(points[points.length - 1]);
  return kept;
}

/**
 * Bias-corrected exponential moving average of log10(y), mapped back. A loss falls by orders of
 * magnitude; averaging y itself lets the first large values dominate the smoothed curve for
 * hundreds of steps, while averaging its logarithm follows the trend the log-scale chart shows.
 * Non-positive or non-finite values are skipped (they have no logarithm).
 */
export function smoothLog(points: readonly Point[], beta = 0.9): Point[] {
  const smoothed: Point[] = [];
  let average = 0;
  let weight = 0;
  for (const { x, y } of points) {
    if (!(y > 0) || !Number.isFinite(y)) continue;
    average = beta * average + (1 - beta) * Math.log10(y);
    weight = beta * weight + (1 - beta);
    smoothed.push({ x, y: 10 ** (average / weight) });
  }
  return smoothed;
}
