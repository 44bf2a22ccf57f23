import { describe, expect, it } from 'vitest';
import { recoveryText } from '../../../src/ui/recoveryMessage.ts';
import { RunHistory } from '../../../src/ui/runHistory.ts';

describe('run history', () => {
  it('keeps a memory reading per change and the ends of flat stretches', () => {
    const history = new RunHistory();
    const readings = [
      [0, 100],
      [5, 100],
      [9, 100],
      [12, 100],
      [20, 160],
      [25, 160],
      [30, 100],
      [40, 100],
      [50, 100],
    ];
    for (const [step, bytes] of readings) history.addMemory({ step, bytes });
    expect(history.memory).toEqual([
      { step: 0, bytes: 100 },
      { step: 12, bytes: 100 },
      { step: 20, bytes: 160 },
      { step: 25, bytes: 160 },
      { step: 30, bytes: 100 },
      { step: 50, bytes: 100 },
    ]);
  });

  it('keeps one residual measurement per step, the latest', () => {
    const history = new RunHistory();
    history.addResidual({ step: 200, rms: 3, maxAbs: 9 });
    history.addResidual({ step: 200, rms: 2, maxAbs: 8 });
    history.addResidual({ step: 400, rms: 1, maxAbs: 4 });
    expect(history.residuals).toEqual([
      { step: 200, rms: 2, maxAbs: 8 },
      { step: 400, rms: 1, maxAbs: 4 },
    ]);
    history.rewindTo(350);
    expect(history.residuals.map((r) => r.step)).toEqual([200]);
    history.clear();
    expect(history.residuals).toEqual([]);
  });

  it('rewinds to a snapshot step: later logs, evaluations and readings go', () => {
    const history = new RunHistory();
    for (let step = 5; step <= 60; step += 5) {
      history.addLog({ step, loss: 1 / step, gradientNorm: 1, learningRate: 1e-3 });
      history.addThroughput({ step, iterationsPerSecond: 10 });
      history.addMemory({ step, bytes: step < 30 ? 100 : 200 });
    }
    history.addEvaluation({ step: 0, relativeL2: 1, relativeL1: 1 });
    history.addEvaluation({ step: 55, relativeL2: 0.5, relativeL1: 0.5 });
    history.rewindTo(50);
    expect(history.logs.map((l) => l.step)).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    expect(history.throughput.at(-1)?.step).toBe(50);
    expect(history.evaluations.map((e) => e.step)).toEqual([0]);
    expect(history.memory.every((m) => m.step <= 50)).toBe(true);
    // Recomputed steps come back in order, as if never lost.
    history.addLog({ step: 55, loss: 1 / 55, gradientNorm: 1, learningRate: 1e-3 });
    expect(history.logs.map((l) => l.step).slice(-2)).toEqual([50, 55]);
  });
});

describe('recovery message', () => {
  it('names the step lost at and the snapshot resumed from', () => {
    expect(recoveryText([])).toBe('');
    const first = { lostAtStep: 73, resumedFromStep: 50, reason: 'destroyed', message: '' };
    expect(recoveryText([first])).toBe(
      'GPU device lost at step 73; recovered from the snapshot at step 50 on a new device and ' +
        'training continues. Reason: destroyed.',
    );
    const second = { lostAtStep: 210, resumedFromStep: 200, reason: 'unknown', message: '' };
    expect(recoveryText([first, second])).toContain(
      'at step 210; recovered from the snapshot at step 200',
    );
    expect(recoveryText([first, second])).toContain('(2 losses so far)');
  });
});
