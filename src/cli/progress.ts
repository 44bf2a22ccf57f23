/**
 * How `train` reports while it runs, in one of three renderings of the same events:
 *  - json : one JSON object per line on stdout (`event` says which), for scripts and tests;
 *  - tty  : one line redrawn in place (step/total, it/s, loss, last error, ETA);
 *  - lines: a plain line per log, for output that goes to a file or a pipe, where carriage
 *           returns would leave one unreadable line.
 * Logs arrive through the trainer's readback ring in bursts (several at once when it drains), so
 * the rate between two logs means nothing; it/s is measured over a window of a few seconds, and
 * every rendering gives the ETA that rate predicts beside it.
 */
import type { EvaluationMetrics } from '../train/problemGraph.ts';
import type { EvaluationLog, StepLog } from '../train/trainer.ts';
import type { CliIo } from './io.ts';

export type ProgressMode = 'json' | 'tty' | 'lines';

/** What a JSON line can hold: the start record lists the other modes as objects. */
type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { [key: string]: JsonValue };
type EventFields = Record<string, JsonValue>;

const BAR_WIDTH = 20;
/** it/s is measured over at least this much wall time once the run is that old. */
const RATE_WINDOW_MS = 5000;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

/**
 * Seconds until `totalSteps` at `rate` steps per second, or null while there is no rate. The
 * rate is the recent window's, not the average since the start: the first steps of a run are
 * slow (caches warm up, evaluations crowd the start), and on a long run the average would keep
 * that in the ETA for hours.
 */
export function estimateSecondsLeft(
  step: number,
  totalSteps: number,
  rate: number | null,
): number | null {
  if (rate === null || !Number.isFinite(rate) || rate <= 0) return null;
  return Math.max(0, totalSteps - step) / rate;
}

/** The ETA as the progress lines show it. */
export function formatEta(seconds: number | null): string {
  return `ETA ${seconds === null ? '?' : formatDuration(seconds)}`;
}

/** The headline error of an evaluation, as the progress line shows it. */
export function describeError(metrics: EvaluationMetrics): string {
  const parts: string[] = [];
  if (metrics.relativeL2 !== undefined) parts.push(`rel L2 ${metrics.relativeL2.toExponential(3)}`);
  if (metrics.relativeL1 !== undefined) parts.push(`rel L1 ${metrics.relativeL1.toExponential(3)}`);
  if (metrics.pointRelativeError !== undefined) {
    parts.push(`rel error ${metrics.pointRelativeError.toExponential(3)}`);
  }
  // Parabolic problems without a reference value at this d report u(0, 0) only.
  if (metrics.value !== undefined) parts.push(`u(0,0) ${metrics.value.toPrecision(6)}`);
  return parts.length > 0 ? parts.join(', ') : 'no metric';
}

export class Progress {
  private readonly startTime: number;
  private lastStep: number;
  /** (time, step) of recent logs, oldest first; the first is kept RATE_WINDOW_MS back. */
  private readonly samples: { time: number; step: number }[];
  private lastRate: number | null = null;
  private lastLoss: number | null = null;
  private lastError = '–';
  private barShown = false;

  constructor(
    private readonly mode: ProgressMode,
    private readonly io: CliIo,
    private readonly startStep: number,
    private readonly totalSteps: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.startTime = clock();
    this.lastStep = startStep;
    this.samples = [{ time: this.startTime, step: startStep }];
  }

  log(log: StepLog): void {
    const now = this.clock();
    while (this.samples.length > 1 && now - this.samples[1].time >= RATE_WINDOW_MS) {
      this.samples.shift();
    }
    const oldest = this.samples[0];
    const rate = now > oldest.time ? (1000 * (log.step - oldest.step)) / (now - oldest.time) : null;
    this.samples.push({ time: now, step: log.step });
    this.lastStep = log.step;
    this.lastRate = rate;
    this.lastLoss = log.loss;
    const eta = estimateSecondsLeft(log.step, this.totalSteps, rate);
    if (this.mode === 'json') {
      this.json({ event: 'log', ...log, itPerSecond: rate, etaSeconds: eta });
    } else if (this.mode === 'lines') {
      this.io.stdout(
        `step ${log.step}/${this.totalSteps}  ${formatRate(rate)}  ${formatEta(eta)}` +
          `  loss ${log.loss.toExponential(4)}` +
          `  |grad| ${log.gradientNorm.toExponential(3)}  lr ${log.learningRate.toExponential(3)}\n`,
      );
    } else {
      this.drawBar();
    }
  }

  evaluation(evaluation: EvaluationLog): void {
    this.lastError = describeError(evaluation);
    if (this.mode === 'json') this.json({ event: 'evaluation', ...evaluation });
    else if (this.mode === 'lines') this.io.stdout(`step ${evaluation.step}  ${this.lastError}\n`);
    else this.drawBar();
  }

  /** A one-off event: `fields` as a JSON line, or `text` as a line above the progress bar. */
  event(name: string, fields: EventFields, text: string): void {
    if (this.mode === 'json') {
      this.json({ event: name, ...fields });
      return;
    }
    if (this.barShown) this.io.stdout('\r\x1b[K');
    this.io.stdout(`${text}\n`);
    if (this.barShown) this.drawBar();
  }

  /** Steps per second since the start. */
  averageRate(step: number): number | null {
    const seconds = (this.clock() - this.startTime) / 1000;
    return seconds > 0 ? (step - this.startStep) / seconds : null;
  }

  /** Ends the redrawn line so what follows starts on its own. */
  close(): void {
    if (this.barShown) this.io.stdout('\n');
    this.barShown = false;
  }

  private drawBar(): void {
    const step = this.lastStep;
    const filled = Math.round((BAR_WIDTH * step) / this.totalSteps);
    const eta = estimateSecondsLeft(step, this.totalSteps, this.lastRate);
    const loss = this.lastLoss === null ? '–' : this.lastLoss.toExponential(3);
    this.io.stdout(
      `\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ` +
        `${step}/${this.totalSteps}  ${formatRate(this.lastRate)}  loss ${loss}  ` +
        `${this.lastError}  ${formatEta(eta)}`,
    );
    this.barShown = true;
  }

  private json(fields: Record<string, unknown>): void {
    this.io.stdout(`${JSON.stringify(fields)}\n`);
  }
}

function formatRate(rate: number | null): string {
  return rate === null ? '– it/s' : `${rate.toFixed(rate < 10 ? 2 : 1)} it/s`;
}
