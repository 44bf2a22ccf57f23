/**
 * What one benchmark configuration produced. Only `measured` carries numbers; every other status
 * says why there are none, so a results file never leaves a configuration silently out and never
 * fills one in with a guess.
 */
import type { Spread } from './stats.ts';

export interface Measured {
  status: 'measured';
  msPerStep: Spread;
  itPerSecond: Spread;
  stepsPerWindow: number;
  /** Pipeline compilation and buffer creation. */
  createMs: number;
  /** The first (untimed) step. */
  warmupMs: number;
  /** Bytes of every GPU buffer the run holds (GpuMemory.bytesInUse). */
  memoryBytes: number;
}

export interface NotMeasured {
  /**
   * not-run: could run, but not in this run's time (reason says how long it would take);
   * does-not-fit: past a device or host limit (reason gives the limit and the estimate);
   * not-applicable: the combination does not exist (e.g. B > d for sampling without replacement);
   * failed: it was tried and errored (reason is the error).
   */
  status: 'not-run' | 'does-not-fit' | 'not-applicable' | 'failed';
  reason: string;
  /** Time of a single step where one was run before deciding (a probe, not a median). */
  probeMs?: number;
  memoryBytes?: number;
}

export type Outcome = Measured | NotMeasured;

export function describeOutcome(outcome: Outcome): string {
  if (outcome.status !== 'measured') return `${outcome.status}: ${outcome.reason}`;
  const { median, min, max } = outcome.msPerStep;
  return `${median.toFixed(1)} ms/step (${min.toFixed(1)}–${max.toFixed(1)}), ${outcome.itPerSecond.median.toFixed(2)} it/s, ${(outcome.memoryBytes / 2 ** 20).toFixed(1)} MiB`;
}
