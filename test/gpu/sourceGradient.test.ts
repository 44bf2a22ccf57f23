/**
 * ∂_j f of the two-body ball problems on the GPU (src/pdes/gpuSourceGradient.ts) against the
 * float64 closed form (ballSourceGradient, itself checked against float64 jets in
 * test/unit/pdes/ballSourceGradient.test.ts), j per point from a one-hot index buffer with a
 * stride and offset as the trainer's jets lay them out, its O(d) sums read from the exact-source
 * kernel's run over the same points (one block, and d = 70 forced into blocks of 16). Tolerance:
 * 1e-6 of the largest |∂_j f| of the batch (f32 sums of d terms and sinCos to a few ulp; measured
 * ≤ 1.6e-7).
 */
import { describe, expect, it } from 'vitest';
import { GpuMemory, readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { ballSourceGradient } from '../../src/pdes/ballProblem.ts';
import { BallExactKernel, EXACT_BLOCK, uploadCoefficients } from '../../src/pdes/gpuExact.ts';
import { TwoBodySourceGradientKernel } from '../../src/pdes/gpuSourceGradient.ts';
import { findPde } from '../../src/pdes/index.ts';
import { sampleBall } from '../../src/random/pointSamplers.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

describe.each(['allen-cahn-two-body', 'sine-gordon-two-body', 'poisson-two-body'])(
  '∂_j f on the GPU: %s',
  (id) => {
    it.each([
      [5, EXACT_BLOCK],
      [70, EXACT_BLOCK],
      [70, 16],
    ])('d = %i in blocks of %i, j from the jets: the float64 closed form', async (d, block) => {
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
      const exactKernel = await BallExactKernel.create(
        gpu.device,
        pde.solution.id,
        pde.nonlinearity.id,
      );
      const kernel = await TwoBodySourceGradientKernel.create(gpu.device, pde.nonlinearity.id);
      const batch = { points: memory.createFrom('points', x), count, dim: d };
      const coefficients = uploadCoefficients(memory, c);
      const exact = exactKernel.prepare(
        memory,
        batch,
        coefficients,
        {
          exact: memory.create('u*', count * 4),
          source: memory.create('f', count * 4),
          partials: memory.create('partials', exactKernel.plan(count, d, block).partialsBytes),
        },
        block,
      );
      expect(exact.sums.blocks).toBe(Math.ceil(d / block));
      const output = memory.create('∂_j f', count * 4);
      const dispatch = kernel.prepare(
        memory,
        batch,
        coefficients,
        { index: memory.createFrom('jet index', index), stride, offset },
        exact.sums,
        output,
      );
      const encoder = gpu.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      exactKernel.encode(pass, exact);
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
        `${id} d=${d} blocks of ${block}: worst |gpu − float64| = ${(worst / scale).toExponential(2)} of max`,
      );
      expect(worst).toBeLessThanOrEqual(1e-6 * scale);
    });
  },
);

describe('∂_j f reads sums of its own points only', () => {
  it('refuses the sums of another solution or of another number of points', async () => {
    const memory = new GpuMemory(gpu.device);
    const kernel = await TwoBodySourceGradientKernel.create(gpu.device, 'allen-cahn');
    const d = 4;
    const batch = { points: memory.create('points', 3 * d * 4), count: 3, dim: d };
    const slot = { index: memory.create('jet index', 12), stride: 1, offset: 0 };
    const output = memory.create('∂_j f', 12);
    const buffer = memory.create('partials', 3 * 3 * 16);
    for (const sums of [
      { buffer, solution: 'three-body' as const, count: 3, blocks: 1 },
      { buffer, solution: 'two-body' as const, count: 2, blocks: 1 },
    ]) {
      expect(() => kernel.prepare(memory, batch, buffer, slot, sums, output)).toThrow(
        /reads the two-body sums of its 3 points/,
      );
    }
    memory.destroyAll();
  });
});
