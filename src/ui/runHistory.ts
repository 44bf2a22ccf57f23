/**
 * What a run has produced so far, kept by the page rather than the trainer: a rebuilt trainer
 * (new learning rate, estimator, points) starts with empty logs but continues the same run, and
 * the charts and the CSV export must show the whole of it.
 */
import type { PdeMetric } from '../pdes/index.ts';
import type { EvaluationLog, StepLog } from '../train/trainer.ts';

/** The evaluation metrics that are errors (lower is better), as RunHistory.best takes them. */
export type ErrorMetric = 'relativeL2' | 'pointRelativeError';

/** The evaluation columns of the CSV for each kind of metric, and the names they get there. */
const EVALUATION_COLUMNS: Record<PdeMetric, readonly (readonly [keyof EvaluationLog, string])[]> = {
  'relative-l2-l1': [
    ['relativeL2', 'relative_l2'],
    ['relativeL1', 'relative_l1'],
  ],
  'point-relative-error': [
    ['pointRelativeError', 'point_relative_error'],
    ['value', 'value_at_origin'],
  ],
  none: [],
};

export interface ThroughputSample {
  /** Step at the end of the measured chunk. */
  step: number;
  iterationsPerSecond: number;
}

export interface MemorySample {
  step: number;
  /** Bytes of GPU buffers the run held then (its trainer's and the views' on its memory). */
  bytes: number;
}

/** The exact-operator residual at one step's collocation points (the field views measure it). */
export interface ResidualSample {
  step: number;
  /** Root mean square of r over the points. */
  rms: number;
  maxAbs: number;
}

export class RunHistory {
  readonly logs: StepLog[] = [];
  readonly evaluations: EvaluationLog[] = [];
  readonly throughput: ThroughputSample[] = [];
  readonly memory: MemorySample[] = [];
  readonly residuals: ResidualSample[] = [];
  /** The step whose loss or gradient was not finite, once the run diverged. */
  divergedAt: number | null = null;
  /** Bumped on every change so the renderer redraws only when something new arrived. */
  version = 0;

  addLog(log: StepLog): void {
    this.logs.push(log);
    this.version++;
  }

  addEvaluation(log: EvaluationLog): void {
    this.evaluations.push(log);
    this.version++;
  }

  addThroughput(sample: ThroughputSample): void {
    this.throughput.push(sample);
    this.version++;
  }

  /** A memory reading; one equal to the previous one only moves that one's step forward. */
  addMemory(sample: MemorySample): void {
    const last = this.memory.at(-1);
    const beforeLast = this.memory.at(-2);
    // Keep the start and end of every flat stretch: the chart draws the same line.
    if (last && beforeLast && last.bytes === sample.bytes && beforeLast.bytes === sample.bytes) {
      last.step = sample.step;
    } else {
      this.memory.push({ ...sample });
    }
    this.version++;
  }

  /** A residual measurement; a second one of the same step replaces the first. */
  addResidual(sample: ResidualSample): void {
    if (this.residuals.at(-1)?.step === sample.step) this.residuals.pop();
    this.residuals.push({ ...sample });
    this.version++;
  }

  markDivergence(step: number): void {
    this.divergedAt = step;
    this.version++;
  }

  /**
   * Forgets what came after `step`: a run recovered from a snapshot computes those steps again
   * (the same numbers) and reports them again.
   */
  rewindTo(step: number): void {
    const keep = <T extends { step: number }>(items: T[]) => {
      const kept = items.filter((item) => item.step <= step);
      items.splice(0, items.length, ...kept);
    };
    keep(this.logs);
    keep(this.evaluations);
    keep(this.throughput);
    keep(this.memory);
    keep(this.residuals);
    this.version++;
  }

  clear(): void {
    this.logs.length = 0;
    this.evaluations.length = 0;
    this.throughput.length = 0;
    this.memory.length = 0;
    this.residuals.length = 0;
    this.divergedAt = null;
    this.version++;
  }

  /** Lowest value of an error over the evaluations (STDE reports the best over the run). */
  best(metric: ErrorMetric): number | null {
    const values = this.evaluations.flatMap((e) => (e[metric] === undefined ? [] : [e[metric]]));
    return values.length > 0 ? Math.min(...values) : null;
  }

  /**
   * One row per step that has a log or an evaluation; empty cells where it has none. The
   * evaluation columns are the problem's metric.
   */
  toCsv(metric: PdeMetric): string {
    const columns = EVALUATION_COLUMNS[metric];
    const rows = new Map<number, (number | undefined)[]>();
    const row = (step: number) => {
      let cells = rows.get(step);
      if (!cells) {
        rows.set(step, (cells = new Array<number | undefined>(3 + columns.length).fill(undefined)));
      }
      return cells;
    };
    for (const log of this.logs) {
      const cells = row(log.step);
      [cells[0], cells[1], cells[2]] = [log.loss, log.gradientNorm, log.learningRate];
    }
    for (const e of this.evaluations) {
      const cells = row(e.step);
      columns.forEach(([key], i) => (cells[3 + i] = e[key]));
    }
    const header = [
      'step,loss,gradient_norm,learning_rate',
      ...columns.map(([, name]) => name),
    ].join(',');
    const lines = [...rows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([step, cells]) =>
        [step, ...cells].map((v) => (v === undefined ? '' : String(v))).join(','),
      );
    return [header, ...lines].join('\n') + '\n';
  }
}
