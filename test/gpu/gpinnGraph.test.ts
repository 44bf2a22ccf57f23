/**
 * One gPINN step of the ball graph (src/train/ballProblemGraph.ts with gpinnWeight > 0,
 * ballGpinnLoss.ts) against float64: the loss and the gradient.
 *
 * The CPU side draws the step's points and ∂_jΔu jets with the samplers' CPU mirrors (bit-equal
 * to the GPU draws, test/gpu/samplers.test.ts and randomJets.test.ts), pushes them through the
 * float64 reference engine, reads each point's j from the jets, takes f and ∂_j f in closed form
 * (ballSource, ballSourceGradient) and forms the loss with gpinnResidual.ts (the TypeScript
 * formulas, not the WGSL ones). The cotangents are central differences of that float64 loss in
 * each output row (for the two-draw loss with the first draw held, the stop-gradient the kernel
 * implements), the gradient the reference engine's reverse mode of them. Tolerances (measured
 * worst cases in the log): loss 1e-5 relative, gradient 1e-5 of its largest entry. A wrong j, a
 * dropped ∂_j f or N'' term, or a wrong J_7 scale moves them by orders of magnitude more.
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
import { gradientCoordinates } from '../../src/operators/laplacianGradient.ts';
import { findPde } from '../../src/pdes/index.ts';
import { RandomStream } from '../../src/random/counterRandom.ts';
import { sampleBall } from '../../src/random/pointSamplers.ts';
import { GpuStepCounter } from '../../src/random/stepCounter.ts';
import {
  BallProblemGraph,
  ballOperators,
  planBallGraph,
} from '../../src/train/ballProblemGraph.ts';
import {
  gpinnLoss,
  gpinnResiduals,
  type GpinnRowWeights,
  gpinnSources,
} from '../../src/train/gpinnResidual.ts';
import { architectureOf, resolveTrainingOptions } from '../../src/train/options.ts';
import { flatten, maxAbs, maxDifference } from '../shared/arrayComparisons.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { oneCommandBuffer } from '../../src/train/boundedSubmits.ts';
import { wholeTensor } from '../../src/engine/parameterBlocks.ts';

const gpu = useNodeGpu();
const STEP = 5;

const CASES = [
  { id: 'allen-cahn-two-body', loss: 'biased', collapsed: true, B: 2 },
  { id: 'sine-gordon-two-body', loss: 'biased', collapsed: false, B: 2 },
  { id: 'allen-cahn-two-body', loss: 'unbiased', collapsed: false, B: 2 },
  { id: 'sine-gordon-two-body', loss: 'unbiased', collapsed: false, B: 2 },
  // B = d: every coordinate once, the exact Δu and ∂_jΔu.
  { id: 'allen-cahn-two-body', loss: 'biased', collapsed: true, B: 6 },
] as const;

describe.each(CASES)('gPINN ball graph: $id, $loss loss, collapsed $collapsed, B = $B', (c) => {
  it('one step: loss and gradient match float64', async () => {
    const options = resolveTrainingOptions({
      pde: c.id,
      dimension: 6,
      estimator: 'sparse',
      jetsPerPoint: c.B,
      points: 10,
      width: 8,
      depth: 2,
      seed: 3,
      loss: c.loss,
      collapsed: c.collapsed,
      gpinnWeight: 0.3,
    });
    const pde = findPde(options.pde);
    if (pde.domain !== 'ball') throw new Error('a ball problem');
    const architecture = architectureOf(options);
    const { widths } = architecture;
    const plan = planBallGraph(pde, options, architecture, gpu.device.limits);
    expect(plan.loss.kind).toBe('gpinn');
    const memory = new GpuMemory(gpu.device);
    const initial = packParameters(widths, initParameters(architecture, options.seed));
    const params = memory.createFrom('parameters', initial);
    const count = parameterLayout(widths).count;
    const gradient = memory.create('gradient', count * 4);
    const counter = new GpuStepCounter(memory);
    counter.set(STEP);
    const theta = wholeTensor(params, count);
    const graph = await BallProblemGraph.build(memory, pde, options, plan, theta, counter);
    const encoder = gpu.device.createCommandEncoder();
    graph.encodeGradient(oneCommandBuffer(encoder), theta, wholeTensor(gradient, count));
    gpu.device.queue.submit([encoder.finish()]);
    const loss = decodeReductionResult(
      await readBuffer(gpu.device, graph.lossStats, reductionResultBytes),
    ).mean;
    const gpuGradient = await readFloat32(gpu.device, gradient, count);
    graph.destroy();
    memory.destroyAll();

    const { draw, loss: lossWeights } = ballOperators(pde, options, plan);
    if (lossWeights.kind !== 'gpinn') throw new Error('gPINN row weights');
    const weights: GpinnRowWeights = lossWeights.weights;
    const d = options.dimension;
    const N = options.points;
    const x = sampleBall(d, options.sampler, N, { seed: options.seed, step: STEP });
    const tangents = draw.tangents(N, {
      seed: options.seed,
      step: STEP,
      stream: RandomStream.jets,
    });
    const js = gradientCoordinates(tangents, N, plan.shape.directions);
    const sources = gpinnSources(pde, x, pde.coefficients(d, options.seed), js);
    const batch = { shape: plan.shape, dim: d, x, tangents };
    const engine = new ReferenceJetEngine(architecture, unpackParameters(widths, initial));
    const rows = await engine.forward(batch);
    const residuals = (r: Float64Array) => gpinnResiduals(pde.nonlinearity, weights, r, sources);
    const expectedLoss = gpinnLoss(residuals(rows), options.gpinnWeight);
    const lossError = Math.abs(loss - expectedLoss) / expectedLoss;

    // The loss the gradient follows: with two draws the first is held at the step's rows.
    const held = residuals(rows);
    const followed = (shifted: Float64Array) => {
      const moved = residuals(shifted);
      if (moved.r.length === 1) return gpinnLoss(moved, options.gpinnWeight);
      return gpinnLoss(
        { r: [held.r[0], moved.r[1]], rJ: [held.rJ[0], moved.rJ[1]] },
        options.gpinnWeight,
      );
    };
    const cotangent = new Float64Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      const h = 1e-6 * Math.max(1, Math.abs(rows[k]));
      const shifted = Float64Array.from(rows);
      shifted[k] = rows[k] + h;
      const up = followed(shifted);
      shifted[k] = rows[k] - h;
      cotangent[k] = (up - followed(shifted)) / (2 * h);
    }
    expect(rows.length).toBe(N * rowsPerPoint(plan.shape));
    const expectedGradient = flatten(await engine.gradient(batch, cotangent));
    const gradientError = maxDifference(gpuGradient, expectedGradient) / maxAbs(expectedGradient);
    console.log(
      `${c.id} ${c.loss}: loss gpu ${loss}, float64 ${expectedLoss} (${lossError.toExponential(2)}); ` +
        `gradient error ${gradientError.toExponential(2)} of max`,
    );
    expect(lossError).toBeLessThanOrEqual(1e-5);
    expect(gradientError).toBeLessThanOrEqual(1e-5);
  });
});
