/**
 * The run's numbers as a definition list: progress, speed, memory, errors, the adapter. Written
 * with textContent only, like every other text on the page.
 */
import { adapterSummary, type AdapterDescription } from '../gpu/adapterDescription.ts';
import { parabolicReferenceValue } from '../pdes/parabolicReference.ts';
import { formatBytes, heldBytes, type PageMemoryEstimate } from './memoryEstimate.ts';
import type { RunController } from './runController.ts';
import type { ViewName } from './viewPlans.ts';

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

/**
 * The estimate next to the memory in use: the run and the views drawn so far (what is in use
 * now), the total once every view is drawn, and the largest buffer. Kept to two or three lines:
 * the row sits above the field views and the loss chart of the first screen; the settings'
 * estimate (dashboard.ts) gives the breakdown and what no plan counts.
 */
function memoryText(
  memory: PageMemoryEstimate,
  drawn: readonly ViewName[],
  limitBytes: number,
): string {
  const held = heldBytes(memory, drawn);
  const withViews =
    held === memory.totalBytes ? '' : `; ${formatBytes(memory.totalBytes)} with the views drawn`;
  return (
    `estimate ${formatBytes(held)}${withViews}; largest buffer ` +
    `${formatBytes(memory.largestBytes)} of ${formatBytes(limitBytes)}`
  );
}

/** `drawn`: the views whose buffers the run holds now. */
export function showRunStats(
  list: HTMLElement,
  run: RunController,
  adapter: AdapterDescription,
  limitBytes: number,
  drawn: readonly ViewName[],
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
      `${formatBytes(run.memoryBytes)} (${memoryText(memory, drawn, limitBytes)})`,
    ],
    [
      'Jets per point',
      `${memory.run.jets} of order ${memory.run.order}, ${memory.run.rowsPerPoint} rows`,
    ],
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
