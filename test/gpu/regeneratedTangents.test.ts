/**
 * Regenerated dense input tangents (tangentStorage 'regenerated', src/engine/tangentSource.ts):
 * the step draws no N·R·K·d tangent buffer, and the forward pass, its boundary factor, the
 * backward pass's first-layer weight gradient and the forward gradient's tangent pass redraw each
 * coefficient where they read it (shaders/lib/denseTangents.wgsl). Checked against the stored
 * draw: training runs byte for byte for both dense estimators, backprop, SPSA and the forward
 * gradient, at a d whose first layer is one product and one that splits it over its inputs, and
 * over parameter blocks, with the collocation points stored or regenerated too (pointStorage);
 * a run with another seed differs, so the redraw reads its own draw.
 */
import { describe, expect, it } from 'vitest';
import type { TrainerSettings } from '../../src/train/trainer.ts';
import { estimateMemory } from '../../src/train/memoryBudget.ts';
import type { TrainingOptions } from '../../src/train/options.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { smallRunOptions } from '../shared/smallRuns.ts';
import { recordTraining } from '../shared/trainingRecords.ts';

const gpu = useNodeGpu();

const run = (options: TrainingOptions, settings: TrainerSettings = {}) =>
  recordTraining(gpu.device, options, { rollback: false, ...settings });

describe('regenerated dense tangents', () => {
  const base = { width: 8, points: 8, steps: 6, logEvery: 1, estimator: 'rademacher' } as const;
  const cases: [string, Partial<TrainingOptions>, TrainerSettings][] = [
    ['Rademacher, backprop + Adam, d = 6', { gradientEstimator: 'backprop' }, {}],
    [
      // Two independent draws of B jets, standard rows.
      'Gaussian, unbiased loss, backprop + Adam, d = 6',
      { estimator: 'gaussian', loss: 'unbiased', collapsed: false },
      {},
    ],
    // d ≥ 4096 splits the first layer's product over its inputs (partialProducts).
    ['Rademacher, backprop + Adam, d = 5000', { dimension: 5000 }, {}],
    // 2000-byte blocks: the first layer runs once per block over its rows of W₁.
    [
      'Rademacher, backprop + Adam, d = 300, parameter blocks',
      { dimension: 300 },
      {
        parameterBlockBytes: 2000,
      },
    ],
    ['Rademacher, SPSA + Adam, d = 300', { dimension: 300, gradientEstimator: 'spsa' }, {}],
    [
      'Gaussian, forward gradient + Adam, d = 300',
      {
        dimension: 300,
        estimator: 'gaussian',
        gradientEstimator: 'forward-gradient',
        perturbationDirections: 1,
      },
      {},
    ],
  ];
  for (const [name, overrides, settings] of cases) {
    it(`${name}: the stored run's losses and weights, bit for bit`, async () => {
      const options = { ...base, ...overrides };
      const stored = await run(smallRunOptions(options), settings);
      // The tangents redrawn, the points (a dense boundary factor redraws x per direction), both.
      for (const storage of [
        { tangentStorage: 'regenerated' },
        { pointStorage: 'regenerated' },
        { pointStorage: 'regenerated', tangentStorage: 'regenerated' },
      ] as const) {
        const regenerated = await run(smallRunOptions({ ...options, ...storage }), settings);
        expect(regenerated.losses).toHaveLength(6);
        expect(regenerated.losses.every(Number.isFinite)).toBe(true);
        expect(regenerated.moved).toBe(true);
        expect(regenerated.losses, JSON.stringify(storage)).toEqual(stored.losses);
        expect(regenerated.norms).toEqual(stored.norms);
        expect(regenerated.weights).toEqual(stored.weights);
        expect(regenerated.moments).toEqual(stored.moments);
        expect(regenerated.blocks).toBe(stored.blocks);
        if (settings.parameterBlockBytes) expect(regenerated.blocks).toBeGreaterThan(1);
        // The stored run holds the N·R·K·d tangents and N·d points (and the draws' stand-ins).
        expect(regenerated.memory).toBeLessThan(stored.memory);
      }
    });
  }

  it('redraws its own draw: another seed gives other losses', async () => {
    const options = { ...base, tangentStorage: 'regenerated' } as const;
    const seeded = await run(smallRunOptions(options));
    const reseeded = await run(smallRunOptions({ ...options, seed: 8 }));
    expect(reseeded.losses).not.toEqual(seeded.losses);
  });

  it('plans no tangent buffer: the stored plan holds N·R·K·d floats more', () => {
    const options = { ...base, dimension: 5000 } as const;
    const stored = estimateMemory(smallRunOptions(options));
    const regenerated = estimateMemory(
      smallRunOptions({ ...options, tangentStorage: 'regenerated' }),
    );
    const tangents = (e: typeof stored) =>
      e.planned.filter((b) => b.label === 'rademacher jets values').map((b) => b.bytes);
    // 8 points · 3 jets · order 2 · 5000 coordinates.
    expect(tangents(stored)).toEqual([8 * 3 * 2 * 5000 * 4]);
    expect(tangents(regenerated)).toEqual([]);
  });
});
