import { describe, expect, it } from 'vitest';
import { METRICS_CSV_COLUMNS, metricsCsv } from '../../../src/cli/metricsCsv.ts';
import {
  describeError,
  estimateSecondsLeft,
  formatDuration,
  formatEta,
  Progress,
} from '../../../src/cli/progress.ts';
import { runMetrics } from '../../../src/cli/runMetrics.ts';
import { fakeIo } from './fakeIo.ts';

const log = (step: number, loss: number) => ({ step, loss, gradientNorm: 2, learningRate: 1e-3 });

describe('metrics CSV', () => {
  it('has one row per logged or evaluated step, in order, full precision, empty cells', () => {
    const csv = metricsCsv(
      [log(10, 0.1 + 0.2), log(20, 1.5)],
      [
        { step: 0, relativeL2: 1, relativeL1: 0.9 },
        { step: 20, relativeL2: 0.25, relativeL1: 0.125 },
        { step: 25, relativeL2: 0.2, relativeL1: 0.1 },
      ],
    );
    expect(csv.split('\n')).toEqual([
      'step,loss,gradient_norm,learning_rate,relative_l2,relative_l1,point_relative_error,value',
      '0,,,,1,0.9,,',
      '10,0.30000000000000004,2,0.001,,,,',
      '20,1.5,2,0.001,0.25,0.125,,',
      '25,,,,0.2,0.1,,',
      '',
    ]);
    expect(METRICS_CSV_COLUMNS).toHaveLength(8);
  });
});

describe('model metrics', () => {
  it('label the last evaluation final and the smallest error best, with its step', () => {
    const metrics = runMetrics([
      { step: 10, relativeL2: 0.5, relativeL1: 0.2 },
      { step: 20, relativeL2: 0.1, relativeL1: 0.3 },
      { step: 30, relativeL2: 0.4, relativeL1: Infinity },
    ]);
    expect(metrics).toEqual({
      finalStep: 30,
      finalRelativeL2: 0.4,
      bestRelativeL2: 0.1,
      bestRelativeL2Step: 20,
      bestRelativeL1: 0.2,
      bestRelativeL1Step: 10,
    });
    expect(runMetrics([])).toEqual({});
  });

  it('report the point error of a parabolic run, and u(0, 0) as final only', () => {
    expect(runMetrics([{ step: 5, pointRelativeError: 0.01, value: 0.47 }])).toEqual({
      finalStep: 5,
      finalPointRelativeError: 0.01,
      finalValue: 0.47,
      bestPointRelativeError: 0.01,
      bestPointRelativeErrorStep: 5,
    });
  });
});

describe('progress', () => {
  /** A clock the test moves by hand, in milliseconds. */
  function manualClock() {
    let now = 0;
    return { clock: () => now, advance: (ms: number) => (now += ms) };
  }

  it('prints JSON lines with it/s measured over a window, not between burst logs', () => {
    const io = fakeIo();
    const time = manualClock();
    const progress = new Progress('json', io, 0, 100, time.clock);
    time.advance(1000);
    progress.log(log(10, 1));
    progress.log(log(20, 0.5)); // same instant: arrived in one burst with the previous log
    progress.evaluation({ step: 20, relativeL2: 0.3 });
    progress.event('done', { step: 20 }, 'ignored in JSON mode');
    const lines = io.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { event: 'log', ...log(10, 1), itPerSecond: 10, etaSeconds: 9 },
      { event: 'log', ...log(20, 0.5), itPerSecond: 20, etaSeconds: 4 },
      { event: 'evaluation', step: 20, relativeL2: 0.3 },
      { event: 'done', step: 20 },
    ]);
  });

  it('prints a line per log when stdout is not a terminal', () => {
    const io = fakeIo();
    const progress = new Progress('lines', io, 0, 50, manualClock().clock);
    progress.log(log(10, 0.25));
    progress.evaluation({ step: 10, relativeL2: 0.5, relativeL1: 0.25 });
    expect(io.out).toBe(
      'step 10/50  – it/s  ETA ?  loss 2.5000e-1  |grad| 2.000e+0  lr 1.000e-3\n' +
        'step 10  rel L2 5.000e-1, rel L1 2.500e-1\n',
    );
  });

  it('redraws one terminal line with step, it/s, loss, error and ETA', () => {
    const io = fakeIo(true);
    const time = manualClock();
    const progress = new Progress('tty', io, 0, 100, time.clock);
    time.advance(2000);
    progress.log(log(20, 0.125));
    progress.evaluation({ step: 20, relativeL2: 0.5 });
    progress.event('checkpoint', { step: 20 }, 'checkpoint at step 20');
    progress.close();
    const redraws = io.out.split('\r\x1b[K').filter(Boolean);
    expect(redraws[0]).toBe('[####................] 20/100  10.0 it/s  loss 1.250e-1  –  ETA 8s');
    expect(redraws[1]).toContain('rel L2 5.000e-1  ETA 8s');
    expect(io.out).toContain('\r\x1b[Kcheckpoint at step 20\n');
    expect(io.out.endsWith('\n')).toBe(true);
  });

  it('prints an ETA beside it/s on a long run, from the recent rate, not the average', () => {
    const io = fakeIo();
    const time = manualClock();
    const progress = new Progress('lines', io, 0, 100_000, time.clock);
    // A slow start (100 steps in 50 s), then 100 it/s for two minutes.
    time.advance(50_000);
    progress.log(log(100, 1));
    for (let t = 1; t <= 120; t++) {
      time.advance(1000);
      progress.log(log(100 + 100 * t, 0.5));
    }
    const last = io.out.trim().split('\n').at(-1);
    // 87 900 steps left at 100 it/s; the average since the start (about 71 it/s) would say 20m38s.
    expect(last).toBe(
      'step 12100/100000  100.0 it/s  ETA 14m39s  loss 5.0000e-1  |grad| 2.000e+0  lr 1.000e-3',
    );
  });

  it('estimates the seconds left from a rate, and nothing without one', () => {
    expect(estimateSecondsLeft(200, 1200, 50)).toBe(20);
    expect(estimateSecondsLeft(1200, 1200, 50)).toBe(0);
    // A resumed run's step can pass a lowered total: nothing is left, never a negative time.
    expect(estimateSecondsLeft(1500, 1200, 50)).toBe(0);
    for (const rate of [null, 0, -3, NaN, Infinity]) {
      expect(estimateSecondsLeft(10, 100, rate), String(rate)).toBeNull();
    }
    expect(formatEta(20)).toBe('ETA 20s');
    expect(formatEta(2 * 3600 + 90)).toBe('ETA 2h01m');
    expect(formatEta(null)).toBe('ETA ?');
  });

  it('describes each kind of evaluation', () => {
    expect(describeError({ relativeL2: 0.5, relativeL1: 0.25 })).toBe(
      'rel L2 5.000e-1, rel L1 2.500e-1',
    );
    expect(describeError({ pointRelativeError: 0.01, value: 0.47 })).toBe(
      'rel error 1.000e-2, u(0,0) 0.470000',
    );
    expect(describeError({})).toBe('no metric');
  });

  it('formats durations', () => {
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(64)).toBe('1m04s');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3h05m');
    expect(formatDuration(NaN)).toBe('?');
  });
});
