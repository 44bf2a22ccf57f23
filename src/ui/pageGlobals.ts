import type { FieldSnapshot } from './fieldViews.ts';
import type { GpuStatus } from './gpuStatus.ts';
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
}

declare global {
  interface Window {
    jetpinn: PageGlobals;
  }
}
