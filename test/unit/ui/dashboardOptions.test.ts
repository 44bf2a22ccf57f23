import { describe, expect, it } from 'vitest';
import { resolveTrainingOptions } from '../../../src/train/options.ts';
import {
  changeBetween,
  CONTROLLED_OPTIONS,
  dashboardDefaults,
  dashboardPdes,
  diagonalOrderOf,
  diagonalPdeOf,
  formCandidate,
} from '../../../src/ui/dashboardOptions.ts';

/**
 * What a settings change costs the running trainer: options that only change the estimate or the
 * step size continue the run; anything that changes the network or its initial weights restarts.
 */
describe('changeBetween', () => {
  it('restarts the run when the first-layer gain changes: it draws different initial weights', () => {
    expect(CONTROLLED_OPTIONS).toContain('firstLayerGain');
    expect(changeBetween(dashboardDefaults, { ...dashboardDefaults, firstLayerGain: 4 })).toBe(
      'restart',
    );
    // Together with a continuable change the run still restarts.
    expect(
      changeBetween(dashboardDefaults, {
        ...dashboardDefaults,
        firstLayerGain: 4,
        learningRate: 5e-3,
      }),
    ).toBe('restart');
  });

  it('continues for a step-size change and does nothing for no change', () => {
    expect(changeBetween(dashboardDefaults, { ...dashboardDefaults, learningRate: 2e-3 })).toBe(
      'continue',
    );
    expect(changeBetween(dashboardDefaults, { ...dashboardDefaults })).toBe('none');
  });

  it('restarts for the seed, as for the gain', () => {
    expect(changeBetween(dashboardDefaults, { ...dashboardDefaults, seed: 1 })).toBe('restart');
  });
});

/**
 * Moving the PDE select: the form still shows the old problem's d, estimator and B. A box problem
 * fixes them, and leaving one must not carry a 1-D g-KdV's d onto the ball.
 */
describe('formCandidate', () => {
  /** The form's values as they read for `options`, with the PDE select moved to `pde`. */
  const form = (options: typeof dashboardDefaults, pde: string) =>
    Object.fromEntries(CONTROLLED_OPTIONS.map((key) => [key, key === 'pde' ? pde : options[key]]));
  const after = (options: typeof dashboardDefaults, pde: string) =>
    resolveTrainingOptions(formCandidate(options, form(options, pde)));

  it('offers every problem of the zoo, the box problems included', () => {
    expect(dashboardPdes.map((p) => p.id)).toEqual(
      expect.arrayContaining(['kdv-2d', 'kp-2d', 'gkdv-1d', 'semilinear-heat']),
    );
  });

  it("into a box problem: d, the estimator and B are the problem's, the rest carries over", () => {
    const ball = { ...dashboardDefaults, width: 24 };
    expect(after(ball, 'kdv-2d')).toMatchObject({
      pde: 'kdv-2d',
      dimension: 2,
      estimator: 'exact',
      jetsPerPoint: 3,
      gpinnWeight: 0,
      width: 24,
    });
    expect(after(ball, 'gkdv-1d')).toMatchObject({ dimension: 1, jetsPerPoint: 3, gpinnWeight: 1 });
  });

  it('between box problems: g-KdV’s gradient weight does not reach 2-D KP, which refuses one', () => {
    const gkdv = after(dashboardDefaults, 'gkdv-1d');
    expect(after(gkdv, 'kp-2d')).toMatchObject({ dimension: 2, jetsPerPoint: 2, gpinnWeight: 0 });
  });

  it("out of a box problem: d, the estimator, B and the weight are the dashboard's defaults", () => {
    const gkdv = { ...after(dashboardDefaults, 'gkdv-1d'), width: 24 };
    expect(after(gkdv, 'sine-gordon-two-body')).toEqual({
      ...dashboardDefaults,
      pde: 'sine-gordon-two-body',
      width: 24,
    });
  });

  it('between other problems the form’s values count as before', () => {
    const ball = { ...dashboardDefaults, dimension: 20 };
    expect(after(ball, 'sine-gordon-two-body')).toEqual({
      ...ball,
      pde: 'sine-gordon-two-body',
    });
  });

  it('on a box problem the disabled d, estimator and B of the form do not count', () => {
    const kdv = after(dashboardDefaults, 'kdv-2d');
    // The d slider starts at 2, so a g-KdV form may read 2; it is not g-KdV's d.
    const gkdv = after(dashboardDefaults, 'gkdv-1d');
    const values = { ...form(gkdv, 'gkdv-1d'), dimension: 2, width: 40 };
    expect(resolveTrainingOptions(formCandidate(gkdv, values))).toEqual({ ...gkdv, width: 40 });
    expect(changeBetween(kdv, after(kdv, 'kdv-2d'))).toBe('none');
  });
});

describe('the operator-order slider', () => {
  it('maps each diagonal problem to its order k and back, and nothing else to an order', () => {
    for (const k of [2, 4, 6, 8]) {
      expect(diagonalPdeOf(k)).toBe(`diagonal-order-${k}`);
      expect(diagonalOrderOf(`diagonal-order-${k}`)).toBe(k);
    }
    expect(diagonalOrderOf('allen-cahn-two-body')).toBeNull();
    expect(diagonalOrderOf('biharmonic-clamped-sin-cos')).toBeNull();
    expect(diagonalOrderOf('no-such-pde')).toBeNull();
    expect(() => diagonalPdeOf(3)).toThrow(/no diagonal problem of order 3/);
  });
});
