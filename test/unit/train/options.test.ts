import { describe, expect, it } from 'vitest';
import {
  architectureOf,
  defaultTrainingOptions,
  resolveTrainingOptions,
  TrainingOptionsError,
} from '../../../src/train/options.ts';

describe('training options', () => {
  it('defaults are the STDE setup (DESIGN.md §4)', () => {
    const o = resolveTrainingOptions();
    expect(o).toEqual(defaultTrainingOptions);
    expect([o.width, o.depth, o.activation]).toEqual([128, 3, 'tanh']);
    expect([o.optimizer, o.learningRate, o.schedule, o.steps, o.points]).toEqual([
      'adam',
      1e-3,
      'linear',
      10_000,
      100,
    ]);
    expect([o.estimator, o.jetsPerPoint]).toEqual(['sparse', 16]);
    expect([o.terminalWeight, o.terminalGradientWeight]).toEqual([20, 0.05]);
  });

  it('a warm-up must end before the run does; 0 is none', () => {
    expect(resolveTrainingOptions({ steps: 400, warmupSteps: 399 }).warmupSteps).toBe(399);
    expect(resolveTrainingOptions({ steps: 1, warmupSteps: 0 }).warmupSteps).toBe(0);
    for (const warmupSteps of [400, 500]) {
      expect(() => resolveTrainingOptions({ steps: 400, warmupSteps })).toThrow(
        `warmupSteps = ${warmupSteps} would outlast the run of steps = 400: warmupSteps must be ` +
          'less than steps (0: no warm-up)',
      );
    }
  });

  it('regenerated points: ball problems, any jets and gradient estimator; else refused', () => {
    expect(resolveTrainingOptions().pointStorage).toBe('stored');
    for (const ok of [
      {},
      { estimator: 'exact', dimension: 10 },
      { estimator: 'gaussian' },
      { estimator: 'rademacher', tangentStorage: 'regenerated' },
      { pde: 'biharmonic-clamped-sin-cos', estimator: 'exact', dimension: 4 },
      { pde: 'diagonal-order-4', estimator: 'exact', dimension: 5 },
      { gradientEstimator: 'spsa' },
      { gradientEstimator: 'spsa-subspace' },
      { gradientEstimator: 'forward-gradient', perturbationDirections: 1 },
    ]) {
      expect(resolveTrainingOptions({ ...ok, pointStorage: 'regenerated' }).pointStorage).toBe(
        'regenerated',
      );
    }
    const refused = (options: Record<string, unknown>) =>
      expect(() => resolveTrainingOptions({ ...options, pointStorage: 'regenerated' }));
    refused({ pde: 'semilinear-heat' }).toThrow(/semilinear-heat is a spacetime problem/);
    refused({ pde: 'kdv-2d' }).toThrow(/kdv-2d is a box problem/);
    refused({ gpinnWeight: 0.1 }).toThrow(/gPINN source gradient/);
    expect(() => resolveTrainingOptions({ pointStorage: 'streamed' })).toThrow(
      /pointStorage must be one of stored, regenerated/,
    );
  });

  it('terminal loss weights: finite and non-negative', () => {
    expect(resolveTrainingOptions({ terminalWeight: 0 }).terminalWeight).toBe(0);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '20', 1e7]) {
      expect(() => resolveTrainingOptions({ terminalWeight: bad })).toThrow(
        /terminalWeight must be a finite number in \[0, 1000000\]/,
      );
      expect(() => resolveTrainingOptions({ terminalGradientWeight: bad })).toThrow(
        TrainingOptionsError,
      );
    }
  });

  it('first-layer gain: 1 by default (PyTorch init), any finite positive number up to 1000', () => {
    expect(resolveTrainingOptions().firstLayerGain).toBe(1);
    expect(resolveTrainingOptions({ firstLayerGain: 3.5 }).firstLayerGain).toBe(3.5);
    for (const bad of [0, -2, Number.NaN, Number.POSITIVE_INFINITY, '4', 1001]) {
      expect(() => resolveTrainingOptions({ firstLayerGain: bad })).toThrow(
        /firstLayerGain must be a finite number in \(0, 1000\]/,
      );
    }
  });

  it('gPINN: off by default; the two-body ball problems with sparse jets and backprop, else refused', () => {
    expect(resolveTrainingOptions().gpinnWeight).toBe(0);
    for (const pde of ['allen-cahn-two-body', 'sine-gordon-two-body', 'poisson-two-body']) {
      expect(resolveTrainingOptions({ pde, gpinnWeight: 0.1 }).gpinnWeight).toBe(0.1);
    }
    const unbiased = { gpinnWeight: 0.1, loss: 'unbiased', collapsed: false };
    expect(resolveTrainingOptions(unbiased).loss).toBe('unbiased');
    for (const bad of [-0.1, Number.NaN, '0.1', 1e7]) {
      expect(() => resolveTrainingOptions({ gpinnWeight: bad })).toThrow(
        /gpinnWeight must be a finite number in \[0, 1000000\]/,
      );
    }
    const refusals: [Record<string, unknown>, RegExp][] = [
      [
        { pde: 'poisson-three-body' },
        /built for the two-body ball problems .*not poisson-three-body/,
      ],
      [{ pde: 'semilinear-heat' }, /built for the two-body ball problems/],
      [{ pde: 'biharmonic-clamped-sin-cos', estimator: 'exact' }, /two-body ball problems/],
      [{ pde: 'kdv-2d' }, /kdv-2d: it has no gradient-enhanced residual terms/],
      [{ estimator: 'exact' }, /takes estimator 'sparse' .*not 'exact'/],
      [{ estimator: 'rademacher' }, /not 'rademacher'/],
      [{ gradientEstimator: 'spsa' }, /trains with gradientEstimator 'backprop', not 'spsa'/],
      [{ loss: 'unbiased' }, /collapsed = false/],
    ];
    for (const [partial, message] of refusals) {
      expect(() => resolveTrainingOptions({ gpinnWeight: 0.1, ...partial })).toThrow(message);
    }
  });

  it('g-KdV weighs its gradient terms by gpinnWeight, 1 unless given; other box problems refuse it', () => {
    expect(resolveTrainingOptions({ pde: 'gkdv-1d' }).gpinnWeight).toBe(1);
    expect(resolveTrainingOptions({ pde: 'gkdv-1d', gpinnWeight: 0 }).gpinnWeight).toBe(0);
    expect(resolveTrainingOptions({ pde: 'gkdv-1d', gpinnWeight: 0.1 }).gpinnWeight).toBe(0.1);
    expect(resolveTrainingOptions({ pde: 'kdv-2d' }).gpinnWeight).toBe(0);
    expect(() => resolveTrainingOptions({ pde: 'kp-2d', gpinnWeight: 1 })).toThrow(
      /kp-2d: it has no gradient-enhanced residual terms/,
    );
  });

  it('the unbiased loss takes every estimator without collapse, sparse with any B ≤ d', () => {
    for (const estimator of ['sparse', 'rademacher', 'gaussian', 'exact'] as const) {
      const o = resolveTrainingOptions({ loss: 'unbiased', collapsed: false, estimator });
      expect([o.loss, o.estimator, o.collapsed]).toEqual(['unbiased', estimator, false]);
    }
    // Two independent subsets of B each: 2B may exceed d (here B = d = 4), B may not.
    const full = { loss: 'unbiased', collapsed: false, estimator: 'sparse', dimension: 4 };
    expect(resolveTrainingOptions({ ...full, jetsPerPoint: 4 }).jetsPerPoint).toBe(4);
    expect(() => resolveTrainingOptions({ ...full, jetsPerPoint: 5 })).toThrow(
      /jetsPerPoint must be ≤ dimension/,
    );
    expect(() =>
      resolveTrainingOptions({ pde: 'semilinear-heat', ...full, jetsPerPoint: 3 }),
    ).not.toThrow();
  });

  it('box problems: d, the estimator and the jets are those of their fixed construction', () => {
    const kdv = resolveTrainingOptions({ pde: 'kdv-2d', width: 4, depth: 1 });
    expect([kdv.dimension, kdv.estimator, kdv.jetsPerPoint]).toEqual([2, 'exact', 3]);
    expect(architectureOf(kdv)).toEqual({
      widths: [3, 4, 1],
      activation: 'tanh',
      boundary: 'none',
    });
    const gkdv = resolveTrainingOptions({ pde: 'gkdv-1d', dimension: 1, estimator: 'exact' });
    expect([gkdv.dimension, architectureOf(gkdv).widths[0]]).toEqual([1, 2]);
    // A resolved box run resolves to itself (model files and checkpoints store all the options).
    expect(resolveTrainingOptions({ ...kdv })).toEqual(kdv);
  });

  it('the order-k diagonal problems: sparse or exact k-jets, biased loss, factor power k/2', () => {
    const base = { dimension: 4, jetsPerPoint: 2, width: 4, depth: 1 };
    for (const [k, boundary] of [
      [2, 'ball'],
      [4, 'ball2'],
      [6, 'ball3'],
      [8, 'ball4'],
    ] as const) {
      for (const estimator of ['sparse', 'exact']) {
        const options = resolveTrainingOptions({ ...base, pde: `diagonal-order-${k}`, estimator });
        expect(architectureOf(options).boundary).toBe(boundary);
      }
    }
    expect(() =>
      resolveTrainingOptions({ ...base, pde: 'diagonal-order-4', estimator: 'rademacher' }),
    ).toThrow(/diagonal-order-4: .*estimator 'sparse'.*not 'rademacher'/);
    expect(() =>
      resolveTrainingOptions({
        ...base,
        pde: 'diagonal-order-4',
        loss: 'unbiased',
        collapsed: false,
      }),
    ).toThrow(/diagonal-order-4: the unbiased loss .* use loss 'biased'/);
  });

  it('architectures: ball problems take d inputs, parabolic ones d + 1, with the PDE boundary factor', () => {
    expect(
      architectureOf(resolveTrainingOptions({ dimension: 7, jetsPerPoint: 4, width: 5, depth: 2 })),
    ).toEqual({
      widths: [7, 5, 5, 1],
      activation: 'tanh',
      boundary: 'ball',
    });
    const heat = architectureOf(
      resolveTrainingOptions({
        pde: 'semilinear-heat',
        dimension: 4,
        jetsPerPoint: 2,
        width: 3,
        depth: 1,
      }),
    );
    expect(heat).toEqual({ widths: [5, 3, 1], activation: 'tanh', boundary: 'none' });
    const biharmonic = architectureOf(
      resolveTrainingOptions({
        pde: 'biharmonic-clamped-sin-cos',
        estimator: 'gaussian',
        jetsPerPoint: 4,
      }),
    );
    expect(biharmonic.boundary).toBe('ball2');
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['unknown field', { widht: 3 }, /unknown option "widht"/],
    ['prototype key', JSON.parse('{"__proto__": {"x": 1}}'), /unknown option "__proto__"/],
    ['negative dimension', { dimension: -5 }, /dimension must be an integer in 1\.\.10000000/],
    ['fractional width', { width: 2.5 }, /width must be an integer/],
    ['NaN learning rate', { learningRate: NaN }, /learningRate must be a finite number/],
    ['infinite learning rate', { learningRate: Infinity }, /learningRate must be a finite number/],
    ['string steps', { steps: '100' }, /steps must be an integer/],
    ['unknown PDE', { pde: 'navier-stokes' }, /pde must be one of/],
    ['unknown estimator', { estimator: 'magic' }, /estimator must be one of/],
    ['too many sparse jets', { dimension: 4, jetsPerPoint: 5 }, /jetsPerPoint must be ≤ dimension/],
    [
      'box problem, another d',
      { pde: 'kdv-2d', dimension: 3 },
      /kdv-2d: the problem has 2 spatial/,
    ],
    [
      'box problem, a random estimator',
      { pde: 'kp-2d', estimator: 'sparse' },
      /kp-2d: its partials come from one fixed jet construction.*'exact'/,
    ],
    ['box problem, other jets', { pde: 'gkdv-1d', jetsPerPoint: 4 }, /fixes 3 jets per point/],
    [
      'box problem, unbiased',
      { pde: 'gkdv-1d', loss: 'unbiased', collapsed: false },
      /jets are fixed/,
    ],
    [
      'unbiased collapsed',
      { loss: 'unbiased', collapsed: true },
      /unbiased loss .* collapsed = true sums the top-order rows .* use collapsed = false/,
    ],
    [
      'unbiased exact collapsed',
      { loss: 'unbiased', estimator: 'exact', collapsed: true },
      /collapsed = true/,
    ],
    ['seed out of range', { seed: 2 ** 32 }, /seed must be an integer in 0\.\.4294967295/],
  ];

  it.each(bad)('refuses %s with a message naming the field', (_name, partial, message) => {
    expect(() => resolveTrainingOptions(partial)).toThrow(TrainingOptionsError);
    expect(() => resolveTrainingOptions(partial)).toThrow(message);
  });
});
