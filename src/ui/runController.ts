/**
 * The life of one dashboard run: builds and disposes trainers, trains in short chunks while
 * playing, and turns trainer outcomes (divergence, errors, a lost device, the last step) into a
 * state the page shows. Every operation that touches the trainer goes through one queue, so a
 * rebuild never disposes a trainer in the middle of a chunk and Step never overlaps the play loop.
 * Training goes through a ResilientTrainer: a lost device is replaced and the run continues from
 * the last CPU snapshot, on the identical trajectory.
 */
import { serializeModel } from '../engine/modelFile.ts';
import type { GpuContext } from '../gpu/acquireDevice.ts';
import { listenToBuilds } from '../gpu/buildEvents.ts';
import {
  type Recovery,
  type ResilientCallbacks,
  ResilientTrainer,
} from '../train/resilientTrainer.ts';
import { DivergenceError, type Trainer, type TrainerState } from '../train/trainer.ts';
import { BuildTracker, describeBuild } from './buildProgress.ts';
import { pageExecution } from './memoryEstimate.ts';
import { RunHistory } from './runHistory.ts';
import type { RunPlan } from './runPlan.ts';
import type { Change } from './dashboardOptions.ts';

export type RunState = 'building' | 'idle' | 'running' | 'paused' | 'done' | 'diverged' | 'error';

/**
 * Wall time a chunk of steps aims for: long enough that the per-chunk readback drain is a small
 * cost on a fast GPU, short enough that Pause and the charts respond within a frame or few.
 */
const chunkTargetMs = 60;
const maxChunk = 512;
/** The shown steps per second average the chunks of about this long. */
const rateWindowMs = 1000;
/**
 * Steps between CPU snapshots: a device loss recomputes at most this many. The snapshot reads
 * back the weights and Adam moments (three times the parameter count in floats): at the page's
 * sizes that is at most a few megabytes every few hundred milliseconds on a real GPU.
 */
export const snapshotEvery = 50;
/** A page left open for days may lose its device more than once; each loss costs a snapshot. */
const maxRecoveries = 20;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A macrotask boundary: input events, rendering and animation frames run before the next chunk. */
function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class RunController {
  state: RunState = 'building';
  message = 'Building the trainer…';
  readonly history = new RunHistory();
  /** Trainers built so far, so tests (and people) can see that a change rebuilt the run. */
  builds = 0;
  /** Steps per second over the last second of training (0 before the first chunk). */
  iterationsPerSecond = 0;
  /** Device losses this page has recovered from, oldest first, over every run. */
  readonly recoveries: Recovery[] = [];
  private recent: { steps: number; elapsedMs: number }[] = [];
  private resilient: ResilientTrainer | null = null;
  /** The device the next trainer starts on while there is no current one. */
  private spare: GpuContext | null;
  private wantRunning = false;
  private loop: Promise<void> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Rebuilds requested so far: only the latest one resumes playing. */
  private rebuilds = 0;
  /** A rebuild stopped a playing run, so the run plays again once the latest rebuild is done. */
  private resumeAfterRebuild = false;

  /**
   * `gpu` is the device the first run starts on; `acquire` gives a fresh one after a loss.
   */
  constructor(
    gpu: GpuContext,
    private readonly acquire: () => Promise<GpuContext>,
    public plan: RunPlan,
    private readonly onChange: () => void,
  ) {
    this.spare = gpu;
    this.watchDevice(gpu);
  }

  private get trainer(): Trainer | null {
    return this.resilient?.trainer ?? null;
  }

  /** The device the run trains on now (a recovery replaces it). */
  get context(): GpuContext | null {
    return this.resilient?.context ?? this.spare;
  }

  /** Completed steps of the current trainer. */
  get step(): number {
    return this.trainer?.step ?? 0;
  }

  /** Step of the current run's last CPU snapshot: where a device loss now would resume from. */
  get snapshotStep(): number {
    return this.resilient?.snapshotStep ?? 0;
  }

  /** Whether `trainer` is the current run's: a view built on an older one holds nothing now. */
  isCurrent(trainer: Trainer | null): boolean {
    return trainer !== null && trainer === this.trainer;
  }

  /** Order K and jets per point R of the batch the current trainer pushes (null without one). */
  get jets(): { order: number; directions: number } | null {
    const shape = this.trainer?.batchShape;
    return shape ? { order: shape.order, directions: shape.directions } : null;
  }

  /** Bytes of GPU buffers the current trainer holds. */
  get memoryBytes(): number {
    return this.trainer?.memoryBytes ?? 0;
  }

  /**
   * Destroys the current device as a driver reset would (the page's test hook): between two
   * chunks, or `immediately`, in the middle of whatever the GPU is doing. The next chunk, or the
   * idle watcher, recovers. Returns the step then and the step of the last snapshot taken.
   */
  loseDevice(immediately = false): Promise<{ step: number; snapshotStep: number } | null> {
    const destroy = async () => {
      const resilient = this.resilient;
      if (!resilient) return null;
      const lost = { step: resilient.trainer.step, snapshotStep: resilient.snapshotStep };
      // The device itself, not GpuContext.destroy(): that one marks the loss as ours and hides it.
      resilient.context.device.destroy();
      return lost;
    };
    return immediately ? destroy() : this.exclusive(destroy);
  }

  /**
   * Replaces the trainer with one for `plan`. `continue` hands over the weights, Adam moments
   * and step (also after a divergence: they are those of the last good step); `restart` starts
   * from the seed's initial weights and clears the history. A playing run keeps playing.
   */
  async rebuild(plan: RunPlan, change: Exclude<Change, 'none'>): Promise<void> {
    const generation = ++this.rebuilds;
    this.resumeAfterRebuild ||= this.wantRunning;
    await this.halt();
    await this.exclusive(async () => {
      const previous = this.resilient;
      let state: TrainerState | undefined;
      try {
        if (previous && change === 'continue') {
          await previous.recoverIfLost(this.callbacks());
          state = await previous.trainer.state();
        }
      } catch (error) {
        this.setState('error', `Could not read the run's state: ${errorText(error)}`);
        return;
      }
      if (!state) this.history.clear();
      // The error curve starts from the untrained network, not from the first evalEvery.
      await this.start(plan, state, !state, 'Could not build the trainer');
    });
    if (generation !== this.rebuilds) return;
    if (this.resumeAfterRebuild) this.play();
    this.resumeAfterRebuild = false;
  }

  /**
   * Replaces the run with one that starts from `state` (an imported model's weights, with fresh
   * optimizer moments) and evaluates it against the exact solution at once. The history starts
   * over: the imported weights have no training curve here.
   */
  async load(plan: RunPlan, state: TrainerState): Promise<void> {
    // A rebuild still waiting must not start playing over the loaded model.
    this.rebuilds++;
    this.resumeAfterRebuild = false;
    await this.halt();
    await this.exclusive(async () => {
      this.history.clear();
      await this.start(plan, state, true, 'Could not load the model');
    });
  }

  play(): void {
    if (this.state !== 'idle' && this.state !== 'paused') return;
    this.wantRunning = true;
    this.setState('running', '');
    this.loop ??= this.runLoop().finally(() => (this.loop = null));
  }

  /** Stops after the chunk in flight; the state reads 'paused' once it has. */
  pause(): Promise<void> {
    return this.halt();
  }

  /**
   * Runs `task` on the run's device in the run's queue, between training chunks (the race view's
   * lanes take their turns this way); null when there is no device.
   */
  withDevice<T>(task: (device: GPUDevice) => Promise<T>): Promise<T | null> {
    return this.exclusive(async () => {
      const context = this.context;
      return context ? task(context.device) : null;
    });
  }

  /** Exactly one training step. */
  async stepOnce(): Promise<void> {
    await this.halt();
    await this.exclusive(async () => {
      if (this.state !== 'idle' && this.state !== 'paused') return;
      if ((await this.trainChunk(1)) !== null) this.setState(this.restingState(), '');
    });
  }

  /** A fresh trainer for the same plan, waiting for Play. */
  async reset(): Promise<void> {
    await this.halt();
    this.resumeAfterRebuild = false;
    await this.rebuild(this.plan, 'restart');
  }

  /** The device failed: nothing can run until the page is reloaded. */
  async fail(message: string): Promise<void> {
    await this.halt();
    await this.exclusive(async () => {
      this.resilient?.dispose();
      this.resilient = null;
      this.spare?.destroy();
      this.spare = null;
      this.setState('error', message);
    });
  }

  /**
   * The model the page shows (Trainer.viewParameters: the field views' weight average) as a
   * model file, with the options and the latest metrics, which score the same weights.
   */
  modelFile(): Promise<string | null> {
    return this.exclusive(async () => {
      const trainer = this.trainer;
      if (!trainer) return null;
      const metrics: Record<string, number> = { step: trainer.step };
      const lastLog = this.history.logs.at(-1);
      if (lastLog) metrics.loss = lastLog.loss;
      const lastEvaluation = this.history.evaluations.at(-1);
      // Whichever the problem's metric reports: relative L2/L1, or u(0, 0) and its error.
      for (const key of ['relativeL2', 'relativeL1', 'pointRelativeError', 'value'] as const) {
        const value = lastEvaluation?.[key];
        if (value !== undefined) metrics[key] = value;
      }
      for (const key of ['relativeL2', 'pointRelativeError'] as const) {
        const best = this.history.best(key);
        if (best !== null) metrics[`best${key[0].toUpperCase()}${key.slice(1)}`] = best;
      }
      return serializeModel(trainer.architecture, await trainer.viewParameters(), {
        training: Object.fromEntries(Object.entries(trainer.options)),
        metrics,
      });
    });
  }

  /**
   * Runs `task` on the current trainer in the run's queue, so it falls between training chunks
   * and never overlaps one or a rebuild; null when there is no trainer.
   */
  withTrainer<T>(task: (trainer: Trainer) => Promise<T>): Promise<T | null> {
    return this.exclusive(async () => (this.trainer ? task(this.trainer) : null));
  }

  private async runLoop(): Promise<void> {
    let chunk = 1;
    while (this.wantRunning) {
      const elapsed = await this.exclusive(() => this.trainChunk(chunk));
      if (elapsed === null) break;
      // Grow or shrink toward the target time, at most doubling so one slow estimate of the
      // rate (the first steps warm caches up) cannot make a chunk that blocks Pause for long.
      const ideal = Math.round((chunk * chunkTargetMs) / Math.max(elapsed, 1));
      chunk = Math.max(1, Math.min(ideal, 2 * chunk, maxChunk));
      await yieldToBrowser();
    }
    this.wantRunning = false;
    if (this.state === 'running') this.setState(this.restingState(), '');
  }

  /**
   * Trains up to `count` steps; the elapsed milliseconds, or null when the run cannot go on
   * (no trainer, the last step reached, a divergence, an error).
   */
  private async trainChunk(count: number): Promise<number | null> {
    const resilient = this.resilient;
    if (!resilient || resilient.trainer.step >= resilient.options.steps) return null;
    const before = resilient.trainer.step;
    const start = performance.now();
    try {
      await resilient.train(count, this.callbacks());
      // train() returns once its logs are read, which may be before the GPU has run the last
      // steps: wait for them, so the rate is the GPU's and Pause stops the GPU, not just the CPU.
      await resilient.context.device.queue.onSubmittedWorkDone();
    } catch (error) {
      this.wantRunning = false;
      if (error instanceof DivergenceError) {
        // The trainer went back to the last good step; what was logged after it is recomputed.
        this.history.rewindTo(resilient.trainer.step);
        this.history.markDivergence(error.status.step ?? resilient.trainer.step + 1);
        this.setState(
          'diverged',
          `${error.message}. Lower the learning rate to go on from there, or Reset.`,
        );
      } else {
        this.setState('error', `Training failed: ${errorText(error)}`);
      }
      return null;
    }
    const elapsed = performance.now() - start;
    const trainer = resilient.trainer;
    const steps = trainer.step - before;
    if (steps > 0) this.recordRate(trainer.step, steps, elapsed);
    this.history.addMemory({ step: trainer.step, bytes: trainer.memoryBytes });
    if (trainer.step >= trainer.options.steps) {
      this.wantRunning = false;
      this.setState('done', `Finished all ${trainer.options.steps} steps.`);
      return null;
    }
    this.onChange();
    return elapsed;
  }

  /**
   * Disposes the current trainer (its device stays, for the next) and builds one for `plan`
   * from `state`; in the run's queue.
   */
  private async start(
    plan: RunPlan,
    state: TrainerState | undefined,
    evaluate: boolean,
    failure: string,
  ): Promise<void> {
    if (this.resilient) this.spare = this.resilient.release();
    this.resilient = null;
    this.plan = plan;
    this.setState('building', 'Building the trainer…');
    const stopWatching = this.watchBuild(plan);
    try {
      const spare = this.spare;
      this.resilient = await ResilientTrainer.create({
        acquire: this.acquire,
        context: spare ?? undefined,
        options: plan.options,
        execution: pageExecution(plan.rollback),
        state,
        snapshotEvery,
        maxRecoveries,
      }).finally(stopWatching);
      this.spare = null;
      if (this.resilient.context !== spare) this.watchDevice(this.resilient.context);
      this.builds++;
      this.recent = [];
      const trainer = this.resilient.trainer;
      this.history.addMemory({ step: trainer.step, bytes: trainer.memoryBytes });
      if (evaluate) {
        this.setState(
          'building',
          `Scoring the untrained network on its ${plan.options.testPoints} test points…`,
        );
        this.history.addEvaluation(await this.resilient.trainer.evaluate());
      }
      this.setState(this.restingState(), '');
    } catch (error) {
      this.setState('error', `${failure}: ${errorText(error)}`);
    }
  }

  /**
   * Says on the status line which part of the build runs and how far it is, while a trainer is
   * built on the spare device (a build on a device acquired after a loss keeps the plain line).
   */
  private watchBuild(plan: RunPlan): () => void {
    const device = this.spare?.device;
    if (!device) return () => undefined;
    const tracker = new BuildTracker(plan.options, pageExecution(plan.rollback), () =>
      this.setState('building', describeBuild(tracker.progress())),
    );
    return listenToBuilds(device, tracker);
  }

  /** What the run records from training, and what it does when the device was replaced. */
  private callbacks(): ResilientCallbacks {
    return {
      onLog: (log) => this.history.addLog(log),
      onEvaluation: (log) => this.history.addEvaluation(log),
      onRecovery: (recovery) => {
        // The steps after the snapshot are computed again and logged again.
        this.history.rewindTo(recovery.resumedFromStep);
        this.recoveries.push(recovery);
        if (this.resilient) this.watchDevice(this.resilient.context);
        this.onChange();
      },
    };
  }

  /**
   * A device lost while nothing trains (a backgrounded tab) is replaced at once, so the field
   * views and exports work again without waiting for Play. A loss during training is the
   * ResilientTrainer's to notice; this queued check then finds nothing left to do.
   */
  private watchDevice(gpu: GpuContext): void {
    void gpu.lost.then(() =>
      this.exclusive(async () => {
        if (this.spare === gpu) {
          this.spare = null;
          this.spare = await this.acquire();
          this.watchDevice(this.spare);
          return;
        }
        if (this.resilient?.context === gpu) await this.resilient.recoverIfLost(this.callbacks());
      }).catch((error: unknown) => {
        this.setState(
          'error',
          `The GPU device was lost and could not be replaced: ${errorText(error)}`,
        );
      }),
    );
  }

  /**
   * One chunk's rate goes to the chart; the figure shown is the rate over the last second or so
   * of chunks, which a single short chunk (one step, one timer tick) cannot swing.
   */
  private recordRate(step: number, steps: number, elapsedMs: number): void {
    this.history.addThroughput({ step, iterationsPerSecond: steps / (elapsedMs / 1000) });
    this.recent.push({ steps, elapsedMs });
    let total = this.recent.reduce((sum, c) => sum + c.elapsedMs, 0);
    while (this.recent.length > 1 && total - this.recent[0].elapsedMs >= rateWindowMs) {
      total -= this.recent[0].elapsedMs;
      this.recent.shift();
    }
    const stepsInWindow = this.recent.reduce((sum, c) => sum + c.steps, 0);
    this.iterationsPerSecond = stepsInWindow / (total / 1000);
  }

  /** Where a run that is not training rests. */
  private restingState(): RunState {
    const trainer = this.trainer;
    if (!trainer) return 'error';
    if (trainer.step >= trainer.options.steps) return 'done';
    return trainer.step === 0 ? 'idle' : 'paused';
  }

  private async halt(): Promise<void> {
    this.wantRunning = false;
    await this.loop;
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private setState(state: RunState, message: string): void {
    this.state = state;
    this.message = message;
    this.onChange();
  }
}
