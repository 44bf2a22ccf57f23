// STDE's accuracy runs (DESIGN.md §5): two-body Allen–Cahn trained with the STDE setup (3 × 128
// tanh, 100 points, sparse jets collapsed, Adam 1e-3 decayed linearly to 0, radius-uniform
// sampler) for 10 000 steps at d = 100 and 1000, B = 16 and 100, evaluated every 1000 steps on
// 20 000 test points; final and best relative L2 next to STDE's best.
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/stdeAccuracy.ts
//          [--dims 100,1000] [--jets 16,100] [--steps 10000] [--budget-s 1800]
//          [--first-layer-gain G] [--out-dir bench/results]
// Writes <out-dir>/stdeAccuracy-<adapter>.json and .md (…-steps<N> for a run of other than
// 10 000 steps, …-gain<G> with --first-layer-gain), not part of `npm run bench`.
//
// Each configuration is built and probed first: its step-0 evaluation is timed, then one warm-up
// step and a few timed steps, all part of the run. If the rest of the run (steps at the probe's
// rate plus its evaluations) fits in what is left of the budget it trains to the end; otherwise
// it is recorded as not run with the probe's rate and the predicted time, never with numbers
// (bench/lib/accuracyRun.ts, policy `probe`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { accuracyOptions, type AccuracyPlan, runAccuracy } from './lib/accuracyRun.ts';
import { integerListFlag, invocation, numberFlag, stringFlag } from './lib/args.ts';
import { adapterSlug } from './lib/machine.ts';
import { accuracySection } from './lib/reportSections.ts';
import { RESULTS_DIR } from './lib/results.ts';
import { STDE_ACCURACY_STEPS } from './lib/stdeReference.ts';

const ARGV = process.argv.slice(2);
const FLAGS = ['dims', 'jets', 'steps', 'budget-s', 'first-layer-gain', 'out-dir'];
for (const arg of ARGV) {
  const name = arg.startsWith('--') ? arg.slice(2).split('=')[0] : null;
  if (name !== null && !FLAGS.includes(name)) {
    throw new RangeError(
      `unknown flag ${JSON.stringify(arg)} (known: ${FLAGS.map((f) => `--${f}`).join(', ')})`,
    );
  }
}

const DIMS = integerListFlag('dims', [100, 1000]);
const JETS = integerListFlag('jets', [16, 100]);
const STEPS = numberFlag('steps', STDE_ACCURACY_STEPS);
if (!Number.isInteger(STEPS) || STEPS < 10) {
  throw new RangeError(`--steps must be an integer ≥ 10, got ${STEPS}`);
}
/** Generous for a GPU (four runs of 10 000 steps); without one, the probes decide in minutes. */
const BUDGET_S = numberFlag('budget-s', 1800);
const GAIN_TEXT = stringFlag('first-layer-gain');
const GAIN = numberFlag('first-layer-gain', 1);
const OUT_DIR = stringFlag('out-dir') ?? RESULTS_DIR;
const SHORTENED = STEPS !== STDE_ACCURACY_STEPS;

const command = invocation('bench:accuracy', ARGV);
const plan: AccuracyPlan = {
  configs: DIMS.flatMap((dimension) => JETS.map((jetsPerPoint) => ({ dimension, jetsPerPoint }))),
  steps: STEPS,
  budgetSeconds: BUDGET_S,
  ...(GAIN_TEXT !== undefined ? { firstLayerGain: GAIN } : {}),
  policy: 'probe',
  command,
};
// Every configuration's options are checked before any GPU work.
for (const config of plan.configs) {
  try {
    accuracyOptions(plan, config);
  } catch (error) {
    throw new RangeError(
      `--dims ${config.dimension} with --jets ${config.jetsPerPoint}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

// The adapter's own buffer limits, so a larger d than STDE's (a 20 000-point test set of d floats)
// is not refused by WebGPU's defaults.
const gpu = await acquireNodeGpu({ largeLimits: true });
const results = await runAccuracy(gpu, plan).finally(() => gpu.destroy());

const base = `${OUT_DIR}/stdeAccuracy-${adapterSlug(gpu.adapter)}${SHORTENED ? `-steps${STEPS}` : ''}${
  GAIN_TEXT !== undefined ? `-gain${GAIN}` : ''
}`;
const markdown = [
  '# STDE accuracy runs: two-body Allen–Cahn',
  '',
  `Adapter: ${results.adapter.summary}. Date ${results.date}, run ${results.runSeconds.toFixed(0)} s ` +
    `(${results.machine.cpu}, ${results.machine.cores} cores, load ${results.machine.loadAtStart.toFixed(2)} → ` +
    `${(results.machine.loadAtEnd ?? NaN).toFixed(2)}).`,
  '',
  'Command:',
  '',
  '```sh',
  command,
  '```',
  '',
  ...accuracySection(results),
].join('\n');
mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${base}.md`, `${markdown.trimEnd()}\n`);
console.log(`wrote ${base}.json and ${base}.md`);
