/** The shape of bench/results/stepBreakdown-<adapter>.json (bench/lib/breakdownRun.ts). */
import type { KernelCost } from '../../src/engine/kernelCost.ts';
import type { ResultsHeader } from './results.ts';
import type { DeviceRates, RooflinePrediction, Throughput } from './roofline.ts';
import type { Spread } from './stats.ts';

export interface BreakdownRow {
  dimension: number;
  parameters: number;
  /**
   * `gpuMs`: the stage's GPU time from timestamps, where the run had them. `cost`: what its
   * kernels compute and move, counted from their plans (absent in files written before it was);
   * `achieved`: the cost over the median time (gpuMs where there is one, else ms); `predicted`:
   * the roofline time on the GPU of `BreakdownResults.predictedFor`, not a measurement.
   */
  stages: BreakdownStage[];
}

export interface BreakdownStage {
  stage: string;
  ms: Spread;
  gpuMs?: Spread;
  cost?: KernelCost;
  achieved?: Throughput;
  predicted?: RooflinePrediction;
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
  /** The GPU the stages' `predicted` times are for (flags --bandwidth and --fp32): predicted. */
  predictedFor?: DeviceRates;
  /** The d a budgeted run (the GPU kit's) did not reach, with why. */
  notRun?: { dimension: number; reason: string }[];
}
