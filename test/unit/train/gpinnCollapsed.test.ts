/**
 * The gPINN residuals read from collapsed rows (one summed J_7 row per point) equal those read
 * from standard rows of the same jets (float64 reference engine, d = 6, B = 2 and B = d): the
 * collapsed top row already holds Σ_r J_7[r], so its weight is the operator's scale once, not once
 * per jet. Tolerance 1e-12 relative (float64 sums in another order).
 */
import { describe, expect, it } from 'vitest';
import { ReferenceJetEngine } from '../../../src/engine/referenceEngine.ts';
import { initParameters } from '../../../src/jet/mlp.ts';
import {
  gradientCoordinates,
  laplacianGradientOperator,
} from '../../../src/operators/laplacianGradient.ts';
import { findPde } from '../../../src/pdes/index.ts';
import { sampleBall } from '../../../src/random/pointSamplers.ts';
import { gpinnResiduals, gpinnRowWeights, gpinnSources } from '../../../src/train/gpinnResidual.ts';
import { maxAbs, maxDifference } from '../../shared/arrayComparisons.ts';

describe('gPINN row weights, collapsed vs standard', () => {
  it.each([2, 6])('d = 6, B = %i: the same r and ∂_j r', async (B) => {
    const d = 6;
    const N = 5;
    const pde = findPde('allen-cahn-two-body');
    if (pde.domain !== 'ball') throw new Error('a ball problem');
    const architecture = {
      widths: [d, 8, 8, 1],
      activation: 'tanh' as const,
      boundary: pde.boundary,
    };
    const engine = new ReferenceJetEngine(architecture, initParameters(architecture, 1, 4));
    const operator = laplacianGradientOperator({ dimension: d, samples: B });
    const x = sampleBall(d, 'radius-uniform', N, { seed: 1, step: 0 });
    const tangents = operator.tangents(N, { seed: 2, step: 0 });
    const sources = gpinnSources(
      pde,
      x,
      pde.coefficients(d, 0),
      gradientCoordinates(tangents, N, B),
    );
    const read = async (structure: 'standard' | 'collapsed') => {
      const rows = await engine.forward({
        shape: operator.shape(N, structure),
        dim: d,
        x,
        tangents,
      });
      return gpinnResiduals(pde.nonlinearity, gpinnRowWeights(d, B, 1, structure), rows, sources);
    };
    const standard = await read('standard');
    const collapsed = await read('collapsed');
    expect(maxDifference(collapsed.r[0], standard.r[0])).toBeLessThanOrEqual(
      1e-12 * maxAbs(standard.r[0]),
    );
    expect(maxDifference(collapsed.rJ[0], standard.rJ[0])).toBeLessThanOrEqual(
      1e-12 * maxAbs(standard.rJ[0]),
    );
  });

  it('a range of jets cannot be read from a collapsed top row', () => {
    expect(() => gpinnRowWeights(6, 2, 2, 'collapsed')).toThrow(/cannot be collapsed/);
  });
});
