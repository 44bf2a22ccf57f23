/**
 * ∂_j f of the two-body ball problems on the GPU (src/pdes/gpuSourceGradient.ts) against the
 * float64 closed form (ballSourceGradient, itself checked against float64 jets in
 * test/unit/pdes/ballSourceGradient.test.ts), j per point from a one-hot index buffer with a
 * stride and offset as the trainer's jets lay them out. Tolerance: 1e-6 of the largest |∂_j f| of
 * the batch (f32 sums of d terms and sinCos to a few ulp; measured ≤ 1.6e-7).
 */
import { describe, expect, it } from 'vitest';
import { GpuMemory, readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { ballSourceGradient } from '../../src/pdes/ballProblem.ts';
import { uploadCoefficients } from '../../src/pdes/gpuExact.ts';
import { TwoBodySourceGradientKernel } from '../../src/pdes/gpuSourceGradient.ts';
import { findPde } from '../../src/pdes/index.ts';
import { sampleBall } from '../../src/random/pointSamplers.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

describe.each(['allen-cahn-two-body', 'sine-gordon-two-body', 'poisson-two-body'])(
  '∂_j f on the GPU: %s',
  (id) => {
    it.each([5, 70])('d = %i, j from the jets: the float64 closed form', async (d) => {
      const pde = findPde(id);
      if (pde.domain !== 'ball') throw new Error('a ball problem');
      const count = 40;
      const x = sampleBall(d, 'volume-uniform', count, { seed: 3, step: 0 });
      const c = pde.coefficients(d, 1);
      const random = new SeededRandom(9);
      const [stride, offset] = [7, 2];
      const index = new Int32Array(count * stride).fill(-1);
      const js = Array.from({ length: count }, (_, p) => {
        const j = p < 2 ? [0, d - 1][p] : Math.floor(random.uniform() * d);
        index[p * stride + offset] = j;
        return j;
      });
      const memory = new GpuMemory(gpu.device);
      const kernel = await TwoBodySourceGradientKernel.create(gpu.device, pde.nonlinearity.id);
      const output = memory.create('∂_j f', count * 4);
      const dispatch = kernel.prepare(
        memory,
        { points: memory.createFrom('points', x), count, dim: d },
        uploadCoefficients(memory, c),
        { index: memory.createFrom('jet index', index), stride, offset },
        output,
      );
      const encoder = gpu.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      kernel.encode(pass, dispatch);
      pass.end();
      gpu.device.queue.submit([encoder.finish()]);
      const got = await readFloat32(gpu.device, output, count);
      memory.destroyAll();
      const expected = js.map((j, p) =>
        ballSourceGradient(pde.solution, pde.nonlinearity, x.subarray(p * d, (p + 1) * d), c, j),
      );
      const scale = Math.max(...expected.map(Math.abs));
      const worst = Math.max(...expected.map((e, p) => Math.abs(got[p] - e)));
      console.log(
        `${id} d=${d}: worst |gpu − float64| = ${(worst / scale).toExponential(2)} of max`,
      );
      expect(worst).toBeLessThanOrEqual(1e-6 * scale);
    });
  },
);
