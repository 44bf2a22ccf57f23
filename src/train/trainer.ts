/**
 * The training loop. One step = collocation points and random jets drawn on the GPU, forward
 * jets, residual and loss, backward, divergence check, optimizer update: all recorded with no CPU
 * round trip, into one command buffer per step, or several submitted in turn when the step would
 * run past the submit bound (boundedSubmits.ts). Loss, gradient norm and the divergence status
 * come back asynchronously every `logEvery` steps through a ring of staging buffers; evaluation
 * on the test set runs every `evalEvery` steps.
 */
import {
  type GuardStatus,
  decodeGuardStatus,
  type DivergenceCheck,
  DivergenceGuard,
  divergenceCheckCost,
  gradientScanCost,
  planDivergenceGuard,
  type ScalarBinding,
  statusBytes,
} from '../engine/divergenceGuard.ts';
import { parameterLayout, unpackParameters } from '../engine/jetLayout.ts';
import { type ExternalJetInputs, ForwardJet, type ForwardJetConfig } from '../engine/forwardJet.ts';
import { type KernelCost, sumCosts } from '../engine/kernelCost.ts';
import {
  type BlockedTensor,
  createBlockedTensor,
  type ParameterBlocks,
  readBlockedTensor,
  wholeTensor,
  writeBlockedTensor,
} from '../engine/parameterBlocks.ts';
import {
  GpuAdam,
  GpuSgd,
  optimizerCost,
  planOptimizer,
  type InlineGradient,
} from '../engine/optimizers.ts';
import {
  GpuWeightAverage,
  planWeightAverage,
  type WeightAveragePlan,
  weightAverageCost,
} from '../engine/weightAverage.ts';
import {
  decodeReductionResult,
  reductionResultBytes,
  reductionWord,
} from '../engine/reductions.ts';
import { GpuMemory } from '../gpu/gpuMemory.ts';
import { GpuRuntimeError } from '../gpu/errors.ts';
import { initialParameterStream, type MlpArchitecture, type MlpParameters } from '../jet/mlp.ts';
import { GpuStepCounter } from '../random/stepCounter.ts';
import { BoundedSubmits, DEFAULT_SUBMIT_BOUND_MS } from './boundedSubmits.ts';
import { checkMemoryBudget, DEFAULT_MEMORY_BUDGET_BYTES } from './memoryBudget.ts';
import { createGradientEstimate, type GradientEstimate } from './gradientEstimator.ts';
import { architectureOf, type TrainingOptions } from './options.ts';
import type { EvaluationMetrics, ProblemEvaluation, ProblemGraph } from './problemGraph.ts';
import { createProblem } from './problems.ts';
import { ReadbackRing } from './readbackRing.ts';
import { inlineGradient, trainingLimitsOf, trainingParameterBlocks } from './trainingPlan.ts';
import { learningRateAt } from './schedule.ts';

export interface StepLog {
  step: number;
  loss: number;
  gradientNorm: number;
  learningRate: number;
}

export interface EvaluationLog extends EvaluationMetrics {
  step: number;
}

/** Why a run stopped early: the first non-finite loss or gradient, with the weights kept. */
export class DivergenceError extends Error {
  readonly status: GuardStatus;
  /** The step whose weights the trainer holds now (Trainer.step). */
  readonly keptStep: number;
  constructor(status: GuardStatus, keptStep: number) {
    super(
      `training diverged at step ${status.step}: non-finite ${status.source}` +
        (status.lossValue !== null ? ` (loss ${status.lossValue})` : '') +
        (status.gradientIndex !== null ? ` (gradient element ${status.gradientIndex})` : '') +
        (keptStep === Math.max(0, (status.step ?? 1) - 2)
          ? '; the parameters of the last good step are kept'
          : `; the parameters of step ${keptStep}, the last snapshot before it, are kept`),
    );
    this.name = 'DivergenceError';
    this.status = status;
    this.keptStep = keptStep;
  }
}

/** How a run is executed; a finite run's values are bit-identical under every setting. */
export interface TrainerSettings {
  /**
   * Keep the optimizer's rollback copy on the GPU (default true; OptimizerConfig.rollback): a
   * divergence at step s keeps the weights of step s − 2, for 12 bytes per parameter of memory
   * and of writes per step (Adam; SGD 4). Without it the update checks the gradient itself and a
   * divergence keeps the last CPU snapshot (state(), the initial state) from before step s − 1.
   * Without it, SPSA and the forward gradient on a ball problem also store no trial point, v or
   * gradient (trainingPlan.ts inlineGradient): 4 bytes per parameter less, the same bits.
   */
  rollback?: boolean;
  /**
   * Milliseconds of predicted GPU work one command buffer may hold (boundedSubmits.ts; default
   * DEFAULT_SUBMIT_BOUND_MS, 250): a longer step is split into several submits between its stages,
   * so that no submit runs into a GPU watchdog. 0 submits at every stage boundary.
   */
  submitBoundMs?: number;
  /**
   * Keep an exponential moving average of the weights with this decay β per step (weightAverage.ts;
   * absent: none), the model the run shows: views (viewParameterBuffer), evaluations (evaluate)
   * and viewParameters() score it. 4 bytes per parameter of memory, 12 of traffic per step.
   * Training never reads it; the loss is of the trained weights.
   */
  averageDecay?: number;
  /**
   * Bytes of the largest parameter block (TrainingExecution.parameterBlockBytes; default the
   * device's binding and buffer limits): θ, its gradient and every tensor of their layout are
   * split into buffers of at most this size, bit-identically. A smaller value splits sooner.
   */
  parameterBlockBytes?: number;
}

/** What a checkpoint holds besides the options: enough to continue the identical trajectory. */
export interface TrainerState {
  step: number;
  parameters: Float32Array;
  moments: { m: Float32Array; v: Float32Array } | null;
}

export interface TrainerCallbacks {
  onLog?: (log: StepLog) => void;
  onEvaluation?: (log: EvaluationLog) => void;
}

type Optimizer = GpuAdam | GpuSgd;

/** A restore point without the rollback copy; parameters null: the run's seeded start. */
type Snapshot = Omit<TrainerState, 'parameters'> & { parameters: Float32Array | null };

/**
 * Writes the seeded start of `options` (initParameters, rounded to float32) into `params`, one
 * block at a time: the host holds one block's floats, not the network's (5 GB at d = 10⁷).
 */
function writeInitialParameters(
  memory: GpuMemory,
  params: BlockedTensor,
  options: TrainingOptions,
): void {
  const stream = initialParameterStream(
    architectureOf(options),
    options.seed,
    options.firstLayerGain,
  );
  params.blocks.blocks.forEach((block, k) => {
    const values = new Float32Array(block.count);
    stream.fill(values);
    memory.write(params.buffers[k], values);
  });
}

/** The costs of the trainer's own stages of a step (boundedSubmits.ts), from their plans. */
interface TrainerStageCosts {
  /** The check's reduction of the gradient, or encodeGradientStats': the same pass. */
  gradientReduction: KernelCost;
  /** The guard's scan of the gradient, on a step with the rollback copy that does not log. */
  gradientScan: KernelCost;
  update: KernelCost;
}

function trainerStageCosts(
  options: TrainingOptions,
  blocks: ParameterBlocks,
  update: { rollback: boolean; inline: boolean },
  average: WeightAveragePlan | null,
  limits: GPUSupportedLimits,
): TrainerStageCosts {
  const { rollback, inline } = update;
  const optimizerPlan = planOptimizer(
    {
      kind: options.optimizer,
      parameterCount: blocks.count,
      blocks,
      rollback,
      gradient: inline ? 'inline' : 'stored',
    },
    limits,
  );
  // Inline, the guard's reduction is over the update's norm partials (the logged norm).
  const partials = optimizerPlan.normPartials?.count ?? 0;
  const guard = planDivergenceGuard(
    partials > 0 ? { gradientCount: partials } : { gradientCount: blocks.count, blocks },
    limits,
  );
  const updateCost = inline
    ? options.gradientEstimator === 'forward-gradient'
      ? optimizerCost(optimizerPlan, 1, 'directional')
      : optimizerCost(optimizerPlan, options.perturbationDirections)
    : optimizerCost(optimizerPlan);
  return {
    gradientReduction: divergenceCheckCost(guard),
    gradientScan: gradientScanCost(guard),
    // The average is recorded with the update, after the guard's verdict.
    update: average ? sumCosts([updateCost, weightAverageCost(average)]) : updateCost,
  };
}

/** The weight average TrainerSettings.averageDecay asks for, bound to `params`; nulls without. */
async function createWeightAverage(
  memory: GpuMemory,
  params: BlockedTensor,
  settings: TrainerSettings,
): Promise<{ averagePlan: WeightAveragePlan | null; average: GpuWeightAverage | null }> {
  if (settings.averageDecay === undefined) return { averagePlan: null, average: null };
  const averagePlan = planWeightAverage(params.blocks, settings.averageDecay, memory.device.limits);
  return { averagePlan, average: await GpuWeightAverage.create(memory, averagePlan, params) };
}

export class Trainer {
  readonly options: TrainingOptions;
  readonly architecture: MlpArchitecture;
  readonly memory: GpuMemory;
  /** Completed steps. */
  step = 0;
  readonly logs: StepLog[] = [];
  readonly evaluations: EvaluationLog[] = [];
  private diverged: GuardStatus | null = null;
  /**
   * Without the rollback copy: the last two states read back while the guard was not tripped,
   * oldest first. The newer may be the weights that diverged (a trip the step after it), never
   * both.
   */
  private readonly snapshots: Snapshot[] = [];

  private constructor(
    options: TrainingOptions,
    architecture: MlpArchitecture,
    memory: GpuMemory,
    private readonly params: BlockedTensor,
    /** null for an inline estimate (trainingPlan.ts inlineGradient), which stores none. */
    private readonly gradient: BlockedTensor | null,
    private readonly counter: GpuStepCounter,
    private readonly graph: ProblemGraph,
    private readonly estimate: GradientEstimate,
    private readonly evaluation: ProblemEvaluation,
    private readonly optimizer: Optimizer,
    private readonly guard: DivergenceGuard,
    private readonly ring: ReadbackRing,
    private readonly rollback: boolean,
    private readonly submits: BoundedSubmits,
    private readonly costs: TrainerStageCosts,
    private readonly average: GpuWeightAverage | null,
  ) {
    this.options = options;
    this.architecture = architecture;
    this.memory = memory;
  }

  /**
   * Builds every pipeline and buffer for `options` (validated), from `state` when resuming.
   * A run the device cannot hold is refused before anything is allocated (MemoryBudgetError:
   * the numbers and the largest settings that fit); should an allocation still fail, what was
   * allocated is freed and the WebGPU error is thrown as a GpuRuntimeError.
   */
  static async create(
    device: GPUDevice,
    options: TrainingOptions,
    state?: TrainerState,
    memoryBudgetBytes = DEFAULT_MEMORY_BUDGET_BYTES,
    settings: TrainerSettings = {},
  ): Promise<Trainer> {
    checkMemoryBudget(
      options,
      {
        ...trainingLimitsOf(device.limits),
        maxBufferSize: device.limits.maxBufferSize,
        budgetBytes: memoryBudgetBytes,
      },
      settings,
    );
    const memory = new GpuMemory(device);
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let trainer: Trainer | null = null;
    let failure: unknown = null;
    try {
      trainer = await Trainer.build(memory, options, state, settings);
    } catch (error) {
      failure = error;
    }
    // Scopes pop innermost first.
    const validation = await device.popErrorScope();
    const outOfMemory = await device.popErrorScope();
    const scoped = outOfMemory
      ? new GpuRuntimeError('out-of-memory', `building the run: ${outOfMemory.message}`)
      : validation
        ? new GpuRuntimeError('validation', `building the run: ${validation.message}`)
        : null;
    if (trainer && !scoped) return trainer;
    if (trainer) trainer.dispose();
    else memory.destroyAll();
    throw scoped ?? failure;
  }

  private static async build(
    memory: GpuMemory,
    options: TrainingOptions,
    state: TrainerState | undefined,
    settings: TrainerSettings,
  ): Promise<Trainer> {
    const device = memory.device;
    const rollback = settings.rollback ?? true;
    const submits = new BoundedSubmits(device, settings.submitBoundMs ?? DEFAULT_SUBMIT_BOUND_MS);
    const architecture = architectureOf(options);
    const count = parameterLayout(architecture.widths).count;
    if (state && state.parameters.length !== count) {
      throw new RangeError(
        `the state holds ${state.parameters.length} parameters, the network has ${count}`,
      );
    }
    const blocks = trainingParameterBlocks(architecture.widths, device.limits, settings);
    const params = createBlockedTensor(memory, 'parameters', blocks, state?.parameters);
    if (!state) writeInitialParameters(memory, params, options);
    const inline = inlineGradient(options, { rollback });
    const gradient = inline ? null : createBlockedTensor(memory, 'gradient', blocks);
    const counter = new GpuStepCounter(memory);
    const { averagePlan, average } = await createWeightAverage(memory, params, settings);
    const { graph, evaluation } = await createProblem(
      memory,
      options,
      architecture,
      { trained: params, evaluated: average?.tensor ?? params },
      counter,
      inline,
    );
    const estimate = await createGradientEstimate(memory, options, architecture.widths, graph, {
      parameters: params,
      gradient,
      stepCounter: counter.buffer,
    });
    const update = { rollback, gradient: inline ? 'inline' : 'stored' } as const;
    const optimizer =
      options.optimizer === 'adam'
        ? await GpuAdam.create(memory, blocks, update)
        : await GpuSgd.create(memory, blocks, update);
    if (state?.moments && optimizer instanceof GpuAdam) optimizer.uploadMoments(state.moments);
    // Inline, the guard reduces the update's norm partials for the logged gradient norm.
    const guard = await DivergenceGuard.create(memory, optimizer.normPartials?.count ?? blocks);
    const ring = new ReadbackRing(device, [
      { source: estimate.lossStats, offset: 0, bytes: reductionResultBytes },
      { source: guard.gradientStats, offset: 0, bytes: reductionResultBytes },
      { source: guard.statusBuffer, offset: 0, bytes: statusBytes },
    ]);
    const trainer = new Trainer(
      options,
      architecture,
      memory,
      params,
      gradient,
      counter,
      graph,
      estimate,
      evaluation,
      optimizer,
      guard,
      ring,
      rollback,
      submits,
      trainerStageCosts(options, blocks, { rollback, inline }, averagePlan, device.limits),
      average,
    );
    trainer.step = state?.step ?? 0;
    // The first restore point is the run's start: the state's own arrays, not copies (at d = 10M
    // the parameters alone are gigabytes), or null for the seeded start, drawn again to restore;
    // moments null for fresh ones (restored by zeroing).
    if (!rollback) {
      trainer.snapshots.push({
        step: trainer.step,
        parameters: state?.parameters ?? null,
        moments: state?.moments ?? null,
      });
    }
    return trainer;
  }

  /** Shape of the collocation batch (rows per point tell the channel structure's cost). */
  get batchShape() {
    return this.graph.shape;
  }

  /**
   * The model the run shows, which views and evaluations score: the weight average when the run
   * keeps one (TrainerSettings.averageDecay), else the parameters themselves. Same layout and
   * blocks; read it only between train() calls.
   */
  get viewParameterTensor(): BlockedTensor {
    return this.average?.tensor ?? this.params;
  }

  /**
   * A forward jet of `config` on the model the run shows (viewParameterTensor), in its parameter
   * blocks: what the views (field slices, residuals, jet inspection) evaluate. The caller
   * destroys it.
   */
  createViewJet(config: ForwardJetConfig, inputs?: ExternalJetInputs): Promise<ForwardJet> {
    const planned = { ...config, parameterBlocks: this.parameterBlocks };
    return ForwardJet.create(this.memory, planned, this.viewParameterTensor, inputs);
  }

  /** How θ and every tensor of its layout are split into buffers (parameterBlocks.ts). */
  get parameterBlocks(): ParameterBlocks {
    return this.params.blocks;
  }

  /** Bytes of every GPU buffer this run holds. */
  get memoryBytes(): number {
    return this.memory.bytesInUse;
  }

  /** mapAsync calls made by the step loop (the log ring), for the no-per-step-readback test. */
  get readbacks(): number {
    return this.ring.mapCount;
  }

  /** Command buffers the last step was submitted in (1 unless it ran past the submit bound). */
  get submitsInLastStep(): number {
    return this.submits.lastStepSubmits;
  }

  /**
   * The guard and update of a step whose gradient is stored. The gradient is reduced only for the
   * norm a logging step reports. Without the rollback copy the update checks the gradient it reads;
   * with it the guard checks it first, in the reduction when there is one, else in a scan (one
   * read, no reduction tree: the same verdict).
   */
  private encodeStoredUpdate(
    submits: BoundedSubmits,
    check: DivergenceCheck & { loss: ScalarBinding },
    learningRate: number,
    logs: boolean,
  ): void {
    if (logs) {
      submits.beginStage(this.costs.gradientReduction);
      if (this.rollback) this.guard.encodeCheck(submits.encoder, check);
      else this.guard.encodeGradientStats(submits.encoder, check.gradient);
    } else if (this.rollback) {
      submits.beginStage(this.costs.gradientScan);
      this.guard.encodeScan(submits.encoder, check);
    }
    submits.beginStage(this.costs.update);
    // The verdict (one invocation) and the log copies go with the update.
    this.encodeOptimizerStep(submits.encoder, check.gradient, check.step, learningRate, check.loss);
    if (!this.rollback) this.guard.encodeVerdict(submits.encoder, check);
  }

  /**
   * The update of an inline step (no rollback copy): it sums the gradient from the estimate's
   * losses or ∇L·v and checks it, the guard latches its verdict, and a logging step reduces the
   * norm partials the update wrote (their norm is the gradient's).
   */
  private encodeInlineUpdate(
    submits: BoundedSubmits,
    check: { step: number; loss: ScalarBinding },
    learningRate: number,
    logs: boolean,
  ): void {
    const inline = this.estimate.inlineGradient;
    const partials = this.optimizer.normPartials;
    if (!inline || !partials) throw new Error('an inline step without its estimate');
    submits.beginStage(this.costs.update);
    this.encodeOptimizerStep(
      submits.encoder,
      inline(check.step),
      check.step,
      learningRate,
      check.loss,
    );
    this.guard.encodeInlineVerdict(submits.encoder, check);
    if (logs) {
      submits.beginStage(this.costs.gradientReduction);
      this.guard.encodeGradientStats(submits.encoder, wholeTensor(partials.buffer, partials.count));
    }
  }

  private encodeOptimizerStep(
    encoder: GPUCommandEncoder,
    gradient: BlockedTensor | InlineGradient,
    step: number,
    learningRate: number,
    loss: ScalarBinding,
  ): void {
    const update = { params: this.params, gradient, learningRate, guard: this.guard, loss };
    if (this.optimizer instanceof GpuAdam) this.optimizer.encodeStep(encoder, { ...update, step });
    else this.optimizer.encodeStep(encoder, update);
  }

  /**
   * Runs `count` steps (fewer if the run ends or diverges). Resolves once every logged value has
   * arrived; throws DivergenceError at the first non-finite loss or gradient.
   */
  async train(count: number, callbacks: TrainerCallbacks = {}): Promise<void> {
    const submits = this.submits;
    const last = Math.min(this.options.steps, this.step + count);
    // The caller's time since the last train() is not the steps'.
    submits.restartClock();
    while (this.step < last && !this.diverged) {
      const step = this.step + 1;
      const learningRate = learningRateAt(this.options, step);
      this.counter.set(step);
      submits.begin(`training step ${step}`);
      this.estimate.encodeGradient(submits);
      const logs = step % this.options.logEvery === 0 || step === this.options.steps;
      const loss = { buffer: this.estimate.lossStats, index: reductionWord.mean };
      if (this.gradient)
        this.encodeStoredUpdate(
          submits,
          { gradient: this.gradient, step, loss },
          learningRate,
          logs,
        );
      else this.encodeInlineUpdate(submits, { step, loss }, learningRate, logs);
      this.average?.encodeUpdate(submits.encoder);
      const startMapping = logs
        ? await this.ring.capture(submits.encoder, (bytes) =>
            this.record(step, learningRate, bytes, callbacks),
          )
        : null;
      submits.finish();
      startMapping?.();
      this.step = step;
      const evalEvery = this.options.evalEvery;
      if ((evalEvery > 0 && step % evalEvery === 0) || step === this.options.steps) {
        await this.ring.drain();
        if (this.diverged) break;
        await this.evaluate(callbacks);
        submits.restartClock();
      }
    }
    await this.ring.drain();
    if (this.diverged) {
      this.restoreLastGood(this.diverged.step ?? 1);
      throw new DivergenceError(this.diverged, this.step);
    }
  }

  /**
   * After a trip at step s the guard has skipped update s and every later one, so the weights are
   * θ_{s−1}: those whose loss or gradient was not finite. The last good state is the one before
   * update s − 1 (its loss and gradient were finite), which the optimizer kept: restore it, and
   * forget what was logged from step s − 1 on, which a resumed run computes again.
   */
  private restoreLastGood(trippedAt: number): void {
    if (!this.rollback) {
      this.restoreSnapshot(trippedAt);
    } else {
      if (trippedAt >= 2) {
        const encoder = this.memory.device.createCommandEncoder({
          label: 'restore last good step',
        });
        this.optimizer.encodeRestorePrevious(encoder, this.params);
        this.memory.device.queue.submit([encoder.finish()]);
      }
      this.step = Math.max(0, trippedAt - 2);
    }
    if (this.average) {
      // The average restarts at the kept weights: the non-finite ones after the trip entered it.
      const encoder = this.memory.device.createCommandEncoder({ label: 'restart weight average' });
      this.average.encodeReset(encoder, this.params);
      this.memory.device.queue.submit([encoder.finish()]);
    }
    const kept = (entry: { step: number }) => entry.step <= this.step;
    this.logs.splice(0, this.logs.length, ...this.logs.filter(kept));
    this.evaluations.splice(0, this.evaluations.length, ...this.evaluations.filter(kept));
  }

  /**
   * Without the rollback copy: uploads the newest snapshot of a step ≤ s − 2 (the newer of the two
   * may hold θ_{s−1}, the weights that diverged; the older is then earlier still), or the oldest
   * there is when the run started later than that.
   */
  private restoreSnapshot(trippedAt: number): void {
    const good =
      this.snapshots.findLast((snapshot) => snapshot.step <= trippedAt - 2) ?? this.snapshots[0];
    if (good.parameters) writeBlockedTensor(this.memory, this.params, good.parameters);
    else writeInitialParameters(this.memory, this.params, this.options);
    if (this.optimizer instanceof GpuAdam) {
      if (good.moments) this.optimizer.uploadMoments(good.moments);
      else this.optimizer.reset();
    }
    this.step = good.step;
  }

  private record(
    step: number,
    learningRate: number,
    bytes: ArrayBuffer,
    callbacks: TrainerCallbacks,
  ): void {
    const loss = decodeReductionResult(bytes.slice(0, reductionResultBytes));
    const gradient = decodeReductionResult(
      bytes.slice(reductionResultBytes, 2 * reductionResultBytes),
    );
    const status = decodeGuardStatus(new Uint32Array(bytes.slice(2 * reductionResultBytes)));
    if (status.tripped) {
      this.diverged ??= status;
      return;
    }
    const log = { step, loss: loss.mean, gradientNorm: gradient.norm, learningRate };
    this.logs.push(log);
    callbacks.onLog?.(log);
  }

  /** Test-set errors of the current parameters, recorded with the step. */
  async evaluate(callbacks: TrainerCallbacks = {}): Promise<EvaluationLog> {
    const errors = await this.evaluation.evaluate();
    const log = { step: this.step, ...errors };
    this.evaluations.push(log);
    callbacks.onEvaluation?.(log);
    return log;
  }

  /** The trained weights (what the next step starts from). */
  async parameters(): Promise<MlpParameters<Float64Array>> {
    return this.readParameters(this.params);
  }

  /**
   * The model the run shows (viewParameterBuffer): the weight average when kept, else the
   * trained weights. What the page exports, so an imported model scores as the page showed it.
   */
  async viewParameters(): Promise<MlpParameters<Float64Array>> {
    return this.readParameters(this.viewParameterTensor);
  }

  private async readParameters(tensor: BlockedTensor): Promise<MlpParameters<Float64Array>> {
    return unpackParameters(
      this.architecture.widths,
      await readBlockedTensor(this.memory.device, tensor),
    );
  }

  /** Weights, optimizer moments and step: with the options, a checkpoint. */
  async state(): Promise<TrainerState> {
    await this.ring.drain();
    const state = {
      step: this.step,
      parameters: await readBlockedTensor(this.memory.device, this.params),
      moments: this.optimizer instanceof GpuAdam ? await this.optimizer.downloadMoments() : null,
    };
    if (!this.rollback) await this.keepSnapshot(state);
    return state;
  }

  /**
   * Keeps `state` as a restore point unless the guard has tripped by its step (then its weights
   * may be past the divergence, which the next train() reports).
   */
  private async keepSnapshot(state: TrainerState): Promise<void> {
    const status = await this.guard.readStatus();
    if (status.tripped) {
      this.diverged ??= status;
      return;
    }
    if (this.snapshots.at(-1)?.step === state.step) this.snapshots.pop();
    this.snapshots.push(state);
    if (this.snapshots.length > 2) this.snapshots.shift();
  }

  dispose(): void {
    this.estimate.destroy();
    this.graph.destroy();
    this.evaluation.destroy();
    this.optimizer.destroy();
    this.guard.destroy();
    this.average?.destroy();
    this.ring.destroy();
    this.counter.destroy();
    this.memory.destroyAll();
  }
}
