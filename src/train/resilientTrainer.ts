/**
 * Training that survives the loss of the GPU device (driver reset, tab in the background for too
 * long, a GPU process crash). Every `snapshotEvery` steps the trainer state and the history so far
 * are read back to the CPU; when the device is lost, a new one is acquired through the caller's
 * `acquire`, the Trainer is rebuilt from the last snapshot (every pipeline and buffer anew) and
 * training continues. Since a resumed Trainer repeats the uninterrupted trajectory bit for bit on
 * one device kind, the only cost of a loss is recomputing at most `snapshotEvery` steps.
 */
import type { GpuContext } from '../gpu/acquireDevice.ts';
import type { GpuDeviceLostError } from '../gpu/errors.ts';
import type { TrainingOptions } from './options.ts';
import {
  DivergenceError,
  type EvaluationLog,
  type StepLog,
  Trainer,
  type TrainerCallbacks,
  type TrainerSettings,
  type TrainerState,
} from './trainer.ts';

export interface Recovery {
  /** Steps the lost trainer had submitted when the loss was noticed. */
  lostAtStep: number;
  /** Step of the snapshot training went on from; steps after it are computed (and logged) again. */
  resumedFromStep: number;
  /** The loss reason WebGPU gave ('destroyed', 'unknown'). */
  reason: string;
  message: string;
}

export interface ResilientCallbacks extends TrainerCallbacks {
  /**
   * Called once a new trainer is ready, before any recomputed step is logged: logs and
   * evaluations past `resumedFromStep` that were already reported will be reported again.
   */
  onRecovery?: (recovery: Recovery) => void;
}

export interface ResilientTrainerOptions {
  /** Gives a fresh device; called once at creation (unless `context` is given) and per recovery. */
  acquire: () => Promise<GpuContext>;
  /**
   * Start on this device instead of acquiring one: a page that rebuilds its run keeps one device
   * (and its compiled kernels) across runs. Once created, this object owns it like an acquired one.
   */
  context?: GpuContext;
  options: TrainingOptions;
  /**
   * How every trainer of the run executes (the rollback copy, the submit bound); a rebuilt one
   * after a loss gets the same.
   */
  execution?: TrainerSettings;
  /** Steps between CPU snapshots: the most steps a loss costs. */
  snapshotEvery?: number;
  /** Resume from this checkpoint state instead of the seeded initial weights. */
  state?: TrainerState;
  /** Losses beyond this many rethrow the GpuDeviceLostError instead of recovering again. */
  maxRecoveries?: number;
  /**
   * How long a failed readback waits for the device's `lost` promise before its error is taken
   * as not a loss: the rejected mapAsync and the lost notification arrive in either order.
   */
  lossGraceMs?: number;
}

interface Snapshot {
  /** Null for the seeded start, which Trainer.create rebuilds without a readback. */
  state: TrainerState | null;
  step: number;
  logs: StepLog[];
  evaluations: EvaluationLog[];
}

type Watched<T> = { value: T } | { lost: GpuDeviceLostError };

export class ResilientTrainer {
  readonly options: TrainingOptions;
  readonly snapshotEvery: number;
  readonly recoveries: Recovery[] = [];
  private snapshot: Snapshot;
  /** Set when the current device's `lost` promise resolves. */
  private lostError: GpuDeviceLostError | null = null;

  private constructor(
    private readonly settings: Required<Omit<ResilientTrainerOptions, 'state' | 'context'>>,
    private gpu: GpuContext,
    private current: Trainer,
    initial: TrainerState | undefined,
  ) {
    this.options = settings.options;
    this.snapshotEvery = settings.snapshotEvery;
    this.snapshot = {
      state: initial ?? null,
      step: current.step,
      logs: [],
      evaluations: [],
    };
    this.watchLoss(gpu);
  }

  static async create(settings: ResilientTrainerOptions): Promise<ResilientTrainer> {
    const snapshotEvery = settings.snapshotEvery ?? 200;
    if (!Number.isInteger(snapshotEvery) || snapshotEvery < 1) {
      throw new RangeError(`snapshotEvery must be a positive integer, got ${snapshotEvery}`);
    }
    const gpu = settings.context ?? (await settings.acquire());
    let trainer: Trainer;
    try {
      trainer = await Trainer.create(
        gpu.device,
        settings.options,
        settings.state,
        undefined,
        settings.execution ?? {},
      );
    } catch (error) {
      // A device the caller handed in stays the caller's when no trainer could be built on it.
      if (!settings.context) gpu.destroy();
      throw error;
    }
    return new ResilientTrainer(
      {
        acquire: settings.acquire,
        options: settings.options,
        execution: settings.execution ?? {},
        snapshotEvery,
        maxRecoveries: settings.maxRecoveries ?? 3,
        lossGraceMs: settings.lossGraceMs ?? 2000,
      },
      gpu,
      trainer,
      settings.state,
    );
  }

  /** The trainer on the current device; a recovery replaces it. */
  get trainer(): Trainer {
    return this.current;
  }

  /** The device context the current trainer runs on; owned (and destroyed) by this object. */
  get context(): GpuContext {
    return this.gpu;
  }

  /** Step of the last CPU snapshot: where a loss now would resume from. */
  get snapshotStep(): number {
    return this.snapshot.step;
  }

  /**
   * Runs `count` steps (fewer if the run ends), in chunks that end on multiples of
   * `snapshotEvery`, taking a snapshot after each such chunk. A device loss is recovered from
   * transparently; DivergenceError and any other error propagate as from Trainer.train.
   */
  async train(count: number, callbacks: ResilientCallbacks = {}): Promise<void> {
    const target = Math.min(this.options.steps, this.current.step + count);
    while (this.current.step < target) {
      const trainer = this.current;
      const boundary = (Math.floor(trainer.step / this.snapshotEvery) + 1) * this.snapshotEvery;
      const chunk = Math.min(target, boundary) - trainer.step;
      const trained = await this.watch(trainer.train(chunk, this.forwarding(trainer, callbacks)));
      if ('lost' in trained) {
        await this.recover(trained.lost, callbacks);
        continue;
      }
      if (trainer.step % this.snapshotEvery !== 0 || trainer.step === this.options.steps) continue;
      // The snapshot is also the readback that notices a loss during a chunk that logged nothing.
      const state = await this.watch(trainer.state());
      if ('lost' in state) {
        await this.recover(state.lost, callbacks);
        continue;
      }
      this.snapshot = {
        state: state.value,
        step: state.value.step,
        logs: trainer.logs.slice(),
        evaluations: trainer.evaluations.slice(),
      };
    }
  }

  /** Whether the current device has been lost and no recovery has replaced it yet. */
  get deviceLost(): boolean {
    return this.lostError !== null;
  }

  /**
   * Recovers now if the device was lost while nothing was training (a page at rest), so the
   * trainer is usable for reads and evaluations again; true when it recovered.
   */
  async recoverIfLost(callbacks: ResilientCallbacks = {}): Promise<boolean> {
    if (!this.lostError) return false;
    await this.recover(this.lostError, callbacks);
    return true;
  }

  /** Destroys the current trainer and the device this object acquired. */
  dispose(): void {
    this.current.dispose();
    this.gpu.destroy();
  }

  /**
   * Destroys the current trainer but hands its device back for the caller's next run (a lost
   * device too: the next ResilientTrainer notices and recovers).
   */
  release(): GpuContext {
    this.current.dispose();
    return this.gpu;
  }

  private watchLoss(gpu: GpuContext): void {
    void gpu.lost.then((error) => {
      if (this.gpu === gpu) this.lostError = error;
    });
  }

  /**
   * A lost trainer's loop may still deliver values that were in flight; only the current
   * trainer's logs reach the caller, so none is reported twice from two trainers at once.
   */
  private forwarding(trainer: Trainer, callbacks: TrainerCallbacks): TrainerCallbacks {
    return {
      onLog: (log) => {
        if (trainer === this.current) callbacks.onLog?.(log);
      },
      onEvaluation: (log) => {
        if (trainer === this.current) callbacks.onEvaluation?.(log);
      },
    };
  }

  /**
   * Settles with the value of `work`, or with the loss if the device is lost first (a lost
   * device may never complete the work) or if `work` failed because the device was lost.
   */
  private async watch<T>(work: Promise<T>): Promise<Watched<T>> {
    const lost = this.gpu.lost;
    const outcome = await Promise.race([
      work.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      lost.then((error) => ({ lost: error })),
    ]);
    if (!('error' in outcome)) return outcome;
    if (outcome.error instanceof DivergenceError) throw outcome.error;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = await Promise.race([
      lost,
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), this.settings.lossGraceMs);
      }),
    ]);
    clearTimeout(timer);
    if (late) return { lost: late };
    throw outcome.error;
  }

  private async recover(lost: GpuDeviceLostError, callbacks: ResilientCallbacks): Promise<void> {
    if (this.recoveries.length >= this.settings.maxRecoveries) throw lost;
    const lostAtStep = this.current.step;
    this.current.dispose();
    this.gpu.destroy();
    this.gpu = await this.settings.acquire();
    this.lostError = null;
    this.watchLoss(this.gpu);
    const snapshot = this.snapshot;
    const trainer = await Trainer.create(
      this.gpu.device,
      this.options,
      snapshot.state ?? undefined,
      undefined,
      this.settings.execution,
    );
    trainer.logs.push(...snapshot.logs);
    trainer.evaluations.push(...snapshot.evaluations);
    this.current = trainer;
    const recovery = {
      lostAtStep,
      resumedFromStep: snapshot.step,
      reason: lost.reason,
      message: lost.message,
    };
    this.recoveries.push(recovery);
    callbacks.onRecovery?.(recovery);
  }
}
