/**
 * STDE's accuracy runs as a function (bench/stdeAccuracy.ts is its command line, the GPU kit
 * another caller): two-body Allen–Cahn trained with the STDE setup (3 × 128 tanh, 100 points,
 * sparse jets collapsed, Adam 1e-3 decayed linearly to 0, radius-uniform sampler) for 10 000 steps,
 * evaluated every 1000 steps on 20 000 test points; final and best relative L2 next to STDE's best.
 *
 * Each configuration is built and probed first: its step-0 evaluation is timed, then one warm-up
 * step and a few timed steps, all part of the run. Then, by the plan's policy:
 * - `probe` (`npm run bench:accuracy`): if the rest of the run (steps at the probe's rate plus its
 *   evaluations) fits in what is left of the budget it trains to the end; otherwise it is recorded
 *   as not run with the probe's rate and the predicted time, never with numbers;
 * - `partial` (the GPU kit): each configuration gets an equal share of what is left and trains as
 *   far as that share allows; a run cut short is recorded as stopped, with the steps it reached,
 *   the predicted time of the whole run and its errors so far (an evaluation at the step it
 *   stopped), never as a finished run.
 */
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../../src/train/options.ts';
import { Trainer, type TrainerCallbacks } from '../../src/train/trainer.ts';
import { adapterRecord, finishMachineRecord, machineRecord } from './machine.ts';
import { grouped, hours } from './reportSections.ts';
import type {
  AccuracyPoint,
  AccuracyProbe,
  AccuracyRun,
  StdeAccuracyResults,
} from './stdeAccuracyTypes.ts';
import {
  STDE_A100_MACHINE,
  STDE_ACCURACY_EVAL_EVERY,
  STDE_ACCURACY_STEPS,
  STDE_ACCURACY_TEST_POINTS,
  stdeAccuracyAt,
} from './stdeReference.ts';

export interface AccuracyConfig {
  dimension: number;
  jetsPerPoint: number;
}

/** Smaller runs than STDE's, for a quick check of the machinery (then `shortened`). */
export interface AccuracyOverrides {
  points?: number;
  width?: number;
  depth?: number;
  testPoints?: number;
  evalEvery?: number;
}

export interface AccuracyPlan {
  configs: AccuracyConfig[];
  steps: number;
  budgetSeconds: number;
  /** Only when asked: the option is STDE's init (1) by default. */
  firstLayerGain?: number;
  policy: 'probe' | 'partial';
  overrides?: AccuracyOverrides;
  command: string;
  log?: (line: string) => void;
  /**
   * The results so far, after every configuration and every stretch of training (the kit writes
   * them as it goes): a configuration still training is in it as `stopped` at the step reached,
   * which is what it is should its process be stopped before the next write.
   */
  onProgress?: (partial: StdeAccuracyResults) => void;
}

/** The probe times steps for about this long after its warm-up step (2 to 200 steps). */
const PROBE_TARGET_MS = 3000;
const MIN_PROBE_STEPS = 2;
const MAX_PROBE_STEPS = 200;

/**
 * STDE's setup, spelled out rather than left to the defaults (which are the same today), so the
 * comparison stays STDE's if a default changes.
 */
export function accuracyOptions(
  plan: Pick<AccuracyPlan, 'steps' | 'firstLayerGain' | 'overrides'>,
  config: AccuracyConfig,
): TrainingOptions {
  return resolveTrainingOptions({
    pde: 'allen-cahn-two-body',
    dimension: config.dimension,
    estimator: 'sparse',
    jetsPerPoint: config.jetsPerPoint,
    collapsed: true,
    points: 100,
    width: 128,
    depth: 3,
    activation: 'tanh',
    optimizer: 'adam',
    learningRate: 1e-3,
    schedule: 'linear',
    sampler: 'radius-uniform',
    steps: plan.steps,
    evalEvery: STDE_ACCURACY_EVAL_EVERY,
    testPoints: STDE_ACCURACY_TEST_POINTS,
    ...(plan.firstLayerGain !== undefined ? { firstLayerGain: plan.firstLayerGain } : {}),
    ...plan.overrides,
  });
}

/** Evaluations the trainer makes in a run: every evalEvery steps, and after the last step. */
function evaluationsIn(options: TrainingOptions): number {
  const { steps, evalEvery } = options;
  return Math.floor(steps / evalEvery) + (steps % evalEvery === 0 ? 0 : 1);
}

const seconds = (ms: number) => ms / 1000;

function curveOf(trainer: Trainer): AccuracyPoint[] {
  return trainer.evaluations.map((e) => ({
    step: e.step,
    relativeL2: e.relativeL2 ?? null,
    relativeL1: e.relativeL1 ?? null,
    loss: trainer.logs.find((l) => l.step === e.step)?.loss ?? null,
  }));
}

export async function runAccuracy(
  gpu: GpuContext,
  plan: AccuracyPlan,
): Promise<StdeAccuracyResults> {
  const log = plan.log ?? console.log;
  const machine = machineRecord();
  const device = gpu.device;
  const STEPS = plan.steps;
  const BUDGET_S = plan.budgetSeconds;
  const started = performance.now();
  const remainingMs = () => BUDGET_S * 1000 - (performance.now() - started);
  const timed = async (work: () => Promise<unknown>) => {
    const t0 = performance.now();
    await work();
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };

  const shortened = STEPS !== STDE_ACCURACY_STEPS || Object.keys(plan.overrides ?? {}).length > 0;
  const assemble = (list: AccuracyRun[]): StdeAccuracyResults => ({
    benchmark: 'stdeAccuracy',
    date: new Date().toISOString(),
    runSeconds: seconds(performance.now() - started),
    machine: finishMachineRecord(machine),
    adapter: adapterRecord(gpu.adapter),
    command: plan.command,
    pde: 'allen-cahn-two-body',
    steps: STEPS,
    shortened,
    referenceSteps: STDE_ACCURACY_STEPS,
    budgetSeconds: BUDGET_S,
    firstLayerGain: plan.firstLayerGain ?? 1,
    referenceSource: `${STDE_A100_MACHINE}, DESIGN.md §5`,
    runs: list,
  });
  const runs: AccuracyRun[] = [];

  async function runConfig(config: AccuracyConfig, configsLeft: number): Promise<AccuracyRun> {
    const { dimension, jetsPerPoint } = config;
    const options = accuracyOptions(plan, config);
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
    // `partial`: this configuration's share of what is left; `probe`: all of it.
    const deadline =
      plan.policy === 'partial'
        ? configStart + remainingMs() / configsLeft
        : started + BUDGET_S * 1000;
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
      log(
        `d=${dimension} B=${jetsPerPoint}: probe ${itPerSecond.toPrecision(3)} it/s over ${probeSteps} steps, ` +
          `evaluation ${seconds(firstEvaluationMs).toFixed(1)} s; ${grouped(STEPS)} steps predicted ${hours(predictedSeconds)}`,
      );
      if (plan.policy === 'probe' && restSeconds * 1000 > remainingMs()) {
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
      /** Steps `partial` may still take: two evaluations (the next and the last) kept in reserve. */
      const affordable = () => {
        const msPerStep = Math.max(
          1000 / itPerSecond,
          (trainMs - evaluationMs) / Math.max(1, run.step),
        );
        const left = deadline - performance.now() - 2 * firstEvaluationMs;
        return Math.floor(left / msPerStep);
      };
      while (trainer.step < STEPS) {
        let next = Math.min(
          STEPS,
          (Math.floor(trainer.step / options.evalEvery) + 1) * options.evalEvery,
        );
        if (plan.policy === 'partial') {
          const steps = Math.min(next - trainer.step, affordable());
          if (steps < 1) break;
          next = trainer.step + steps;
        }
        trainMs += await timed(() => run.train(next - run.step, callbacks));
        plan.onProgress?.(
          assemble([
            ...runs,
            {
              ...base,
              status: 'stopped',
              reason:
                `still training (step ${trainer.step} of ${STEPS}) when this file was written: ` +
                'its process was stopped before the run could finish',
              probe,
              curve: curveOf(trainer),
              stepsReached: trainer.step,
            },
          ]),
        );
        const last = trainer.evaluations[trainer.evaluations.length - 1];
        log(
          `  step ${trainer.step}: relative L2 ${last?.relativeL2?.toExponential(3)} ` +
            `(${seconds(performance.now() - configStart).toFixed(0)} s)`,
        );
        if (plan.policy === 'probe' && trainer.step < STEPS && remainingMs() <= 0) {
          return {
            ...base,
            status: 'stopped',
            reason:
              `ran past the ${BUDGET_S} s budget at step ${trainer.step} of ${STEPS} ` +
              `(the probe had predicted ${hours(predictedSeconds)} for the run)`,
            probe,
            curve: curveOf(trainer),
            stepsReached: trainer.step,
          };
        }
      }
      if (trainer.step < STEPS) {
        // `partial` ran out of its share: the errors where it stopped, then the honest status.
        const lastEvaluated = trainer.evaluations[trainer.evaluations.length - 1]?.step ?? -1;
        if (lastEvaluated < trainer.step) await run.evaluate();
        const rate = (trainer.step - 1) / seconds(Math.max(1, trainMs - warmupMs - evaluationMs));
        const whole = STEPS / rate + evaluations * seconds(firstEvaluationMs);
        const last = trainer.evaluations[trainer.evaluations.length - 1];
        log(
          `  stopped at step ${trainer.step} of ${STEPS}: relative L2 ${last?.relativeL2?.toExponential(3)}; ` +
            `the whole run predicted ${hours(whole)}`,
        );
        return {
          ...base,
          status: 'stopped',
          reason:
            `this configuration's share of the budget (${seconds(deadline - configStart).toFixed(0)} s ` +
            `of ${BUDGET_S} s) ran out at step ${trainer.step} of ${STEPS}; at the ${rate.toPrecision(3)} it/s ` +
            `measured, the whole run (${grouped(STEPS)} steps and ${evaluations} evaluations) would ` +
            `take ${hours(whole)}; the errors are those at step ${trainer.step}, not a finished run's`,
          probe,
          curve: curveOf(trainer),
          stepsReached: trainer.step,
        };
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

  for (const [index, config] of plan.configs.entries()) {
    const run = await runConfig(config, plan.configs.length - index);
    if (run.status !== 'measured') {
      log(`d=${run.dimension} B=${run.jetsPerPoint}: ${run.status}: ${run.reason}`);
    }
    runs.push(run);
    plan.onProgress?.(assemble(runs));
  }

  return assemble(runs);
}
