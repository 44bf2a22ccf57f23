/**
 * The field views' refresh interval while training (src/ui/refreshSchedule.ts): the fewest steps
 * that keep the refreshes at most a tenth of the training time, clamped to [50, 1000] steps, and
 * 100 steps before the first cost or step time is measured.
 */
import { describe, expect, it } from 'vitest';
import { fieldViewSchedule, refreshInterval } from '../../../src/ui/refreshSchedule.ts';

describe('the refresh interval', () => {
  it('is refreshMs / (0.1 · stepMs) steps, rounded up', () => {
    // 300 ms per refresh, 10 ms per step: 300 steps (3 s of training) per 300 ms refresh.
    expect(refreshInterval(300, 10)).toBe(300);
    // 48 ms per refresh at 2000 steps per second: 960 steps.
    expect(refreshInterval(48, 0.5)).toBe(960);
    expect(refreshInterval(123, 2)).toBe(615);
    // 100 / 0.3 = 333.3…: 333 steps would take 999 ms, under the ten times 100 ms needed.
    expect(refreshInterval(100, 3)).toBe(334);
  });

  it('keeps the refreshes within the share and takes the fewest steps that do', () => {
    const { share, minSteps, maxSteps } = fieldViewSchedule;
    for (const refreshMs of [1, 7, 40, 250, 1300])
      for (const stepMs of [0.05, 0.3, 2, 11, 60]) {
        const steps = refreshInterval(refreshMs, stepMs);
        expect(steps).toBeGreaterThanOrEqual(minSteps);
        expect(steps).toBeLessThanOrEqual(maxSteps);
        if (steps < maxSteps) expect(refreshMs / (steps * stepMs)).toBeLessThanOrEqual(share);
        if (steps > minSteps) expect(refreshMs / ((steps - 1) * stepMs)).toBeGreaterThan(share);
      }
  });

  it('is clamped to 50 … 1000 steps', () => {
    // A 2 ms refresh on 5 ms steps would be due every 4 steps.
    expect(refreshInterval(2, 5)).toBe(50);
    expect(refreshInterval(0, 5)).toBe(50);
    // 4 s per refresh on 20 ms steps would be 2000 steps.
    expect(refreshInterval(4000, 20)).toBe(1000);
  });

  it('comes after 100 steps until both the refresh and a step have been timed', () => {
    expect(refreshInterval(null, 10)).toBe(100);
    expect(refreshInterval(300, null)).toBe(100);
    // The run's rate before its first chunk is 0 steps per second: 1000 / 0 ms per step.
    expect(refreshInterval(300, Infinity)).toBe(100);
    expect(refreshInterval(300, 0)).toBe(100);
  });

  it('backs off as a slow view at high d costs more per refresh than the steps do', () => {
    // A slice's cost grows with d (every cell's point has d inputs); the step here stays 4 ms.
    const costs = [20, 80, 160, 400, 900];
    const intervals = costs.map((refreshMs) => refreshInterval(refreshMs, 4));
    expect(intervals).toEqual([50, 200, 400, 1000, 1000]);
  });

  it('follows the schedule it is given', () => {
    const schedule = { share: 0.25, firstSteps: 10, minSteps: 5, maxSteps: 40 };
    expect(refreshInterval(null, 1, schedule)).toBe(10);
    // 30 / (0.25 · 6) = 20.
    expect(refreshInterval(30, 6, schedule)).toBe(20);
    expect(refreshInterval(1, 6, schedule)).toBe(5);
    expect(refreshInterval(300, 6, schedule)).toBe(40);
  });
});
