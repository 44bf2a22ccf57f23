/**
 * The STDE operators through the GPU engine: the same jets as on the float64 reference, compared
 * number by number, for the constructions whose f32 behaviour matters (the collapsed exact
 * Laplacian = Forward Laplacian, the exact biharmonic, a sparse estimate, the gPINN ∂_jΔu 7-jets
 * and the KdV partials).
 */
import { describe, expect, it } from 'vitest';
import { GpuJetEngine } from '../../src/engine/gpuJetEngine.ts';
import { ReferenceJetEngine } from '../../src/engine/referenceEngine.ts';
import { initParameters, type MlpArchitecture } from '../../src/jet/mlp.ts';
import { operatorBatch } from '../../src/operators/batch.ts';
import { biharmonicOperator } from '../../src/operators/biharmonic.ts';
import { kdv2dOperator } from '../../src/operators/kdv2d.ts';
import { laplacianOperator } from '../../src/operators/laplacian.ts';
import { laplacianGradientOperator } from '../../src/operators/laplacianGradient.ts';
import type { JetOperator } from '../../src/operators/operator.ts';
import type { ChannelStructure } from '../../src/engine/jetLayout.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

function pointsInBall(n: number, d: number): Float32Array {
  return Float32Array.from(
    { length: n * d },
    (_, i) => (0.8 / Math.sqrt(d)) * Math.sin(2.1 * i + 1),
  );
}

/** Both engines on the same f32 weights; every quantity of the operator at every point. */
async function compare(
  operator: JetOperator,
  arch: MlpArchitecture,
  structure: ChannelStructure,
  relTol: number,
): Promise<void> {
  const gpuEngine = await GpuJetEngine.create(gpu.device, arch, initParameters(arch, 3));
  const reference = new ReferenceJetEngine(arch, await gpuEngine.getParameters());
  const batch = operatorBatch(
    operator,
    pointsInBall(5, operator.dimension),
    { seed: 9, step: 4 },
    structure,
  );
  const ours = operator.evaluate(await gpuEngine.forward(batch), batch.shape);
  const exact = operator.evaluate(await reference.forward(batch), batch.shape);
  for (const [name, values] of Object.entries(exact)) {
    const scale = Math.max(...values.map(Math.abs));
    values.forEach((value, p) => {
      const error = Math.abs(ours[name][p] - value);
      expect(error, `${operator.name}/${name} at point ${p}`).toBeLessThanOrEqual(relTol * scale);
    });
  }
  gpuEngine.dispose();
}

describe('operators on the GPU against the float64 reference', () => {
  const ball: MlpArchitecture = { widths: [6, 16, 16, 1], activation: 'tanh', boundary: 'ball' };

  it('exact Laplacian, collapsed (Forward Laplacian) and standard', async () => {
    const operator = laplacianOperator({ dimension: 6, method: 'exact' });
    await compare(operator, ball, 'collapsed', 1e-4);
    await compare(operator, ball, 'standard', 1e-4);
  });

  it('sparse STDE Laplacian, B = 3 of d = 6, collapsed', async () => {
    await compare(
      laplacianOperator({ dimension: 6, method: 'sparse', samples: 3 }),
      ball,
      'collapsed',
      1e-4,
    );
  });

  it('exact biharmonic at d = 3 and 4 (4-jets, ball² factor)', async () => {
    for (const d of [3, 4]) {
      const arch: MlpArchitecture = {
        widths: [d, 16, 16, 1],
        activation: 'tanh',
        boundary: 'ball2',
      };
      // Polarized 4-jets subtract terms of similar size: a few 1e-4 of the largest is f32's reach.
      await compare(biharmonicOperator({ dimension: d, method: 'exact' }), arch, 'standard', 5e-4);
    }
  });

  it('∂_jΔu from 7-jets v_2 = 2e_i, v_3 = 6e_j (B = 3 of d = 6), standard and collapsed', async () => {
    // Nothing cancels in this construction: SwiftShader stays within 1e-6 of each quantity's
    // largest value (u itself errs by ~6e-7 relative); 1e-5 leaves room for other GPUs.
    const operator = laplacianGradientOperator({ dimension: 6, samples: 3 });
    await compare(operator, ball, 'standard', 1e-5);
    await compare(operator, ball, 'collapsed', 1e-5);
  });

  it('2-D KdV partials from paired 5-jets', async () => {
    const arch: MlpArchitecture = { widths: [3, 16, 16, 1], activation: 'sin', boundary: 'none' };
    await compare(kdv2dOperator(), arch, 'standard', 1e-3);
  });
});
