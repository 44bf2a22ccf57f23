import { describe, expect, it } from 'vitest';
import { ReferenceJetEngine } from '../../src/engine/referenceEngine.ts';
import { initParameters, type MlpArchitecture } from '../../src/jet/mlp.ts';
import { describeJetEngineContract } from '../shared/jetEngineContract.ts';

describeJetEngineContract(
  'float64 reference',
  (arch, seed) => Promise.resolve(new ReferenceJetEngine(arch, initParameters(arch, seed))),
  { relTol: 1e-12, gradTol: 1e-7, fdStep: 1e-5 },
);

describe('the float64 reference with float64 tangents', () => {
  // u(x) = a·x + c (identity activation): the output coefficients are u_k = a·c_k.
  const arch: MlpArchitecture = { widths: [2, 1], activation: 'identity', boundary: 'none' };
  const a = [1 / 3, -2 / 7];
  const engine = new ReferenceJetEngine(arch, {
    layers: [{ weight: Float64Array.from(a), bias: Float64Array.of(0.1) }],
  });
  const shape = { points: 1, directions: 1, order: 3, structure: 'standard' } as const;
  const x = Float64Array.of(0.3, -0.2);

  it('takes dense float64 coefficients without rounding them to float32', async () => {
    const c = [0.1 / 3, 0.7, 0.2 / 3, -1 / 9, 1 / 6, 1 / 7];
    const out = await engine.forward({
      shape,
      dim: 2,
      x,
      tangents: { kind: 'dense', values: Float64Array.from(c) },
    });
    for (let k = 1; k <= 3; k++) {
      const expected = a[0] * c[2 * (k - 1)] + a[1] * c[2 * (k - 1) + 1];
      expect(Math.abs(out[k] - expected)).toBeLessThan(1e-16);
    }
  });

  it('takes one-hot float64 coefficients without rounding them to float32', async () => {
    const coefficient = Float64Array.of(0.1 / 3, 0, 1 / 6);
    const out = await engine.forward({
      shape,
      dim: 2,
      x,
      tangents: { kind: 'oneHot', index: Int32Array.of(1, -1, 0), coefficient },
    });
    expect(Math.abs(out[1] - a[1] * coefficient[0])).toBeLessThan(1e-17);
    expect(out[2]).toBe(0);
    expect(Math.abs(out[3] - a[0] * coefficient[2])).toBeLessThan(1e-17);
  });
});
