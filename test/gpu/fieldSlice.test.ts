import { describe, expect, it } from 'vitest';
import { rowOf } from '../../src/engine/jetLayout.ts';
import { ReferenceJetEngine } from '../../src/engine/referenceEngine.ts';
import { plannedBytes } from '../../src/gpu/bufferPlan.ts';
import { readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { ballSource } from '../../src/pdes/ballProblem.ts';
import type { BallPdeEntry } from '../../src/pdes/index.ts';
import { GpuPointSamplers } from '../../src/random/gpuPointSamplers.ts';
import { sampleBall } from '../../src/random/pointSamplers.ts';
import { GpuStepCounter } from '../../src/random/stepCounter.ts';
import { ExactResidual } from '../../src/train/exactResidual.ts';
import {
  CollocationResidual,
  FieldSlice,
  insideCells,
  planCollocationResidual,
  planFieldSlice,
  slicePoints,
} from '../../src/train/fieldSlice.ts';
import { pdeOf, resolveTrainingOptions } from '../../src/train/options.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { smallRunOptions, tinyProblemOptions } from '../shared/smallRuns.ts';

const gpu = useNodeGpu();

/** The ball draw of `trainer`'s points at `step`, stored (N·d floats) as a training step's are. */
async function storedBallPoints(
  trainer: Trainer,
  step: number,
): Promise<{ points: GPUBuffer; destroy: () => void }> {
  const { dimension, sampler, points, seed } = trainer.options;
  const counter = new GpuStepCounter(trainer.memory, 'test step counter');
  counter.set(step);
  const samplers = await GpuPointSamplers.create(gpu.device, ['ball']);
  const draw = samplers.ball(trainer.memory, dimension, sampler, points, { seed }, counter.buffer);
  const encoder = gpu.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  draw.record(pass);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
  return {
    points: draw.points,
    destroy: () => {
      draw.destroy();
      counter.destroy();
    },
  };
}

/**
 * r = Δu_θ + N(u_θ) − f in float64 at `points`: Δu_θ from the CPU reference engine's order-2
 * jets along every coordinate axis (J₂ = 2·u₂ per axis, summed), f from the closed-form source.
 */
async function referenceResidual(
  trainer: Trainer,
  pde: BallPdeEntry,
  points: Float32Array,
): Promise<{ residual: Float64Array; scale: Float64Array }> {
  const d = trainer.options.dimension;
  const count = points.length / d;
  const shape = { points: count, directions: d, order: 2, structure: 'standard' } as const;
  const index = new Int32Array(count * d * 2);
  const coefficient = new Float32Array(count * d * 2);
  for (let p = 0; p < count; p++) {
    for (let r = 0; r < d; r++) {
      // Slot (p, r, k): the order-1 input tangent is e_r, the order-2 one is zero.
      index[(p * d + r) * 2] = r;
      coefficient[(p * d + r) * 2] = 1;
      index[(p * d + r) * 2 + 1] = -1;
    }
  }
  const engine = new ReferenceJetEngine(trainer.architecture, await trainer.parameters());
  const rows = await engine.forward({
    shape,
    dim: d,
    x: points,
    tangents: { kind: 'oneHot', index, coefficient },
  });
  const V = 1 + 2 * d;
  const c = pde.coefficients(d, trainer.options.seed);
  const residual = new Float64Array(count);
  const scale = new Float64Array(count);
  for (let p = 0; p < count; p++) {
    const u = rows[p * V];
    let laplacian = 0;
    for (let r = 0; r < d; r++) laplacian += 2 * rows[p * V + rowOf(shape, r, 2)];
    const { f } = ballSource(
      pde.solution,
      pde.nonlinearity,
      points.subarray(p * d, (p + 1) * d),
      c,
    );
    residual[p] = laplacian + pde.nonlinearity.value(u) - f;
    // The f32 rounding of each term is relative to the term: the scale of the sum's error.
    scale[p] = Math.abs(laplacian) + Math.abs(pde.nonlinearity.value(u)) + Math.abs(f);
  }
  return { residual, scale };
}

describe('field slice', () => {
  it('u_θ matches the reference engine and u* the float64 solution on the grid', async () => {
    const options = smallRunOptions({ steps: 100, testPoints: 100 });
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

    // The residual with the exact Laplacian against float64 jets of the same network.
    const expectedResidual = await referenceResidual(trainer, pde, points);
    const residualErrors: number[] = [];
    p = 0;
    inside.forEach((isInside, cell) => {
      if (!isInside) {
        expect(field.residual[cell]).toBeNaN();
        return;
      }
      residualErrors.push(
        Math.abs(field.residual[cell] - expectedResidual.residual[p]) / expectedResidual.scale[p],
      );
      p++;
    });
    expect(residualErrors).toHaveLength(count);
    expect(Math.max(...expectedResidual.residual.map(Math.abs))).toBeGreaterThan(1e-3);
    expect(Math.max(...residualErrors)).toBeLessThan(5e-6);

    // Chunked (a handful of points per forward pass): the same residuals, bit for bit.
    const x = trainer.memory.createFrom('test slice points', points);
    const chunked = await ExactResidual.create(trainer, pde, { buffer: x, count, label: 't' }, 60);
    expect(chunked.chunkSize).toBeLessThan(count / 10);
    const encoder = gpu.device.createCommandEncoder();
    chunked.encode(encoder);
    gpu.device.queue.submit([encoder.finish()]);
    const chunkedResidual = await readFloat32(gpu.device, chunked.residual, count);
    expect(Array.from(chunkedResidual)).toEqual(
      Array.from(field.residual).filter((_, cell) => inside[cell] === 1),
    );
    chunked.destroy();

    // A point's 6 directions in groups of 4 (rows 1 + 4 + 1 within a budget of 6; the second group
    // padded with two zero tangents): the summed estimates against the float64 jets, as above.
    const grouped = await ExactResidual.create(trainer, pde, { buffer: x, count, label: 't' }, 6);
    const groupEncoder = gpu.device.createCommandEncoder();
    grouped.encode(groupEncoder);
    gpu.device.queue.submit([groupEncoder.finish()]);
    const groupedResidual = await readFloat32(gpu.device, grouped.residual, count);
    expect(grouped.chunkSize).toBe(1);
    const groupedErrors = Array.from(
      groupedResidual,
      (r, q) => Math.abs(r - expectedResidual.residual[q]) / expectedResidual.scale[q],
    );
    expect(Math.max(...groupedErrors)).toBeLessThan(5e-6);
    grouped.destroy();
    trainer.memory.destroy(x);

    // In batches of 50 points (a short last one): the same grid, bit for bit.
    const batched = await FieldSlice.create(trainer, sliceOptions, 50 * d * 4);
    const inBatches = await batched.evaluate();
    expect(Array.from(inBatches.u)).toEqual(Array.from(field.u));
    expect(Array.from(inBatches.exact)).toEqual(Array.from(field.exact));
    expect(Array.from(inBatches.residual)).toEqual(Array.from(field.residual));
    batched.destroy();

    // Without its residual (the page's slice where the exact operator's jets do not fit): the
    // same u_θ and u*, bit for bit, r NaN, and the planned buffers alone.
    const held = trainer.memory.bytesInUse;
    const valuesOnly = await FieldSlice.create(trainer, { ...sliceOptions, residual: false });
    const valuesPlan = planFieldSlice(
      pde,
      trainer.architecture,
      sliceOptions.resolution,
      gpu.device.limits,
      undefined,
      false,
    );
    expect(trainer.memory.bytesInUse - held).toBe(plannedBytes(valuesPlan.buffers));
    const values = await valuesOnly.evaluate();
    expect(Array.from(values.u)).toEqual(Array.from(field.u));
    expect(Array.from(values.exact)).toEqual(Array.from(field.exact));
    expect(values.residual.every(Number.isNaN)).toBe(true);
    valuesOnly.destroy();

    // The slice reads the parameters as they are: after more training it follows them.
    await trainer.train(5);
    const later = await slice.evaluate();
    expect(later.u.some((v, cell) => inside[cell] === 1 && v !== field.u[cell])).toBe(true);

    slice.destroy();
    expect(trainer.memory.bytesInUse).toBe(bytesBefore);
    trainer.dispose();
  });

  it("the collocation residual view uses the step's own points and the exact residual", async () => {
    const options = resolveTrainingOptions({
      pde: 'sine-gordon-two-body',
      dimension: 5,
      estimator: 'sparse',
      jetsPerPoint: 2,
      points: 24,
      width: 12,
      depth: 2,
      steps: 100,
      seed: 11,
      logEvery: 10,
      evalEvery: 0,
      testPoints: 50,
    });
    const pde = pdeOf(options);
    if (pde.domain !== 'ball') throw new Error('a ball problem was asked for');
    const trainer = await Trainer.create(gpu.device, options);
    await trainer.train(7);
    const bytesBefore = trainer.memory.bytesInUse;
    const view = await CollocationResidual.create(trainer);
    const values = await view.evaluate(trainer.step);
    expect(values.step).toBe(7);

    // The trainer's step-7 points, stored by a draw of its own (the view holds none of them).
    const d = options.dimension;
    const count = options.points;
    const stored = await storedBallPoints(trainer, 7);
    const points = await readFloat32(gpu.device, stored.points, count * d);
    // The CPU mirror of the sampler at step 7: the GPU's normals differ by a few f32 ulp.
    const expected = sampleBall(d, options.sampler, count, { seed: 11, step: 7 });
    const pointErrors = Array.from(points, (v, k) => Math.abs(v - expected[k]));
    expect(Math.max(...pointErrors)).toBeLessThan(1e-5);
    for (let q = 0; q < count; q++) {
      const row = Array.from(points.subarray(q * d, (q + 1) * d));
      expect(values.radius[q]).toBeCloseTo(Math.hypot(...row), 6);
      expect(values.radius[q]).toBeLessThanOrEqual(1 + 1e-6);
    }
    const reference = await referenceResidual(trainer, pde, points);
    const errors = Array.from(
      values.residual,
      (r, q) => Math.abs(r - reference.residual[q]) / reference.scale[q],
    );
    expect(Math.max(...errors)).toBeLessThan(5e-6);
    // The exact residual over the stored points gives the same bits: the view's chunk points
    // are the stored ones.
    const copied = await ExactResidual.create(trainer, pde, {
      buffer: stored.points,
      count,
      label: 'stored',
    });
    const encoder = gpu.device.createCommandEncoder();
    copied.encode(encoder);
    gpu.device.queue.submit([encoder.finish()]);
    const fromStored = await readFloat32(gpu.device, copied.residual, count);
    expect(Array.from(values.residual)).toEqual(Array.from(fromStored));
    copied.destroy();
    stored.destroy();

    // In chunks of 5 points (7 collapsed jet rows each; a short last chunk of 4): the same bits.
    const chunked = await CollocationResidual.create(trainer, 35);
    const inChunks = await chunked.evaluate(7);
    expect(Array.from(inChunks.residual)).toEqual(Array.from(values.residual));
    expect(Array.from(inChunks.radius)).toEqual(Array.from(values.radius));
    chunked.destroy();

    // One point at a time, its 5 directions in groups of 2 (2 + 2 rows within a budget of 4; the
    // last group padded): the drawn points written one by one, the summed estimates as exact.
    const beforeGroups = trainer.memory.bytesInUse;
    const grouped = await CollocationResidual.create(trainer, 4);
    const groupedPlan = planCollocationResidual(
      pde,
      options,
      trainer.architecture,
      gpu.device.limits,
      4,
    );
    expect(groupedPlan.residual.groups).toMatchObject({ size: 2, count: 3 });
    expect(trainer.memory.bytesInUse - beforeGroups).toBe(plannedBytes(groupedPlan.buffers));
    const inGroups = await grouped.evaluate(7);
    expect(Array.from(inGroups.radius)).toEqual(Array.from(values.radius));
    const groupErrors = Array.from(
      inGroups.residual,
      (r, q) => Math.abs(r - reference.residual[q]) / reference.scale[q],
    );
    expect(Math.max(...groupErrors)).toBeLessThan(5e-6);
    grouped.destroy();

    // Another step, other points.
    const other = await view.evaluate(3);
    expect(other.radius).not.toEqual(values.radius);

    view.destroy();
    expect(trainer.memory.bytesInUse).toBe(bytesBefore);
    trainer.dispose();
  });

  it('refuses coordinates that are not two different ones below d', async () => {
    const trainer = await Trainer.create(gpu.device, tinyProblemOptions({ testPoints: 10 }));
    await expect(FieldSlice.create(trainer, { i: 1, j: 1, resolution: 8 })).rejects.toThrow(
      /two different/,
    );
    await expect(FieldSlice.create(trainer, { i: 0, j: 4, resolution: 8 })).rejects.toThrow(
      /0\.\.3/,
    );
    trainer.dispose();
  });
});
