/**
 * A race: two to four configurations of one problem (estimators, B, collapsed or not, gradient
 * modes, the learning rate) trained side by side on one device. Every lane shares the problem,
 * the network and the seed, so all start from the same initial weights and the same test set;
 * only what a lane overrides differs. The lanes are interleaved chunk by chunk, not run one after
 * another, so a slow device or a busy machine slows every lane alike, and each lane's time is its
 * own chunks' wall time, synchronised with the GPU (onSubmittedWorkDone), evaluation excluded:
 * the evaluations are the same work for every lane and would blur the it/s the race compares.
 */
import {
  DEFAULT_MEMORY_BUDGET_BYTES,
  estimateMemory,
  formatBytes,
  type MemoryLimits,
} from './memoryBudget.ts';
import { resolveTrainingOptions, type TrainingOptions, TrainingOptionsError } from './options.ts';
import { type EvaluationLog, type StepLog, Trainer } from './trainer.ts';
import { trainingLimitsOf } from './trainingPlan.ts';

/** What a lane may change: how the operator and the gradient are estimated, and the step size. */
export const RACE_OPTIONS = [
  'estimator',
  'jetsPerPoint',
  'collapsed',
  'gradientEstimator',
  'learningRate',
] as const satisfies readonly (keyof TrainingOptions)[];
export type RaceOption = (typeof RACE_OPTIONS)[number];

export const MIN_LANES = 2;
export const MAX_LANES = 4;

export type LaneOverrides = Partial<Record<RaceOption, unknown>>;

/** One lane's options: the base run with the lane's overrides, checked together. */
export function laneOptions(
  base: TrainingOptions,
  lanes: readonly LaneOverrides[],
): TrainingOptions[] {
  if (lanes.length < MIN_LANES || lanes.length > MAX_LANES) {
    throw new TrainingOptionsError(
      `a race has ${MIN_LANES} to ${MAX_LANES} lanes, got ${lanes.length}`,
    );
  }
  return lanes.map((overrides, index) => {
    for (const key of Object.keys(overrides)) {
      if (!(RACE_OPTIONS as readonly string[]).includes(key)) {
        throw new TrainingOptionsError(
          `lane ${index + 1}: a lane may set ${RACE_OPTIONS.join(', ')}, not ${key} ` +
            '(the lanes share the problem, the network and the seed)',
        );
      }
    }
    try {
      // evalEvery 0: the race evaluates every lane itself, after each chunk, outside its timing.
      return resolveTrainingOptions({ ...base, ...overrides, evalEvery: 0 });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new TrainingOptionsError(`lane ${index + 1}: ${why}`);
    }
  });
}

/** A lane's name from what it changes, e.g. "sparse B = 4" or "exact, spsa". */
export function laneLabel(options: TrainingOptions, overrides: LaneOverrides): string {
  const parts = [
    options.estimator === 'exact' ? 'exact' : `${options.estimator} B = ${options.jetsPerPoint}`,
  ];
  if ('collapsed' in overrides) parts.push(options.collapsed ? 'collapsed' : 'standard');
  if (options.gradientEstimator !== 'backprop' || 'gradientEstimator' in overrides) {
    parts.push(options.gradientEstimator);
  }
  if ('learningRate' in overrides) parts.push(`lr ${options.learningRate}`);
  return parts.join(', ');
}

/** What a race shows of one lane. */
export interface LaneProgress {
  readonly label: string;
  readonly options: TrainingOptions;
  readonly step: number;
  readonly logs: readonly StepLog[];
  readonly evaluations: readonly EvaluationLog[];
  /** Wall time of this lane's own chunks, GPU work included, evaluations excluded. */
  readonly seconds: number;
  /** The lane's own time at the end of each chunk, from (step 0, 0 s): the wall-clock axis. */
  readonly timeline: readonly { step: number; seconds: number }[];
  readonly memoryBytes: number;
  /** Why the lane stopped early (divergence, an error), or null. */
  readonly stopped: string | null;
}

/** One chunk of one lane, in the order they ran: the interleaving. */
export interface RaceChunk {
  readonly lane: number;
  readonly fromStep: number;
  readonly toStep: number;
}

class Lane {
  seconds = 0;
  stopped: string | null = null;
  readonly timeline = [{ step: 0, seconds: 0 }];

  constructor(
    readonly label: string,
    readonly trainer: Trainer,
  ) {}

  get done(): boolean {
    return this.stopped !== null || this.trainer.step >= this.trainer.options.steps;
  }

  progress(): LaneProgress {
    const { trainer } = this;
    return {
      label: this.label,
      options: trainer.options,
      step: trainer.step,
      logs: [...trainer.logs],
      evaluations: [...trainer.evaluations],
      seconds: this.seconds,
      timeline: [...this.timeline],
      memoryBytes: trainer.memoryBytes,
      stopped: this.stopped,
    };
  }
}

export class Race {
  readonly chunks: RaceChunk[] = [];

  private constructor(
    private readonly device: GPUDevice,
    private readonly lanes: Lane[],
  ) {}

  /**
   * Builds every lane (all of them or none) and scores the untrained networks. The lanes' summed
   * memory is checked against the budget first, with the numbers, before anything is allocated.
   */
  static async create(
    device: GPUDevice,
    base: TrainingOptions,
    overrides: readonly LaneOverrides[],
    budgetBytes = DEFAULT_MEMORY_BUDGET_BYTES,
  ): Promise<Race> {
    const options = laneOptions(base, overrides);
    const limits: MemoryLimits = {
      ...trainingLimitsOf(device.limits),
      maxBufferSize: device.limits.maxBufferSize,
      budgetBytes,
    };
    const totals = options.map(
      (o) => estimateMemory(o, limits.maxStorageBufferBindingSize, limits).totalBytes,
    );
    const total = totals.reduce((sum, bytes) => sum + bytes, 0);
    if (total > budgetBytes) {
      throw new TrainingOptionsError(
        `the race's lanes need about ${formatBytes(total)} of GPU memory together ` +
          `(${totals.map(formatBytes).join(' + ')}), over the budget of ${formatBytes(budgetBytes)}`,
      );
    }
    const lanes: Lane[] = [];
    try {
      for (const [index, laneOption] of options.entries()) {
        const trainer = await Trainer.create(device, laneOption, undefined, budgetBytes);
        lanes.push(new Lane(laneLabel(laneOption, overrides[index]), trainer));
      }
      for (const lane of lanes) await lane.trainer.evaluate();
    } catch (error) {
      for (const lane of lanes) lane.trainer.dispose();
      throw error;
    }
    return new Race(device, lanes);
  }

  get done(): boolean {
    return this.lanes.every((lane) => lane.done);
  }

  progress(): LaneProgress[] {
    return this.lanes.map((lane) => lane.progress());
  }

  /**
   * One round: every lane that has steps left trains `steps` more in turn (lane 1, then 2, …),
   * timed on its own, then is evaluated. A lane that diverges or fails stops with the reason;
   * the others go on.
   */
  async round(steps: number): Promise<void> {
    for (const [index, lane] of this.lanes.entries()) {
      if (lane.done) continue;
      const { trainer } = lane;
      const fromStep = trainer.step;
      const started = performance.now();
      try {
        await trainer.train(steps);
        await this.device.queue.onSubmittedWorkDone();
      } catch (error) {
        lane.stopped = error instanceof Error ? error.message : String(error);
      }
      lane.seconds += (performance.now() - started) / 1000;
      lane.timeline.push({ step: trainer.step, seconds: lane.seconds });
      this.chunks.push({ lane: index, fromStep, toStep: trainer.step });
      // The trainer scores its last step itself (inside that chunk's time: once per lane).
      if (lane.stopped === null && trainer.evaluations.at(-1)?.step !== trainer.step) {
        await trainer.evaluate();
      }
    }
  }

  dispose(): void {
    for (const lane of this.lanes) lane.trainer.dispose();
  }
}
