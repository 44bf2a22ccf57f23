// Backprop-free training against backprop Adam on two-body Allen–Cahn (DESIGN.md §6), on whatever
// adapter Node gets (Dawn).
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/zerothOrder.ts
//          [--steps N] [--dims 10,100] [--zo-lr R]
// Writes bench/results/zerothOrder-<adapter>.json and .md (with --zo-lr: …-zolr<R>.json and .md).
//
// For each dimension every mode trains the same network from the same initial weights with Adam
// at a constant learning rate (per mode, below). Backprop runs `steps` steps; its wall time T is
// the budget. Every other mode runs at least `steps` steps and on until its own training time
// reaches T (capped at MAX_STEP_FACTOR·steps), so each curve has an equal-steps point and an
// equal-time point. The test-set relative L2 error is evaluated between chunks of CHUNK steps,
// outside the timed region. Bytes are Trainer.memoryBytes (every GPU buffer of the run), here
// and for a larger network built but not trained, where the stored layer jets dominate.
import { mkdirSync, writeFileSync } from 'node:fs';
import { adapterSummary } from '../src/gpu/adapterDescription.ts';
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import {
  type GradientEstimator,
  resolveTrainingOptions,
  type TrainingOptions,
} from '../src/train/options.ts';
import { Trainer } from '../src/train/trainer.ts';
import { integerListFlag, numberFlag, stringFlag } from './lib/args.ts';
import { adapterSlug } from './lib/machine.ts';

const STEPS = numberFlag('steps', 600);
const DIMS = integerListFlag('dims', [10, 100]);
const CHUNK = 50;
const MAX_STEP_FACTOR = 4;
const SEED = 1;

interface Mode {
  estimator: GradientEstimator;
  learningRate: number;
  extra: Partial<TrainingOptions>;
}

/**
 * Learning rates, from a separate 300-step sweep at d = 10 over {3e-4, 1e-3, 3e-3, 1e-2, 3e-2}
 * (relative L2 — backprop: 6.6e-2, 3.7e-2, 3.0e-2, 1.6e-2, 1.7e-2; spsa: 0.94, 0.84, 0.48, 0.10,
 * 4.9e-2; spsa-subspace: 0.95, 0.86, 0.55, 0.10, 5.0e-2; forward gradient: 0.94, 0.81, 0.40,
 * 9.3e-2, 6.6e-2). Backprop takes its best, 1e-2. The backprop-free modes were best at 3e-2 after
 * 300 steps, but at d = 10 subspace SPSA and the forward gradient blew up after ~450 steps there
 * (`--zo-lr 0.03` records that run), so they run at 1e-2 by default. One direction per step
 * (q = 1), ε = 1e-3: the cheapest step, as in SDZE and MeZO.
 */
const ZO_LEARNING_RATE = numberFlag('zo-lr', 1e-2);
const MODES: Mode[] = [
  { estimator: 'backprop', learningRate: 1e-2, extra: {} },
  { estimator: 'spsa', learningRate: ZO_LEARNING_RATE, extra: {} },
  {
    estimator: 'spsa-subspace',
    learningRate: ZO_LEARNING_RATE,
    extra: { subspaceRank: 4, subspacePeriod: 50 },
  },
  { estimator: 'forward-gradient', learningRate: ZO_LEARNING_RATE, extra: {} },
];

function optionsFor(dimension: number, mode: Mode, steps: number): TrainingOptions {
  return resolveTrainingOptions({
    pde: 'allen-cahn-two-body',
    dimension,
    estimator: 'sparse',
    jetsPerPoint: 8,
    points: 64,
    width: 32,
    depth: 2,
    learningRate: mode.learningRate,
    schedule: 'constant',
    steps,
    seed: SEED,
    logEvery: 10,
    evalEvery: 0,
    testPoints: 2000,
    gradientEstimator: mode.estimator,
    ...mode.extra,
  });
}

interface CurvePoint {
  step: number;
  seconds: number;
  loss: number;
  relativeL2: number;
}

interface ModeRun {
  estimator: GradientEstimator;
  learningRate: number;
  options: Partial<TrainingOptions>;
  memoryBytes: number;
  secondsPerStep: number;
  curve: CurvePoint[];
  losses: { step: number; loss: number }[];
  atEqualSteps: CurvePoint;
  atEqualTime: CurvePoint;
}

const gpu = await acquireNodeGpu();
const started = performance.now();

/** Mean of the logged losses of the last chunk (a single step's loss is noisy). */
function recentLoss(logs: readonly { step: number; loss: number }[], step: number): number {
  const window = logs.filter((l) => l.step > step - CHUNK && l.step <= step);
  return window.reduce((s, l) => s + l.loss, 0) / window.length;
}

async function runMode(
  dimension: number,
  mode: Mode,
  budgetSeconds: number | null,
): Promise<ModeRun> {
  const maxSteps = budgetSeconds === null ? STEPS : MAX_STEP_FACTOR * STEPS;
  const trainer = await Trainer.create(gpu.device, optionsFor(dimension, mode, maxSteps));
  const first = await trainer.evaluate();
  const curve: CurvePoint[] = [
    { step: 0, seconds: 0, loss: Number.NaN, relativeL2: first.relativeL2 ?? Number.NaN },
  ];
  let seconds = 0;
  let diverged = false;
  while (trainer.step < maxSteps) {
    const t0 = performance.now();
    try {
      await trainer.train(CHUNK);
    } catch (error) {
      console.log(`  ${mode.estimator}: ${(error as Error).message}`);
      diverged = true;
    }
    seconds += (performance.now() - t0) / 1000;
    if (diverged) break;
    const errors = await trainer.evaluate();
    curve.push({
      step: trainer.step,
      seconds,
      loss: recentLoss(trainer.logs, trainer.step),
      relativeL2: errors.relativeL2 ?? Number.NaN,
    });
    const last = curve[curve.length - 1];
    console.log(
      `  d=${dimension} ${mode.estimator} step ${last.step} ${seconds.toFixed(1)} s loss ${last.loss.toExponential(3)} relL2 ${last.relativeL2.toExponential(3)}`,
    );
    if (budgetSeconds !== null && trainer.step >= STEPS && seconds >= budgetSeconds) break;
  }
  const atEqualSteps = curve.find((p) => p.step === STEPS) ?? curve[curve.length - 1];
  const withinBudget = curve.filter((p) => budgetSeconds === null || p.seconds <= budgetSeconds);
  const atEqualTime = withinBudget[withinBudget.length - 1];
  const run: ModeRun = {
    estimator: mode.estimator,
    learningRate: mode.learningRate,
    options: mode.extra,
    memoryBytes: trainer.memoryBytes,
    secondsPerStep: seconds / trainer.step,
    curve,
    losses: trainer.logs.map((l) => ({ step: l.step, loss: l.loss })),
    atEqualSteps,
    atEqualTime,
  };
  trainer.dispose();
  return run;
}

/**
 * Bytes of a run too large to train here, built and freed at once: with 1000 test points, and
 * with one, which leaves (almost only) what the training step itself allocates.
 */
async function memoryOf(mode: Mode): Promise<{ total: number; step: number }> {
  const bytes = async (testPoints: number) => {
    const trainer = await Trainer.create(
      gpu.device,
      resolveTrainingOptions({
        ...optionsFor(100, mode, 1),
        width: 256,
        depth: 3,
        points: 100,
        jetsPerPoint: 16,
        testPoints,
      }),
    );
    const total = trainer.memoryBytes;
    trainer.dispose();
    return total;
  };
  return { total: await bytes(1000), step: await bytes(1) };
}

const dimensions: { dimension: number; runs: ModeRun[] }[] = [];
const largeNetworkBytes: Record<string, { total: number; step: number }> = {};
try {
  for (const dimension of DIMS) {
    console.log(`d = ${dimension}`);
    const backprop = await runMode(dimension, MODES[0], null);
    const budget = backprop.curve[backprop.curve.length - 1].seconds;
    const runs = [backprop];
    for (const mode of MODES.slice(1)) runs.push(await runMode(dimension, mode, budget));
    dimensions.push({ dimension, runs });
  }
  for (const mode of MODES) largeNetworkBytes[mode.estimator] = await memoryOf(mode);
} finally {
  gpu.destroy();
}
const runSeconds = (performance.now() - started) / 1000;

const adapter = gpu.adapter;
const slug = adapterSlug(adapter);

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
const e = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : '—');
const lines: string[] = [
  '# Backprop-free training vs backprop Adam: two-body Allen–Cahn',
  '',
  `Adapter: ${adapterSummary(adapter)}. Date ${new Date().toISOString()}, run ${runSeconds.toFixed(0)} s.`,
  '',
  `Network 2 × 32 tanh, 64 residual points, sparse STDE with 8 jets, collapsed; Adam at a constant`,
  `learning rate per mode (backprop 1e-2, the others ${ZO_LEARNING_RATE}; see bench/zerothOrder.ts for the sweep), ε = 1e-3,`,
  `q = 1, seed ${SEED}; ${STEPS} steps for backprop, whose training time is the budget`,
  `the other modes get (at most ${MAX_STEP_FACTOR * STEPS} steps). Loss: mean of the logged losses`,
  `of the last ${CHUNK} steps (for spsa modes, the mean of the 2q perturbed losses). Relative L2 on`,
  `2000 test points. Times exclude evaluation.`,
  '',
];
for (const { dimension, runs } of dimensions) {
  lines.push(`## d = ${dimension}`, '');
  lines.push(
    '| mode | lr | s/step | bytes | loss @ equal steps | rel. L2 @ equal steps | steps @ equal time | loss @ equal time | rel. L2 @ equal time |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const r of runs) {
    lines.push(
      `| ${r.estimator}${
        Object.keys(r.options).length
          ? ` (${Object.entries(r.options)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`
          : ''
      } | ${r.learningRate} | ${r.secondsPerStep.toFixed(4)} | ${kib(r.memoryBytes)} | ${e(r.atEqualSteps.loss)} | ${e(r.atEqualSteps.relativeL2)} | ${r.atEqualTime.step} | ${e(r.atEqualTime.loss)} | ${e(r.atEqualTime.relativeL2)} |`,
    );
  }
  lines.push('', 'Relative L2 along the run (step: value):', '');
  for (const r of runs) {
    lines.push(
      `- ${r.estimator}: ${r.curve
        .filter((_, i) => i % 2 === 0 || i === r.curve.length - 1)
        .map((p) => `${p.step}: ${e(p.relativeL2)}`)
        .join(', ')}`,
    );
  }
  lines.push('');
}
lines.push(
  '## Memory of a larger run (built, not trained)',
  '',
  'd = 100, 3 × 256 tanh, 100 points, 16 sparse jets, Adam. "Total" holds a 1000-point test-set',
  'evaluation, whose forward pass keeps every layer whatever the mode; "step" is the same run with',
  'one test point: the training step alone (parameters, gradient, Adam moments, draws, jets).',
  '',
  '| mode | total | vs backprop | step | vs backprop |',
  '| --- | --- | --- | --- | --- |',
  ...MODES.map((m) => {
    const bytes = largeNetworkBytes[m.estimator];
    const backprop = largeNetworkBytes.backprop;
    return `| ${m.estimator} | ${mib(bytes.total)} | ${(bytes.total / backprop.total).toFixed(2)}× | ${mib(bytes.step)} | ${(bytes.step / backprop.step).toFixed(2)}× |`;
  }),
  '',
);
const report = `${lines.join('\n')}\n`;

mkdirSync('bench/results', { recursive: true });
const base = `bench/results/zerothOrder-${slug}${stringFlag('zo-lr') !== undefined ? `-zolr${ZO_LEARNING_RATE}` : ''}`;
writeFileSync(
  `${base}.json`,
  `${JSON.stringify(
    {
      adapter: {
        summary: adapterSummary(adapter),
        vendor: adapter.vendor,
        architecture: adapter.architecture,
        description: adapter.description,
        isSoftware: adapter.isSoftware,
      },
      date: new Date().toISOString(),
      node: process.version,
      runSeconds,
      settings: {
        steps: STEPS,
        chunk: CHUNK,
        maxStepFactor: MAX_STEP_FACTOR,
        seed: SEED,
        zerothOrderLearningRate: ZO_LEARNING_RATE,
      },
      dimensions,
      largeNetworkBytes,
    },
    null,
    2,
  )}\n`,
);
writeFileSync(`${base}.md`, report);
console.log(`\n${report}`);
console.log(`wrote ${base}.json and ${base}.md`);
