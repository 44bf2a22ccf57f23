/**
 * Medians with their spread over timed windows. The CPU of the machines this runs on is shared
 * (SwiftShader on two cores, other jobs alongside), so single windows scatter: every number we
 * publish is a median of several windows after warm-up, with the min–max range beside it.
 */

/** Median and range of a set of timings (or rates). */
export interface Spread {
  median: number;
  min: number;
  max: number;
  count: number;
}

export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('spreadOf needs at least one value');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], count: sorted.length };
}

export interface WindowPlan {
  /** Untimed runs of `work` first (pipeline warm-up, first-touch allocation). */
  warmup: number;
  /** Timed windows; each runs `work` once and its time is divided by `unitsPerWindow`. */
  windows: number;
  /** Stop adding windows after this many ms of timed work (at least `minWindows` run). */
  budgetMs: number;
  minWindows: number;
}

/** Per-unit milliseconds of each timed window (e.g. ms per training step). */
export async function timeWindows(
  work: () => Promise<void>,
  unitsPerWindow: number,
  plan: WindowPlan,
): Promise<number[]> {
  for (let i = 0; i < plan.warmup; i++) await work();
  const times: number[] = [];
  let spent = 0;
  while (times.length < plan.windows && (times.length < plan.minWindows || spent < plan.budgetMs)) {
    const start = performance.now();
    await work();
    const ms = performance.now() - start;
    spent += ms;
    times.push(ms / unitsPerWindow);
  }
  return times;
}

/** it/s from ms per step, as a spread (the median rate is 1000 / the median time). */
export function ratesFromTimes(msPerStep: readonly number[]): Spread {
  return spreadOf(msPerStep.map((ms) => 1000 / ms));
}
