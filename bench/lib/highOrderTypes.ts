/** The shape of bench/results/highOrder-<adapter>.json, shared by bench/highOrder.ts and the report. */
import type { ChannelStructure } from '../../src/engine/jetLayout.ts';
import type { Outcome } from './outcome.ts';
import type { ResultsHeader } from './results.ts';
import type { TimingPlan } from './timeConfig.ts';

export type HighOrderResult = Outcome & {
  /** 'operators' (biharmonic, diagonal 4th order) or 'table11' (KdV / KP / g-KdV sizes). */
  group: 'operators' | 'table11';
  /** Operator or problem id. */
  problem: string;
  label: string;
  /** What one timed step is: a Trainer step, or forward + backward + Adam without a residual. */
  step: 'trainer' | 'jet step';
  structure: ChannelStructure;
  dimension: number;
  jets: number;
  order: number;
  rowsPerPoint: number | null;
  points: number;
  width: number;
  depth: number;
};

export interface HighOrderResults extends ResultsHeader {
  timing: TimingPlan;
  budgetSeconds: number;
  results: HighOrderResult[];
}
