/**
 * One line per benchmark for the kit's stdout (the part of a lent machine's output that always
 * comes back) and its summary file: the headline numbers, or why there are none.
 */
import { formatBytes } from '../../src/train/memoryBudget.ts';
import type { BreakdownResults } from '../lib/breakdownTypes.ts';
import type { HighOrderResults } from '../lib/highOrderTypes.ts';
import type { KernelRow } from '../lib/kernelTypes.ts';
import { dLabel, fmt, hours, kernelEfficiency } from '../lib/reportSections.ts';
import type { ScaleResults } from '../lib/scaleTypes.ts';
import type { ScalingResults } from '../lib/scalingTypes.ts';
import type { StdeAccuracyResults } from '../lib/stdeAccuracyTypes.ts';

const MiB = 2 ** 20;

export function scalingSummary(results: ScalingResults): string {
  const parts = results.estimators.map((e) => {
    const cells = results.dimensions.map((d) => {
      const r = results.results.find((x) => x.estimator === e.id && x.dimension === d);
      if (!r) return '–';
      if (r.status !== 'measured') return r.status;
      return `${fmt(r.itPerSecond.median)} it/s ${fmt(r.memoryBytes / MiB)} MiB`;
    });
    return `${e.id}: ${cells.join(' | ')}`;
  });
  return `d = ${results.dimensions.map(dLabel).join(' | ')}; ${parts.join('; ')}`;
}

export function kernelSummary(results: { results: KernelRow[]; notRun?: unknown[] }): string {
  const entries = kernelEfficiency(results.results);
  if (entries.length === 0) return 'no width measured';
  const widths = [...new Set(results.results.map((r) => r.width))];
  const perWidth = widths.map((w) => {
    const f = entries.filter((e) => e.row.width === w).map((e) => e.fraction * 100);
    return `h = ${w}: ${Math.min(...f).toFixed(0)}–${Math.max(...f).toFixed(0)} %`;
  });
  const within = entries.filter((e) => e.fraction >= 0.7).length;
  return (
    `jet GFLOP/s / matmul GFLOP/s ${perWidth.join(', ')}; ${within}/${entries.length} passes ≥ 70 %` +
    (results.notRun?.length ? `; ${results.notRun.length} widths × jets not run` : '')
  );
}

export function breakdownSummary(results: BreakdownResults): string {
  const rows = results.rows.map((r) => {
    const host = r.stages.reduce((sum, s) => sum + s.ms.median, 0);
    const gpu = r.stages.every((s) => s.gpuMs)
      ? r.stages.reduce((sum, s) => sum + (s.gpuMs?.median ?? 0), 0)
      : null;
    return `d = ${dLabel(r.dimension)}: ${fmt(host)} ms${gpu === null ? '' : ` (GPU ${fmt(gpu)} ms)`}`;
  });
  const skipped = (results.notRun ?? []).map((n) => `d = ${dLabel(n.dimension)}: not run`);
  return `sum of stage medians ${[...rows, ...skipped].join(', ')}`;
}

export function highOrderSummary(results: HighOrderResults): string {
  const measured = results.results.filter((r) => r.status === 'measured');
  const cells = results.results.map(
    (r) =>
      `${r.problem} ${r.structure === 'collapsed' ? 'c' : 's'} L${r.depth} h${r.width}: ` +
      (r.status === 'measured' ? `${fmt(r.itPerSecond.median)} it/s` : r.status),
  );
  return `${measured.length}/${results.results.length} measured; ${cells.join(', ')}`;
}

export function accuracySummary(results: StdeAccuracyResults): string {
  const sci = (v: number | null | undefined) =>
    v === null || v === undefined ? '–' : v.toExponential(2);
  return results.runs
    .map((r) => {
      const head = `d = ${dLabel(r.dimension)} B = ${r.jetsPerPoint}`;
      const stde = `STDE ${sci(r.stdeBestRelativeL2)}`;
      if (r.status === 'measured') {
        return (
          `${head}: ${r.steps} steps, final ${sci(r.final.relativeL2)}, best ${sci(r.best.relativeL2)} ` +
          `(${stde}), ${fmt(r.itPerSecond)} it/s, ${hours(r.wallSeconds)}`
        );
      }
      const last = r.curve[r.curve.length - 1];
      const predicted = r.probe ? `, whole run predicted ${hours(r.probe.predictedSeconds)}` : '';
      const reached =
        r.stepsReached !== undefined
          ? ` at step ${r.stepsReached} of ${results.steps} (rel. L2 ${sci(last?.relativeL2)} there)`
          : '';
      return `${head}: ${r.status}${reached}${predicted} (${stde})`;
    })
    .join('; ');
}

/** Per d, each configuration's time per step and GPU memory, or its status. */
export function scaleSummary(results: ScaleResults): string {
  return results.dimensions
    .map((d) => {
      const cells = results.configs.map((c) => {
        const r = results.results.find((x) => x.config === c.id && x.dimension === d);
        if (!r) return `${c.id} –`;
        const { outcome } = r;
        if (outcome.status !== 'measured') return `${c.id} ${outcome.status}`;
        const ms = outcome.msPerStep.median;
        return `${c.id} ${fmt(ms)} ms/step ${formatBytes(outcome.memoryBytes)}`;
      });
      return `d = ${dLabel(d)}: ${cells.join(', ')}`;
    })
    .join('; ');
}
