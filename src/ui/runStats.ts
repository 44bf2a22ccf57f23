/**
 * The run's numbers as a definition list: progress, speed, memory, errors, the adapter. Written
 * with textContent only, like every other text on the page.
 */
import { adapterSummary, type AdapterDescription } from '../gpu/adapterDescription.ts';
import { parabolicReferenceValue } from '../pdes/parabolicReference.ts';
import { formatBytes } from './memoryEstimate.ts';
import type { RunController } from './runController.ts';

function format(value: number | undefined | null, digits = 3): string {
  return value === undefined || value === null || !Number.isFinite(value)
    ? '–'
    : value.toPrecision(digits);
}

function rate(value: number): string {
  if (value <= 0) return '–';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return value.toFixed(1);
}

/** The rows of the problem's metric: relative L2/L1 on a test set, or u(0, 0) and its error. */
function errorRows(run: RunController): [string, string][] {
  const { pde, options } = run.plan;
  const last = run.history.evaluations.at(-1);
  if (pde.domain === 'spacetime') {
    const reference = parabolicReferenceValue(pde.problem.id, options.dimension);
    return [
      [
        'Relative error of u(0, 0) (last / best)',
        `${format(last?.pointRelativeError)} / ${format(run.history.best('pointRelativeError'))}`,
      ],
      [
        'u(0, 0) (last / reference)',
        `${format(last?.value, 5)} / ${reference === undefined ? `none for d = ${options.dimension}` : format(reference, 5)}`,
      ],
    ];
  }
  return [
    [
      'Relative L2 (last / best)',
      `${format(last?.relativeL2)} / ${format(run.history.best('relativeL2'))}`,
    ],
    ['Relative L1 (last)', format(last?.relativeL1)],
  ];
}

export function showRunStats(
  list: HTMLElement,
  run: RunController,
  adapter: AdapterDescription,
  limitBytes: number,
): void {
  const { options, memory } = run.plan;
  const lastLog = run.history.logs.at(-1);
  const rows: [string, string][] = [
    ['Step', `${run.step} / ${options.steps}`],
    ['Loss', format(lastLog?.loss)],
    ...errorRows(run),
    ['Steps per second', rate(run.iterationsPerSecond)],
    ['Points per second', rate(run.iterationsPerSecond * options.points)],
    [
      'GPU memory in use',
      `${formatBytes(run.memoryBytes)} (estimate ${formatBytes(memory.totalBytes)}, largest buffer ${formatBytes(memory.largest.bytes)} of ${formatBytes(limitBytes)} allowed)`,
    ],
    ['Jets per point', `${memory.jets} of order ${memory.order}, ${memory.rowsPerPoint} rows`],
    ['Adapter', adapterSummary(adapter)],
    ['Software adapter', adapter.isSoftware ? 'yes: expect CPU speed' : 'no'],
  ];
  list.replaceChildren(
    ...rows.flatMap(([term, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      return [dt, dd];
    }),
  );
}
