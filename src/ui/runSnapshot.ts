import type { TrainingOptions } from '../train/options.ts';
import type { Recovery } from '../train/resilientTrainer.ts';
import type { EvaluationLog } from '../train/trainer.ts';
import type { RunState } from './runController.ts';

/**
 * The numbers the page exposes as `window.jetpinn.run`: what the dashboard shows, as data, so
 * end-to-end tests assert on values rather than pixels.
 */
export interface RunSnapshot {
  state: RunState;
  /** Completed steps. */
  step: number;
  /** Logged losses and the steps they belong to (every `options.logEvery` steps). */
  losses: number[];
  lossSteps: number[];
  evaluations: EvaluationLog[];
  /** The options of the run in progress (what the URL carries). */
  options: TrainingOptions;
  /** Whether the run keeps its rollback copy on the GPU (the "rollback copy" box, `rollback=`). */
  rollback: boolean;
  /** The run's status line: divergence, errors, the end of the run. */
  message: string;
  /** Why settings or a link were refused; empty when they were fine. */
  optionsMessage: string;
  /** What the last model import did, or why it was refused; empty before any. */
  importMessage: string;
  divergedAt: number | null;
  /** Trainers built since the page loaded: a change that rebuilds the run increments it. */
  builds: number;
  /** The jets the trainer pushes: order K and jets per point (null while none is built). */
  jets: { order: number; directions: number } | null;
  /** Bytes of the GPU buffers the page holds: the run's and those of the views drawn so far. */
  memoryBytes: number;
  /** The estimate of memoryBytes: the run's plan and the plans of the views drawn so far. */
  estimatedMemoryBytes: number;
  /** The run with every view drawn: what the memory check and the d slider's top count. */
  estimatedMemoryWithViewsBytes: number;
  iterationsPerSecond: number;
  /** Vertices of the raw loss curve as last drawn. */
  lossChartPoints: number;
  /** GPU memory readings kept (one per change, and the ends of flat stretches). */
  memorySamples: { step: number; bytes: number }[];
  /** Vertices of the GPU memory curve as last drawn. */
  memoryChartPoints: number;
  /** The residual at the collocation points, per field-view refresh (ball problems). */
  residualStats: { step: number; rms: number; maxAbs: number }[];
  /** Device losses recovered from since the page loaded, oldest first. */
  recoveries: Recovery[];
  /** Step of the current run's last CPU snapshot: where a device loss would resume from. */
  snapshotStep: number;
  /** Steps between snapshots. */
  snapshotEvery: number;
}
