import { describe, expect, it } from 'vitest';
import {
  changeBetween,
  CONTROLLED_OPTIONS,
  dashboardDefaults,
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
    expect(changeBetween(dashboardDefaults, { ...dashboardDefaults, learningRate: 5e-3 })).toBe(
      'continue',
    );
    expect(changeBetween(dashboardDefaults, { ...dashboardDefaults })).toBe('none');
  });

  it('restarts for the seed, as for the gain', () => {
    expect(changeBetween(dashboardDefaults, { ...dashboardDefaults, seed: 1 })).toBe('restart');
  });
});
