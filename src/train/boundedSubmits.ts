/**
 * Bounded submits (DESIGN.md §7): a GPU watchdog (Windows TDR: about 2 s) resets a GPU whose
 * command buffer runs too long, which the page sees as a device loss. So a step is recorded as a
 * sequence of stages, each announced with its cost (its plans' FLOPs and bytes, kernelCost.ts),
 * and the command buffer recorded so far is submitted before a stage that would take it past a
 * time bound. Splits fall between passes only: the same dispatches in the same order on the same
 * buffers, so a split step is bit-identical to the unsplit one.
 *
 * A stage's time is predicted as the measured step time × its share of the step's work
 * (FLOPs + bytes). That treats a FLOP and a byte as equally dear, which no GPU does; the default
 * bound's margin below the watchdogs is what absorbs the error. The finest split is a stage: each
 * dispatch of the jet passes (ForwardJet and BackwardJet encodeStages: a layer, its split first
 * layer's two steps, the boundary factor, each backward step) is one, so at a large d the first
 * layer's product goes alone; the other stages (the draws, the exact source, the loss, the
 * forward-gradient pass, the update) are one each. A stage predicted over the bound is submitted
 * alone but not cut further.
 */
import type { KernelCost, StageEncoder } from '../engine/kernelCost.ts';

/** Where a step's work is recorded, stage by stage (kernelCost.ts StageEncoder). */
export type StepEncoder = StageEncoder;

/** A step recorded whole into `encoder`, which the caller submits (tests and tools). */
export function oneCommandBuffer(encoder: GPUCommandEncoder): StepEncoder {
  return { encoder, beginStage: () => undefined };
}

/**
 * 250 ms: an eighth of Windows' 2 s TDR, the shortest of the watchdogs a browser runs under, so
 * a piece whose share of the step's work understates its share of the time by up to 8× still
 * ends in time; and the page's other GPU work (its charts, the compositor) is not held up long
 * behind one piece. Only a step predicted over the bound splits, and each split costs one more
 * submit (Dawn on SwiftShader here: 200 submits of one copy each took 17.8 ms, the same copies
 * in one 1.9 ms, so about 0.08 ms a submit), nothing against a step of 250 ms.
 */
export const DEFAULT_SUBMIT_BOUND_MS = 250;

/**
 * Work (FLOPs + bytes) per millisecond assumed before the run has timed a step: 10⁶ (1 GB/s, or
 * 1 GFLOP/s), about SwiftShader's on two cores (the step breakdown at d = 100K: 0.8–1.1·10⁶ for
 * the exact source, forward and backward jets; 0.17·10⁶ for the point draw, whose Philox words
 * are integer work and not counted) and far below any GPU a browser exposes. So the first steps
 * of a run too large for the bound are split by the cost model alone rather than sent whole
 * before anything is measured, while a small one (d = 10, width 16: 5·10⁵, half a millisecond)
 * is not split.
 */
export const PRIOR_WORK_PER_MS = 1e6;

/** The scalar the split plan apportions the step time by. */
export function stageWork(cost: KernelCost): number {
  return cost.flops + cost.bytesRead + cost.bytesWritten;
}

/** Milliseconds per unit of work: the measured step's, or the prior before a measurement. */
export function msPerWork(stepMs: number | null, stepWork: number): number {
  return stepMs !== null && stepWork > 0 ? stepMs / stepWork : 1 / PRIOR_WORK_PER_MS;
}

/**
 * The split decision for one step, stage by stage (pure): a stage starts a new command buffer
 * when the current one holds work and this stage would take its predicted time past the bound.
 * A stage predicted over the bound on its own therefore goes alone (nothing finer splits it).
 */
export class SubmitSplit {
  private pendingMs = 0;

  constructor(
    private readonly msPerWork: number,
    private readonly boundMs: number,
  ) {}

  /** Whether the stage of `work` starts a new command buffer; it is then in the current one. */
  startsNew(work: number): boolean {
    const ms = work * this.msPerWork;
    const split = this.pendingMs > 0 && this.pendingMs + ms > this.boundMs;
    this.pendingMs = (split ? 0 : this.pendingMs) + ms;
    return split;
  }
}

/**
 * Where a step of these stages' works splits, given the step's measured time (null: not yet
 * measured) and the bound: the indices of the stages that start a new command buffer (the first
 * stage starts the first one and is never listed).
 */
export function planSubmits(
  stageWorks: readonly number[],
  stepMs: number | null,
  boundMs: number,
): number[] {
  const total = stageWorks.reduce((sum, work) => sum + work, 0);
  const split = new SubmitSplit(msPerWork(stepMs, total), boundMs);
  return stageWorks.flatMap((work, i) => (split.startsNew(work) ? [i] : []));
}

/**
 * An upper bound of a step's GPU time, measured over a window of steps: (when the completion of
 * the window's k-th step was seen − when its first step was first submitted) / k. The GPU cannot
 * start the window before that submit, and JavaScript sees a completion only after it (late by as
 * long as the event loop was busy), so the figure never undercuts the steps' average GPU time;
 * over many steps the lateness is amortised, and it is close when the GPU is the bottleneck. A
 * window restarts where the caller waits on anything but the steps (an evaluation, its own work
 * between train() calls), whose time would otherwise count as the steps'. Pure: given the times.
 */
export class StepClock {
  private window = 0;
  private startMs: number | null = null;
  private steps = 0;
  /** The latest estimate, ms per step; null until a completion has been seen. */
  stepMs: number | null = null;

  /** A step's first command buffer is submitted at `nowMs`: the token its completion reports. */
  submitted(nowMs: number): { window: number; index: number } {
    this.startMs ??= nowMs;
    return { window: this.window, index: ++this.steps };
  }

  /** The step of `token` was seen complete at `nowMs` (ignored once its window has restarted). */
  completed(token: { window: number; index: number }, nowMs: number): void {
    if (token.window !== this.window || this.startMs === null) return;
    this.stepMs = (nowMs - this.startMs) / token.index;
  }

  /** Starts a new window; the estimate stands until the new one has a completion. */
  restart(): void {
    this.window++;
    this.startMs = null;
    this.steps = 0;
  }
}

/**
 * The trainer's StepEncoder: one step at a time (begin, the stages, finish), submitted in pieces
 * of at most `boundMs` predicted each, timed by a StepClock fed with onSubmittedWorkDone.
 */
export class BoundedSubmits implements StepEncoder {
  private current: GPUCommandEncoder | null = null;
  private label = '';
  private split = new SubmitSplit(0, 0);
  private stepWork = 0;
  private lastStepWork = 0;
  private submits = 0;
  private token: { window: number; index: number } | null = null;
  private readonly clock = new StepClock();
  /** Command buffers the last finished step was submitted in. */
  lastStepSubmits = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly boundMs: number,
  ) {
    if (!(boundMs >= 0)) {
      throw new RangeError(`the submit bound must be a number of ms ≥ 0, got ${boundMs}`);
    }
  }

  /** Measured ms per step (StepClock), null before the first completion. */
  get stepMs(): number | null {
    return this.clock.stepMs;
  }

  /** Opens the first command encoder of a step. */
  begin(label: string): void {
    this.label = label;
    this.current = this.device.createCommandEncoder({ label });
    // Planned from the last step's work: every step records the same stages (a logging step a
    // reduction more, which only shifts its prediction by that reduction's share).
    this.split = new SubmitSplit(msPerWork(this.clock.stepMs, this.lastStepWork), this.boundMs);
    this.stepWork = 0;
    this.submits = 0;
    this.token = null;
  }

  get encoder(): GPUCommandEncoder {
    if (!this.current) throw new Error('no step is being recorded: call begin() first');
    return this.current;
  }

  beginStage(cost: KernelCost): void {
    const work = stageWork(cost);
    this.stepWork += work;
    if (!this.split.startsNew(work)) return;
    this.submit();
    this.current = this.device.createCommandEncoder({
      label: `${this.label} (part ${this.submits + 1})`,
    });
  }

  /** Submits the step's last command buffer and times the step. */
  finish(): void {
    this.submit();
    this.current = null;
    this.lastStepSubmits = this.submits;
    this.lastStepWork = this.stepWork;
    const token = this.token;
    if (token) {
      void this.device.queue
        .onSubmittedWorkDone()
        .then(() => this.clock.completed(token, performance.now()));
    }
  }

  /** Starts a new timing window (StepClock.restart). */
  restartClock(): void {
    this.clock.restart();
  }

  private submit(): void {
    const encoder = this.encoder;
    this.token ??= this.clock.submitted(performance.now());
    this.device.queue.submit([encoder.finish()]);
    this.submits++;
  }
}
