import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GpuMemory, readFloat32 } from '../../src/gpu/gpuMemory.ts';
import {
  BALL_NONLINEARITIES,
  ballSource,
  type BallNonlinearityId,
} from '../../src/pdes/ballProblem.ts';
import type { BallSolution } from '../../src/pdes/ballSolution.ts';
import { clampedSinCos } from '../../src/pdes/clampedSinCos.ts';
import { drawCoefficients } from '../../src/pdes/coefficients.ts';
import { BallExactKernel, EXACT_BLOCK } from '../../src/pdes/gpuExact.ts';
import { TerminalKernel } from '../../src/pdes/gpuTerminal.ts';
import {
  PARABOLIC_HORIZON,
  PARABOLIC_PROBLEMS,
  type ParabolicProblem,
} from '../../src/pdes/parabolic.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { sinChain } from '../../src/pdes/sinChain.ts';
import { threeBody } from '../../src/pdes/threeBody.ts';
import { twoBody } from '../../src/pdes/twoBody.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

/**
 * Tolerances. The GPU sums n terms per point in f32, in S blocks of b coordinates (b ≥ d: one
 * block): each invocation adds ⌈b/64⌉ terms of its block, a 6-level tree adds the 64 partial sums,
 * then the S block sums are added in order, so the accumulated rounding is at most
 * ≈ (⌈b/64⌉ + 6 + S − 1)·2^-24·Σ|terms| (Σ|terms| is BallSolution.magnitude, propagated through N
 * for the source). We allow 4× that for the
 * few roundings inside each term and the final combination, plus 8 ulp for exp (WGSL: 3 + 2|x| ulp)
 * and for the kernel's own sin/cos (about one ulp; the WGSL builtins are not used, see pdeExact.wgsl).
 * Reference and kernel see the same f32-rounded points and coefficients, so input rounding is not
 * part of the error.
 */
const EPSILON = 2 ** -24;
const WORKGROUP = 64;

function accumulationBound(d: number, block = EXACT_BLOCK): number {
  const blocks = Math.ceil(d / block);
  const perInvocation = Math.ceil(Math.min(block, d) / WORKGROUP);
  return (4 * (perInvocation + Math.log2(WORKGROUP) + blocks - 1) + 8) * EPSILON;
}

/** WGSL lets atan be off by 4096 ulp; SwiftShader's is within 3 ulp. We hold it to 2^-20. */
const ATAN_ERROR = 2 ** -20;

let memory: GpuMemory;
const gpu = useNodeGpu((_context, b) => (memory = b));

/** f32 points inside the unit ball, radii spread over (0, 0.97]. */
function ballPoints(d: number, count: number, seed: number): Float32Array {
  const random = new SeededRandom(seed, 3);
  const points = new Float32Array(count * d);
  for (let p = 0; p < count; p++) {
    const x = Float64Array.from({ length: d }, () => random.normal());
    const scale = (0.97 * (p + 1)) / count / Math.hypot(...x);
    for (let j = 0; j < d; j++) points[p * d + j] = x[j] * scale;
  }
  return points;
}

interface ExactCase {
  name: string;
  solution: BallSolution;
  nonlinearity: BallNonlinearityId;
}

const EXACT_CASES: ExactCase[] = [
  { name: 'Poisson two-body', solution: twoBody, nonlinearity: 'none' },
  { name: 'Allen–Cahn two-body', solution: twoBody, nonlinearity: 'allen-cahn' },
  { name: 'sine-Gordon two-body', solution: twoBody, nonlinearity: 'sine-gordon' },
  { name: 'Allen–Cahn three-body', solution: threeBody, nonlinearity: 'allen-cahn' },
  { name: 'biharmonic clamped sin·cos', solution: clampedSinCos, nonlinearity: 'none' },
  ...([2, 4, 8] as const).map((k) => ({
    name: `order-${k} diagonal sin chain`,
    solution: sinChain(k),
    nonlinearity: 'none' as const,
  })),
];

/** Largest error/bound ratios seen, printed at the end (the report's "worst errors measured"). */
const worst: string[] = [];

async function checkExact(
  kernel: BallExactKernel,
  { solution, nonlinearity }: ExactCase,
  d: number,
  count: number,
  block?: number,
): Promise<void> {
  const c = Float32Array.from(drawCoefficients(d, solution.coefficientCount(d)));
  const points = ballPoints(d, count, d);
  const { u, f } = await kernel.evaluate(memory, points, d, c, block);
  const n = BALL_NONLINEARITIES[nonlinearity];
  let worstU = 0;
  let worstF = 0;
  for (let p = 0; p < count; p++) {
    const x = points.subarray(p * d, (p + 1) * d);
    const exact = ballSource(solution, n, x, c);
    const magnitude = solution.magnitude(x, c);
    const uBound = accumulationBound(d, block) * magnitude.u;
    const fMagnitude =
      magnitude.operator + Math.abs(n.derivative(exact.u)) * magnitude.u + Math.abs(exact.f);
    const fBound = accumulationBound(d, block) * fMagnitude;
    const uError = Math.abs(u[p] - exact.u);
    const fError = Math.abs(f[p] - exact.f);
    expect(uError, `u* at point ${p}: ${u[p]} vs ${exact.u}`).toBeLessThanOrEqual(uBound);
    expect(fError, `f at point ${p}: ${f[p]} vs ${exact.f}`).toBeLessThanOrEqual(fBound);
    worstU = Math.max(worstU, uError / (EPSILON * magnitude.u));
    worstF = Math.max(worstF, fError / (EPSILON * fMagnitude));
  }
  worst.push(
    `${solution.id}/${nonlinearity} d=${d}${block ? ` blocks of ${block}` : ''}: max |err|/(2^-24·Σ|terms|) u ${worstU.toFixed(2)}, ` +
      `f ${worstF.toFixed(2)}`,
  );
}

afterAll(() => console.log(worst.join('\n')));

describe('exact solutions and sources on the GPU (pdeExact.wgsl) against float64', () => {
  describe.each(EXACT_CASES)('$name', (testCase) => {
    let kernel: BallExactKernel;
    beforeAll(async () => {
      kernel = await BallExactKernel.create(
        gpu.device,
        testCase.solution.id,
        testCase.nonlinearity,
      );
    });

    it.each([3, 10, 100])('at d = %i', async (d) => {
      await checkExact(kernel, testCase, d, 12);
    });

    it('at d = 100 000 (one point: O(d) per point)', async () => {
      await checkExact(kernel, testCase, 100_000, 1);
      expect(memory.count).toBe(0);
    });
  });

  it.each(EXACT_CASES.filter((c) => c.nonlinearity !== 'sine-gordon'))(
    '$name in forced blocks (d = 300 in blocks of 64 and of 100): float64, reproducible, near one block',
    async (testCase) => {
      const kernel = await BallExactKernel.create(
        gpu.device,
        testCase.solution.id,
        testCase.nonlinearity,
      );
      const d = 300;
      expect(kernel.plan(4, d, 64).blocks).toBe(5);
      expect(kernel.plan(4, d, 100).blocks).toBe(3);
      const c = Float32Array.from(drawCoefficients(d, testCase.solution.coefficientCount(d)));
      const points = ballPoints(d, 4, 11);
      const whole = await kernel.evaluate(memory, points, d, c);
      for (const block of [64, 100]) {
        await checkExact(kernel, testCase, d, 4, block);
        const first = await kernel.evaluate(memory, points, d, c, block);
        const again = await kernel.evaluate(memory, points, d, c, block);
        expect(again.u).toEqual(first.u);
        expect(again.f).toEqual(first.f);
        for (let p = 0; p < 4; p++) {
          const magnitude = testCase.solution.magnitude(points.subarray(p * d, (p + 1) * d), c);
          expect(Math.abs(first.u[p] - whole.u[p])).toBeLessThanOrEqual(
            2 * accumulationBound(d) * magnitude.u,
          );
        }
      }
      expect(memory.count).toBe(0);
    },
  );

  it('covers more points than one grid dimension allows (70 000 > 65 535 workgroups)', async () => {
    // Workgroups of 2 keep this cheap on SwiftShader; the 2-D grid is what is being tested.
    const kernel = await BallExactKernel.create(gpu.device, 'two-body', 'none', 2);
    const d = 2;
    const count = 70_000;
    const c = [0.75];
    const points = ballPoints(d, count, 9);
    const { u, f } = await kernel.evaluate(memory, points, d, c);
    for (const p of [0, 65_534, 65_535, count - 1]) {
      const x = points.subarray(p * d, (p + 1) * d);
      const exact = twoBody.evaluate(x, c);
      const magnitude = twoBody.magnitude(x, c);
      expect(Math.abs(u[p] - exact.u)).toBeLessThanOrEqual(accumulationBound(d) * magnitude.u);
      expect(Math.abs(f[p] - exact.operator)).toBeLessThanOrEqual(
        accumulationBound(d) * magnitude.operator,
      );
    }
  });

  it('refuses a nonlinearity for the biharmonic solution and a non-power-of-two workgroup', async () => {
    await expect(
      BallExactKernel.create(gpu.device, 'clamped-sin-cos', 'allen-cahn'),
    ).rejects.toThrow(/no nonlinearity/);
    await expect(BallExactKernel.create(gpu.device, 'two-body', 'none', 48)).rejects.toThrow(
      /power of two/,
    );
  });
});

/** f32 terminal points x ~ N(0, 2T·I). */
function terminalPoints(d: number, count: number, seed: number): Float32Array {
  const random = new SeededRandom(seed, 5);
  const sigma = Math.sqrt(2 * PARABOLIC_HORIZON);
  return Float32Array.from({ length: count * d }, () => sigma * random.normal());
}

/**
 * g and ∇g: all summed terms x_j² are positive, so the f32 error is relative: ρ carries
 * (⌈d/64⌉ + 6)·2^-24, the quotients a few more roundings, and atan is allowed ATAN_ERROR.
 */
async function checkTerminal(problem: ParabolicProblem, d: number, count: number): Promise<void> {
  const kernel = await TerminalKernel.create(gpu.device, problem.id);
  const points = terminalPoints(d, count, d);
  const { g, gradient } = await kernel.evaluate(memory, points, d);
  const bound = accumulationBound(d) + (problem.id === 'allen-cahn-parabolic' ? ATAN_ERROR : 0);
  let worstRatio = 0;
  for (let p = 0; p < count; p++) {
    const x = points.subarray(p * d, (p + 1) * d);
    const exact = problem.terminal(x);
    const error = Math.abs(g[p] - exact);
    expect(error, `g at point ${p}`).toBeLessThanOrEqual(bound * Math.abs(exact));
    worstRatio = Math.max(worstRatio, error / (EPSILON * Math.abs(exact)));
    const grad = problem.terminalGradient(x);
    for (let j = 0; j < d; j++) {
      const gradError = Math.abs(gradient[p * d + j] - grad[j]);
      expect(gradError, `∂_${j} g`).toBeLessThanOrEqual(bound * Math.abs(grad[j]));
      if (grad[j] !== 0)
        worstRatio = Math.max(worstRatio, gradError / (EPSILON * Math.abs(grad[j])));
    }
  }
  worst.push(`${problem.id} d=${d}: max relative error/2^-24 of g, ∇g ${worstRatio.toFixed(2)}`);
}

describe('terminal data g and ∇g on the GPU (pdeTerminal.wgsl) against float64', () => {
  describe.each(PARABOLIC_PROBLEMS.map((p) => ({ name: p.id, problem: p })))(
    '$name',
    ({ problem }) => {
      it('at d = 3, 10, 100 and 100 000', async () => {
        for (const d of [3, 10, 100]) await checkTerminal(problem, d, 8);
        await checkTerminal(problem, 100_000, 1);
      });
    },
  );

  it('breaks argmax ties towards the lowest index, as the float64 version does', async () => {
    const kernel = await TerminalKernel.create(gpu.device, 'allen-cahn-parabolic');
    const d = 200;
    const points = new Float32Array(2 * d);
    points[d + 70] = 2; // second point: maxima at 70 and 199 (different invocations' slices)
    points[d + 199] = 2;
    const { g, gradient } = await kernel.evaluate(memory, points, d);
    expect(gradient[0]).toBe(1); // x = 0: every coordinate ties, index 0 wins, slope 1/(1 + 0)
    expect(gradient.subarray(1, d).every((v) => v === 0)).toBe(true);
    expect(gradient[d + 70]).toBeCloseTo(0.2, 6);
    expect(gradient[d + 199]).toBe(0);
    expect(g[1]).toBeCloseTo(Math.atan(2), 6);
  });

  it('reads (x, t) rows through the stride, skipping t', async () => {
    const kernel = await TerminalKernel.create(gpu.device, 'semilinear-heat');
    const rows = Float32Array.from([1, 2, 0.3, -1, 0, 0.3]); // two points of (x_1, x_2, t)
    const points = memory.createFrom('rows', rows);
    const value = memory.create('g', 8);
    const gradient = memory.create('∇g', 16);
    const dispatch = kernel.prepare(
      memory,
      { points, count: 2, dim: 2, stride: 3 },
      { value, gradient },
    );
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    kernel.encode(pass, dispatch);
    pass.end();
    gpu.device.queue.submit([encoder.finish()]);
    const g = await readFloat32(gpu.device, value, 2);
    expect(g[0]).toBeCloseTo(5 / 20, 6);
    expect(g[1]).toBeCloseTo(5 / 12, 6);
    kernel.release(memory, dispatch);
    memory.destroyAll();
  });
});
