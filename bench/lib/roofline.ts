/**
 * A stage's cost (src/engine/kernelCost.ts) against its measured time, and the time a roofline
 * predicts for a GPU of a given bandwidth and FP32 rate: the larger of bytes/bandwidth and
 * FLOPs/rate. The prediction ignores launch overhead, occupancy and caches, so it is a lower
 * bound the GPU kit's measurement on the real device is compared with. Pure.
 */
import type { KernelCost } from '../../src/engine/kernelCost.ts';

/** The GPU a prediction is for, as given on the command line. */
export interface DeviceRates {
  /** Memory bandwidth, GB/s (10⁹ bytes per second). */
  bandwidthGBs: number;
  /** FP32 rate, TFLOP/s (10¹² FLOPs per second). */
  fp32TFlops: number;
}

export interface Throughput {
  gbPerS: number;
  gflopPerS: number;
}

export interface RooflinePrediction {
  ms: number;
  /** Which roof the stage sits under on that GPU. */
  bound: 'memory' | 'compute';
}

/** Bytes read and written per second, and FLOPs per second, of `cost` done in `ms`. */
export function achievedThroughput(cost: KernelCost, ms: number): Throughput {
  const seconds = ms / 1000;
  return {
    gbPerS: (cost.bytesRead + cost.bytesWritten) / seconds / 1e9,
    gflopPerS: cost.flops / seconds / 1e9,
  };
}

/** The roofline time of `cost` on a GPU with `rates`. */
export function predictedTime(cost: KernelCost, rates: DeviceRates): RooflinePrediction {
  const memoryMs = ((cost.bytesRead + cost.bytesWritten) / (rates.bandwidthGBs * 1e9)) * 1000;
  const computeMs = (cost.flops / (rates.fp32TFlops * 1e12)) * 1000;
  return memoryMs >= computeMs
    ? { ms: memoryMs, bound: 'memory' }
    : { ms: computeMs, bound: 'compute' };
}
