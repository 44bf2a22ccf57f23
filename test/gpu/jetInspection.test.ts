import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import {
  inspectionPoint,
  JetInspection,
  referenceInspection,
  relativeDeviations,
} from '../../src/train/jetInspection.ts';
import type { TrainingOptions } from '../../src/train/options.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { smallRunOptions } from '../shared/smallRuns.ts';

/**
 * The jet inspector's GPU numbers, every layer of them, against src/jet's float64 referenceForwardJet on
 * the trainer's weights read back to the CPU. Tolerance: f32 through a few layers of width 16,
 * 5e-6 of each layer's largest value (measured ≤ 3e-7 on SwiftShader).
 */

let gpu: GpuContext;
useNodeGpu((context) => (gpu = context));

const TOLERANCE = 5e-6;

async function trainer(overrides: Partial<TrainingOptions>): Promise<Trainer> {
  const created = await Trainer.create(
    gpu.device,
    smallRunOptions({
      jetsPerPoint: 2,
      points: 16,
      depth: 3,
      steps: 100,
      seed: 3,
      testPoints: 50,
      ...overrides,
    }),
  );
  await created.train(5);
  return created;
}

describe('jet inspection', () => {
  it('every layer of a 2-jet along e_i matches the float64 reference (ball, boundary factor)', async () => {
    const run = await trainer({});
    const d = run.options.dimension;
    const point = inspectionPoint(run.options, 0.6);
    const tangent = new Float64Array(d);
    tangent[4] = 1;
    const input = { point, tangents: [tangent, null] };
    const inspection = await JetInspection.create(run, 2);
    const gpuJet = await inspection.inspect(input);
    const reference = referenceInspection(run.architecture, await run.parameters(), input);

    expect(gpuJet.layers.map((l) => l.width)).toEqual([16, 16, 16, 1]);
    expect(gpuJet.layers.map((l) => l.activation === null)).toEqual([false, false, false, true]);
    const deviations = relativeDeviations(gpuJet, reference);
    expect(deviations).toHaveLength(5);
    for (const deviation of deviations) expect(deviation).toBeLessThanOrEqual(TOLERANCE);
    // The boundary factor 1 − ‖x + t e_4‖² = (1 − r²) − 2x_4 t − t².
    expect(gpuJet.boundary).not.toBeNull();
    const b = gpuJet.boundary ?? new Float64Array(0);
    expect(b[0]).toBeCloseTo(1 - 0.36, 6);
    expect(b[1]).toBeCloseTo(-2 * point[4], 6);
    expect(b[2]).toBeCloseTo(-1, 6);
    // J_k = k!·u_k, the numbers the inspector reads the operator from.
    for (let k = 0; k <= 2; k++) {
      const scale = Math.max(...reference.derivatives.map(Math.abs));
      expect(Math.abs(gpuJet.derivatives[k] - reference.derivatives[k])).toBeLessThanOrEqual(
        TOLERANCE * scale,
      );
    }
    expect(gpuJet.derivatives[2]).toBeCloseTo(2 * gpuJet.output[2], 12);

    // The inspection follows the parameters as training changes them.
    await run.train(3);
    const later = await inspection.inspect(input);
    expect(later.output[0]).not.toBe(gpuJet.output[0]);
    inspection.destroy();
    run.dispose();
  });

  it('a dense 4-jet with a second tangent on a parabolic network (no boundary factor)', async () => {
    const run = await trainer({ pde: 'semilinear-heat', dimension: 5, activation: 'sin' });
    const point = inspectionPoint(run.options, 0.3);
    expect(point).toHaveLength(6);
    expect(point[5]).toBe(0);
    const v1 = Float64Array.from([0.5, -1, 0.25, 1, -0.75, 0]);
    const v2 = Float64Array.from([0, 0, 0, 0, 0, 0.2]);
    const input = { point, tangents: [v1, v2, null, null] };
    const inspection = await JetInspection.create(run, 4);
    const gpuJet = await inspection.inspect(input);
    const reference = referenceInspection(run.architecture, await run.parameters(), input);
    expect(gpuJet.boundary).toBeNull();
    for (const deviation of relativeDeviations(gpuJet, reference)) {
      expect(deviation).toBeLessThanOrEqual(TOLERANCE);
    }
    await expect(inspection.inspect({ point, tangents: [v1, v2] })).rejects.toThrow(/order 4/);
    inspection.destroy();
    run.dispose();
  });
});
