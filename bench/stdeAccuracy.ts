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
// it is recorded as not run with the probe's rate and the predicted time, never with numbers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../src/train/options.ts';
import { Trainer, type TrainerCallbacks } from '../src/train/trainer.ts';
import { integerListFlag, numberFlag, stringFlag } from './lib/args.ts';
import { adapterRecord, adapterSlug, finishMachineRecord, machineRecord } from './lib/machine.ts';
import { accuracySection, grouped, hours } from './lib/reportSections.ts';
import { RESULTS_DIR } from './lib/results.ts';
import type {
  AccuracyPoint,
  AccuracyProbe,
  AccuracyRun,
  StdeAccuracyResults,
} from './lib/stdeAccuracyTypes.ts';
import {
  STDE_A100_MACHINE,
  STDE_ACCURACY_EVAL_EVERY,
  STDE_ACCURACY_STEPS,
  STDE_ACCURACY_TEST_POINTS,
  stdeAccuracyAt,
} from './lib/stdeReference.ts';

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

/** The probe times steps for about this long after its warm-up step (2 to 200 steps). */
const PROBE_TARGET_MS = 3000;
const MIN_PROBE_STEPS = 2;
const MAX_PROBE_STEPS = 200;

/**
 * STDE's setup, spelled out rather than left to the defaults (which are the same today), so the
 * comparison stays STDE's if a default changes.
 */
function optionsFor(dimension: number, jetsPerPoint: number): TrainingOptions {
  return resolveTrainingOptions({
    pde: 'allen-cahn-two-body',
    dimension,
    estimator: 'sparse',
    jetsPerPoint,
    collapsed: true,
    points: 100,
    width: 128,
    depth: 3,
    activation: 'tanh',
    optimizer: 'adam',
    learningRate: 1e-3,
    schedule: 'linear',
    sampler: 'radius-uniform',
    steps: STEPS,
    evalEvery: STDE_ACCURACY_EVAL_EVERY,
    testPoints: STDE_ACCURACY_TEST_POINTS,
    // Only when asked: the option is STDE's init (1) by default.
    ...(GAIN_TEXT !== undefined ? { firstLayerGain: GAIN } : {}),
  });
}

const configs = DIMS.flatMap((dimension) =>
  JETS.map((jetsPerPoint) => {
    try {
      return { dimension, jetsPerPoint, options: optionsFor(dimension, jetsPerPoint) };
    } catch (error) {
      throw new RangeError(
        `--dims ${dimension} with --jets ${jetsPerPoint}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }),
);

/** Evaluations the trainer makes in a run: every evalEvery steps, and after the last step. */
function evaluationsIn(options: TrainingOptions): number {
  const { steps, evalEvery } = options;
  return Math.floor(steps / evalEvery) + (steps % evalEvery === 0 ? 0 : 1);
}

const seconds = (ms: number) => ms / 1000;

const machine = machineRecord();
// The adapter's own buffer limits, so a larger d than STDE's (a 20 000-point test set of d floats)
// is not refused by WebGPU's defaults.
const gpu = await acquireNodeGpu({ largeLimits: true });
const device = gpu.device;
const started = performance.now();
const remainingMs = () => BUDGET_S * 1000 - (performance.now() - started);

function curveOf(trainer: Trainer): AccuracyPoint[] {
  return trainer.evaluations.map((e) => ({
    step: e.step,
    relativeL2: e.relativeL2 ?? null,
    relativeL1: e.relativeL1 ?? null,
    loss: trainer.logs.find((l) => l.step === e.step)?.loss ?? null,
  }));
}

async function runConfig(config: (typeof configs)[number]): Promise<AccuracyRun> {
  const { dimension, jetsPerPoint, options } = config;
  const base = {
    dimension,
    jetsPerPoint,
    options,
    stdeBestRelativeL2: stdeAccuracyAt(dimension, jetsPerPoint),
  };
  if (remainingMs() <= 0) {
    return {
      ...base,
      status: 'not-run',
      reason: `the run's budget of ${BUDGET_S} s was spent before this configuration's probe`,
      probe: null,
      curve: [],
    };
  }
  const configStart = performance.now();
  let trainer: Trainer | null = null;
  let probe: AccuracyProbe | null = null;
  // The trainer drains the log of an evaluation step before it evaluates, so the time from that
  // log to the evaluation's callback is the evaluation alone.
  let lastLogAt = 0;
  let evaluationMs = 0;
  const callbacks: TrainerCallbacks = {
    onLog: () => {
      lastLogAt = performance.now();
    },
    onEvaluation: () => {
      evaluationMs += performance.now() - lastLogAt;
    },
  };
  const timed = async (work: () => Promise<unknown>) => {
    const t0 = performance.now();
    await work();
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  try {
    const createStart = performance.now();
    trainer = await Trainer.create(device, options);
    const createMs = performance.now() - createStart;
    const run = trainer;
    const firstEvaluationMs = await timed(() => run.evaluate());
    const warmupMs = await timed(() => run.train(1, callbacks));
    const probeSteps = Math.max(
      1,
      Math.min(
        STEPS - 2,
        MAX_PROBE_STEPS,
        Math.max(MIN_PROBE_STEPS, Math.round(PROBE_TARGET_MS / warmupMs)),
      ),
    );
    const probeMs = await timed(() => run.train(probeSteps, callbacks));
    const itPerSecond = probeSteps / seconds(probeMs);
    const evaluations = evaluationsIn(options);
    const predictedSeconds = STEPS / itPerSecond + evaluations * seconds(firstEvaluationMs);
    probe = {
      createMs,
      warmupMs,
      steps: probeSteps,
      ms: probeMs,
      itPerSecond,
      evaluationMs: firstEvaluationMs,
      evaluations,
      predictedSeconds,
      memoryBytes: trainer.memoryBytes,
    };
    const restSeconds =
      (STEPS - trainer.step) / itPerSecond + evaluations * seconds(firstEvaluationMs);
    console.log(
      `d=${dimension} B=${jetsPerPoint}: probe ${itPerSecond.toPrecision(3)} it/s over ${probeSteps} steps, ` +
        `evaluation ${seconds(firstEvaluationMs).toFixed(1)} s; ${grouped(STEPS)} steps predicted ${hours(predictedSeconds)}`,
    );
    if (restSeconds * 1000 > remainingMs()) {
      return {
        ...base,
        status: 'not-run',
        reason:
          `probe: ${itPerSecond.toPrecision(3)} it/s over ${probeSteps} steps after a warm-up step, ` +
          `one ${grouped(options.testPoints)}-point evaluation ${seconds(firstEvaluationMs).toFixed(1)} s; ` +
          `${grouped(STEPS)} steps and ${evaluations} evaluation${evaluations === 1 ? '' : 's'} predicted ${hours(predictedSeconds)}, ` +
          `more than the ${Math.max(0, seconds(remainingMs())).toFixed(0)} s left of the ${BUDGET_S} s budget`,
        probe,
        curve: curveOf(trainer),
      };
    }
    let trainMs = warmupMs + probeMs;
    evaluationMs = 0;
    while (trainer.step < STEPS) {
      const next = Math.min(
        STEPS,
        (Math.floor(trainer.step / options.evalEvery) + 1) * options.evalEvery,
      );
      trainMs += await timed(() => run.train(next - run.step, callbacks));
      const last = trainer.evaluations[trainer.evaluations.length - 1];
      console.log(
        `  step ${trainer.step}: relative L2 ${last?.relativeL2?.toExponential(3)} ` +
          `(${seconds(performance.now() - configStart).toFixed(0)} s)`,
      );
      if (trainer.step < STEPS && remainingMs() <= 0) {
        return {
          ...base,
          status: 'stopped',
          reason:
            `ran past the ${BUDGET_S} s budget at step ${trainer.step} of ${STEPS} ` +
            `(the probe had predicted ${hours(predictedSeconds)} for the run)`,
          probe,
          curve: curveOf(trainer),
        };
      }
    }
    const curve = curveOf(trainer);
    const trained = curve.filter((p) => p.step > 0);
    const final = curve[curve.length - 1];
    const byL2 = trained.filter((p) => p.relativeL2 !== null);
    const best = byL2.reduce(
      (a, b) => ((b.relativeL2 as number) < (a.relativeL2 as number) ? b : a),
      final,
    );
    const l1 = trained.flatMap((p) => (p.relativeL1 === null ? [] : [p.relativeL1]));
    const trainingMs = trainMs - evaluationMs;
    return {
      ...base,
      status: 'measured',
      probe,
      steps: trainer.step,
      final,
      best,
      bestRelativeL1: l1.length > 0 ? Math.min(...l1) : null,
      curve,
      itPerSecond: trainer.step / seconds(trainingMs),
      trainingSeconds: seconds(trainingMs),
      evaluationSeconds: seconds(evaluationMs + firstEvaluationMs),
      wallSeconds: seconds(performance.now() - configStart),
      memoryBytes: trainer.memoryBytes,
    };
  } catch (error) {
    return {
      ...base,
      status: 'failed',
      reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      probe,
      curve: trainer ? curveOf(trainer) : [],
    };
  } finally {
    trainer?.dispose();
  }
}

const runs: AccuracyRun[] = [];
try {
  for (const config of configs) {
    const run = await runConfig(config);
    if (run.status !== 'measured') {
      console.log(`d=${run.dimension} B=${run.jetsPerPoint}: ${run.status}: ${run.reason}`);
    }
    runs.push(run);
  }
} finally {
  gpu.destroy();
}

const command = `npm run bench:accuracy${ARGV.length > 0 ? ` -- ${ARGV.join(' ')}` : ''}`;
const results: StdeAccuracyResults = {
  benchmark: 'stdeAccuracy',
  date: new Date().toISOString(),
  runSeconds: seconds(performance.now() - started),
  machine: finishMachineRecord(machine),
  adapter: adapterRecord(gpu.adapter),
  command,
  pde: 'allen-cahn-two-body',
  steps: STEPS,
  shortened: SHORTENED,
  referenceSteps: STDE_ACCURACY_STEPS,
  budgetSeconds: BUDGET_S,
  firstLayerGain: GAIN,
  referenceSource: `${STDE_A100_MACHINE}, DESIGN.md §5`,
  runs,
};

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
