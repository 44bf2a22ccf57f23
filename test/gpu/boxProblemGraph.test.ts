/**
 * The high-order box problems on the GPU trainer (src/train/boxProblemGraph.ts, highOrderLoss.ts,
 * boxEvaluation.ts): one step's points, loss, cotangents and gradient against float64.
 *
 * The CPU side takes the points the GPU drew (checked against the sampler's CPU mirror), pushes the
 * problem's fixed jets through the float64 reference engine, reads the residuals with the
 * TypeScript formulas of src/pdes/highOrder.ts (not the WGSL ones) and the data misfit against
 * u* = problem.exact.value, and forms the loss Σ_t w_t mean r_t² + λ mean (u − u*)². Cotangents
 * are central differences of that float64 loss in each output row, the gradient the reference
 * engine's reverse mode of them. Tolerances (measured worst cases in brackets):
 *   points      |gpu − cpu| ≤ 1e-6 (f32 rounding of low + (high − low)·u)
 *   loss        |gpu − cpu| ≤ 1e-5·cpu                        [7.4e-8 KP, 3.7e-8 KdV]
 *   cotangents  |gpu − cpu| ≤ 1e-5·max|cpu|                   [1.4e-7]
 *   gradient    |gpu − cpu| ≤ 1e-5·max|cpu|                   [1.5e-7]
 * A wrong coefficient in a WGSL residual or its derivative, a dropped data term or a wrong data
 * weight moves these by orders of magnitude more.
 */
import { describe, expect, it } from 'vitest';
import {
  packParameters,
  parameterLayout,
  rowsPerPoint,
  unpackParameters,
} from '../../src/engine/jetLayout.ts';
import { decodeReductionResult, reductionResultBytes } from '../../src/engine/reductions.ts';
import { ReferenceJetEngine } from '../../src/engine/referenceEngine.ts';
import { GpuMemory, readBuffer, readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { initParameters } from '../../src/jet/mlp.ts';
import { HIGH_ORDER_DATA_LOSS } from '../../src/pdes/highOrder.ts';
import { residualWeight } from '../../src/train/highOrderLoss.ts';
import { findPde, type HighOrderPdeEntry } from '../../src/pdes/index.ts';
import { evaluateResiduals } from '../../src/pdes/residualTerms.ts';
import { sampleBox } from '../../src/random/pointSamplers.ts';
import { GpuStepCounter } from '../../src/random/stepCounter.ts';
import { BoxProblemGraph, planBoxGraph } from '../../src/train/boxProblemGraph.ts';
import { architectureOf, resolveTrainingOptions } from '../../src/train/options.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { flatten, maxAbs, maxDifference } from '../shared/arrayComparisons.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { oneCommandBuffer } from '../../src/train/boundedSubmits.ts';
import { wholeTensor } from '../../src/engine/parameterBlocks.ts';

const gpu = useNodeGpu();

function boxPde(id: string): HighOrderPdeEntry {
  const pde = findPde(id);
  if (pde.domain !== 'box') throw new Error(`${id} is not a box problem`);
  return pde;
}

/** The float64 loss of a batch's output rows (see the header), for the central differences. */
function cpuLoss(
  pde: HighOrderPdeEntry,
  rows: Float64Array,
  x: Float32Array,
  interior: number,
  gradientWeight: number,
): number {
  const { problem } = pde;
  const operator = problem.operator();
  const width = problem.variables.length;
  const total = x.length / width;
  const shape = operator.shape(total);
  const V = rowsPerPoint(shape);
  const quantities = operator.evaluate(rows.subarray(0, interior * V), operator.shape(interior));
  const residuals = evaluateResiduals(problem.residuals, quantities);
  let loss = 0;
  residuals.forEach((r, t) => {
    const weight = residualWeight(problem.residuals[t], gradientWeight);
    loss += (weight * r.reduce((s, v) => s + v * v, 0)) / interior;
  });
  const data = total - interior;
  let misfit = 0;
  for (let m = interior; m < total; m++) {
    const e = rows[m * V] - problem.exact.value(x.subarray(m * width, (m + 1) * width));
    misfit += e * e;
  }
  return loss + (HIGH_ORDER_DATA_LOSS.weight * misfit) / data;
}

// g-KdV's gradient terms at their default weight 1 and switched off (gpinnWeight 0).
describe.each([
  ['kdv-2d', undefined],
  ['kp-2d', undefined],
  ['gkdv-1d', undefined],
  ['gkdv-1d', 0],
] as const)('box problem graph: %s, gpinnWeight %s', (id, gpinnWeight) => {
  it('one step: points, loss, cotangents and gradient match float64', async () => {
    const pde = boxPde(id);
    const options = resolveTrainingOptions({
      pde: id,
      points: 12,
      width: 8,
      depth: 2,
      seed: 5,
      gpinnWeight,
    });
    const architecture = architectureOf(options);
    const { widths } = architecture;
    const plan = planBoxGraph(pde, options, architecture, gpu.device.limits);
    const memory = new GpuMemory(gpu.device);
    const initial = packParameters(widths, initParameters(architecture, options.seed));
    const params = memory.createFrom('parameters', initial);
    const count = parameterLayout(widths).count;
    const gradient = memory.create('gradient', count * 4);
    const counter = new GpuStepCounter(memory);
    counter.set(7);
    const graph = await BoxProblemGraph.build(memory, pde, plan, params, counter);
    const encoder = gpu.device.createCommandEncoder();
    graph.encodeGradient(
      oneCommandBuffer(encoder),
      wholeTensor(params, count),
      wholeTensor(gradient, count),
    );
    gpu.device.queue.submit([encoder.finish()]);
    const { shape } = plan;
    const V = rowsPerPoint(shape);
    const width = pde.problem.variables.length;
    const x = await readFloat32(gpu.device, graph.points, shape.points * width);
    const gpuCotangent = await readFloat32(gpu.device, graph.cotangent, shape.points * V);
    const loss = decodeReductionResult(
      await readBuffer(gpu.device, graph.lossStats, reductionResultBytes),
    ).mean;
    const gpuGradient = await readFloat32(gpu.device, gradient, count);
    graph.destroy();
    memory.destroyAll();

    // The points: N in the box, then M on the faces, as the CPU mirror draws them.
    const box = (end: 0 | 1) =>
      pde.problem.variables.map((v) => (pde.problem.box[v] ?? [NaN, NaN])[end]);
    const interior = plan.interior;
    const mirror = sampleBox(
      { low: box(0), high: box(1), timeIndex: pde.problem.variables.indexOf('t'), interior },
      shape.points,
      { seed: options.seed, step: 7 },
    );
    expect(maxDifference(x, mirror)).toBeLessThanOrEqual(1e-6);
    for (let m = interior; m < shape.points; m++) {
      const point = x.subarray(m * width, (m + 1) * width);
      const onFace = pde.problem.data.faces.some(
        ({ variable, side }) =>
          point[pde.problem.variables.indexOf(variable)] ===
          box(side)[pde.problem.variables.indexOf(variable)],
      );
      expect(onFace, `data point ${m}`).toBe(true);
    }

    const operator = pde.problem.operator();
    const batch = {
      shape,
      dim: width,
      x,
      tangents: operator.tangents(shape.points, { seed: 0, step: 0 }),
    };
    const engine = new ReferenceJetEngine(architecture, unpackParameters(widths, initial));
    const rows = await engine.forward(batch);
    const expectedLoss = cpuLoss(pde, rows, x, interior, options.gpinnWeight);
    console.log(`${id}: loss gpu ${loss}, float64 ${expectedLoss}`);
    expect(Math.abs(loss - expectedLoss)).toBeLessThanOrEqual(1e-5 * expectedLoss);

    const cotangent = new Float64Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      const h = 1e-6 * Math.max(1, Math.abs(rows[k]));
      const shifted = Float64Array.from(rows);
      shifted[k] = rows[k] + h;
      const up = cpuLoss(pde, shifted, x, interior, options.gpinnWeight);
      shifted[k] = rows[k] - h;
      cotangent[k] = (up - cpuLoss(pde, shifted, x, interior, options.gpinnWeight)) / (2 * h);
    }
    const cotangentError = maxDifference(gpuCotangent, cotangent) / maxAbs(cotangent);
    const expectedGradient = flatten(await engine.gradient(batch, cotangent));
    const gradientError = maxDifference(gpuGradient, expectedGradient) / maxAbs(expectedGradient);
    console.log(
      `${id}: cotangent error ${cotangentError.toExponential(2)}, gradient error ${gradientError.toExponential(2)}`,
    );
    expect(cotangentError).toBeLessThanOrEqual(1e-5);
    expect(gradientError).toBeLessThanOrEqual(1e-5);
  });
});

describe('box problems in the trainer', () => {
  it('2-D KdV: a short run lowers the loss and the test error, reproducibly', async () => {
    const options = resolveTrainingOptions({
      pde: 'kdv-2d',
      points: 32,
      width: 16,
      depth: 2,
      steps: 60,
      learningRate: 1e-2,
      logEvery: 10,
      evalEvery: 30,
      testPoints: 400,
    });
    const run = async () => {
      const trainer = await Trainer.create(gpu.device, options);
      await trainer.train(options.steps);
      const result = { logs: trainer.logs.map((l) => l.loss), evaluations: trainer.evaluations };
      trainer.dispose();
      return result;
    };
    const first = await run();
    console.log(`losses ${first.logs.join(', ')}; ${JSON.stringify(first.evaluations)}`);
    const second = await run();
    expect(second.logs).toEqual(first.logs);
    expect(first.logs.at(-1)!).toBeLessThan(first.logs[0] / 2);
    const early = first.evaluations[0];
    const late = first.evaluations.at(-1)!;
    expect(late.step).toBe(60);
    expect(late.relativeL2!).toBeLessThan(early.relativeL2!);
  });
});
