/** The shape of bench/results/stepBreakdown-<adapter>.json (bench/stepBreakdown.ts). */
import type { ResultsHeader } from './results.ts';
import type { Spread } from './stats.ts';

export interface BreakdownRow {
  dimension: number;
  parameters: number;
  stages: { stage: string; ms: Spread }[];
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
}
