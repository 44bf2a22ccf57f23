/**
 * ForwardJet's 'reused' layer storage (one z buffer and two alternating σ(z) buffers, for
 * forward-only losses) computes the same output jets as the default storage, bit for bit: the
 * kernels and their order are the same, only the buffers the hidden layers write are shared.
 * Four hidden layers make the alternation wrap around twice.
 */
import { describe, expect, it } from 'vitest';
import { ForwardJet } from '../../src/engine/forwardJet.ts';
import { type JetShape, packParameters } from '../../src/engine/jetLayout.ts';
import type { GpuMemory } from '../../src/gpu/gpuMemory.ts';
import { initParameters, type MlpArchitecture } from '../../src/jet/mlp.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

let memory: GpuMemory;
useNodeGpu((_gpu, b) => {
  memory = b;
});

describe('ForwardJet layer storage', () => {
  it('reused storage gives the stored storage output bit for bit, in fewer bytes', async () => {
    const architecture: MlpArchitecture = {
      widths: [5, 12, 9, 12, 7, 1],
      activation: 'tanh',
      boundary: 'ball',
    };
    const shape: JetShape = { points: 9, directions: 3, order: 2, structure: 'collapsed' };
    const random = new SeededRandom(2);
    const x = new Float32Array(9 * 5).map(() => random.uniformIn(-0.4, 0.4));
    const index = new Int32Array(9 * 3 * 2).map(() => Math.floor(random.uniform() * 5));
    const coefficient = new Float32Array(9 * 3 * 2).map(() => random.uniformIn(-1, 1));
    const params = memory.createFrom(
      'θ',
      packParameters(architecture.widths, initParameters(architecture, 4)),
    );
    const outputs: Float32Array[] = [];
    const bytes: number[] = [];
    for (const layerStorage of ['stored', 'reused'] as const) {
      const before = memory.bytesInUse;
      const jet = await ForwardJet.create(
        memory,
        { architecture, shape, tangentKind: 'oneHot', layerStorage },
        params,
      );
      bytes.push(memory.bytesInUse - before);
      outputs.push(await jet.run(x, { kind: 'oneHot', index, coefficient }));
      jet.destroy();
      expect(memory.bytesInUse).toBe(before);
    }
    expect(outputs[1]).toEqual(outputs[0]);
    expect(outputs[0].some((u) => u !== 0)).toBe(true);
    expect(bytes[1]).toBeLessThan(bytes[0]);
    memory.destroy(params);
  });
});
