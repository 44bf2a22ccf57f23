// Scale: d = 1M and 10M, two-body Allen–Cahn, 3 × 128 tanh, 100 points, in STDE's setup (sparse
// B = 16, backprop + Adam) and SDZE's (SPSA and subspace SPSA), all without the rollback copy.
// Each configuration is planned (GPU memory in all and per parameter, the parameter blocks θ and
// its layout's tensors are split into past the device's binding limit; full-direction SPSA
// stores no trial point or gradient, zerothOrder.ts inline), then built and stepped where the
// plan fits: time per step and the predicted time of a 10 000-step run. Where it does
// not fit, the plan's numbers are the result. bench/lib/scaleRun.ts has the settings and why.
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/scale.ts
//   [--dims 1000000,10000000]  the d to run (a quick check: --dims 1000,20000)
//   [--steps 2]                timed steps per configuration, after
//   [--warmup 1]               untimed warm-up steps (0: none)
//   [--sdze-optimizer sgd]     the SDZE modes' optimizer: sgd (default) or adam
//   [--configs stde,spsa,spsa-subspace]  by seed setup or estimator (or full id); the default;
//                              forward-gradient is only run when named
//   [--budget-s 3600]          wall-clock budget of the run: a configuration predicted (from the
//                              smaller d of the same one) past what is left is not built, and a
//                              built one stops taking steps when the last step's time says the
//                              next would overrun; its first step always runs (the probe)
//   [--memory-budget-gib 4]    total GPU memory a run may hold (default the CLI's 4 GiB; WebGPU
//                              cannot say what the device has)
//   [--point-storage regenerated]  the step's collocation points: regenerated where read
//                              (default: no N·d buffer) or stored
//   [--out-dir bench/results]
// Writes <out-dir>/scale-<adapter>.json (…-dims<d,…> for other d than 1M and 10M). Without a
// GPU a d = 1M step takes minutes: progress goes to stderr. Not part of `npm run bench`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { integerListFlag, invocation, numberFlag, stringFlag } from './lib/args.ts';
import { adapterSlug } from './lib/machine.ts';
import { RESULTS_DIR } from './lib/results.ts';
import { runScale, SCALE_POINT_STORAGE, scaleConfigs, scaleOptions } from './lib/scaleRun.ts';
import { POINT_STORAGES } from '../src/engine/pointSource.ts';
import { SCALE_DIMENSIONS } from './lib/scaleTypes.ts';

const ARGV = process.argv.slice(2);
const FLAGS = [
  'dims',
  'steps',
  'warmup',
  'sdze-optimizer',
  'configs',
  'budget-s',
  'memory-budget-gib',
  'point-storage',
  'out-dir',
];
for (const arg of ARGV) {
  const name = arg.startsWith('--') ? arg.slice(2).split('=')[0] : null;
  if (name !== null && !FLAGS.includes(name)) {
    throw new RangeError(
      `unknown flag ${JSON.stringify(arg)} (known: ${FLAGS.map((f) => `--${f}`).join(', ')})`,
    );
  }
}

const DIMS = integerListFlag('dims', SCALE_DIMENSIONS);
const STEPS = numberFlag('steps', 2);
if (!Number.isInteger(STEPS)) throw new RangeError(`--steps must be an integer, got ${STEPS}`);
const WARMUP_TEXT = stringFlag('warmup') ?? '1';
const WARMUP = Number(WARMUP_TEXT);
if (!Number.isInteger(WARMUP) || WARMUP < 0) {
  throw new RangeError(`--warmup must be an integer ≥ 0, got ${JSON.stringify(WARMUP_TEXT)}`);
}
const SDZE_OPTIMIZER = stringFlag('sdze-optimizer') ?? 'sgd';
if (SDZE_OPTIMIZER !== 'sgd' && SDZE_OPTIMIZER !== 'adam') {
  throw new RangeError(
    `--sdze-optimizer must be sgd or adam, got ${JSON.stringify(SDZE_OPTIMIZER)}`,
  );
}
const BUDGET_GIB = numberFlag('memory-budget-gib', 4);
const STORAGE_TEXT = stringFlag('point-storage') ?? SCALE_POINT_STORAGE;
const POINT_STORAGE = POINT_STORAGES.find((storage) => storage === STORAGE_TEXT);
if (!POINT_STORAGE) {
  throw new RangeError(
    `--point-storage must be ${POINT_STORAGES.join(' or ')}, got ${JSON.stringify(STORAGE_TEXT)}`,
  );
}
const OUT_DIR = stringFlag('out-dir') ?? RESULTS_DIR;
const DEFAULT_DIMS = DIMS.join(',') === SCALE_DIMENSIONS.join(',');

const BUDGET_S = numberFlag('budget-s', 3600);
const ALL_CONFIGS = scaleConfigs(SDZE_OPTIMIZER);
/**
 * Without --configs, the issue's three: the forward gradient's step at d = 1M took 496 s on
 * SwiftShader here (2026-12-08, `--dims 1000000 --configs forward-gradient`), and the probe step of
 * a built configuration always runs. The GPU kit runs all four; here `--configs forward-gradient`
 * adds it.
 */
const DEFAULT_CONFIGS = ALL_CONFIGS.filter((c) => c.gradientEstimator !== 'forward-gradient');
const CHOSEN = stringFlag('configs')?.split(',');
/** `stde` (the STDE setup), an estimator (`spsa`, `forward-gradient`, `backprop`…) or an id. */
const CONFIGS = CHOSEN
  ? CHOSEN.map((name) => {
      const config = ALL_CONFIGS.find(
        (c) =>
          c.id === name || c.gradientEstimator === name || (name === 'stde' && c.seed === 'STDE'),
      );
      if (!config) {
        throw new RangeError(
          `--configs: unknown configuration ${JSON.stringify(name)} (known: stde, spsa, ` +
            `spsa-subspace, forward-gradient, ${ALL_CONFIGS.map((c) => c.id).join(', ')})`,
        );
      }
      return config;
    })
  : DEFAULT_CONFIGS;
// Every configuration's options are checked before any GPU work (d ≥ B = 16, d ≤ 10M).
for (const d of DIMS) for (const config of CONFIGS) scaleOptions(config, d, POINT_STORAGE);

const command = invocation('bench:scale', ARGV);
// The adapter's own buffer limits: WebGPU's defaults would refuse d = 1M at 128 MiB per binding.
const gpu = await acquireNodeGpu({ largeLimits: true });
const results = await runScale(gpu, {
  configs: CONFIGS,
  dimensions: DIMS,
  warmupSteps: WARMUP,
  timedSteps: STEPS,
  pointStorage: POINT_STORAGE,
  budgetBytes: BUDGET_GIB * 2 ** 30,
  budgetSeconds: BUDGET_S,
  command,
}).finally(() => gpu.destroy());

const path = `${OUT_DIR}/scale-${adapterSlug(gpu.adapter)}${DEFAULT_DIMS ? '' : `-dims${DIMS.join('-')}`}.json`;
mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${path}`);
