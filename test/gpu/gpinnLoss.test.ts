/**
 * The gPINN loss kernel (src/train/gpinnLoss.ts, shaders/gpinnResidual.wgsl) on given output rows
 * against float64: the loss terms from gpinnResiduals (src/train/gpinnResidual.ts, the TypeScript
 * formulas) and the cotangents as central differences of that float64 loss in each row. Rows,
 * sources and row weights are those of the ∂_jΔu 7-jets at d = 5, B = 2 (one draw and two).
 * Tolerances: loss terms and cotangents 1e-5 of their largest (f32 sums of V terms; measured
 * cotangent errors 1.8e-8 to 1.3e-7).
 */
import { describe, expect, it } from 'vitest';
import { GpuMemory, readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { BALL_NONLINEARITIES, type BallNonlinearityId } from '../../src/pdes/ballProblem.ts';
import { GpinnLoss, planGpinnLoss } from '../../src/train/gpinnLoss.ts';
import {
  GPINN_DEFAULT_WEIGHT,
  gpinnResiduals,
  gpinnRowWeights,
} from '../../src/train/gpinnResidual.ts';
import { maxAbs, maxDifference } from '../shared/arrayComparisons.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

/** Per-point loss terms in float64 (r₁r₂ + c ρ₁ρ₂, or squares with one draw). */
function cpuTerms(
  id: BallNonlinearityId,
  weights: ReturnType<typeof gpinnRowWeights>,
  rows: Float64Array,
  f: Float64Array,
  fJ: Float64Array,
): Float64Array {
  const { r, rJ } = gpinnResiduals(BALL_NONLINEARITIES[id], weights, rows, { f, fJ });
  const last = r.length - 1;
  return f.map((_, p) => r[0][p] * r[last][p] + GPINN_DEFAULT_WEIGHT * rJ[0][p] * rJ[last][p]);
}

describe.each(['allen-cahn', 'sine-gordon', 'none'] as const)('gPINN loss kernel: %s', (id) => {
  it.each([1, 2] as const)('%i draw(s): loss terms and cotangents match float64', async (draws) => {
    const weights = gpinnRowWeights(5, 2, draws);
    const V = weights.value.length;
    const n = 9;
    const random = new SeededRandom(17 + draws);
    const rows = Float64Array.from({ length: n * V }, () =>
      Math.fround(random.uniformIn(-0.8, 0.8)),
    );
    const f = Float64Array.from({ length: n }, () => Math.fround(random.uniformIn(-2, 2)));
    const fJ = Float64Array.from({ length: n }, () => Math.fround(random.uniformIn(-2, 2)));
    const memory = new GpuMemory(gpu.device);
    const lossTerms = memory.create('loss terms', n * 4);
    const cotangent = memory.create('cotangent', n * V * 4);
    const plan = planGpinnLoss(id, n, V, draws, GPINN_DEFAULT_WEIGHT);
    const loss = await GpinnLoss.build(memory, plan, weights, {
      output: memory.createFrom('rows', Float32Array.from(rows)),
      source: memory.createFrom('f', Float32Array.from(f)),
      sourceGradient: memory.createFrom('∂_j f', Float32Array.from(fJ)),
      lossTerms,
      cotangent,
    });
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    loss.record(pass);
    pass.end();
    gpu.device.queue.submit([encoder.finish()]);
    const gotTerms = await readFloat32(gpu.device, lossTerms, n);
    const gotCotangent = await readFloat32(gpu.device, cotangent, n * V);
    memory.destroyAll();

    const terms = cpuTerms(id, weights, rows, f, fJ);
    expect(maxDifference(gotTerms, terms)).toBeLessThanOrEqual(1e-5 * maxAbs(terms));
    // The loss is the mean of the terms; with two draws the gradient flows through the second
    // draw, the first (r₁, ρ₁) held at the unperturbed rows (cpuHeld).
    const expected = new Float64Array(n * V);
    for (let k = 0; k < n * V; k++) {
      const h = 1e-6;
      const shifted = Float64Array.from(rows);
      const held = cpuHeld(id, weights, rows, f, fJ, Math.floor(k / V));
      shifted[k] = rows[k] + h;
      const up = held(shifted);
      shifted[k] = rows[k] - h;
      expected[k] = (up - held(shifted)) / (2 * h) / n;
    }
    const error = maxDifference(gotCotangent, expected) / maxAbs(expected);
    console.log(`${id}, ${draws} draw(s): cotangent error ${error.toExponential(2)}`);
    expect(error).toBeLessThanOrEqual(1e-5);
  });
});

/**
 * Point p's term as a function of its rows, with the stopped first draw (two draws) held at the
 * unperturbed rows: the function whose gradient the kernel's cotangent is.
 */
function cpuHeld(
  id: BallNonlinearityId,
  weights: ReturnType<typeof gpinnRowWeights>,
  rows: Float64Array,
  f: Float64Array,
  fJ: Float64Array,
  p: number,
): (shifted: Float64Array) => number {
  const V = weights.value.length;
  const at = (values: Float64Array) =>
    gpinnResiduals(BALL_NONLINEARITIES[id], weights, values.subarray(p * V, (p + 1) * V), {
      f: f.subarray(p, p + 1),
      fJ: fJ.subarray(p, p + 1),
    });
  const fixed = at(rows);
  return (shifted) => {
    const moved = at(shifted);
    if (moved.r.length === 1) {
      return moved.r[0][0] ** 2 + GPINN_DEFAULT_WEIGHT * moved.rJ[0][0] ** 2;
    }
    return fixed.r[0][0] * moved.r[1][0] + GPINN_DEFAULT_WEIGHT * fixed.rJ[0][0] * moved.rJ[1][0];
  };
}
