/**
 * How often a view refreshes by itself while training, from what it measurably costs: a refresh
 * that takes refreshMs, every n steps of stepMs each, costs refreshMs / (n · stepMs) of the
 * training time, so the next refresh comes after the fewest steps that keep that at most `share`,
 * n = ⌈refreshMs / (share · stepMs)⌉, clamped to [minSteps, maxSteps]. A cheap view on a slow
 * step refreshes often, a slow one (a large slice at high d on a fast step) backs off.
 */

export interface RefreshSchedule {
  /** The most of the training time the refreshes may take. */
  share: number;
  /** Steps before a refresh when its cost or the step time is not measured yet. */
  firstSteps: number;
  /** Fewest steps between two refreshes: below it the pictures change faster than one reads. */
  minSteps: number;
  /** Most steps between two refreshes: a costly view still shows how the run goes. */
  maxSteps: number;
}

/**
 * The field views' schedule. The first picture comes within 100 steps of Play (a second or so on
 * SwiftShader at the test sizes); after that the views take at most a tenth of the training
 * time, and refresh at least every 1000 steps (three pictures in the landing run's 3000).
 */
export const fieldViewSchedule: RefreshSchedule = {
  share: 0.1,
  firstSteps: 100,
  minSteps: 50,
  maxSteps: 1000,
};

/**
 * Steps to train after a refresh before the next one. `refreshMs` is the wall time of the last
 * refresh (null before the first on this run), `stepMs` the time one training step takes now.
 */
export function refreshInterval(
  refreshMs: number | null,
  stepMs: number | null,
  schedule: RefreshSchedule = fieldViewSchedule,
): number {
  // A rate of 0 steps per second (nothing timed yet) is an infinite step time: not a measurement.
  if (refreshMs === null || stepMs === null || !(stepMs > 0 && Number.isFinite(stepMs)))
    return schedule.firstSteps;
  const steps = Math.ceil(refreshMs / (schedule.share * stepMs));
  return Math.min(Math.max(steps, schedule.minSteps), schedule.maxSteps);
}
