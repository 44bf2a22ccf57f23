import type { EstimatorSnapshot } from './estimatorPanel.ts';
import type { FieldSnapshot } from './fieldViews.ts';
import type { GpuStatus } from './gpuStatus.ts';
import type { JetInspectorSnapshot } from './jetInspector.ts';
import type { RaceSnapshot } from './raceView.ts';
import type { RunSnapshot } from './runSnapshot.ts';

/**
 * What the page exposes on `window.jetpinn` for people poking at it in the console and for the
 * end-to-end tests, which assert these numbers instead of pixels.
 */
export interface PageGlobals {
  gpu: GpuStatus;
  /** Absent until the dashboard has a device to train on. */
  run?: RunSnapshot;
  /** The field views' slice: absent until the dashboard has made them. */
  field?: FieldSnapshot;
  /** The jet inspector's and the estimator panel's numbers: absent until first drawn. */
  jet?: JetInspectorSnapshot;
  estimator?: EstimatorSnapshot;
  /** The race view's lanes and turns: absent until the dashboard has made it. */
  race?: RaceSnapshot;
  /**
   * Destroys the GPU device, as a driver reset would, to exercise the recovery (tests and the
   * curious): between two training chunks, or `immediately` in the middle of one. Resolves with
   * the step then and the step of the last snapshot, or null when no run exists. Absent until
   * the dashboard has started.
   */
  loseDevice?: (immediately?: boolean) => Promise<{ step: number; snapshotStep: number } | null>;
  /** What a classroom link hides (classroomMode.ts); absent until the dashboard has started. */
  classroom?: { hidden: string[] };
}

declare global {
  interface Window {
    jetpinn: PageGlobals;
  }
}
