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
  /** What one timed step is: a Trainer step (residual, loss, backward, Adam), or forward +
   * backward + Adam from a fixed cotangent (the bare diagonal operator, which is no problem). */
  step: 'trainer' | 'jet step';
  structure: ChannelStructure;
  dimension: number;
  jets: number;
  order: number;
  rowsPerPoint: number | null;
  points: number;
  width: number;
  depth: number;
  /**
   * Box problems: the test error after the steps the timing ran (warm-up and windows, from the
   * initial weights), on the problem's test grid; absent where nothing was timed.
   */
  accuracy?: { steps: number; relativeL2: number; relativeL1: number };
};

export interface HighOrderResults extends ResultsHeader {
  timing: TimingPlan;
  budgetSeconds: number;
  results: HighOrderResult[];
}
