/**
 * The page's views against what they allocate (src/ui/viewPlans.ts), like the training plan
 * against the trainer (trainingPlans.test.ts): each view adds exactly its planned bytes and
 * buffers to the run's GpuMemory and gives them back when destroyed, and the page's estimate
 * (src/ui/memoryEstimate.ts) is then exactly what the memory holds, with no view drawn, some,
 * or all of them.
 */
import { describe, expect, it } from 'vitest';
import { plannedBytes } from '../../src/gpu/bufferPlan.ts';
import { CollocationResidual, FieldSlice, planFieldSlice } from '../../src/train/fieldSlice.ts';
import { JetInspection } from '../../src/train/jetInspection.ts';
import { operatorFor } from '../../src/train/operatorFor.ts';
import { pdeOf, type TrainingOptions } from '../../src/train/options.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { trainingLimitsOf } from '../../src/train/trainingPlan.ts';
import { estimatePageMemory, heldBytes } from '../../src/ui/memoryEstimate.ts';
import { FIELD_RESOLUTION, planViews, type ViewName } from '../../src/ui/viewPlans.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { smallRunOptions } from '../shared/smallRuns.ts';

const gpu = useNodeGpu();

/** Builds the named view on `trainer` the way the page does; returns its destroy. */
async function buildView(trainer: Trainer, name: ViewName): Promise<() => void> {
  switch (name) {
    case 'field slice': {
      const slice = await FieldSlice.create(trainer, { i: 0, j: 1, resolution: FIELD_RESOLUTION });
      await slice.evaluate();
      return () => slice.destroy();
    }
    case 'residual view': {
      const view = await CollocationResidual.create(trainer);
      await view.evaluate(1);
      return () => view.destroy();
    }
    case 'jet inspector': {
      // The page inspects jets of its operator's order (2; 7 for the gPINN's ∂_jΔu).
      const { options } = trainer;
      const order = operatorFor(pdeOf(options), options, options.jetsPerPoint).order;
      const inspection = await JetInspection.create(trainer, order);
      return () => inspection.destroy();
    }
  }
}

/** The run's memory after its first step (when the reduction chains exist, as on the page). */
async function trainedOnce(options: TrainingOptions): Promise<Trainer> {
  const trainer = await Trainer.create(gpu.device, options);
  await trainer.train(1);
  return trainer;
}

const RUNS: Record<string, TrainingOptions> = {
  'ball (Allen–Cahn, d = 6)': smallRunOptions({ steps: 10, testPoints: 100 }),
  'ball gPINN (the inspector pushes 7-jets of ∂_jΔu)': smallRunOptions({
    steps: 10,
    testPoints: 100,
    gpinnWeight: 0.1,
  }),
  'parabolic (the inspector alone)': smallRunOptions({
    pde: 'semilinear-heat',
    steps: 10,
    testPoints: 100,
  }),
};

describe("the views' plans are what the views allocate", () => {
  for (const [name, options] of Object.entries(RUNS)) {
    it(`${name}: each view, and the page's estimate with every view drawn`, async () => {
      const trainer = await trainedOnce(options);
      try {
        const limits = trainingLimitsOf(gpu.device.limits);
        const { views, failures } = planViews(options, limits);
        expect(failures).toEqual([]);
        const estimate = estimatePageMemory(options, {
          ...limits,
          maxBufferSize: gpu.device.limits.maxBufferSize,
        });
        expect(estimate.run.totalBytes).toBe(trainer.memoryBytes);
        const drawn: ViewName[] = [];
        const destroys: (() => void)[] = [];
        for (const view of views) {
          const before = { bytes: trainer.memoryBytes, count: trainer.memory.count };
          destroys.push(await buildView(trainer, view.name));
          drawn.push(view.name);
          expect(trainer.memoryBytes - before.bytes, view.name).toBe(view.bytes);
          expect(trainer.memory.count - before.count, view.name).toBe(view.buffers.length);
          expect(heldBytes(estimate, drawn)).toBe(trainer.memoryBytes);
        }
        const expected = pdeOf(options).domain === 'ball' ? 3 : 1;
        expect(views.map((v) => v.name)).toHaveLength(expected);
        expect(estimate.totalBytes).toBe(trainer.memoryBytes);
        for (const destroy of destroys) destroy();
        expect(trainer.memoryBytes).toBe(estimate.run.totalBytes);
      } finally {
        trainer.dispose();
      }
    });
  }

  it('a slice in batches holds its planned batch of points, not the whole grid', async () => {
    const options = smallRunOptions({ steps: 10, testPoints: 100 });
    const pde = pdeOf(options);
    if (pde.domain !== 'ball') throw new Error('a ball problem was asked for');
    const trainer = await trainedOnce(options);
    try {
      const d = options.dimension;
      // 100 points per batch: the 1 804 cells of the 48 × 48 grid go through in 19 batches.
      const batchBytes = 100 * d * 4;
      const plan = planFieldSlice(
        pde,
        trainer.architecture,
        FIELD_RESOLUTION,
        gpu.device.limits,
        batchBytes,
      );
      expect(plan.batch).toBe(100);
      expect(plan.named.points.bytes).toBe(100 * d * 4);
      const before = { bytes: trainer.memoryBytes, count: trainer.memory.count };
      const slice = await FieldSlice.create(
        trainer,
        { i: 0, j: 1, resolution: FIELD_RESOLUTION },
        batchBytes,
      );
      expect(trainer.memoryBytes - before.bytes).toBe(plannedBytes(plan.buffers));
      expect(trainer.memory.count - before.count).toBe(plan.buffers.length);
      slice.destroy();
      expect(trainer.memoryBytes).toBe(before.bytes);
    } finally {
      trainer.dispose();
    }
  });
});
