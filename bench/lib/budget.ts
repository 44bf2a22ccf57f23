/**
 * Keeps a benchmark run inside its wall-clock budget on a slow adapter. Before a configuration
 * runs, its step time is predicted from the configurations of the same series already measured
 * (linear in d through the last two points: the first layer's cost is linear in d and the rest is
 * constant); one that would not finish its windows in the per-configuration cap, or that the run's
 * remaining time cannot hold, is recorded as not run, with the prediction as the reason.
 */
export interface BudgetOptions {
  /** Wall-clock budget of the whole run. */
  totalMs: number;
  /** Longest time one configuration may take (warm-up plus timed windows). */
  perConfigMs: number;
}

export interface SeriesPoint {
  x: number;
  ms: number;
}

/**
 * Step time at x, extrapolated from the two largest measured x of one series; null with fewer
 * than two points or inside the measured range (then a probe step decides).
 */
export function predictStepMs(points: readonly SeriesPoint[], x: number): number | null {
  if (points.length < 2) return null;
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const last = sorted[sorted.length - 1];
  if (x <= last.x) return null;
  const previous = sorted[sorted.length - 2];
  const slope = Math.max(0, (last.ms - previous.ms) / (last.x - previous.x));
  return last.ms + slope * (x - last.x);
}

export class RunBudget {
  private readonly started = performance.now();
  constructor(readonly options: BudgetOptions) {}

  get elapsedMs(): number {
    return performance.now() - this.started;
  }

  get remainingMs(): number {
    return this.options.totalMs - this.elapsedMs;
  }

  /** Time a configuration may still spend: its cap, or what is left of the run. */
  get configCapMs(): number {
    return Math.min(this.options.perConfigMs, this.remainingMs);
  }

  /**
   * Why a configuration predicted at `stepMs` per step (null: unknown; `basis` says from what)
   * cannot run `steps` steps now, or null when it may start.
   */
  refusal(stepMs: number | null, steps: number, basis = 'the smaller d measured'): string | null {
    if (this.remainingMs <= 0) {
      const predicted =
        stepMs === null ? '' : ` (predicted ${(stepMs / 1000).toFixed(1)} s per step)`;
      return `the run's time budget of ${(this.options.totalMs / 1000).toFixed(0)} s was spent${predicted}`;
    }
    if (stepMs !== null && stepMs * steps > this.configCapMs) {
      return (
        `predicted ${(stepMs / 1000).toFixed(1)} s per step (from ${basis}), ` +
        `${steps} steps exceed the ${(this.configCapMs / 1000).toFixed(0)} s this configuration may take here`
      );
    }
    return null;
  }
}
