/** bench/gpinn.ts's results file: plain and gPINN runs of the same setups, side by side. */
import type { GpinnRunResult } from '../../src/train/gpinnRun.ts';
import type { TrainingOptions } from '../../src/train/options.ts';
import type { ResultsHeader } from './results.ts';

export interface GpinnComparison {
  /** A short name of the setup. */
  label: string;
  /** The plain run's options (gpinnWeight 0); the gPINN run differs in gpinnWeight alone. */
  options: TrainingOptions;
  gpinnWeight: number;
  plain: GpinnRunResult;
  gpinn: GpinnRunResult;
}

export interface GpinnResults extends ResultsHeader {
  benchmark: 'gpinn';
  /** Points and seed of the float64 gradient-term reading (src/train/gpinnRun.ts). */
  gradientTerm: { points: number; seed: number };
  comparisons: GpinnComparison[];
}
