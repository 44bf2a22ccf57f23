// Regenerates BENCHMARKS.md and the SVG charts in bench/results/ from the results files:
// the newest file of each benchmark per adapter group (bench/lib/reportFiles.ts). Software-adapter
// files make the main sections; every hardware adapter (a GPU kit run's files copied into
// bench/results/) gets a GPU section of its own beside them. The memory per parameter by mode
// is computed from the training plans (bench/lib/reportMemory.ts), which no machine changes.
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/report.ts
import { readdirSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { buildReport } from './lib/report.ts';
import { parameterMemorySection, trafficTargetRow } from './lib/reportMemory.ts';
import { groupByAdapter, inputsOf, type ResultFile } from './lib/reportFiles.ts';
import { readResults, RESULTS_DIR } from './lib/results.ts';
import { lineChartSvg } from './lib/svgChart.ts';

const files: ResultFile[] = readdirSync(RESULTS_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ path: `${RESULTS_DIR}/${f}`, data: readResults<unknown>(`${RESULTS_DIR}/${f}`) }));
const { software, gpus } = groupByAdapter(files);
const { markdown, charts } = buildReport(inputsOf(software), gpus, parameterMemorySection(), [
  trafficTargetRow(),
]);
for (const chart of charts) {
  writeFileSync(`${RESULTS_DIR}/${chart.file}`, lineChartSvg(chart.spec));
  console.log(`wrote ${RESULTS_DIR}/${chart.file}`);
}
// Formatted as `npm run lint` checks it (prettier --check .).
const options = (await resolveConfig('BENCHMARKS.md')) ?? {};
writeFileSync('BENCHMARKS.md', await format(markdown, { ...options, parser: 'markdown' }));
console.log('wrote BENCHMARKS.md');
