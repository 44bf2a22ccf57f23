// Our engine against TensorFlow.js on the same adapter: one training step (same MLP, same sampled
// Laplacian estimate along B sparse directions, same Adam step) in TF.js's WebGPU and WASM
// backends and in our Trainer, in one Chromium page (bench.html), after checking that all compute
// the same u and estimate on the same weights, points and directions.
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/peer.ts
//          [--budget-s 300]
// Starts its own Vite server (cross-origin isolated, so the WASM backend may use threads) and the
// system Chromium with WebGPU on SwiftShader (e2e/chromium.ts). Writes
// bench/results/peer-<adapter>.json.
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumExecutable, webgpuChromiumArgs } from '../e2e/chromium.ts';
import { numberFlag } from './lib/args.ts';
import { finishMachineRecord, machineRecord } from './lib/machine.ts';
import type { PeerConfigResult, PeerResults } from './lib/peerResultTypes.ts';
import { writeResults } from './lib/results.ts';
import { spreadOf } from './lib/stats.ts';
import type { PeerBenchApi, PeerConfig, PeerRunResult } from './page/peerTypes.ts';

const budgetS = numberFlag('budget-s', 300);
/** The target configuration first, then the rest of the grid as time allows. */
const GRID: { dimension: number; width: number }[] = [
  { dimension: 100, width: 128 },
  { dimension: 10, width: 32 },
  { dimension: 100, width: 32 },
  { dimension: 1000, width: 128 },
  { dimension: 100, width: 64 },
  { dimension: 10, width: 64 },
  { dimension: 10, width: 128 },
  { dimension: 1000, width: 32 },
  { dimension: 1000, width: 64 },
];
const POINTS = 100;
const DEPTH = 3;
const CAP_S = 60;

const machine = machineRecord();
const started = performance.now();
const server = await createServer({
  configFile: 'vite.config.ts',
  logLevel: 'warn',
  server: {
    // No file watching or hot reload: an edit in the tree must not reload the page mid-run.
    hmr: false,
    watch: null,
    // Not the end-to-end tests' port (5199): the benchmark and the test suite may run together.
    port: 5299,
    strictPort: false,
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
  },
});
await server.listen();
const url = server.resolvedUrls?.local[0];
if (!url) throw new Error('the Vite server did not report a URL');
const browser = await chromium.launch({
  executablePath: chromiumExecutable(),
  args: webgpuChromiumArgs,
  headless: true,
});
const configs: PeerConfigResult[] = [];
let info;
try {
  const page = await browser.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`page: ${message.text()}`);
  });
  await page.goto(`${url}bench.html`);
  await page.waitForFunction(
    () => document.getElementById('status')?.textContent === 'ready',
    null,
    {
      timeout: 120_000,
    },
  );
  info = await page.evaluate(() =>
    (window as unknown as { peerBench: PeerBenchApi }).peerBench.info(),
  );
  console.log(info);
  for (const { dimension, width } of GRID) {
    // Sparse directions are drawn without replacement: B = 4 at d = 10 (the orientation).
    const jets = dimension < 16 ? 4 : 16;
    const config: PeerConfig = {
      dimension,
      width,
      depth: DEPTH,
      points: POINTS,
      jets,
      seed: 0,
      windows: 3,
      minWindows: 2,
      capMs: CAP_S * 1000,
    };
    const elapsedS = (performance.now() - started) / 1000;
    if (elapsedS > budgetS) {
      configs.push({
        config,
        status: 'not-run',
        reason: `the run's time budget of ${budgetS} s was spent`,
      });
      console.log(`d=${dimension} h=${width}: not run (budget)`);
      continue;
    }
    try {
      const result: PeerRunResult = await page.evaluate(
        (c) => (window as unknown as { peerBench: PeerBenchApi }).peerBench.run(c),
        config,
      );
      configs.push({ status: 'measured', ...result });
      const summary = result.timings
        .map((t) =>
          t.msPerStep.length > 0
            ? `${t.implementation} ${spreadOf(t.msPerStep).median.toFixed(0)} ms`
            : `${t.implementation} ${t.note}`,
        )
        .join('; ');
      const checks = result.checks
        .map((c) => `${c.implementation} Δestimate ${c.estimateError.toExponential(1)}`)
        .join(', ');
      console.log(`d=${dimension} h=${width} B=${jets}: ${summary} (${checks})`);
    } catch (error) {
      configs.push({ config, status: 'failed', reason: String(error) });
      console.log(`d=${dimension} h=${width}: failed: ${String(error)}`);
    }
  }
} finally {
  await browser.close();
  await server.close();
}
if (!info) throw new Error('the bench page never answered');

const file: PeerResults = {
  benchmark: 'peer',
  date: new Date().toISOString(),
  runSeconds: (performance.now() - started) / 1000,
  machine: finishMachineRecord(machine),
  adapter: {
    summary: info.adapter,
    vendor: info.adapter.split(' ')[0] ?? '',
    architecture: info.adapter.split(' ')[1] ?? '',
    description: info.adapter,
    isSoftware: info.adapter.includes('software'),
    maxBufferSize: null,
    maxStorageBufferBindingSize: null,
  },
  command: `npm run bench:peer -- --budget-s ${budgetS}`,
  page: info,
  points: POINTS,
  depth: DEPTH,
  capSeconds: CAP_S,
  budgetSeconds: budgetS,
  configs,
};
console.log(`wrote ${writeResults(file)}`);
