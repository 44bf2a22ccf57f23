import { describe, expect, it } from 'vitest';
import { METRICS_CSV_COLUMNS, metricsCsv } from '../../../src/cli/metricsCsv.ts';
import { describeError, formatDuration, Progress } from '../../../src/cli/progress.ts';
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
      { event: 'log', ...log(10, 1), itPerSecond: 10 },
      { event: 'log', ...log(20, 0.5), itPerSecond: 20 },
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
      'step 10/50  – it/s  loss 2.5000e-1  |grad| 2.000e+0  lr 1.000e-3\n' +
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
