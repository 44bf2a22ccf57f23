import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferenceJetEngine } from '../../src/engine/referenceEngine.ts';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';
import { FieldSlice, insideCells, slicePoints } from '../../src/train/fieldSlice.ts';
import { pdeOf, resolveTrainingOptions } from '../../src/train/options.ts';
import { Trainer } from '../../src/train/trainer.ts';

let gpu: GpuContext;
beforeAll(async () => {
  gpu = await acquireNodeGpu();
});
afterAll(() => gpu?.destroy());

describe('field slice', () => {
  it('u_θ matches the reference engine and u* the float64 solution on the grid', async () => {
    const options = resolveTrainingOptions({
      pde: 'allen-cahn-two-body',
      dimension: 6,
      estimator: 'sparse',
      jetsPerPoint: 3,
      points: 32,
      width: 16,
      depth: 2,
      learningRate: 3e-3,
      schedule: 'constant',
      steps: 100,
      seed: 7,
      logEvery: 10,
      evalEvery: 0,
      testPoints: 100,
    });
    const trainer = await Trainer.create(gpu.device, options);
    await trainer.train(20);
    const sliceOptions = { i: 1, j: 4, resolution: 24 };
    const bytesBefore = trainer.memory.bytesInUse;
    const slice = await FieldSlice.create(trainer, sliceOptions);
    const field = await slice.evaluate();

    const d = options.dimension;
    const inside = insideCells(sliceOptions.resolution);
    expect(field.inside).toEqual(inside);
    const points = slicePoints(d, sliceOptions);
    const count = points.length / d;
    expect(count).toBe(inside.reduce((s, v) => s + v, 0));

    const reference = new ReferenceJetEngine(trainer.architecture, await trainer.parameters());
    const rows = await reference.forward({
      shape: { points: count, directions: 1, order: 1, structure: 'standard' },
      dim: d,
      x: points,
      tangents: {
        kind: 'oneHot',
        index: new Int32Array(count).fill(-1),
        coefficient: new Float32Array(count),
      },
    });
    const pde = pdeOf(options);
    if (pde.domain !== 'ball') throw new Error('a ball problem was asked for');
    const c = pde.coefficients(d, options.seed);
    const u: number[] = [];
    const exact: number[] = [];
    let p = 0;
    inside.forEach((isInside, cell) => {
      if (!isInside) {
        expect(field.u[cell]).toBeNaN();
        expect(field.exact[cell]).toBeNaN();
        return;
      }
      u.push(field.u[cell] - rows[2 * p]);
      exact.push(
        field.exact[cell] - pde.solution.evaluate(points.subarray(p * d, (p + 1) * d), c).u,
      );
      p++;
    });
    const maxU = Math.max(...Array.from({ length: count }, (_, q) => Math.abs(rows[2 * q])));
    const maxExact = Math.max(
      ...Array.from({ length: count }, (_, q) =>
        Math.abs(pde.solution.evaluate(points.subarray(q * d, (q + 1) * d), c).u),
      ),
    );
    expect(maxU).toBeGreaterThan(0);
    expect(Math.max(...u.map(Math.abs))).toBeLessThanOrEqual(1e-5 * maxU);
    expect(Math.max(...exact.map(Math.abs))).toBeLessThanOrEqual(1e-5 * maxExact);

    // The slice reads the parameters as they are: after more training it follows them.
    await trainer.train(5);
    const later = await slice.evaluate();
    expect(later.u.some((v, cell) => inside[cell] === 1 && v !== field.u[cell])).toBe(true);

    slice.destroy();
    expect(trainer.memory.bytesInUse).toBe(bytesBefore);
    trainer.dispose();
  });

  it('refuses coordinates that are not two different ones below d', async () => {
    const trainer = await Trainer.create(
      gpu.device,
      resolveTrainingOptions({
        pde: 'allen-cahn-two-body',
        dimension: 4,
        jetsPerPoint: 2,
        width: 8,
        depth: 1,
        points: 8,
        testPoints: 10,
      }),
    );
    await expect(FieldSlice.create(trainer, { i: 1, j: 1, resolution: 8 })).rejects.toThrow(
      /two different/,
    );
    await expect(FieldSlice.create(trainer, { i: 0, j: 4, resolution: 8 })).rejects.toThrow(
      /0\.\.3/,
    );
    trainer.dispose();
  });
});
