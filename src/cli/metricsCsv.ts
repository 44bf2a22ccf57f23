/**
 * The metrics CSV of a run: one row per step that was logged or evaluated, in step order, with
 * an empty cell where a step has no such value (logs and evaluations run on their own periods).
 * Numbers print with full precision (JavaScript's shortest round-trip form), so the CSV holds
 * exactly what the trainer measured.
 */
import type { EvaluationMetrics } from '../train/problemGraph.ts';
import type { EvaluationLog, StepLog } from '../train/trainer.ts';

const LOG_COLUMNS: [string, keyof Omit<StepLog, 'step'>][] = [
  ['loss', 'loss'],
  ['gradient_norm', 'gradientNorm'],
  ['learning_rate', 'learningRate'],
];

const EVALUATION_COLUMNS: [string, keyof EvaluationMetrics][] = [
  ['relative_l2', 'relativeL2'],
  ['relative_l1', 'relativeL1'],
  ['point_relative_error', 'pointRelativeError'],
  ['value', 'value'],
];

export const METRICS_CSV_COLUMNS = [
  'step',
  ...LOG_COLUMNS.map(([column]) => column),
  ...EVALUATION_COLUMNS.map(([column]) => column),
];

export function metricsCsv(
  logs: readonly StepLog[],
  evaluations: readonly EvaluationLog[],
): string {
  const rows = new Map<number, { log?: StepLog; evaluation?: EvaluationLog }>();
  for (const log of logs) rows.set(log.step, { ...rows.get(log.step), log });
  for (const evaluation of evaluations) {
    rows.set(evaluation.step, { ...rows.get(evaluation.step), evaluation });
  }
  const lines = [...rows.entries()]
    .sort(([a], [b]) => a - b)
    .map(([step, { log, evaluation }]) =>
      [
        step,
        ...LOG_COLUMNS.map(([, key]) => log?.[key] ?? ''),
        ...EVALUATION_COLUMNS.map(([, key]) => evaluation?.[key] ?? ''),
      ].join(','),
    );
  return `${[METRICS_CSV_COLUMNS.join(','), ...lines].join('\n')}\n`;
}
