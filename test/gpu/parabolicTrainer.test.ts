/**
 * The semilinear parabolic problems on the GPU trainer (src/train/parabolicProblemGraph.ts,
 * parabolicEvaluation.ts): one step's loss, cotangents and gradient against a float64 CPU
 * computation of the same batch, a short training run, and the u(0, 0) metric.
 *
 * The CPU side takes the points and jets the GPU drew (read back), pushes them through the float64
 * reference engine, forms the residual from J_2 sums and the problem's float64 N(u), the terminal
 * loss from src/pdes/losses.ts with g and ∇g from src/pdes/parabolic.ts, the cotangents from those
 * with N'(u) by a central difference of N, and the gradient by the reference engine's reverse mode.
 * Tolerances (measured worst cases in brackets, all far below what a wrong weight, a missing N'
 * term, a dropped terminal term or a lost gradient half would give):
 *   loss        |gpu − cpu| ≤ 1e-5·cpu                          [2.4e-7]
 *   cotangents  |gpu − cpu| ≤ 1e-5·max|cpu| per batch           [2.0e-7]
 *   gradient    |gpu − cpu| ≤ 1e-5·max|cpu|                     [8.1e-8]
 * The exact-estimator case also checks the drawn jets against u_t + Δu from plain one-hot jets.
 */
import { describe, expect, it } from 'vitest';
import type { JetBatch } from '../../src/engine/jetEngine.ts';
import {
  type JetShape,
  packParameters,
  parameterLayout,
  rowOf,
  rowsPerPoint,
  type TangentInput,
  unpackParameters,
} from '../../src/engine/jetLayout.ts';
import { decodeReductionResult, reductionResultBytes } from '../../src/engine/reductions.ts';
import { ReferenceJetEngine } from '../../src/engine/referenceEngine.ts';
import { GpuMemory, readBuffer, readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { initParameters } from '../../src/jet/mlp.ts';
import { quantityRowWeights } from '../../src/operators/combine.ts';
import { findPde, type ParabolicPdeEntry } from '../../src/pdes/index.ts';
import { meanProduct, terminalLoss } from '../../src/pdes/losses.ts';
import { GpuStepCounter } from '../../src/random/stepCounter.ts';
import {
  architectureOf,
  resolveTrainingOptions,
  type TrainingOptions,
} from '../../src/train/options.ts';
import {
  type ParabolicBatch,
  ParabolicProblemGraph,
} from '../../src/train/parabolicProblemGraph.ts';
import { type StepLog, Trainer } from '../../src/train/trainer.ts';
import { flatten, maxAbs, maxDifference } from '../shared/arrayComparisons.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { oneCommandBuffer } from '../../src/train/boundedSubmits.ts';
import { wholeTensor } from '../../src/engine/parameterBlocks.ts';

const gpu = useNodeGpu();

function parabolicPde(id: string): ParabolicPdeEntry {
  const pde = findPde(id);
  if (pde.domain !== 'spacetime') throw new Error(`${id} is not a parabolic problem`);
  return pde;
}

/** Points, jets and outputs of one GPU batch, read back. */
async function readBatch(
  device: GPUDevice,
  batch: ParabolicBatch,
): Promise<{ cpu: JetBatch; output: Float32Array; cotangent: Float32Array }> {
  const { shape } = batch;
  const b = batch.forward.buffers;
  const slots = shape.points * shape.directions * shape.order;
  const V = rowsPerPoint(shape);
  let tangents: TangentInput;
  if (b.tangentIndex) {
    tangents = {
      kind: 'oneHot',
      index: new Int32Array(await readBuffer(device, b.tangentIndex, slots * 4)),
      coefficient: await readFloat32(device, b.tangents, slots),
    };
  } else {
    tangents = { kind: 'dense', values: await readFloat32(device, b.tangents, slots * b.dim) };
  }
  return {
    cpu: { shape, dim: b.dim, x: await readFloat32(device, b.x, shape.points * b.dim), tangents },
    output: await readFloat32(device, b.output, shape.points * V),
    cotangent: await readFloat32(device, batch.cotangent, shape.points * V),
  };
}

/** (1/B)·scale·Σ J_2 over jets [first, first + B), read from float64 output rows. */
function jetSum(
  rows: Float64Array,
  shape: JetShape,
  p: number,
  first: number,
  B: number,
  scale: number,
): number {
  const V = rowsPerPoint(shape);
  let sum = 0;
  for (let r = first; r < first + B; r++) sum += 2 * rows[p * V + rowOf(shape, r, 2)];
  return scale * sum;
}

/** u_t + Δ_x u at the batch's points from d one-hot 2-jets e_i and one 1-jet along e_t. */
async function timeLaplacian(engine: ReferenceJetEngine, batch: JetBatch): Promise<Float64Array> {
  const n = batch.shape.points;
  const d = batch.dim - 1;
  const R = d + 1;
  const shape: JetShape = { points: n, directions: R, order: 2, structure: 'standard' };
  const index = new Int32Array(n * R * 2).fill(-1);
  const coefficient = new Float32Array(n * R * 2);
  for (let p = 0; p < n; p++) {
    for (let r = 0; r < R; r++) {
      index[(p * R + r) * 2] = r;
      coefficient[(p * R + r) * 2] = 1;
    }
  }
  const rows = await engine.forward({
    shape,
    dim: batch.dim,
    x: batch.x,
    tangents: { kind: 'oneHot', index, coefficient },
  });
  const V = rowsPerPoint(shape);
  return Float64Array.from({ length: n }, (_, p) => {
    let sum = rows[p * V + rowOf(shape, d, 1)];
    for (let i = 0; i < d; i++) sum += 2 * rows[p * V + rowOf(shape, i, 2)];
    return sum;
  });
}

interface StepCase {
  pde: string;
  options: Partial<TrainingOptions>;
}

const cases: StepCase[] = [
  { pde: 'semilinear-heat', options: { estimator: 'sparse', jetsPerPoint: 2, collapsed: true } },
  {
    pde: 'allen-cahn-parabolic',
    options: { estimator: 'rademacher', jetsPerPoint: 2, collapsed: false, loss: 'unbiased' },
  },
  // Two independent sparse subsets of 2 of the d = 3 coordinates (2B > d: one 2B-draw could not).
  {
    pde: 'semilinear-heat',
    options: { estimator: 'sparse', jetsPerPoint: 2, collapsed: false, loss: 'unbiased' },
  },
  {
    pde: 'sine-gordon-parabolic',
    options: {
      estimator: 'exact',
      collapsed: true,
      terminalWeight: 3,
      terminalGradientWeight: 0.5,
    },
  },
];

describe('parabolic problem graph', () => {
  for (const { pde: id, options: overrides } of cases) {
    it(`${id} (${overrides.estimator}, ${overrides.loss ?? 'biased'}): loss, cotangents and gradient match float64`, async () => {
      const d = 3;
      const options = resolveTrainingOptions({
        pde: id,
        dimension: d,
        points: 5,
        width: 8,
        depth: 2,
        seed: 11,
        ...overrides,
      });
      const pde = parabolicPde(id);
      const problem = pde.problem;
      const architecture = architectureOf(options);
      const { widths } = architecture;
      const memory = new GpuMemory(gpu.device);
      const initial = packParameters(widths, initParameters(architecture, options.seed));
      const params = memory.createFrom('parameters', initial);
      const count = parameterLayout(widths).count;
      const gradient = memory.create('gradient', count * 4);
      const counter = new GpuStepCounter(memory);
      counter.set(3);
      const graph = await ParabolicProblemGraph.create(
        memory,
        pde,
        options,
        architecture,
        params,
        counter,
      );
      const encoder = gpu.device.createCommandEncoder();
      graph.encodeGradient(
        oneCommandBuffer(encoder),
        wholeTensor(params, count),
        wholeTensor(gradient, count),
      );
      gpu.device.queue.submit([encoder.finish()]);
      const interior = await readBatch(gpu.device, graph.interior);
      const terminal = await readBatch(gpu.device, graph.terminal);
      const loss = decodeReductionResult(
        await readBuffer(gpu.device, graph.lossStats, reductionResultBytes),
      ).mean;
      const gpuGradient = await readFloat32(gpu.device, gradient, count);
      graph.destroy();
      memory.destroyAll();

      const engine = new ReferenceJetEngine(architecture, unpackParameters(widths, initial));
      const n = options.points;
      if (options.estimator === 'sparse') {
        // The GPU's jets are the CPU mirror's (two independent subsets with the unbiased loss).
        expect(interior.cpu.tangents).toEqual(
          graph.interior.operator.tangents(n, { seed: options.seed, step: 3 }),
        );
      }
      const N = (u: number) => problem.nonlinearity(u, d);
      const dN = (u: number) => (N(u + 1e-6) - N(u - 1e-6)) / 2e-6;

      // Interior: r = (u_t + Δu) + N(u), from one or two independent B-jet draws.
      const shape = graph.interior.shape;
      const V = rowsPerPoint(shape);
      const rows = await engine.forward(interior.cpu);
      const unbiased = options.loss === 'unbiased';
      const B = options.estimator === 'exact' ? d : options.jetsPerPoint;
      const scale =
        options.estimator === 'sparse' ? d / B : options.estimator === 'exact' ? 1 : 1 / B;
      const u = Float64Array.from({ length: n }, (_, p) => rows[p * V]);
      const estimate = unbiased
        ? Float64Array.from({ length: n }, (_, p) => jetSum(rows, shape, p, 0, B, scale))
        : graph.interior.operator.evaluate(rows, shape)['u_t+laplacian'];
      const estimate2 = unbiased
        ? Float64Array.from({ length: n }, (_, p) => jetSum(rows, shape, p, B, B, scale))
        : estimate;
      if (options.estimator === 'exact') {
        // The drawn jets (each with the time tangent e_t/d in its second order) estimate exactly
        // u_t + Δu: compare with Σ_i J_2[e_i] from plain one-hot jets plus J_1[e_t]. The drawn
        // coefficient 1/(2d) is rounded to f32, hence 1e-6, not float64 rounding.
        expect(maxDifference(estimate, await timeLaplacian(engine, interior.cpu))).toBeLessThan(
          1e-6 * maxAbs(estimate),
        );
      }
      const r1 = u.map((v, p) => estimate[p] + N(v));
      const r2 = u.map((v, p) => estimate2[p] + N(v));

      // Terminal: u and ∇_x u at (x, T) against g and ∇g of the same points.
      const tShape = graph.terminal.shape;
      const tV = rowsPerPoint(tShape);
      const tRows = await engine.forward(terminal.cpu);
      const grads = graph.terminal.operator.evaluate(tRows, tShape);
      const x = Array.from({ length: n }, (_, q) =>
        Float64Array.from(terminal.cpu.x.subarray(q * (d + 1), q * (d + 1) + d)),
      );
      const uT = Float64Array.from({ length: n }, (_, q) => tRows[q * tV]);
      const gradU = Float64Array.from(
        { length: n * d },
        (_, k) => grads[`grad_${k % d}`][Math.floor(k / d)],
      );
      const g = Float64Array.from(x, (xq) => problem.terminal(xq));
      const gradG = Float64Array.from(x.flatMap((xq) => [...problem.terminalGradient(xq)]));
      const lambda = options.terminalWeight;
      const gamma = options.terminalGradientWeight;
      const expectedLoss =
        meanProduct(r1, r2) + lambda * terminalLoss({ u: uT, g, gradU, gradG }, gamma);
      expect(Math.abs(loss - expectedLoss)).toBeLessThanOrEqual(1e-5 * expectedLoss);

      // Cotangents: ∂L/∂u of every output row.
      // The gradient flows through r₂ (jets [B, 2B) when unbiased; r₁ = r₂ when biased).
      const weights = unbiased
        ? quantityRowWeights(
            Array.from({ length: B }, (_, r) => ({ direction: B + r, order: 2, scale })),
            shape,
          )
        : quantityRowWeights(graph.interior.operator.quantities[0].terms, shape);
      const factor = unbiased ? 1 / n : 2 / n;
      const cotangent = new Float64Array(n * V);
      for (let p = 0; p < n; p++) {
        for (let v = 0; v < V; v++) cotangent[p * V + v] = factor * r1[p] * weights[v];
        cotangent[p * V] += factor * r1[p] * dN(u[p]);
      }
      const tCotangent = new Float64Array(n * tV);
      for (let q = 0; q < n; q++) {
        tCotangent[q * tV] = ((2 * lambda) / n) * (uT[q] - g[q]);
        for (let i = 0; i < d; i++) {
          tCotangent[q * tV + 1 + i] =
            ((2 * lambda * gamma) / n) * (gradU[q * d + i] - gradG[q * d + i]);
        }
      }
      expect(maxDifference(interior.cotangent, cotangent)).toBeLessThanOrEqual(
        1e-5 * maxAbs(cotangent),
      );
      expect(maxDifference(terminal.cotangent, tCotangent)).toBeLessThanOrEqual(
        1e-5 * maxAbs(tCotangent),
      );

      // Gradient: the sum of both batches' reverse passes.
      const interiorPart = flatten(await engine.gradient(interior.cpu, cotangent));
      const terminalPart = flatten(await engine.gradient(terminal.cpu, tCotangent));
      const total = interiorPart.map((v, i) => v + terminalPart[i]);
      expect(maxDifference(gpuGradient, total)).toBeLessThanOrEqual(1e-5 * maxAbs(total));
    });
  }
});

function runningMean(logs: StepLog[], from: number, to: number): number {
  const window = logs.slice(from, to);
  return window.reduce((s, l) => s + l.loss, 0) / window.length;
}

describe('parabolic training', () => {
  it('semilinear heat at d = 5: the running-mean loss falls, u(0, 0) is reported', async () => {
    const trainer = await Trainer.create(
      gpu.device,
      resolveTrainingOptions({
        pde: 'semilinear-heat',
        dimension: 5,
        estimator: 'sparse',
        jetsPerPoint: 3,
        points: 32,
        width: 16,
        depth: 2,
        learningRate: 3e-3,
        schedule: 'constant',
        steps: 150,
        seed: 5,
        logEvery: 5,
        evalEvery: 0,
      }),
    );
    await trainer.train(150);
    expect(trainer.logs).toHaveLength(30);
    expect(trainer.logs.every((l) => Number.isFinite(l.loss) && l.loss >= 0)).toBe(true);
    expect(runningMean(trainer.logs, 24, 30)).toBeLessThan(0.5 * runningMean(trainer.logs, 0, 6));
    // d = 5 has no tabulated reference: the value alone.
    expect(trainer.evaluations).toHaveLength(1);
    const [evaluation] = trainer.evaluations;
    expect(Number.isFinite(evaluation.value)).toBe(true);
    expect(evaluation.pointRelativeError).toBeUndefined();
    trainer.dispose();
  });

  it('evaluation is u(0, 0) of the network and its error against the d = 10 reference', async () => {
    const options = resolveTrainingOptions({
      pde: 'sine-gordon-parabolic',
      dimension: 10,
      jetsPerPoint: 4,
      points: 8,
      width: 8,
      depth: 2,
      seed: 2,
    });
    const trainer = await Trainer.create(gpu.device, options);
    const { value, pointRelativeError } = await trainer.evaluate();
    const engine = new ReferenceJetEngine(trainer.architecture, await trainer.parameters());
    const [expected] = await engine.forward({
      shape: { points: 1, directions: 1, order: 1, structure: 'standard' },
      dim: 11,
      x: new Float64Array(11),
      tangents: { kind: 'oneHot', index: Int32Array.of(-1), coefficient: Float32Array.of(0) },
    });
    expect(Math.abs(value! - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
    // The scaled sine-Gordon reference is d·w: 10 × 0.322947.
    const reference = 3.22947;
    expect(pointRelativeError).toBeCloseTo(Math.abs(value! - reference) / reference, 6);
    trainer.dispose();
  });
});
