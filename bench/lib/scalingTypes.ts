/** The shape of bench/results/scaling-<adapter>.json, shared by bench/scaling.ts and the report. */
import type { Estimator } from '../../src/train/options.ts';
import type { TangentStorage } from '../../src/engine/tangentSource.ts';
import type { Outcome } from './outcome.ts';
import type { ResultsHeader } from './results.ts';
import type { TimingPlan } from './timeConfig.ts';

export interface ScalingEstimator {
  id: string;
  label: string;
  estimator: Estimator;
  /** B (ignored by the exact estimator, which uses all d one-hot jets). */
  jetsPerPoint: number;
  collapsed: boolean;
  /** Dense jets: whether the step stores its input tangents (default) or redraws them where read. */
  tangentStorage?: TangentStorage;
}

export interface ScalingSetup {
  id: string;
  label: string;
  points: number;
  width: number;
  depth: number;
  /** Fraction of the sweep's wall-clock budget this setup may use. */
  budgetShare: number;
  /** Longest one configuration may take, s. */
  perConfigS: number;
}

export type ScalingResult = Outcome & {
  setup: string;
  estimator: string;
  dimension: number;
  /** The dashboard's estimate (src/train/memoryBudget.ts) before allocation; null if not built. */
  estimatedBytes: number | null;
};

export interface ScalingResults extends ResultsHeader {
  pde: string;
  timing: TimingPlan;
  budgetSeconds: number;
  setups: ScalingSetup[];
  estimators: ScalingEstimator[];
  dimensions: number[];
  results: ScalingResult[];
}
