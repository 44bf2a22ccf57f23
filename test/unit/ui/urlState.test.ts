import { describe, expect, it } from 'vitest';
import { resolveTrainingOptions } from '../../../src/train/options.ts';
import { dashboardDefaults } from '../../../src/ui/dashboardOptions.ts';
import { HIDEABLE, optionsFromQuery, optionsToQuery } from '../../../src/ui/urlState.ts';

/**
 * The first-layer gain in the link (`gain`): it round-trips like every control, a value the
 * training options refuse is dropped with a message that names the parameter and quotes the value,
 * and a classroom link can hide it.
 */

/** Three-body Poisson at d = 10 with the gain that gives unit-size first-layer pre-activations. */
const threeBody = resolveTrainingOptions({
  ...dashboardDefaults,
  pde: 'poisson-three-body',
  dimension: 10,
  firstLayerGain: Math.sqrt(12),
});

describe('first-layer gain in the URL', () => {
  it('is written as gain= and read back exactly, with no problems', () => {
    const query = optionsToQuery(threeBody);
    expect(new URLSearchParams(query).get('gain')).toBe(String(Math.sqrt(12)));
    const result = optionsFromQuery(query, dashboardDefaults);
    expect(result.problems).toEqual([]);
    expect(result.options).toEqual(threeBody);
    expect(result.options.firstLayerGain).toBe(Math.sqrt(12));
  });

  it('takes a hand-written gain and leaves the other options at the defaults', () => {
    const result = optionsFromQuery('?pde=poisson-three-body&dim=10&gain=4', dashboardDefaults);
    expect(result.problems).toEqual([]);
    expect(result.options).toEqual({
      ...dashboardDefaults,
      pde: 'poisson-three-body',
      dimension: 10,
      firstLayerGain: 4,
    });
  });

  it('is 1 (the fan-in init) when the link does not give it', () => {
    expect(dashboardDefaults.firstLayerGain).toBe(1);
    expect(optionsFromQuery('?dim=10', dashboardDefaults).options.firstLayerGain).toBe(1);
  });

  it.each([
    ['0', /^gain: firstLayerGain must be a finite number in \(0, 1000\], got 0$/],
    ['-1', /^gain: firstLayerGain must be a finite number in \(0, 1000\], got -1$/],
    ['1e9', /^gain: firstLayerGain must be a finite number in \(0, 1000\], got 1000000000$/],
    ['1001', /^gain: firstLayerGain must be a finite number in \(0, 1000\], got 1001$/],
    ['abc', /^gain: firstLayerGain must be a finite number, got "abc"$/],
    ['Infinity', /^gain: firstLayerGain must be a finite number, got "Infinity"$/],
    ['', /^gain: firstLayerGain must be a finite number, got ""$/],
  ])('refuses gain=%s by name and keeps the rest of the link', (text, message) => {
    const result = optionsFromQuery(`?dim=12&gain=${text}&width=24`, dashboardDefaults);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(message);
    expect(result.options).toEqual({ ...dashboardDefaults, dimension: 12, width: 24 });
  });

  it('accepts the ends of the trainer range', () => {
    for (const gain of [1e-3, 1000]) {
      const result = optionsFromQuery(`?gain=${gain}`, dashboardDefaults);
      expect(result.problems).toEqual([]);
      expect(result.options.firstLayerGain).toBe(gain);
    }
  });

  it('can be hidden by a classroom link, like the gradient select', () => {
    expect(HIDEABLE).toContain('gain');
    expect(HIDEABLE).toContain('grad');
    const result = optionsFromQuery('?gain=2&hide=gain,grad', dashboardDefaults);
    expect(result.problems).toEqual([]);
    expect(result.hidden).toEqual(['gain', 'grad']);
    expect(result.options.firstLayerGain).toBe(2);
    expect(optionsToQuery(result.options, result.hidden)).toContain('hide=gain%2Cgrad');
  });
});
