// Regenerates BENCHMARKS.md and the SVG charts in bench/results/ from the results files alone
// (the newest file of each benchmark in bench/results/).
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/report.ts
import { readdirSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import type { BreakdownResults } from './lib/breakdownTypes.ts';
import type { HighOrderResults } from './lib/highOrderTypes.ts';
import type { KernelResults } from './lib/kernelTypes.ts';
import type { PeerResults } from './lib/peerResultTypes.ts';
import { buildReport } from './lib/report.ts';
import { isStdeSetup } from './lib/reportSections.ts';
import { readResults, RESULTS_DIR } from './lib/results.ts';
import type { ScalingResults } from './lib/scalingTypes.ts';
import type { StdeAccuracyResults } from './lib/stdeAccuracyTypes.ts';
import { lineChartSvg } from './lib/svgChart.ts';

/** Every results file of a benchmark, newest first (by its recorded date). */
function runsOf<T extends { date: string }>(benchmark: string): { path: string; data: T }[] {
  const files = readdirSync(RESULTS_DIR).filter(
    (f) => f.startsWith(`${benchmark}-`) && f.endsWith('.json'),
  );
  const parsed = files.map((f) => ({
    path: `${RESULTS_DIR}/${f}`,
    data: readResults<T>(`${RESULTS_DIR}/${f}`),
  }));
  return parsed.sort((a, b) => b.data.date.localeCompare(a.data.date));
}

function newest<T extends { date: string }>(benchmark: string): { path: string; data: T } | null {
  return runsOf<T>(benchmark)[0] ?? null;
}

const peerRuns = runsOf<PeerResults>('peer');
const accuracyRuns = runsOf<StdeAccuracyResults>('stdeAccuracy');
const { markdown, charts } = buildReport({
  kernels: newest<KernelResults>('jetKernels'),
  scaling: newest<ScalingResults>('scaling'),
  breakdown: newest<BreakdownResults>('stepBreakdown'),
  highOrder: newest<HighOrderResults>('highOrder'),
  peer: peerRuns[0] ?? null,
  earlierPeerRuns: peerRuns.slice(1),
  // STDE's comparison is the full-length run with STDE's init; others only when it is missing.
  accuracy:
    accuracyRuns.find((r) => isStdeSetup(r.data)) ??
    accuracyRuns.find((r) => !r.data.shortened) ??
    accuracyRuns[0] ??
    null,
});
for (const chart of charts) {
  writeFileSync(`${RESULTS_DIR}/${chart.file}`, lineChartSvg(chart.spec));
  console.log(`wrote ${RESULTS_DIR}/${chart.file}`);
}
// Formatted as `npm run lint` checks it (prettier --check .).
const options = (await resolveConfig('BENCHMARKS.md')) ?? {};
writeFileSync('BENCHMARKS.md', await format(markdown, { ...options, parser: 'markdown' }));
console.log('wrote BENCHMARKS.md');
