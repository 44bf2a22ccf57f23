/**
 * The scale benchmark as a function (bench/scale.ts is its command line; the GPU kit calls it
 * too): STDE's setup (sparse B = 16, backprop + Adam), SDZE's (SPSA and subspace SPSA) and the
 * forward gradient (bench:scale runs it only when named) on two-body Allen–Cahn with 3 × 128 tanh
 * and 100 points, at d = 1M and 10M. Each configuration is planned first (the training plan,
 * src/train/trainingPlan.ts, the one Trainer.create refuses runs with): its GPU memory in all and
 * per parameter, its largest buffer against the device's binding limit. Where the plan fits, a
 * Trainer is built and stepped, each step timed on its own; where it does not, the plan's refusal
 * is the result, never a guessed time.
 *
 * θ and every tensor of its layout are split into parameter blocks where they pass a binding
 * (src/engine/parameterBlocks.ts), in every mode here (all are ball problems); any other buffer
 * past the binding refuses the run, named with the fewest bindings it would need.
 */
import { totalmem } from 'node:os';
import { parameterLayout } from '../../src/engine/jetLayout.ts';
import type { PointStorage } from '../../src/engine/pointSource.ts';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { allocatedBytes, largestPlanned, plannedBytes } from '../../src/gpu/bufferPlan.ts';
import {
  bufferLimit,
  completeLimits,
  DEFAULT_MEMORY_BUDGET_BYTES,
  estimateMemory,
  formatBytes,
  MemoryBudgetError,
  type MemoryLimits,
  memoryProblem,
} from '../../src/train/memoryBudget.ts';
import {
  architectureOf,
  type OptimizerName,
  resolveTrainingOptions,
  type TrainingOptions,
} from '../../src/train/options.ts';
import { bytesPerParameter } from '../../src/train/parameterMemory.ts';
import { Trainer } from '../../src/train/trainer.ts';
import {
  planTrainingParts,
  takesParameterBlocks,
  trainingLimitsOf,
  trainingParameterBlocks,
} from '../../src/train/trainingPlan.ts';
import { predictStepMs, type SeriesPoint } from './budget.ts';
import { adapterRecord, finishMachineRecord, machineRecord } from './machine.ts';
import { hours } from './reportSections.ts';
import {
  type OverBinding,
  SCALE_DIMENSIONS,
  SCALE_SETUP,
  type ScaleConfig,
  type ScaleOutcome,
  type ScalePlan,
  type ScaleResult,
  type ScaleResults,
} from './scaleTypes.ts';
import { spreadOf } from './stats.ts';

/** STDE's run length, which the predicted time of a full run is for. */
export const SCALE_FULL_RUN_STEPS = 10_000;

/**
 * The configurations, all without the rollback copy: it is 12 bytes per parameter with Adam (4
 * with SGD) on top of θ, g, m, v (BENCHMARKS.md's table of memory per mode plans each mode with it
 * and without it). SDZE's optimizer defaults to SGD:
 * SDZE keeps "an O(1) optimizer memory footprint", and the target of GPU memory ≤ 1.3× the
 * weights at d = 10M is out of reach with Adam's moments alone (2× the weights); `adam` gives the
 * SDZE modes STDE's optimizer instead. Zeroth-order settings are the trainer's defaults: one
 * direction per step, ε = 1e-3, subspace rank 4 redrawn every 100 steps.
 */
export function scaleConfigs(sdzeOptimizer: OptimizerName = 'sgd'): ScaleConfig[] {
  const defaults = resolveTrainingOptions({});
  const perturbation = {
    scale: defaults.perturbationScale,
    directions: defaults.perturbationDirections,
  };
  const sdze = sdzeOptimizer === 'adam' ? 'Adam' : 'SGD';
  return [
    {
      id: 'stde-backprop-adam',
      label: 'STDE: sparse B = 16, backprop + Adam',
      seed: 'STDE',
      gradientEstimator: 'backprop',
      optimizer: 'adam',
      rollback: false,
    },
    {
      id: `sdze-spsa-${sdzeOptimizer}`,
      label: `SDZE: SPSA + ${sdze}`,
      seed: 'SDZE',
      gradientEstimator: 'spsa',
      optimizer: sdzeOptimizer,
      rollback: false,
      perturbation,
    },
    {
      id: `sdze-spsa-subspace-${sdzeOptimizer}`,
      label: `SDZE: subspace SPSA + ${sdze}`,
      seed: 'SDZE',
      gradientEstimator: 'spsa-subspace',
      optimizer: sdzeOptimizer,
      rollback: false,
      perturbation: {
        ...perturbation,
        subspaceRank: defaults.subspaceRank,
        period: defaults.subspacePeriod,
      },
    },
    {
      // Forward passes only, as SDZE's modes: ∇L·v along one direction v a step, θ held once.
      id: `forward-gradient-${sdzeOptimizer}`,
      label: `Forward gradient + ${sdze}`,
      seed: 'SDZE',
      gradientEstimator: 'forward-gradient',
      optimizer: sdzeOptimizer,
      rollback: false,
    },
  ];
}

/**
 * How the scale runs hold their collocation points by default: regenerated where read, since at
 * d = 10M and 100 points a stored batch alone is 3.73 GiB, past every binding limit.
 */
export const SCALE_POINT_STORAGE: PointStorage = 'regenerated';

/** A configuration's training options at d. */
export function scaleOptions(
  config: ScaleConfig,
  dimension: number,
  pointStorage: PointStorage = SCALE_POINT_STORAGE,
): TrainingOptions {
  return resolveTrainingOptions({
    ...SCALE_SETUP,
    pointStorage,
    dimension,
    gradientEstimator: config.gradientEstimator,
    optimizer: config.optimizer,
    // The schedule of a full run; it is never reached, so no evaluation or final log is timed.
    steps: SCALE_FULL_RUN_STEPS,
    // No logging step in the timed ones: a log reads back and (without the rollback copy) adds
    // a reduction over the gradient, 1 step in 10 at the CLI's default.
    logEvery: 1_000_000,
    evalEvery: 0,
  });
}

/** The limits a plan is checked against: the device's, the budget and a host-RAM share. */
export interface ScaleLimits extends MemoryLimits {
  budgetBytes: number;
  /** A software adapter allocates in host RAM (null: a hardware adapter, not checked). */
  hostBytes: number | null;
}

/**
 * The plan of `options` on `limits`, with or without the rollback copy: pure, no GPU. Its
 * `problem` is the memory check's refusal, or the host-RAM share a software adapter exceeds.
 */
export function planScale(
  options: TrainingOptions,
  limits: ScaleLimits,
  rollback: boolean,
): ScalePlan {
  const execution = { rollback };
  const problemOf = (totalBytes: number, fromCheck: string | null): string | null =>
    fromCheck ??
    (limits.hostBytes !== null && totalBytes > limits.hostBytes
      ? `the run needs about ${formatBytes(totalBytes)} of buffers; the software adapter ` +
        `allocates in host RAM and this run allows itself ${formatBytes(limits.hostBytes)} (half of it)`
      : null);
  const estimate = estimateMemory(options, limits.maxStorageBufferBindingSize, limits, execution);
  const limit = bufferLimit(limits);
  const largest = largestPlanned(estimate.planned);
  const overBinding: OverBinding[] = estimate.planned
    .filter((b) => allocatedBytes(b.bytes) > limit)
    .map((b) => ({
      label: b.label,
      bytes: allocatedBytes(b.bytes),
      bindingsAtLeast: Math.ceil(allocatedBytes(b.bytes) / limit),
    }))
    .sort((a, b) => b.bytes - a.bytes);
  const { parts } = planTrainingParts(options, completeLimits(limits), execution);
  let perParameter: number | null;
  try {
    perParameter = bytesPerParameter(options, limits, execution);
  } catch {
    // A parameter-sized part refused the options (a count past 32 bits): `problem` says so.
    perParameter = null;
  }
  const count = parametersOf(options);
  const plan: ScalePlan = {
    parameterCount: count,
    weightsBytes: 4 * count,
    totalBytes: estimate.totalBytes,
    bytesPerParameter: perParameter,
    parts: parts.map((p) => ({
      name: p.name,
      bytes: plannedBytes(p.buffers) + plannedBytes(p.firstStep),
    })),
    largest: largest
      ? { label: largest.label, bytes: allocatedBytes(largest.bytes) }
      : { label: 'none', bytes: 0 },
    bindingLimitBytes: limit,
    parameterBlocks: parameterBlocksOf(options, limits),
    overBinding,
    problem: problemOf(estimate.totalBytes, memoryProblem(estimate, limits)),
  };
  return plan;
}

/** How many buffers the run splits θ into: 1 where it fits, or where the problem takes no split. */
function parameterBlocksOf(options: TrainingOptions, limits: ScaleLimits): number {
  if (!takesParameterBlocks(options)) return 1;
  try {
    return trainingParameterBlocks(architectureOf(options).widths, limits).blocks.length;
  } catch {
    // A row of W₁ or the layers after it past a block: `problem` says so.
    return 1;
  }
}

/** The network's parameter count, as the trainer lays them out. */
function parametersOf(options: TrainingOptions): number {
  return parameterLayout(architectureOf(options).widths).count;
}

export interface ScaleRunPlan {
  configs: ScaleConfig[];
  dimensions: number[];
  warmupSteps: number;
  timedSteps: number;
  /** How each step's collocation points are held (default SCALE_POINT_STORAGE). */
  pointStorage?: PointStorage;
  /** Total bytes a run may hold (default the CLI's, DEFAULT_MEMORY_BUDGET_BYTES). */
  budgetBytes?: number;
  /**
   * Wall-clock budget of the whole run, s (default none). A configuration whose steps, predicted
   * from the same configuration at the smaller d measured, would not end in what is left is not
   * built; one that is built runs at least one step (the probe) and then only steps that the last
   * one's time says fit.
   */
  budgetSeconds?: number;
  command: string;
  /** One line per configuration, once it is done (stdout). */
  log?: (line: string) => void;
  /** Progress within a configuration: the build, every step (stderr: a d = 1M step is long). */
  progress?: (line: string) => void;
  /** The results so far, after every configuration (the GPU kit writes them as it goes). */
  onResults?: (partial: ScaleResults) => void;
}

/** Runs `work` inside out-of-memory and validation scopes, throwing what they caught. */
async function scoped<T>(device: GPUDevice, work: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: { value: T } | null = null;
  let thrown: unknown = null;
  try {
    result = { value: await work() };
  } catch (error) {
    thrown = error;
  }
  const errors = [await device.popErrorScope(), await device.popErrorScope()].filter(
    (e) => e !== null,
  );
  if (thrown !== null) throw thrown;
  if (errors.length > 0 || result === null) {
    throw new Error(errors.map((e) => e.message).join('; '));
  }
  return result.value;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** "one binding each", the parameter blocks, or the buffers past the binding, for the progress lines. */
export function describeSplit(plan: ScalePlan): string {
  if (plan.overBinding.length === 0) {
    const blocks = plan.parameterBlocks ?? 1;
    return (
      (blocks > 1 ? `θ and its tensors in ${blocks} parameter blocks, ` : '') +
      `one binding each (largest ${plan.largest.label}, ${formatBytes(plan.largest.bytes)} ≤ ${formatBytes(plan.bindingLimitBytes)})`
    );
  }
  return (
    `needs splitting, which this mode does not take: ` +
    plan.overBinding
      .map((b) => `${b.label} ${formatBytes(b.bytes)} → ≥ ${b.bindingsAtLeast} bindings`)
      .join(', ') +
    ` of ${formatBytes(plan.bindingLimitBytes)}`
  );
}

export async function runScale(gpu: GpuContext, plan: ScaleRunPlan): Promise<ScaleResults> {
  const log = plan.log ?? console.log;
  const progress = plan.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const machine = machineRecord();
  const device = gpu.device;
  const started = performance.now();
  // What Trainer.create checks the run against, and the host's share on a software adapter.
  const limits: ScaleLimits = {
    ...trainingLimitsOf(device.limits),
    maxBufferSize: device.limits.maxBufferSize,
    budgetBytes: plan.budgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES,
    hostBytes: gpu.adapter.isSoftware ? totalmem() / 2 : null,
  };
  const budgetMs = plan.budgetSeconds === undefined ? Infinity : plan.budgetSeconds * 1000;
  const leftMs = () => budgetMs - (performance.now() - started);
  /** Each configuration's measured (or probed) step time per d, for the next d's prediction. */
  const series = new Map<string, SeriesPoint[]>(plan.configs.map((c) => [c.id, []]));
  const results: ScaleResult[] = [];
  const resultsSoFar = () => scaleResults(gpu, plan, { machine, started, limits }, [...results]);
  for (const d of plan.dimensions) {
    for (const config of plan.configs) {
      const options = scaleOptions(config, d, plan.pointStorage);
      const where = `d=${d} ${config.id}`;
      const planned = planScale(options, limits, config.rollback);
      progress(
        `${where}: planned ${formatBytes(planned.totalBytes)} ` +
          `(${(planned.totalBytes / planned.parameterCount).toFixed(1)} B/param in all), ${describeSplit(planned)}`,
      );
      const measured = series.get(config.id) ?? [];
      const predictedMs = predictStepMs(measured, d);
      const steps = plan.warmupSteps + plan.timedSteps;
      let outcome: ScaleOutcome;
      if (planned.problem !== null) {
        outcome = { status: 'does-not-fit', reason: planned.problem };
      } else if (leftMs() <= 0) {
        outcome = {
          status: 'not-run',
          reason:
            `the run's time budget of ${plan.budgetSeconds} s was spent` +
            (predictedMs === null ? '' : ` (predicted ${seconds(predictedMs)} per step)`),
        };
      } else if (predictedMs !== null && predictedMs * steps > leftMs()) {
        outcome = {
          status: 'not-run',
          reason:
            `predicted ${seconds(predictedMs)} per step (from the smaller d measured); ${steps} ` +
            `steps exceed the ${seconds(leftMs())} left of the ${plan.budgetSeconds} s budget`,
        };
      } else {
        outcome = await buildAndStep(
          device,
          options,
          config,
          limits.budgetBytes,
          plan,
          leftMs,
          (line) => progress(`${where}: ${line}`),
        );
      }
      if (outcome.status === 'measured') measured.push({ x: d, ms: outcome.msPerStep.median });
      else if (outcome.probeMs !== undefined) measured.push({ x: d, ms: outcome.probeMs });
      results.push({ config: config.id, dimension: d, plan: planned, outcome });
      plan.onResults?.(resultsSoFar());
      log(
        `${where}: ` +
          (outcome.status === 'measured'
            ? `${seconds(outcome.msPerStep.median)} per step (${outcome.stepMs.map(seconds).join(', ')}), ` +
              `${formatBytes(outcome.memoryBytes)}, ${SCALE_FULL_RUN_STEPS} steps predicted ${hours(outcome.predictedRunSeconds)}`
            : `${outcome.status}: ${outcome.reason}`),
      );
    }
  }
  return resultsSoFar();
}

/** What runScale records: the run, the device's limits and every configuration's result. */
function scaleResults(
  gpu: GpuContext,
  plan: ScaleRunPlan,
  record: { machine: ReturnType<typeof machineRecord>; started: number; limits: ScaleLimits },
  results: ScaleResult[],
): ScaleResults {
  const { machine, started, limits } = record;
  return {
    benchmark: 'scale',
    date: new Date().toISOString(),
    runSeconds: (performance.now() - started) / 1000,
    machine: finishMachineRecord(machine),
    adapter: adapterRecord(gpu.adapter),
    command: plan.command,
    setup: { ...SCALE_SETUP, pointStorage: plan.pointStorage ?? SCALE_POINT_STORAGE },
    dimensions: plan.dimensions,
    defaultDimensions: SCALE_DIMENSIONS.every((d) => plan.dimensions.includes(d)),
    warmupSteps: plan.warmupSteps,
    timedSteps: plan.timedSteps,
    budgetSeconds: plan.budgetSeconds ?? null,
    fullRunSteps: SCALE_FULL_RUN_STEPS,
    limits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      budgetBytes: limits.budgetBytes,
      hostBytes: limits.hostBytes,
    },
    configs: plan.configs,
    results,
  };
}

/** Builds the run, steps it (warm-up, then timed steps one by one) and frees it. */
async function buildAndStep(
  device: GPUDevice,
  options: TrainingOptions,
  config: ScaleConfig,
  budgetBytes: number,
  plan: ScaleRunPlan,
  leftMs: () => number,
  progress: (line: string) => void,
): Promise<ScaleOutcome> {
  progress('building…');
  const createStart = performance.now();
  let trainer: Trainer;
  try {
    trainer = await Trainer.create(device, options, undefined, budgetBytes, {
      rollback: config.rollback,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return error instanceof MemoryBudgetError
      ? { status: 'does-not-fit', reason: message }
      : { status: 'failed', reason: `building the run: ${message}` };
  }
  const createMs = performance.now() - createStart;
  progress(`built in ${seconds(createMs)}, ${formatBytes(trainer.memoryBytes)}`);
  const total = plan.warmupSteps + plan.timedSteps;
  const step = async (index: number): Promise<number> => {
    const kind = index < plan.warmupSteps ? 'warm-up step' : 'step';
    progress(`${kind} ${index + 1}/${total}…`);
    const start = performance.now();
    await scoped(device, async () => {
      await trainer.train(1);
      await device.queue.onSubmittedWorkDone();
    });
    const ms = performance.now() - start;
    progress(`${kind} ${index + 1}/${total}: ${seconds(ms)}`);
    return ms;
  };
  try {
    const warmupMs: number[] = [];
    const stepMs: number[] = [];
    for (let i = 0; i < total; i++) {
      // The next step is taken to last as long as the last one: stop where that overruns.
      const last = stepMs.at(-1) ?? warmupMs.at(-1);
      if (last !== undefined && last > leftMs()) {
        progress(`stopped: the next step would overrun the budget (${seconds(leftMs())} left)`);
        break;
      }
      (i < plan.warmupSteps ? warmupMs : stepMs).push(await step(i));
    }
    if (stepMs.length === 0) {
      const probeMs = warmupMs.at(-1) ?? 0;
      return {
        status: 'not-run',
        reason:
          `one warm-up step took ${seconds(probeMs)}; a timed step would overrun the ` +
          `${plan.budgetSeconds} s budget (${seconds(Math.max(0, leftMs()))} left)`,
        probeMs,
      };
    }
    const msPerStep = spreadOf(stepMs);
    return {
      status: 'measured',
      createMs,
      warmupMs,
      stepMs,
      msPerStep,
      memoryBytes: trainer.memoryBytes,
      predictedRunSeconds: (SCALE_FULL_RUN_STEPS * msPerStep.median) / 1000,
    };
  } catch (error) {
    return {
      status: 'failed',
      reason: `stepping the run: ${error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    trainer.dispose();
  }
}
