/**
 * The network's values alone through the jet engine, for the test-set passes (ballEvaluation.ts,
 * boxEvaluation.ts): one jet of order 1 per point whose tangent is zero (index −1), so the output
 * rows alternate the value u(x_p) and a zero coefficient.
 */
import type { ForwardJetConfig } from '../engine/forwardJet.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';

export function valueJetConfig(architecture: MlpArchitecture, points: number): ForwardJetConfig {
  return {
    architecture,
    shape: { points, directions: 1, order: 1, structure: 'standard' },
    tangentKind: 'oneHot',
    // Nothing differentiates a test pass: three layer buffers instead of two per layer.
    layerStorage: 'reused',
  };
}

/** u at the first `count` points from the rows of a valueJetConfig pass. */
export function valuesOfRows(rows: ArrayLike<number>, count: number): Float64Array {
  return Float64Array.from({ length: count }, (_, p) => rows[2 * p]);
}
