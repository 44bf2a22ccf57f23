/**
 * The shape of bench/results/stdeAccuracy-<adapter>.json, shared by bench/stdeAccuracy.ts and the
 * report. A configuration either trained its whole run (`measured`) or says why it has no final
 * numbers; none is ever filled in from a prediction.
 */
import type { TrainingOptions } from '../../src/train/options.ts';
import type { ResultsHeader } from './results.ts';

/** One test-set evaluation of the run (step 0: the initial weights). */
export interface AccuracyPoint {
  step: number;
  relativeL2: number | null;
  relativeL1: number | null;
  /** The training loss logged at that step (null at step 0 or where none was logged). */
  loss: number | null;
}

/**
 * What the configuration measured before deciding whether its run fits: build, one warm-up step,
 * a few timed steps and one test-set evaluation, all part of the run itself (its first steps and
 * its step-0 evaluation).
 */
export interface AccuracyProbe {
  /** Pipeline compilation and buffer creation. */
  createMs: number;
  /** The first step (not timed into the rate). */
  warmupMs: number;
  /** Timed steps after the warm-up step and their time. */
  steps: number;
  ms: number;
  itPerSecond: number;
  /** One evaluation on the whole test set (the first, so it includes building its pipelines). */
  evaluationMs: number;
  /** Evaluations the full run makes (every evalEvery steps and at the end). */
  evaluations: number;
  /** Predicted wall time of the whole run from step 0: steps / rate + evaluations × evaluation. */
  predictedSeconds: number;
  memoryBytes: number;
}

interface AccuracyBase {
  dimension: number;
  jetsPerPoint: number;
  /** Every option of the run, as resolveTrainingOptions returned them. */
  options: TrainingOptions;
  /** STDE's best relative L2 for this d and B (stdeReference.ts), null where it reports none. */
  stdeBestRelativeL2: number | null;
}

export interface AccuracyMeasured extends AccuracyBase {
  status: 'measured';
  probe: AccuracyProbe;
  steps: number;
  final: AccuracyPoint;
  /** The evaluation (step > 0) with the lowest relative L2, and the lowest relative L1. */
  best: AccuracyPoint;
  bestRelativeL1: number | null;
  curve: AccuracyPoint[];
  /** Steps / training time (evaluations excluded). */
  itPerSecond: number;
  trainingSeconds: number;
  evaluationSeconds: number;
  /** Build to last evaluation. */
  wallSeconds: number;
  memoryBytes: number;
}

export interface AccuracyNotMeasured extends AccuracyBase {
  /**
   * not-run: the probe predicted more time than the budget had left (reason gives the numbers);
   * stopped: it started but ran past the budget, the curve so far is kept;
   * failed: it was tried and errored or diverged (reason is the error).
   */
  status: 'not-run' | 'stopped' | 'failed';
  reason: string;
  probe: AccuracyProbe | null;
  /** Evaluations made before it ended (step 0 from the probe, then every evalEvery steps). */
  curve: AccuracyPoint[];
  /** Steps trained when a started run was stopped (`stopped` only). */
  stepsReached?: number;
}

export type AccuracyRun = AccuracyMeasured | AccuracyNotMeasured;

export interface StdeAccuracyResults extends ResultsHeader {
  pde: string;
  /** Steps of each run; the recorded run is STDE's 10 000. */
  steps: number;
  /** True when `steps` is not STDE's: then these are not the recorded runs. */
  shortened: boolean;
  referenceSteps: number;
  budgetSeconds: number;
  firstLayerGain: number;
  /** Where the reference numbers come from. */
  referenceSource: string;
  runs: AccuracyRun[];
}
