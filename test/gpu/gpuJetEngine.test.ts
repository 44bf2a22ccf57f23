import { describe, expect, it } from 'vitest';
import { GpuJetEngine } from '../../src/engine/gpuJetEngine.ts';
import type { JetBatch } from '../../src/engine/jetEngine.ts';
import type { ChannelStructure } from '../../src/engine/jetLayout.ts';
import { ReferenceJetEngine } from '../../src/engine/referenceEngine.ts';
import { initParameters, type MlpArchitecture } from '../../src/jet/mlp.ts';
import { describeJetEngineContract } from '../shared/jetEngineContract.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

// float32 on the GPU: values to ~1e-5 of their scale; the gradient check differentiates the
// float32 forward pass numerically, so its step and tolerance are those of f32 differences.
describeJetEngineContract(
  'GPU (WGSL kernels on Dawn)',
  (arch, seed) => GpuJetEngine.create(gpu.device, arch, initParameters(arch, seed)),
  { relTol: 2e-5, gradTol: 2e-2, fdStep: 1e-2 },
);

describe('GPU engine against the float64 reference engine', () => {
  const arch: MlpArchitecture = {
    widths: [5, 12, 9, 1],
    activation: 'softplus',
    boundary: 'ball2',
  };
  const N = 4;
  const R = 3;
  const K = 3;

  function batch(structure: ChannelStructure): JetBatch {
    const x = Float32Array.from({ length: N * 5 }, (_, i) => 0.4 * Math.sin(1.3 * i + 0.2));
    const values = Float32Array.from({ length: N * R * K * 5 }, (_, i) => Math.cos(0.7 * i));
    return {
      shape: { points: N, directions: R, order: K, structure },
      dim: 5,
      x,
      tangents: { kind: 'dense', values },
    };
  }

  it.each(['standard', 'collapsed'] as const)(
    '%s: forward coefficients and gradients agree to f32 accuracy',
    async (structure) => {
      const params = initParameters(arch, 21);
      const gpuEngine = await GpuJetEngine.create(gpu.device, arch, params);
      // The reference runs on the same float32-rounded weights the GPU holds.
      const reference = new ReferenceJetEngine(arch, await gpuEngine.getParameters());
      const b = batch(structure);
      const [ours, exact] = [await gpuEngine.forward(b), await reference.forward(b)];
      const scale = Math.max(...exact.map(Math.abs));
      exact.forEach((value, i) =>
        expect(Math.abs(ours[i] - value)).toBeLessThanOrEqual(2e-5 * scale),
      );

      const cotangent = Float64Array.from(exact, (_, i) => Math.sin(i + 0.5));
      const [g, gRef] = [
        await gpuEngine.gradient(b, cotangent),
        await reference.gradient(b, cotangent),
      ];
      gRef.layers.forEach((layer, l) => {
        for (const key of ['weight', 'bias'] as const) {
          const refValues = layer[key];
          const layerScale = Math.max(...refValues.map(Math.abs));
          refValues.forEach((value, i) =>
            expect(Math.abs(g.layers[l][key][i] - value)).toBeLessThanOrEqual(
              2e-5 * layerScale + 1e-7,
            ),
          );
        }
      });
      gpuEngine.dispose();
    },
  );
});
