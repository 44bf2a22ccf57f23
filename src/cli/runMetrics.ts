/**
 * The metrics a trained model file carries (modelFile.ts `metrics`): the last evaluation,
 * labelled `final…`, and for each error the smallest value over the run's evaluations with its
 * step, labelled `best…` (what the STDE paper reports), so the two are never confused.
 */
import type { EvaluationMetrics } from '../train/problemGraph.ts';
import type { EvaluationLog } from '../train/trainer.ts';

/** Errors, where smaller is better; `value` (u_θ(0, 0)) is reported as final only. */
const ERRORS: (keyof EvaluationMetrics)[] = ['relativeL2', 'relativeL1', 'pointRelativeError'];
const ALL: (keyof EvaluationMetrics)[] = [...ERRORS, 'value'];

function capitalized(name: string): string {
  return name[0].toUpperCase() + name.slice(1);
}

/**
 * Non-finite errors (a network that overflowed) are left out: JSON cannot hold them and the
 * model file format refuses them.
 *
 * e.g. { finalStep, finalRelativeL2, finalRelativeL1, bestRelativeL2, bestRelativeL2Step,
 * bestRelativeL1, bestRelativeL1Step }; empty without evaluations.
 */
export function runMetrics(evaluations: readonly EvaluationLog[]): Record<string, number> {
  const metrics: Record<string, number> = {};
  const last = evaluations.at(-1);
  if (!last) return metrics;
  metrics.finalStep = last.step;
  for (const name of ALL) {
    const value = last[name];
    if (value !== undefined && Number.isFinite(value)) metrics[`final${capitalized(name)}`] = value;
  }
  for (const name of ERRORS) {
    let best: { value: number; step: number } | null = null;
    for (const evaluation of evaluations) {
      const value = evaluation[name];
      if (value !== undefined && Number.isFinite(value) && (best === null || value < best.value)) {
        best = { value, step: evaluation.step };
      }
    }
    if (best) {
      metrics[`best${capitalized(name)}`] = best.value;
      metrics[`best${capitalized(name)}Step`] = best.step;
    }
  }
  return metrics;
}
