import { describe, expect, it } from 'vitest';
import { resolveTrainingOptions } from '../../../src/train/options.ts';
import { dashboardDefaults } from '../../../src/ui/dashboardOptions.ts';
import {
  HIDEABLE,
  optionsFromQuery,
  optionsToQuery,
  parseLanes,
} from '../../../src/ui/urlState.ts';

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

/**
 * A link's values are checked against each other, as the link sets them: the defaults stand in
 * only for what it leaves out, and a combination that cannot run names every value in it. The
 * defaults here are sparse STDE at d = 10 (the landing run's estimator is exact, where B ≤ d
 * does not apply).
 */
const stde = resolveTrainingOptions({ ...dashboardDefaults, dimension: 10, estimator: 'sparse' });

describe('a link checked against itself', () => {
  it('keeps B = 16 with its own d = 100 000 (the default d = 10 would refuse it)', () => {
    const result = optionsFromQuery('?dim=100000&B=16&points=32&width=32', stde);
    expect(result.problems).toEqual([]);
    expect(stde.dimension).toBeLessThan(16);
    expect(result.options).toEqual({
      ...stde,
      dimension: 100_000,
      jetsPerPoint: 16,
      points: 32,
      width: 32,
    });
  });

  it('keeps B = 16 with d = 1000, whatever order the keys come in', () => {
    for (const query of ['?dim=1000&B=16', '?B=16&dim=1000']) {
      const result = optionsFromQuery(query, stde);
      expect(result.problems, query).toEqual([]);
      expect(result.options.jetsPerPoint, query).toBe(16);
      expect(result.options.dimension, query).toBe(1000);
    }
  });

  it('keeps d = 3 when the link lowers B below it (the default B = 4 would refuse d = 3)', () => {
    expect(stde.jetsPerPoint).toBeGreaterThan(3);
    const result = optionsFromQuery('?dim=3&B=2', stde);
    expect(result.problems).toEqual([]);
    expect(result.options).toMatchObject({ dimension: 3, jetsPerPoint: 2 });
  });

  it('refuses an impossible combination naming both keys, and keeps the rest', () => {
    const result = optionsFromQuery('?dim=6&B=8&width=24', stde);
    expect(result.problems).toEqual([
      'dim and B do not fit together: sparse STDE samples jetsPerPoint = 8 of d = 6 coordinates ' +
        'without replacement: jetsPerPoint must be ≤ dimension; both ignored',
    ]);
    expect(result.options).toEqual({ ...stde, width: 24 });
  });

  it('a link shorter than the warm-up names steps and warmup; a link setting both runs', () => {
    expect(stde.warmupSteps).toBe(500);
    const short = optionsFromQuery('?steps=400&warmup=450&width=24', stde);
    expect(short.problems).toEqual([
      'warmup and steps do not fit together: warmupSteps = 450 would outlast the run of ' +
        'steps = 400: warmupSteps must be less than steps (0: no warm-up); both ignored',
    ]);
    expect(short.options).toEqual({ ...stde, width: 24 });
    const alone = optionsFromQuery('?steps=400', stde);
    expect(alone.problems).toEqual([expect.stringMatching(/^steps: warmupSteps = 500 would /)]);
    const both = optionsFromQuery('?steps=400&warmup=0', stde);
    expect(both.problems).toEqual([]);
    expect(both.options).toEqual({ ...stde, steps: 400, warmupSteps: 0 });
  });

  it('names both keys when the combination also fails with the defaults', () => {
    const result = optionsFromQuery('?dim=4&B=16', stde);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(
      /^dim and B do not fit together: .* d = 4 .*; both ignored$/,
    );
    expect(result.options).toEqual(stde);
  });

  it('blames a value that is out of range on its own alone, and still checks the others', () => {
    const result = optionsFromQuery('?width=-3&dim=6&B=8&depth=2', stde);
    expect(result.problems).toEqual([
      'width: width must be an integer in 1..4096, got -3',
      expect.stringMatching(/^dim and B do not fit together: /),
    ]);
    expect(result.options).toEqual({ ...stde, depth: 2 });
  });

  it('blames B alone when the link gives no d and B exceeds the default one', () => {
    const result = optionsFromQuery('?B=16&width=24', stde);
    expect(result.problems).toEqual([
      'B: sparse STDE samples jetsPerPoint = 16 of d = 10 coordinates without replacement: ' +
        'jetsPerPoint must be ≤ dimension',
    ]);
    expect(result.options).toEqual({ ...stde, width: 24 });
  });

  it("reads B against the link's own estimator: a dense one may take B > d", () => {
    const result = optionsFromQuery('?est=rademacher&dim=4&B=16', stde);
    expect(result.problems).toEqual([]);
    expect(result.options).toMatchObject({
      estimator: 'rademacher',
      dimension: 4,
      jetsPerPoint: 16,
    });
  });

  it('names the PDE and the gradient mode that do not go together', () => {
    const result = optionsFromQuery('?pde=semilinear-heat&grad=forward-gradient', stde);
    expect(result.problems).toEqual([
      expect.stringMatching(
        /^pde and grad do not fit together: .*semilinear-heat.*; both ignored$/,
      ),
    ]);
    expect(result.options).toEqual(stde);
  });
});

/**
 * Box problems in a link: they fix d (their spatial variables) and their jets (one construction),
 * so a link that names only the PDE takes those from the problem, not the default d = 10, and a
 * link that names other values has them dropped with a message.
 */
describe('a box problem in the URL', () => {
  it('takes d, the estimator and B from the problem when the link names only the PDE', () => {
    const result = optionsFromQuery('?pde=kdv-2d&width=24', dashboardDefaults);
    expect(result.problems).toEqual([]);
    // 2-D KdV: x and y are spatial, and its construction pushes three 5-jets (kdv2d.ts).
    expect(result.options).toMatchObject({
      pde: 'kdv-2d',
      dimension: 2,
      estimator: 'exact',
      jetsPerPoint: 3,
      width: 24,
    });
    // g-KdV is 1-D and keeps its gradient-enhanced terms at weight 1.
    expect(optionsFromQuery('?pde=gkdv-1d', dashboardDefaults).options).toMatchObject({
      dimension: 1,
      gpinnWeight: 1,
    });
  });

  it('round-trips the link the page writes for it', () => {
    const kp = optionsFromQuery('?pde=kp-2d&points=32', dashboardDefaults).options;
    const query = optionsToQuery(kp);
    expect(new URLSearchParams(query).get('dim')).toBe('2');
    const result = optionsFromQuery(query, dashboardDefaults);
    expect(result.problems).toEqual([]);
    expect(result.options).toEqual(kp);
  });

  it('refuses a d the problem does not have with the PDE, as any other pair, keeping the rest', () => {
    // Either value alone runs (kdv-2d with its d = 2, or the default problem at d = 5), so which
    // one the link got wrong is a guess: both go, like the PDE and gradient mode above.
    const result = optionsFromQuery('?pde=kdv-2d&dim=5&width=24', dashboardDefaults);
    expect(result.problems).toEqual([
      'pde and dim do not fit together: kdv-2d: the problem has 2 spatial dimension(s), so ' +
        'dimension is 2; both ignored',
    ]);
    expect(result.options).toEqual({ ...dashboardDefaults, width: 24 });
  });
});

describe('a race in the URL', () => {
  it('round-trips its lanes through the link the page writes', () => {
    const lanes = [
      { estimator: 'sparse', jetsPerPoint: 2 },
      { estimator: 'exact', collapsed: false },
      { gradientEstimator: 'spsa', learningRate: 0.001 },
    ];
    const query = optionsToQuery(dashboardDefaults, [], lanes);
    expect(new URLSearchParams(query).get('race')).toBe(
      'est:sparse,B:2|est:exact,collapsed:false|grad:spsa,lr:0.001',
    );
    const read = optionsFromQuery(query, dashboardDefaults);
    expect(read.problems).toEqual([]);
    expect(read.race).toEqual(lanes);
    expect(optionsFromQuery('?dim=8', dashboardDefaults).race).toBeNull();
  });

  it('reads hand-written lanes with spaces, and names what is wrong with a bad one', () => {
    expect(parseLanes(' est: sparse , B: 4 | est:exact ')).toEqual({
      lanes: [{ estimator: 'sparse', jetsPerPoint: 4 }, { estimator: 'exact' }],
    });
    expect(parseLanes('est:exact')).toEqual({
      problem: 'a race has 2 to 4 lanes split by |, got 1',
    });
    expect(parseLanes('est:exact|width:8')).toEqual({
      problem:
        'lane 2: "width" is not what a lane may set (est, B, collapsed, grad, lr, as key:value)',
    });
    expect(parseLanes('B:two|est:exact')).toEqual({
      problem: 'lane 1: jetsPerPoint must be a finite number, got "two"',
    });
    expect(parseLanes('B:2,B:3|est:exact')).toEqual({ problem: 'lane 1: B is given twice' });
  });

  it("drops lanes the link's own run cannot take, with the lane and the reason, and keeps the run", () => {
    // The link's d = 6: a lane with B = 8 sparse jets cannot run; d itself stays.
    const read = optionsFromQuery('?dim=6&est=sparse&race=B:8|est:exact', dashboardDefaults);
    expect(read.options.dimension).toBe(6);
    expect(read.race).toBeNull();
    expect(read.problems).toEqual([
      expect.stringMatching(
        /^race: lane 1: sparse STDE samples jetsPerPoint = 8 of d = 6 .*; ignored$/,
      ),
    ]);
  });
});

describe('the rollback copy in the URL', () => {
  it('is left out while on, written as rollback=false when off, and read back', () => {
    expect(optionsToQuery(dashboardDefaults)).not.toContain('rollback');
    const query = optionsToQuery(dashboardDefaults, [], null, false);
    expect(new URLSearchParams(query).get('rollback')).toBe('false');
    const result = optionsFromQuery(query, dashboardDefaults);
    expect(result.problems).toEqual([]);
    expect(result.rollback).toBe(false);
    expect(result.options).toEqual(dashboardDefaults);
    expect(optionsFromQuery('?dim=10', dashboardDefaults).rollback).toBe(true);
    expect(optionsFromQuery('?rollback=0', dashboardDefaults).rollback).toBe(false);
    expect(optionsFromQuery('?rollback=true', dashboardDefaults).rollback).toBe(true);
  });

  it('refuses a value that is not a boolean by name, keeps the copy and the rest of the link', () => {
    const result = optionsFromQuery('?dim=12&rollback=no&width=24', dashboardDefaults);
    expect(result.problems).toEqual(['rollback must be true or false, got "no"']);
    expect(result.rollback).toBe(true);
    expect(result.options.dimension).toBe(12);
    expect(result.options.width).toBe(24);
  });

  it('can be hidden by a classroom link', () => {
    expect(HIDEABLE).toContain('rollback');
    const result = optionsFromQuery('?rollback=false&hide=rollback', dashboardDefaults);
    expect(result.problems).toEqual([]);
    expect(result.hidden).toEqual(['rollback']);
    expect(optionsToQuery(result.options, result.hidden, null, result.rollback)).toBe(
      `${optionsToQuery(result.options)}&rollback=false&hide=rollback`,
    );
  });
});
