/**
 * The GPU buffers of the page's views of a run, planned from the run's options like the run's
 * own parts (src/train/trainingPlan.ts): for a ball problem the field slice and the
 * residual-against-radius view (fieldViews.ts), for a ball or parabolic problem the jet
 * inspector (jetInspector.ts); a box problem has none. Each view is built on the run's memory the
 * first time it is drawn and kept until the run is rebuilt, so the page's "GPU memory in use"
 * holds the run and the views drawn so far. The estimator panel has no plan here: its sampling
 * passes are freed before it draws (src/train/estimatorSamples.ts).
 */
import { type PlannedBuffer, plannedBytes } from '../gpu/bufferPlan.ts';
import type { BallPdeEntry, ParabolicPdeEntry } from '../pdes/index.ts';
import { ballOperatorSizing } from '../train/ballProblemGraph.ts';
import type { EngineLimits } from '../train/enginePlans.ts';
import { planCollocationResidual, planFieldSlice } from '../train/fieldSlice.ts';
import { planJetInspection } from '../train/jetInspection.ts';
import { architectureOf, pdeOf, type TrainingOptions } from '../train/options.ts';
import { parabolicOperator } from '../train/parabolicProblemGraph.ts';

export type ViewName = 'field slice' | 'residual view' | 'jet inspector';

/** Cells per side of the field slice's grid. */
export const FIELD_RESOLUTION = 48;

export interface ViewPlan {
  readonly name: ViewName;
  /** What the view allocates when it is first drawn. */
  readonly buffers: readonly PlannedBuffer[];
  readonly bytes: number;
  /**
   * The view without its costliest part, which the page builds where the whole does not fit:
   * the field slice without its residual heatmap (the exact operator's d jets a point), whose
   * u_θ, u* and error heatmaps take one value a point.
   */
  readonly reduced?: { readonly plan: ViewPlan; readonly omits: string };
  /** In a page's estimate, the part of the view left out, and why (a reduced view). */
  readonly dropped?: { readonly what: string; readonly reason: string };
}

/** A view whose plan refused the run's sizes: it cannot be drawn for this run. */
export interface ViewFailure {
  readonly name: ViewName;
  readonly reason: string;
}

export interface ViewPlans {
  readonly views: readonly ViewPlan[];
  readonly failures: readonly ViewFailure[];
}

/** The order of the jets the inspector pushes: the order of the run's operator (runPlan.ts). */
function inspectedOrder(pde: BallPdeEntry | ParabolicPdeEntry, options: TrainingOptions): number {
  // The sizing, not the operator: the exact biharmonic's d² jets are costly to build.
  return pde.domain === 'ball'
    ? ballOperatorSizing(pde, options, options.jetsPerPoint).order
    : parabolicOperator(options, options.jetsPerPoint).order;
}

/** The views the page can draw for the run `options` describes, each with its buffers. */
export function planViews(options: TrainingOptions, limits: EngineLimits): ViewPlans {
  const pde = pdeOf(options);
  const architecture = architectureOf(options);
  const views: ViewPlan[] = [];
  const failures: ViewFailure[] = [];
  const plan = (
    name: ViewName,
    buffers: () => readonly PlannedBuffer[],
    reduced?: () => ViewPlan['reduced'],
  ): void => {
    try {
      const planned = buffers();
      views.push({ name, buffers: planned, bytes: plannedBytes(planned), reduced: reduced?.() });
    } catch (error) {
      failures.push({ name, reason: error instanceof Error ? error.message : String(error) });
    }
  };
  if (pde.domain === 'ball') {
    const slice = (residual: boolean) =>
      planFieldSlice(pde, architecture, FIELD_RESOLUTION, limits, undefined, residual).buffers;
    plan(
      'field slice',
      () => slice(true),
      () => {
        const values = slice(false);
        const plan = { name: 'field slice', buffers: values, bytes: plannedBytes(values) } as const;
        return { plan, omits: 'residual heatmap' };
      },
    );
    plan(
      'residual view',
      () => planCollocationResidual(pde, options, architecture, limits).buffers,
    );
  }
  if (pde.domain !== 'box') {
    plan('jet inspector', () =>
      planJetInspection(architecture, inspectedOrder(pde, options), limits),
    );
  }
  return { views, failures };
}
