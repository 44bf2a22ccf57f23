/**
 * The kernels' cost counts (src/engine/kernelCost.ts's rules) against hand counts of small shapes,
 * and the scaling laws of the stages a step runs.
 */
import { describe, expect, it } from 'vitest';
import { planBackwardJet } from '../../../src/engine/backwardJet.ts';
import { backwardStepCost } from '../../../src/engine/backwardJetCost.ts';
import { type ForwardJetConfig, planForwardJet } from '../../../src/engine/forwardJet.ts';
import { forwardJetCost, forwardLayerCost } from '../../../src/engine/forwardJetCost.ts';
import { optimizerCost, planOptimizer } from '../../../src/engine/optimizers.ts';
import { planBallDraw, pointDrawCost } from '../../../src/random/gpuPointSamplers.ts';
import type { PointSource } from '../../../src/engine/pointSource.ts';
import {
  BOX_MULLER_FLOPS,
  REDRAWN_COORDINATE,
  REDRAWN_QUAD_COORDINATE,
  sumCosts,
} from '../../../src/engine/kernelCost.ts';
import type { TangentSource } from '../../../src/engine/tangentSource.ts';
import { parameterTraffic } from '../../../src/train/enginePlans.ts';
import {
  planDivergenceGuard,
  divergenceCheckCost,
  gradientScanCost,
} from '../../../src/engine/divergenceGuard.ts';

const limits = {
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeWorkgroupsPerDimension: 65535,
  minUniformBufferOffsetAlignment: 256,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
};

/** One point, one direction of order 1: a 2-row jet (value and tangent). */
const twoRowJet: ForwardJetConfig = {
  architecture: { widths: [2, 3, 4, 1], activation: 'tanh', boundary: 'none' },
  shape: { points: 1, directions: 1, order: 1, structure: 'standard' },
  tangentKind: 'dense',
};

describe('forward jet cost', () => {
  it('counts a tanh layer 3 → 4 of a 2-row jet by hand', () => {
    const layer = planForwardJet(twoRowJet, limits).layers[1];
    // Phase 1, one workgroup, one row chunk: 2 rows × 3 inputs, W (4 × 3), the bias on the value
    // row (4) read; z (2 × 4) written; 2·2·3·4 product FLOPs and 4 bias adds.
    // Phase 2 per unit (4): z_0 and z_1 read, s_0 and s_1 written; the seed (8) and the rule at
    // k = 1: s_1 = z_1·D_0 (3 and a divide), D_1 = −(s_0 s_1 + s_1 s_0) (4): 16 FLOPs.
    expect(forwardLayerCost(layer)).toEqual({
      flops: 48 + 4 + 4 * 16,
      bytesRead: 4 * (6 + 12 + 4 + 4 * 2),
      bytesWritten: 4 * (8 + 4 * 2),
    });
  });

  it('grows like d in the one-hot first layer and the boundary (bytes affine in d)', () => {
    const at = (d: number) =>
      forwardJetCost(
        planForwardJet(
          {
            architecture: { widths: [d, 32, 32, 1], activation: 'tanh', boundary: 'ball' },
            shape: { points: 32, directions: 16, order: 2, structure: 'collapsed' },
            tangentKind: 'oneHot',
          },
          limits,
          { externalInputs: true },
        ),
      );
    const [a, b, c] = [1000, 2000, 3000].map(at);
    expect(c.bytesRead - b.bytesRead).toBe(b.bytesRead - a.bytesRead);
    // Per coordinate: x once per output tile (1) and W's 32 weights per row chunk (1) per point
    // group, and x again for |x|² per point: 32·(1 + 1) + 32 words.
    expect((b.bytesRead - a.bytesRead) / 1000).toBe(4 * (32 + 32 + 32));
    expect(c.flops - b.flops).toBe(b.flops - a.flops);
  });

  it('counts regenerated points as redraws: four a Philox block per load of x, no |x|² sum', () => {
    const draw = { seed: 0, stream: 2, scalesAt: 32, normsAt: 96 };
    const at = (d: number, points: PointSource) =>
      forwardJetCost(
        planForwardJet(
          {
            architecture: { widths: [d, 32, 32, 1], activation: 'tanh', boundary: 'ball' },
            shape: { points: 32, directions: 16, order: 2, structure: 'collapsed' },
            tangentKind: 'oneHot',
            points,
          },
          limits,
          { externalInputs: true },
        ),
      );
    const perCoordinate = (points: PointSource) => {
      const [a, b] = [1000, 2000].map((d) => at(d, points));
      return { words: (b.bytesRead - a.bytesRead) / 4000, flops: (b.flops - a.flops) / 1000 };
    };
    const stored = perCoordinate({ storage: 'stored', draw });
    const redrawn = perCoordinate({ storage: 'regenerated', draw });
    // Stored (with the draw's |x|²): x once per output tile and W per row chunk, 32 points each.
    expect(stored.words).toBe(32 + 32);
    // Regenerated: each of the 32 loads of x is a redraw, four inputs from a block and a point's
    // (scale, offset) (jetForward.wgsl POINT_QUADS): half a word and 5.5 FLOPs a coordinate.
    expect(REDRAWN_QUAD_COORDINATE).toEqual({ words: 0.5, flops: BOX_MULLER_FLOPS / 2 + 2 });
    expect(redrawn.words).toBe(32 * REDRAWN_QUAD_COORDINATE.words + 32);
    expect(redrawn.flops - stored.flops).toBe(32 * REDRAWN_QUAD_COORDINATE.flops);
  });
});

describe('regenerated dense tangents', () => {
  const draw = (distribution: 'rademacher' | 'gaussian') => ({
    seed: 0,
    stream: 1,
    range: 1000,
    distribution,
    extraOrder: 0,
    extraIndex: 0,
    extraCoefficient: 0,
  });
  const config = (d: number, tangentSource: TangentSource): ForwardJetConfig => ({
    architecture: { widths: [d, 32, 32, 1], activation: 'tanh', boundary: 'ball' },
    shape: { points: 32, directions: 16, order: 2, structure: 'collapsed' },
    tangentKind: 'dense',
    tangentSource,
  });
  const perCoordinate = (source: TangentSource) => {
    const [a, b] = [1000, 2000].map((d) =>
      forwardJetCost(planForwardJet(config(d, source), limits, { externalInputs: true })),
    );
    return { words: (b.bytesRead - a.bytesRead) / 4000, flops: (b.flops - a.flops) / 1000 };
  };

  it('counts each tangent word the forward pass loads as a redraw that loads nothing', () => {
    const stored = perCoordinate({ storage: 'stored' });
    const tiles = planForwardJet(config(1000, { storage: 'stored' }), limits, {
      externalInputs: true,
    }).layers[0].grid[0];
    // Per coordinate and point: the first layer loads R·(K − 1) + R (the collapsed top row's
    // sum) = 32 tangent words per output tile, the boundary factor R·K = 32.
    const loads = 32 * (tiles * 32 + 32);
    for (const [distribution, flops] of [
      ['rademacher', 2],
      ['gaussian', BOX_MULLER_FLOPS],
    ] as const) {
      const redrawn = perCoordinate({ storage: 'regenerated', draw: draw(distribution) });
      expect(stored.words - redrawn.words).toBe(loads);
      expect(redrawn.flops - stored.flops).toBe(loads * flops);
    }
  });

  it('counts the weight gradient likewise: only x is loaded of the first layer rows', () => {
    const weights = (source: TangentSource) => {
      const plan = planBackwardJet({ ...config(1000, source), tangentSource: source }, limits);
      return sumCosts(
        plan.steps
          .filter((s) => s.kind === 'weightGradient' && s.layer === 0)
          .map(backwardStepCost),
      );
    };
    const stored = weights({ storage: 'stored' });
    const redrawn = weights({ storage: 'regenerated', draw: draw('rademacher') });
    const saved = (stored.bytesRead - redrawn.bytesRead) / 4;
    // 33 words per point and coordinate: x and 32 tangent words; the redraw keeps x's.
    expect(saved).toBeGreaterThan(0);
    expect(redrawn.flops - stored.flops).toBe(2 * saved);
    expect(stored.bytesWritten).toBe(redrawn.bytesWritten);
  });

  it('counts regenerated points under dense jets: x redrawn per output tile and per direction', () => {
    const points = (storage: PointSource['storage']): PointSource => ({
      storage,
      draw: { seed: 0, stream: 2, scalesAt: 32, normsAt: 96 },
    });
    const at = (d: number, source: PointSource) =>
      forwardJetCost(
        planForwardJet({ ...config(d, { storage: 'stored' }), points: source }, limits, {
          externalInputs: true,
        }),
      );
    const per = (source: PointSource) => {
      const [a, b] = [1000, 2000].map((d) => at(d, source));
      return { words: (b.bytesRead - a.bytesRead) / 4000, flops: (b.flops - a.flops) / 1000 };
    };
    const tiles = planForwardJet(config(1000, { storage: 'stored' }), limits, {
      externalInputs: true,
    }).layers[0].grid[0];
    // Per coordinate and point: x once per output tile of the first layer and once per direction
    // (R = 16) in the boundary factor's ⟨x, c_k⟩, each a redraw of 2 words for 1.
    const loads = 32 * (tiles + 16);
    const stored = per(points('stored'));
    const redrawn = per(points('regenerated'));
    expect(redrawn.words - stored.words).toBe(loads * (REDRAWN_COORDINATE.words - 1));
    expect(redrawn.flops - stored.flops).toBe(loads * REDRAWN_COORDINATE.flops);
    // The weight gradient's x loads are redraws too.
    const weights = (source: PointSource) =>
      sumCosts(
        planBackwardJet({ ...config(1000, { storage: 'stored' }), points: source }, limits)
          .steps.filter((s) => s.kind === 'weightGradient' && s.layer === 0)
          .map(backwardStepCost),
      );
    expect(weights(points('regenerated')).flops).toBeGreaterThan(weights(points('stored')).flops);
  });
});

describe('backward jet cost', () => {
  it('counts an unsplit weight gradient by hand', () => {
    const plan = planBackwardJet(twoRowJet, limits);
    const step = plan.steps.find((s) => s.kind === 'weightGradient' && s.layer === 1);
    if (!step) throw new Error('no weight gradient of layer 1');
    // dW (4 × 3) over the 2 rows: Z̄ (2 × 4) and A (2 × 3) read once (one tile each way),
    // 4 × 3 written, 2·2·4·3 FLOPs.
    expect(backwardStepCost(step)).toEqual({
      flops: 2 * 2 * 4 * 3,
      bytesRead: 4 * (8 + 6),
      bytesWritten: 4 * 12,
    });
    // db (4): the value row's 4 cotangents read and added, 4 written.
    const bias = plan.steps.find((s) => s.kind === 'biasGradient' && s.layer === 1);
    if (!bias) throw new Error('no bias gradient of layer 1');
    expect(backwardStepCost(bias)).toEqual({ flops: 4, bytesRead: 4 * 4, bytesWritten: 4 * 4 });
  });
});

describe('parameter costs', () => {
  it('moves parameterTraffic bytes per parameter through the guard and Adam', () => {
    const P = 10_000;
    const adam = optimizerCost(planOptimizer({ kind: 'adam', parameterCount: P }, limits));
    const guard = divergenceCheckCost(planDivergenceGuard({ gradientCount: P }, limits));
    const traffic = parameterTraffic('adam', true, limits);
    expect(adam.bytesRead + adam.bytesWritten).toBe(
      P * (traffic.optimizer.read + traffic.optimizer.written),
    );
    // The guard reads g once; its records and result add a few words per 1 024 elements.
    expect(guard.bytesRead / P).toBeCloseTo(traffic.guard, 1);
    // The scan reads g once too, and the latch two words and the status: no records.
    const scan = gradientScanCost(planDivergenceGuard({ gradientCount: P }, limits));
    expect(scan).toEqual({ flops: P, bytesRead: 4 * P + 4, bytesWritten: 4 + 32 });
    expect(scan.bytesRead).toBeLessThan(guard.bytesRead);
  });
});

describe('split first layer cost', () => {
  it('adds S·rows·width partials written and read, and S − 1 adds per row and output', () => {
    // The STDE setup at d = 100K: S = 521 blocks of 192 inputs, 32 one-hot value rows of width 32.
    const stde = (firstLayerBlockInner?: number): ForwardJetConfig => ({
      architecture: { widths: [100_000, 32, 32, 32, 1], activation: 'tanh', boundary: 'none' },
      shape: { points: 32, directions: 16, order: 2, structure: 'collapsed' },
      tangentKind: 'oneHot',
      firstLayerBlockInner,
    });
    const split = planForwardJet(stde(), limits);
    const fused = planForwardJet(stde(0), limits);
    expect(split.split?.splits).toBe(521);
    const partials = 521 * 32 * 32;
    const splitCost = forwardLayerCost(split.layers[0]);
    const sumCost = forwardLayerCost(split.split!.sum);
    const fusedCost = forwardLayerCost(fused.layers[0]);
    expect(splitCost.flops + sumCost.flops).toBe(fusedCost.flops + 520 * 32 * 32);
    expect(splitCost.bytesRead + sumCost.bytesRead).toBe(fusedCost.bytesRead + 4 * partials);
    expect(splitCost.bytesWritten + sumCost.bytesWritten).toBe(
      fusedCost.bytesWritten + 4 * partials,
    );
    expect(forwardJetCost(split).flops).toBe(forwardJetCost(fused).flops + 520 * 32 * 32);
  });
});

describe('point draw cost', () => {
  it('writes N·d floats twice, reads them once with their scales, and grows like N·d', () => {
    const cost = (d: number, N: number) =>
      pointDrawCost(planBallDraw(d, 'radius-uniform', N, { seed: 0 }));
    // d = 100 is one block: the normals and one sum per point, then 2 floats a point's scale.
    expect(cost(100, 32).bytesWritten).toBe(4 * (2 * 32 * 100 + 32 + 2 * 32));
    expect(cost(100, 32).bytesRead).toBe(4 * (1 + 32 + 3 * 32 * 100));
    // 10 000 coordinates are 3 blocks of 4096.
    expect(cost(10_000, 32).bytesWritten).toBe(4 * (2 * 32 * 10_000 + 32 * 3 + 2 * 32));
    const perFloat = (d: number, N: number) => cost(d, N).bytesWritten / (N * d);
    expect(perFloat(100_000, 64)).toBeCloseTo(perFloat(50_000, 32), 2);
  });

  it("adds the norms' read of every coordinate; regenerated points write none and redraw", () => {
    const plan = (storage: 'stored' | 'regenerated', norms: boolean) =>
      pointDrawCost(planBallDraw(100, 'radius-uniform', 32, { seed: 0 }, 4096, storage, norms));
    const plain = plan('stored', false);
    const stored = plan('stored', true);
    const redrawn = plan('regenerated', true);
    // One block: the norms read the 3200 coordinates once and write 32 norms.
    expect(stored.bytesRead - plain.bytesRead).toBe(4 * 3200);
    expect(stored.bytesWritten - plain.bytesWritten).toBe(4 * 32);
    expect(stored.flops - plain.flops).toBe(2 * 3200);
    // Regenerated: no coordinate written, none read back by a scaling pass; the norms redraw.
    expect(redrawn.bytesWritten).toBe(4 * (32 + 2 * 32 + 32));
    expect(redrawn.bytesRead).toBe(4 * (1 + 32 + REDRAWN_COORDINATE.words * 3200));
    expect(redrawn.flops - stored.flops).toBe(3200 * REDRAWN_COORDINATE.flops - 2 * 3200);
  });
});
