/**
 * The dashboard's view of the memory check (src/train/memoryBudget.ts): what a setting costs as
 * the sliders move, the refusal the page shows, and the top of the dimension slider. The page
 * holds more than the run: the views it draws (viewPlans.ts) allocate on the run's memory, so
 * its estimate is the run's training plan plus the plans of the views that fit beside it, both
 * with the device's limits (the test set's batch, for one, grows with
 * maxStorageBufferBindingSize). The run alone decides what fits; a view that does not fit is
 * left out, said so, and not built.
 */
import { allocatedBytes, largestPlanned } from '../gpu/bufferPlan.ts';
import { findPde } from '../pdes/index.ts';
import { MAX_DIMENSION, type TrainingOptions } from '../train/options.ts';
import {
  bufferLimit,
  completeLimits,
  DEFAULT_MEMORY_BUDGET_BYTES,
  estimateMemory,
  fitsMemory,
  formatBytes,
  largestFitting,
  type MemoryEstimate,
  type MemoryLimits,
  type MemorySizing,
  memoryProblem,
} from '../train/memoryBudget.ts';
import {
  leastStorage,
  STORAGE_NAMES,
  type StorageChoice,
  storageToFit,
} from '../train/storageChoice.ts';
import type { TrainingExecution } from '../train/trainingPlan.ts';
import {
  bytesPerParameter,
  describeLargestDimension,
  modeMemory,
  modeOf,
} from '../train/parameterMemory.ts';
import { planViews, type ViewFailure, type ViewName, type ViewPlan } from './viewPlans.ts';

export { formatBytes, type MemoryEstimate };
export type BufferLimits = MemoryLimits;

export interface PageMemoryEstimate {
  /** The run's own buffers: what Trainer.create and its first step allocate. */
  readonly run: MemoryEstimate;
  /** The views the page can draw for the run, each allocated when first drawn. */
  readonly views: readonly ViewPlan[];
  /** Views the page does not build for this run, and why: neither counted nor drawn. */
  readonly leftOut: readonly ViewFailure[];
  /** The run and every view drawn: what the memory check and the slider count. */
  readonly totalBytes: number;
  /** The largest single buffer of the run and its views. */
  readonly largestBytes: number;
}

/**
 * The decay per step of the weight average the field views show (TrainerSettings.averageDecay):
 * about the last 20 steps' weights. On the landing run the last weights' error range swings
 * 2.5× within 80 steps near step 2000 and the average's 1.3× (docs/landing-sweep.md, fifth
 * sweep), so the heatmaps show the error falling, not Adam's jitter.
 */
export const FIELD_VIEW_AVERAGE_DECAY = 0.95;

/** How the page runs a trainer: the rollback box's choice, and the field views' weight average. */
export function pageExecution(rollback: boolean): TrainingExecution {
  return { rollback, averageDecay: FIELD_VIEW_AVERAGE_DECAY };
}

/**
 * The run `options` describes and the views the page builds for it, on a device with `limits`;
 * `execution` says whether the run keeps the rollback copy (the page's "rollback copy" box,
 * default on) and the weight average (pageExecution). The run comes first: the views are taken
 * in planViews' order while they fit what the run leaves of the budget, and one that does not
 * (or whose largest buffer the device cannot bind) is left out and not built, or taken reduced
 * where its reduced plan fits (the field slice without its residual heatmap). Counting every
 * view against the run instead made what fits non-monotone in d (SPSA, 300 points, 3 × 128, a
 * 1 GiB binding: the residual view's N·d points, which it held then, left it out past
 * d = 9·10⁵, so 10⁶ fitted where 8·10⁵ did not and the d slider's bisection stopped at 622 456).
 */
export function estimatePageMemory(
  options: MemorySizing,
  limits: BufferLimits,
  execution: TrainingExecution = {},
): PageMemoryEstimate {
  const run = estimateMemory(options, limits.maxStorageBufferBindingSize, limits, execution);
  const budget = limits.budgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
  const planned = planViews(options, completeLimits(limits));
  const views: ViewPlan[] = [];
  const leftOut = [...planned.failures];
  let held = run.totalBytes;
  /** Why `view` does not fit beside what is held, or null where it does. */
  const unfit = (view: ViewPlan): string | null => {
    const largest = largestPlanned(view.buffers);
    if (largest && largest.bytes > bufferLimit(limits)) {
      return (
        `its ${largest.label} needs ${formatBytes(largest.bytes)} in one buffer, more than ` +
        `the device's ${formatBytes(bufferLimit(limits))}`
      );
    }
    return held + view.bytes > budget
      ? `its ${formatBytes(view.bytes)} would take the page to ` +
          `${formatBytes(held + view.bytes)}, over the budget of ${formatBytes(budget)}`
      : null;
  };
  const take = (view: ViewPlan) => {
    views.push(view);
    held += view.bytes;
  };
  for (const view of planned.views) {
    const reason = unfit(view);
    if (reason === null) {
      take(view);
      continue;
    }
    // A view too large whole may fit without its costliest part (the slice's residual).
    const reduced = view.reduced;
    if (reduced && unfit(reduced.plan) === null) {
      take({ ...reduced.plan, dropped: { what: reduced.omits, reason } });
    } else {
      leftOut.push({ name: view.name, reason });
    }
  }
  const largestBytes = Math.max(
    run.largest.bytes,
    ...views.flatMap((view) => view.buffers.map((b) => allocatedBytes(b.bytes))),
  );
  return { run, views, leftOut, totalBytes: held, largestBytes };
}

/** The part of view `name` the page leaves out, and why; null where it builds it whole or not. */
export function viewDropped(
  estimate: PageMemoryEstimate,
  name: ViewName,
): { readonly what: string; readonly reason: string } | null {
  return estimate.views.find((view) => view.name === name)?.dropped ?? null;
}

/** Why the page does not build view `name` for the run, or null where it does. */
export function viewLeftOut(estimate: PageMemoryEstimate, name: ViewName): string | null {
  if (estimate.views.some((view) => view.name === name)) return null;
  return estimate.leftOut.find((view) => view.name === name)?.reason ?? 'the run has no such view';
}

/**
 * What the page holds with the views `drawn` built: the run and those views. The page's "GPU
 * memory in use" is measured against this, so it matches before and after a view is drawn.
 */
export function heldBytes(estimate: PageMemoryEstimate, drawn: readonly ViewName[]): number {
  const views = estimate.views.filter((view) => drawn.includes(view.name));
  return views.reduce((sum, view) => sum + view.bytes, estimate.run.totalBytes);
}

/**
 * Why the device cannot hold this run, or null when it fits. Its views never refuse it: those
 * that do not fit are left out (estimatePageMemory).
 */
export function memoryRefusal(estimate: PageMemoryEstimate, limits: BufferLimits): string | null {
  const problem = memoryProblem(estimate.run, limits);
  return problem === null
    ? null
    : `too large for this GPU: ${problem}. Lower d, the points, the width or the jets per point.`;
}

/** What the estimate leaves out, said plainly: the views not built, the transient. */
export function leftOutText(estimate: PageMemoryEstimate): string {
  const dropped = estimate.views.flatMap(({ name, dropped }) =>
    dropped ? [`the ${name}'s ${dropped.what} (not built: ${dropped.reason})`] : [],
  );
  const views = [
    ...dropped,
    ...estimate.leftOut.map((view) => `the ${view.name} (not built: ${view.reason})`),
  ];
  const transient = 'the estimator panel’s sampling passes, freed once it has drawn';
  return `Not counted: ${[...views, transient].join('; ')}`;
}

/** Whether the device holds a run as it is given (its views are left out where they do not fit). */
function holds(
  limits: BufferLimits,
  execution: TrainingExecution,
): (candidate: MemorySizing) => boolean {
  return (candidate) => fitsMemory(candidate, limits, execution);
}

/**
 * The run the page builds for `options`: stored where the device holds it, else with its
 * collocation points or dense tangents redrawn where they are read if that makes it fit
 * (storageToFit: the same numbers, less memory). The page has no control for it and decides it
 * afresh for every run (a smaller d goes back to stored), so a link reproduces the run anywhere.
 */
export function pageStorage(
  options: TrainingOptions,
  limits: BufferLimits,
  execution: TrainingExecution = {},
): StorageChoice {
  const stored = { ...options, pointStorage: 'stored', tangentStorage: 'stored' } as const;
  return storageToFit(stored, holds(limits, execution));
}

/**
 * Whether the device holds a run, with what it stores redrawn where that is what makes it fit
 * (pageStorage): what the slider's top and the hint's d bisect. One estimate per candidate, of
 * its least storage (leastStorage: it fits wherever some choice does).
 */
function pageFits(
  limits: BufferLimits,
  execution: TrainingExecution,
): (candidate: MemorySizing) => boolean {
  const fits = holds(limits, execution);
  return (candidate) => fits(leastStorage(candidate));
}

/** The page's sentence on what pageStorage regenerated; '' where nothing was. */
export function storageText(choice: StorageChoice): string {
  if (choice.regenerated.length === 0) return '';
  const says = choice.regenerated.map((field) => STORAGE_NAMES[field]);
  const flags = says.map((s) => `${s.flag} regenerated`).join(' ');
  return (
    `Its ${says.map((s) => s.what).join(' and ')} are redrawn where they are read, as stored ` +
    `they would not fit (the same numbers; the CLI's ${flags}). `
  );
}

/**
 * The largest d the device holds with the rest of the setup and the cheapest estimator the PDE
 * has (sparse jets; Gaussian for the biharmonic): the top of the dimension slider. The views
 * that do not fit beside such a run are left out of it (estimatePageMemory), so what fits is
 * monotone in d and the bisection finds its edge.
 */
export function maxDimension(
  options: MemorySizing,
  limits: BufferLimits,
  execution: TrainingExecution = {},
  ceiling = MAX_DIMENSION,
): number {
  const estimator = findPde(options.pde).operator === 'biharmonic' ? 'gaussian' : 'sparse';
  const fits = pageFits(limits, execution);
  return Math.max(2, largestFitting({ ...options, estimator }, limits, 'dimension', ceiling, fits));
}

/**
 * The run's mode with what it holds per network parameter (and how much of it is the rollback
 * copy, or that the run goes without it) and the largest d that fits, the other
 * settings (estimator included) as given: one sentence of the memory hint.
 */
export function parameterMemoryText(
  options: TrainingOptions,
  limits: BufferLimits,
  execution: TrainingExecution = {},
): string {
  const memory = modeMemory(
    options,
    modeOf(options),
    limits,
    execution,
    pageFits(limits, execution),
  );
  if (!memory.available) return `${memory.mode.label} cannot train this run: ${memory.reason}`;
  const withCopy = bytesPerParameter(options, limits, { rollback: true });
  const rollback = withCopy - bytesPerParameter(options, limits, { rollback: false });
  const rollbackText =
    rollback <= 0
      ? ''
      : (execution.rollback ?? true)
        ? ` (${rollback.toFixed(1)} B of it the rollback copy after a divergence; unticking ` +
          `"rollback copy" or the CLI's --no-rollback leaves it out)`
        : ` without the rollback copy (${rollback.toFixed(1)} B more with it): a divergence ` +
          `goes back to the last snapshot`;
  return (
    `${memory.mode.label} holds ${memory.bytesPerParameter.toFixed(1)} B per parameter` +
    `${rollbackText}; ${describeLargestDimension(memory.largestDimension)} with these settings`
  );
}
