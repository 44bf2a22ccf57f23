/** The shape of bench/results/stepBreakdown-<adapter>.json (bench/lib/breakdownRun.ts). */
import type { ResultsHeader } from './results.ts';
import type { Spread } from './stats.ts';

export interface BreakdownRow {
  dimension: number;
  parameters: number;
  /** `gpuMs`: the stage's GPU time from timestamps, where the run had them. */
  stages: { stage: string; ms: Spread; gpuMs?: Spread }[];
}

export interface BreakdownResults extends ResultsHeader {
  setup: {
    points: number;
    width: number;
    depth: number;
    jets: number;
    pde: string;
    estimator: string;
    structure: string;
  };
  repetitions: number;
  rows: BreakdownRow[];
  /** True when every stage was also timed with GPU timestamps (the adapter's timestamp-query). */
  gpuTimestamps?: boolean;
  /** The d a budgeted run (the GPU kit's) did not reach, with why. */
  notRun?: { dimension: number; reason: string }[];
}
