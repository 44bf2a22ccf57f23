/**
 * The training plans on the CPU: the memory estimate is the sum of the plan's buffer lists, the
 * plans are pure, each graph lists the buffers of its mode, and every uniform the plans fill by
 * field name holds the bytes the hand-packed uniforms held before (what keeps seeded runs
 * bit-identical across the move to reflected struct views).
 */
import { describe, expect, it } from 'vitest';
import cotangentDotCode from '../../../shaders/cotangentDot.wgsl?raw';
import elementwiseCode from '../../../shaders/elementwise.wgsl?raw';
import terminalLossCode from '../../../shaders/parabolicTerminalLoss.wgsl?raw';
import residualCode from '../../../shaders/pinnResidual.wgsl?raw';
import zerothOrderCode from '../../../shaders/zerothOrder.wgsl?raw';
import { parameterLayout } from '../../../src/engine/jetLayout.ts';
import { allocatedBytes, plannedBytes } from '../../../src/gpu/bufferPlan.ts';
import { composeShader } from '../../../src/gpu/composeShader.ts';
import { lib } from '../../../src/gpu/shaderLibrary.ts';
import type { ShaderSource } from '../../../src/gpu/kernel.ts';
import { reflectStructView, type StructValue } from '../../../src/gpu/structView.ts';
import { exactParamsView, planExactDispatches } from '../../../src/pdes/gpuExact.ts';
import { terminalParamsView } from '../../../src/pdes/gpuTerminal.ts';
import { findPde } from '../../../src/pdes/index.ts';
import { pointParams } from '../../../src/pdes/pointGrid.ts';
import {
  planBallDraw,
  planBoxDraw,
  planParabolicDraw,
  samplerParamsView,
} from '../../../src/random/gpuPointSamplers.ts';
import { planRandomJets, randomJetsParamsView } from '../../../src/random/gpuRandomJets.ts';
import { planExactAtPoints } from '../../../src/train/ballExactAtPoints.ts';
import { planBallGraph } from '../../../src/train/ballProblemGraph.ts';
import { planCotangentDot } from '../../../src/train/cotangentDot.ts';
import { planExactResidual } from '../../../src/train/exactResidual.ts';
import {
  checkMemoryBudget,
  estimateMemory,
  memoryProblem,
} from '../../../src/train/memoryBudget.ts';
import {
  architectureOf,
  resolveTrainingOptions,
  type TrainingOptions,
} from '../../../src/train/options.ts';
import { planParabolicGraph } from '../../../src/train/parabolicProblemGraph.ts';
import {
  directionParams,
  planParameterDirections,
} from '../../../src/train/parameterDirections.ts';
import { planResidualLoss } from '../../../src/train/residualLoss.ts';
import { DEFAULT_TRAINING_LIMITS, planTraining } from '../../../src/train/trainingPlan.ts';

const small = { dimension: 5, width: 16, depth: 2, points: 16, testPoints: 100 };

/**
 * Runs the GPU test builds too: a ball problem (with the residual loss and with the gPINN loss),
 * a parabolic one, a backprop-free one.
 */
const PLANNED_RUNS: Record<string, Record<string, unknown>> = {
  ball: { ...small, estimator: 'sparse', jetsPerPoint: 2 },
  'ball gPINN': { ...small, estimator: 'sparse', jetsPerPoint: 2, gpinnWeight: 0.1 },
  parabolic: { ...small, pde: 'semilinear-heat', estimator: 'sparse', jetsPerPoint: 2 },
  spsa: { ...small, estimator: 'sparse', jetsPerPoint: 2, gradientEstimator: 'spsa' },
};

const limits = DEFAULT_TRAINING_LIMITS;

function words(bytes: Uint8Array): number[] {
  return [...new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)];
}

/** The bytes a hand-packed uniform held: u32 and f32 words, zero padded to `bytes`. */
function handPacked(values: ({ u32: number } | { f32: number })[], bytes: number): Uint8Array {
  const buffer = new ArrayBuffer(bytes);
  const u = new Uint32Array(buffer);
  const f = new Float32Array(buffer);
  values.forEach((v, i) => {
    if ('u32' in v) u[i] = v.u32;
    else f[i] = v.f32;
  });
  return new Uint8Array(buffer);
}

/** The reflected view packs `values` into the old bytes, the old buffer's tail being zeros. */
function expectSameBytes(packed: Uint8Array, old: Uint8Array): void {
  expect(packed.byteLength).toBeLessThanOrEqual(old.byteLength);
  expect(words(packed)).toEqual(words(old.subarray(0, packed.byteLength)));
  expect(old.subarray(packed.byteLength).every((b) => b === 0)).toBe(true);
}

function viewOf(parts: ShaderSource[], binding = 'params') {
  return reflectStructView(composeShader(parts), binding);
}

describe('the memory estimate reads the training plan', () => {
  for (const [name, config] of Object.entries(PLANNED_RUNS)) {
    it(`${name}: its total is the sum of the plan's buffers, grouped without loss`, () => {
      const options = resolveTrainingOptions(config);
      const plan = planTraining(options, limits);
      const estimate = estimateMemory(options, limits.maxStorageBufferBindingSize);
      expect(estimate.totalBytes).toBe(plannedBytes(plan.buffers) + plannedBytes(plan.firstStep));
      expect(estimate.totalBytes).toBe(plan.totalBytes);
      expect(estimate.planned).toEqual([...plan.buffers, ...plan.firstStep]);
      expect(estimate.buffers.reduce((sum, b) => sum + b.bytes * b.count, 0)).toBe(
        estimate.totalBytes,
      );
      const largest = Math.max(...plan.buffers.map((b) => allocatedBytes(b.bytes)));
      expect(estimate.largest.bytes).toBe(largest);
      expect([estimate.jets, estimate.order, estimate.rowsPerPoint]).toEqual([
        plan.jets,
        plan.order,
        plan.rowsPerPoint,
      ]);
      expect(estimate.unplannable).toEqual([]);
      expect(plan.parts.map((p) => p.name)).toEqual([
        'trainer',
        'problem graph',
        'evaluation',
        'gradient estimate',
        'optimizer',
        'divergence guard',
      ]);
    });
  }

  it('the plan is a pure function of the options and the limits', () => {
    for (const config of Object.values(PLANNED_RUNS)) {
      const options = resolveTrainingOptions(config);
      expect(planTraining(options, limits)).toEqual(planTraining(options, limits));
    }
  });

  it('lists the backprop-free modes’ own buffers, and not the backward pass', () => {
    const labels = (options: TrainingOptions) =>
      planTraining(options, limits).buffers.map((b) => b.label);
    const backprop = labels(resolveTrainingOptions(PLANNED_RUNS.spsa));
    const q = 3;
    const spsa = labels(
      resolveTrainingOptions({ ...PLANNED_RUNS.spsa, perturbationDirections: q }),
    );
    const forward = labels(
      resolveTrainingOptions({ ...PLANNED_RUNS.spsa, gradientEstimator: 'forward-gradient' }),
    );
    expect(spsa.filter((l) => l === 'direction perturb params')).toHaveLength(2 * q);
    for (const label of ['two-point losses', 'direction combine params', 'direction layer table']) {
      expect(spsa).toContain(label);
    }
    expect(spsa.some((l) => l.startsWith('backward'))).toBe(false);
    expect(spsa).toContain('forward jet s (even layers)');
    expect(backprop).toContain('two-point loss statistics');
    expect(forward).toEqual(
      expect.arrayContaining(['directional derivative', 'cotangent dot params']),
    );
    expect(forward.some((l) => l.startsWith('forward gradient'))).toBe(true);
    expect(forward.some((l) => l.startsWith('backward'))).toBe(false);
    const backpropRun = labels(resolveTrainingOptions(PLANNED_RUNS.ball));
    expect(backpropRun).toContain('backward hidden cotangent A');
    expect(backpropRun).toContain('forward jet z1');
  });

  it('sizes a run past every kernel limit, and refuses it with numbers instead of throwing', () => {
    const options = resolveTrainingOptions({
      dimension: 10_000_000,
      width: 4096,
      points: 1_000_000,
      jetsPerPoint: 4,
    });
    const estimate = estimateMemory(options);
    expect(estimate.unplannable.length).toBeGreaterThan(0);
    expect(estimate.largest.name).toBe('parameters');
    const problem = memoryProblem(estimate, {
      maxBufferSize: 2 ** 40,
      maxStorageBufferBindingSize: 2 ** 40,
      budgetBytes: 2 ** 60,
    });
    expect(problem).toMatch(/kernels cannot take it/);
  });

  it('regenerated points drop the N·d point buffer: 400 MB of the STDE setup at d = 10^6', () => {
    const stde = { dimension: 1_000_000 };
    const stored = estimateMemory(resolveTrainingOptions(stde));
    const regenerated = estimateMemory(
      resolveTrainingOptions({ ...stde, pointStorage: 'regenerated' }),
    );
    const N = 100;
    const d = 1_000_000;
    const points = (e: typeof stored) =>
      e.planned.filter((b) => b.label === 'samplers.wgsl:ball points');
    // The test set's batches (33 points at this d) are drawn and stored apart from the step's.
    const testBatch = 33 * d * 4;
    expect(points(stored).map((b) => b.bytes)).toEqual([N * d * 4, testBatch]);
    expect(points(regenerated).map((b) => b.bytes)).toEqual([testBatch]);
    // The draw keeps a one-float stand-in instead.
    expect(stored.totalBytes - regenerated.totalBytes).toBe(N * d * 4 - 4);
  });

  it('a stored-points run that regenerated points would fit is refused with that hint', () => {
    const limits = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };
    const options = resolveTrainingOptions({ dimension: 1_000_000, points: 300 });
    expect(() => checkMemoryBudget(options, limits)).toThrow(
      /collocation points need 1\.12 GiB in one buffer.* With its collocation points regenerated .*--point-storage regenerated\) it fits in \d+\.\d+ GiB\.$/,
    );
    expect(() =>
      checkMemoryBudget({ ...options, pointStorage: 'regenerated' }, limits),
    ).not.toThrow();
    // Where regenerated points do not help (θ, split, is past the budget with them), no hint.
    const huge = resolveTrainingOptions({ dimension: 10_000_000 });
    expect(() => checkMemoryBudget(huge, limits)).toThrow(/collocation points need 3\.73 GiB/);
    expect(() => checkMemoryBudget(huge, limits)).not.toThrow(/regenerated/);
  });

  it("refuses STDE's dense Hutchinson at d = 10^5 with stored tangents, fits it regenerated", () => {
    // STDE's setup (100 points, 3 × 128 tanh) with 16 Rademacher jets of order 2, collapsed.
    const limits = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };
    const options = resolveTrainingOptions({
      dimension: 100_000,
      estimator: 'rademacher',
      jetsPerPoint: 16,
    });
    // N·R·K·d = 100·16·2·10^5 floats = 1.19 GiB.
    expect(() => checkMemoryBudget(options, limits)).toThrow(
      /input tangents need 1\.19 GiB in one buffer.* With its dense input tangents regenerated .*--tangent-storage regenerated\) it fits in 659\.7 MiB\.$/,
    );
    const regenerated = checkMemoryBudget({ ...options, tangentStorage: 'regenerated' }, limits);
    const stored = estimateMemory(options, limits.maxStorageBufferBindingSize, limits);
    // The draw's values, its 52-byte params and two 4-byte placeholders, less the passes' 4-byte
    // stand-in for the tangents.
    expect(stored.totalBytes - regenerated.totalBytes).toBe(100 * 16 * 2 * 100_000 * 4 + 56);
  });

  it('hints at both redraws where only both fit: dense jets of 300 points at d = 10^6', () => {
    const limits = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };
    const options = resolveTrainingOptions({
      dimension: 1_000_000,
      estimator: 'rademacher',
      jetsPerPoint: 4,
      points: 300,
      width: 32,
    });
    // Tangents 8.94 GiB, points 1.12 GiB: each one past the binding without the other redrawn.
    expect(() => checkMemoryBudget(options, limits)).toThrow(
      /With its collocation points regenerated .*--point-storage regenerated\) and its dense input tangents regenerated .*--tangent-storage regenerated\) it fits in [\d.]+ (MiB|GiB)\.$/,
    );
    const both = {
      ...options,
      pointStorage: 'regenerated',
      tangentStorage: 'regenerated',
    } as const;
    expect(() => checkMemoryBudget(both, limits)).not.toThrow();
  });

  it("bounds regenerated dense tangents by their slots, not the stored draw's N·R·K·d values", () => {
    // 100 points × 16 jets × 2 orders at d = 1.4·10⁶: 4.48·10⁹ values, past a stored draw's
    // 32-bit flat index; redrawn, only the 3 200 slots are indexed.
    const limits = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };
    const options = resolveTrainingOptions({
      dimension: 1_400_000,
      estimator: 'rademacher',
      jetsPerPoint: 16,
      width: 32,
      pointStorage: 'regenerated',
    });
    expect(estimateMemory(options, undefined, limits).unplannable.join(' ')).toMatch(
      /4480000000 tangent values exceed the kernel's 32-bit indexing/,
    );
    const regenerated = { ...options, tangentStorage: 'regenerated' } as const;
    expect(estimateMemory(regenerated, undefined, limits).unplannable).toEqual([]);
    expect(() => checkMemoryBudget(regenerated, limits)).not.toThrow();
  });

  it('refuses regenerated tangents where nothing dense is drawn, before planning', () => {
    expect(() =>
      resolveTrainingOptions({ estimator: 'sparse', tangentStorage: 'regenerated' }),
    ).toThrow(
      /tangentStorage 'regenerated': it redraws dense random jets .* not 'sparse' ones; use tangentStorage 'stored'/,
    );
    expect(() =>
      resolveTrainingOptions({
        pde: 'semilinear-heat',
        estimator: 'rademacher',
        tangentStorage: 'regenerated',
      }),
    ).toThrow(/semilinear-heat is a spacetime problem/);
  });

  it('leaves an invalid estimator to the build: no memory problem, the rest still sized', () => {
    const options = resolveTrainingOptions({
      ...small,
      pde: 'biharmonic-clamped-sin-cos',
      estimator: 'sparse',
      jetsPerPoint: 2,
    });
    const estimate = estimateMemory(options);
    expect(estimate.unplannable).toEqual([]);
    expect(estimate.totalBytes).toBeGreaterThan(0);
    expect(() => planTraining(options, limits)).toThrow(/biharmonic operator/);
  });

  it('sizes the exact biharmonic at d = 3000 without building its nine million jets', () => {
    const options = resolveTrainingOptions({
      pde: 'biharmonic-clamped-sin-cos',
      dimension: 3000,
      estimator: 'exact',
      collapsed: false,
    });
    const started = performance.now();
    const estimate = estimateMemory(options);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(estimate.jets).toBe(3000 * 3000);
    expect(estimate.largest.name).toBe('input tangents');
  });
});

describe('the graph plans', () => {
  it('ball: the step’s buffers in build order, the loss reduction at the first step', () => {
    const options = resolveTrainingOptions(PLANNED_RUNS.ball);
    const pde = findPde(options.pde);
    if (pde.domain !== 'ball') throw new Error('not a ball problem');
    const plan = planBallGraph(pde, options, architectureOf(options), limits);
    const N = options.points;
    expect(plan.shape).toEqual({ points: N, directions: 2, order: 2, structure: 'collapsed' });
    expect(plan.rows).toBe(1 + 2 * 1 + 1);
    expect(plan.buffers.slice(0, 7).map((b) => [b.label, b.bytes])).toEqual([
      ['samplers.wgsl:ball points params', samplerParamsView().size],
      ['samplers.wgsl:ball points', N * 5 * 4],
      // One block of d = 5: a sum of squares, then (scale, offset) and ‖x‖² per point.
      ['samplers.wgsl:ball points partials', N * 4 * 4],
      ['sparse jets params', randomJetsParamsView().size],
      ['sparse jets index', N * 2 * 2 * 4],
      ['sparse jets coefficient', N * 2 * 2 * 4],
      ['sparse jets values (unused)', 4],
    ]);
    expect(plan.named.cotangent.bytes).toBe(N * plan.rows * 4);
    expect(plan.firstStep.map((b) => b.label)).toEqual([`reduce ${N} params`]);
    if (plan.loss.kind !== 'residual') throw new Error('the residual loss');
    expect(plan.loss.plan.params).toEqual({
      points: N,
      rows: plan.rows,
      scale: 1 / N,
      termScale: 1,
      nonlinearityScale: 1,
    });
  });

  it('ball: only the residual loss plans the residual r, which the gPINN loss never stores', () => {
    const residualOptions = resolveTrainingOptions(PLANNED_RUNS.ball);
    const pde = findPde(residualOptions.pde);
    if (pde.domain !== 'ball') throw new Error('not a ball problem');
    const planOf = (options: TrainingOptions) =>
      planBallGraph(pde, options, architectureOf(options), limits);
    const residualPlan = planOf(residualOptions);
    if (residualPlan.loss.kind !== 'residual') throw new Error('the residual loss');
    const N = residualOptions.points;
    expect(residualPlan.loss.residual).toEqual({
      label: 'residual r',
      bytes: N * 4,
      role: 'storage',
    });
    expect(residualPlan.loss.buffers).toEqual([
      residualPlan.loss.residual,
      ...residualPlan.loss.plan.buffers,
    ]);
    expect(residualPlan.buffers.filter((b) => b.label === 'residual r')).toHaveLength(1);
    const gpinnPlan = planOf(resolveTrainingOptions(PLANNED_RUNS['ball gPINN']));
    if (gpinnPlan.loss.kind !== 'gpinn') throw new Error('the gPINN loss');
    expect(gpinnPlan.loss.buffers).toEqual(gpinnPlan.loss.plan.buffers);
    expect(gpinnPlan.buffers.some((b) => b.label === 'residual r')).toBe(false);
  });

  it('parabolic: both batches, the terminal loss uniform and the gradient sum', () => {
    const options = resolveTrainingOptions(PLANNED_RUNS.parabolic);
    const pde = findPde(options.pde);
    if (pde.domain !== 'spacetime') throw new Error('not a parabolic problem');
    const plan = planParabolicGraph(pde, options, architectureOf(options), limits);
    const { points: n, dimension: d } = options;
    expect(plan.terminal.shape).toEqual({
      points: n,
      directions: d,
      order: 1,
      structure: 'standard',
    });
    expect(plan.terminal.jets.coefficient.bytes).toBe(n * d * 4);
    expect(plan.named.lossTerms.bytes).toBe(2 * n * 4);
    expect(plan.terminalLoss.workgroups).toBe(n);
    const count = parameterLayout(architectureOf(options).widths).count;
    expect(plan.gradientSum?.params).toEqual({ n: count, a: 1 });
    expect(plan.buffers.filter((b) => b.label === 'backward hidden cotangent A')).toHaveLength(2);
    const lossOnly = planParabolicGraph(
      pde,
      { ...options, gradientEstimator: 'spsa' },
      architectureOf(options),
      limits,
    );
    expect(lossOnly.gradientSum).toBeNull();
    expect(lossOnly.buffers.some((b) => b.label.startsWith('backward'))).toBe(false);
    expect(() =>
      planParabolicGraph(
        pde,
        { ...options, gradientEstimator: 'forward-gradient' },
        architectureOf(options),
        limits,
      ),
    ).toThrow(/no forward-gradient pass/);
  });

  it('the exact residual view goes through in chunks of at most the row budget', () => {
    const options = resolveTrainingOptions({ ...small, dimension: 8, estimator: 'exact' });
    const pde = findPde(options.pde);
    if (pde.domain !== 'ball') throw new Error('not a ball problem');
    const plan = planExactResidual(
      pde,
      architectureOf(options),
      { count: 1000, label: 'view' },
      limits,
      100,
    );
    // The collapsed exact Laplacian: 1 + 8 + 1 rows per point, 10 points per 100 rows.
    expect(plan.chunk).toBe(10);
    expect(plan.named.residual).toEqual({ label: 'view residual', bytes: 4000, role: 'storage' });
    expect(plan.buffers.map((b) => b.label)).toContain('view chunk u*');
  });

  it("groups one point's directions where its rows pass the budget: the Laplacian at d = 10⁶", () => {
    const options = resolveTrainingOptions({ dimension: 1_000_000, width: 128 });
    const pde = findPde(options.pde);
    if (pde.domain !== 'ball') throw new Error('not a ball problem');
    const plan = planExactResidual(
      pde,
      architectureOf(options),
      { count: 300, label: 'v' },
      limits,
    );
    // 10⁶ + 2 rows a point; 16 382 directions and 2 more rows make the 16 384 rows of a group.
    expect(plan.chunk).toBe(1);
    expect(plan.groups).toMatchObject({ size: 16_382, count: Math.ceil(1e6 / 16_382) });
    expect(plan.shape).toMatchObject({ points: 1, directions: 16_382 });
    // The largest buffer is a layer's for one group (16 384 rows × 128 floats), not a point's
    // 1.5 GiB; the groups' tangent table holds 2 slots of 4 + 4 bytes per (padded) direction.
    expect(Math.max(...plan.buffers.map((b) => b.bytes))).toBe(16_384 * 128 * 4);
    expect(plan.groups?.named.table.index.bytes).toBe(plan.groups!.count * 16_382 * 2 * 4);
    expect(plannedBytes(plan.buffers)).toBeLessThan(64 * 2 ** 20);
    // Dense jets (the exact biharmonic) are not grouped: a point's d² jets go through at once.
    const biharmonic = findPde('biharmonic-clamped-sin-cos');
    if (biharmonic.domain !== 'ball') throw new Error('not a ball problem');
    const dense = planExactResidual(
      biharmonic,
      architectureOf({ ...options, dimension: 20 }),
      { count: 10, label: 'v' },
      limits,
      100,
    );
    expect(dense.groups).toBeNull();
    expect(dense.shape).toMatchObject({ points: 1, directions: 400 });
  });
});

describe('uniforms filled by field name hold the hand-packed bytes', () => {
  it('samplers.wgsl: ball, parabolic and box draws', () => {
    const view = samplerParamsView();
    // 11 words, padding to 48 bytes, then the two vec4f of the box: 80 bytes.
    expect(view.size).toBe(80);
    const ball = planBallDraw(7, 'volume-uniform', 33, { seed: 5, stream: 9 });
    expectSameBytes(
      view.pack(ball.params),
      handPacked(
        [
          ...[5, 9, 33, 7, 0].map((u32) => ({ u32 })), // seed, stream, N, d, law
          { f32: 0 },
          ...[0, 0, 0, 4096, 1].map((u32) => ({ u32 })), // no box; block, blocks S = ⌈7/4096⌉
        ],
        80,
      ),
    );
    expect(ball.dispatches).toEqual([
      { kernel: 'ballNormals', workgroups: 33 },
      { kernel: 'ballScales', workgroups: 1 },
      { kernel: 'ballWrite', workgroups: Math.ceil((33 * 7) / 64) },
    ]);
    expect(ball.source).toEqual({ storage: 'stored' });
    // A training step's draw adds each point's ‖x‖² after the (scale, offset) pairs: in order
    // at one block, over blocks at more; regenerated points store no coordinate.
    const key = { seed: 5, stream: 9 };
    const draw = { seed: 5, stream: 9, scalesAt: 33, normsAt: 33 + 2 * 33 };
    const withNorms = planBallDraw(7, 'volume-uniform', 33, key, 4096, 'stored', true);
    expect(withNorms.dispatches.map((d) => d.kernel)).toEqual([
      'ballNormals',
      'ballScales',
      'ballWrite',
      'ballNorms',
    ]);
    expect(withNorms.named.partials.bytes).toBe(4 * (33 + 3 * 33));
    expect(withNorms.source).toEqual({ storage: 'stored', draw });
    const redrawn = planBallDraw(7, 'volume-uniform', 33, key, 4096, 'regenerated');
    expect(redrawn.params).toEqual(ball.params);
    expect(redrawn.dispatches).toEqual([
      { kernel: 'ballNormals/regenerated', workgroups: 33 },
      { kernel: 'ballScales', workgroups: 1 },
      { kernel: 'ballNorms/regenerated', workgroups: 1 },
    ]);
    expect(redrawn.named.points.bytes).toBe(4);
    expect(redrawn.named.partials.bytes).toBe(4 * (33 + 3 * 33));
    expect(redrawn.source).toEqual({ storage: 'regenerated', draw });
    const wideRedrawn = planBallDraw(9000, 'volume-uniform', 33, key, 4096, 'regenerated');
    expect(wideRedrawn.dispatches.map((d) => [d.kernel, d.workgroups])).toEqual([
      ['ballNormals/regenerated', 99],
      ['ballScales', 1],
      ['ballNormBlocks/regenerated', 99],
      ['ballNorms/regenerated', 1],
    ]);
    expect(() => planBallDraw(7, 'volume-uniform', 33, key, 4096, 'regenerated', false)).toThrow(
      /norms = true/,
    );
    // d = 100 000, 32 points: 25 blocks, 800 workgroups of normals (≥ 512, the scale issue's bar).
    const wide = planBallDraw(100_000, 'volume-uniform', 32, { seed: 0 });
    expect(wide.params).toMatchObject({ block: 4096, blocks: 25 });
    expect(wide.dispatches[0].workgroups).toBe(800);
    expect(wide.named.partials.bytes).toBe(4 * (32 * 25 + 2 * 32));
    expect(() => planBallDraw(7, 'volume-uniform', 3, { seed: 0 }, 100)).toThrow(/multiple of 64/);
    const parabolic = planParabolicDraw(7, 0.3, 'terminal', 33, { seed: 5 });
    expectSameBytes(
      view.pack(parabolic.params),
      handPacked([{ u32: 5 }, { u32: 3 }, { u32: 33 }, { u32: 7 }, { u32: 1 }, { f32: 0.3 }], 80),
    );
    expect(parabolic.dispatches).toEqual([
      { kernel: 'parabolic', workgroups: Math.ceil((33 * 8) / 64) },
    ]);
    const box = planBoxDraw(
      { low: [-1, -0.5, 0], high: [1, 0.5, 2], timeIndex: 2, interior: 20 },
      33,
      { seed: 5 },
    );
    const zero = { u32: 0 };
    expectSameBytes(
      view.pack(box.params),
      handPacked(
        [
          ...[5, 2, 33, 3, 0].map((u32) => ({ u32 })), // seed, RandomStream.points, N, width, law
          { f32: 0 },
          ...[20, 5, 2].map((u32) => ({ u32 })), // interior, faces (1 + 2·2), timeIndex
          zero,
          zero,
          zero,
          ...[-1, -0.5, 0, 0, 1, 0.5, 2, 0].map((f32) => ({ f32 })),
        ],
        80,
      ),
    );
    expect(box.dispatches).toEqual([{ kernel: 'box', workgroups: Math.ceil((33 * 3) / 64) }]);
    const bad = { low: [-1, 0], high: [1, 1], timeIndex: 1, interior: 4 };
    expect(() => planBoxDraw({ ...bad, low: [1, 0] }, 8, { seed: 0 })).toThrow(/low < high/);
    expect(() => planBoxDraw({ ...bad, timeIndex: 2 }, 8, { seed: 0 })).toThrow(/0\.\.1/);
    expect(() => planBoxDraw({ ...bad, interior: 9 }, 8, { seed: 0 })).toThrow(/0\.\.8, got 9/);
    expect(() => planBoxDraw({ ...bad, low: [0], high: [1] }, 8, { seed: 0 })).toThrow(/2 to 4/);
  });

  it('randomJets.wgsl, with an extra tangent', () => {
    const spec = {
      kind: 'sparse' as const,
      directions: 3,
      order: 2,
      dimension: 9,
      range: 8,
      extra: { order: 2, index: 8, value: 1 / 8 },
    };
    const plan = planRandomJets(spec, 11, { seed: 4 });
    expectSameBytes(
      randomJetsParamsView().pack(plan.params),
      handPacked(
        [
          { u32: 4 },
          { u32: 1 }, // RandomStream.jets
          { u32: 11 },
          { u32: 3 },
          { u32: 2 },
          { u32: 9 },
          { u32: 8 },
          { u32: 2 },
          { u32: 8 },
          { f32: 1 / 8 / 2 },
          { u32: 1 }, // subsets
          { u32: 1 }, // sampledOrder: the drawn tangent at order 1
          { u32: 0 }, // pointOrder: no per-point tangent
        ],
        52,
      ),
    );
    // The unbiased loss's two independent subsets of 3: six jets, subsets = 2.
    const two = planRandomJets({ ...spec, directions: 6, subsets: 2 }, 11, { seed: 4 });
    const bytes = new DataView(randomJetsParamsView().pack(two.params).buffer);
    expect([bytes.getUint32(12, true), bytes.getUint32(40, true)]).toEqual([6, 2]);
  });

  it('pinnResidual.wgsl', () => {
    const view = viewOf([
      lib.accurateMath,
      lib.grid,
      lib.nonlinearity,
      { name: 'pinnResidual.wgsl', code: residualCode },
    ]);
    const plan = planResidualLoss(
      { nonlinearity: 'sine-gordon', nonlinearityScale: 6, termScale: 2 },
      7,
      13,
      true,
    );
    expect(plan.constants).toEqual({ WORKGROUP_SIZE: 64, NONLINEARITY: 2, LOSS: 1 });
    expectSameBytes(
      view.pack(plan.params),
      handPacked([{ u32: 7 }, { u32: 13 }, { f32: 1 / 7 }, { f32: 2 }, { f32: 6 }], 32),
    );
  });

  it('parabolicTerminalLoss.wgsl and the gradient sum (elementwise.wgsl)', () => {
    const options = resolveTrainingOptions({
      ...PLANNED_RUNS.parabolic,
      points: 24,
      terminalWeight: 20,
      terminalGradientWeight: 0.05,
    });
    const pde = findPde(options.pde);
    if (pde.domain !== 'spacetime') throw new Error('not a parabolic problem');
    const plan = planParabolicGraph(pde, options, architectureOf(options), limits);
    const [n, m, d, lambda, gamma] = [24, 24, 5, 20, 0.05];
    const terminalView = viewOf([{ name: 'parabolicTerminalLoss.wgsl', code: terminalLossCode }]);
    expectSameBytes(
      terminalView.pack(plan.terminalLoss.params),
      handPacked(
        [
          { u32: m },
          { u32: d },
          { u32: 1 + d },
          { u32: n },
          { f32: gamma },
          { f32: (lambda * (n + m)) / m },
          { f32: (2 * lambda) / m },
          { f32: (2 * lambda * gamma) / m },
        ],
        32,
      ),
    );
    const count = parameterLayout(architectureOf(options).widths).count;
    const sumView = viewOf([{ name: 'elementwise.wgsl', code: elementwiseCode }]);
    expectSameBytes(
      sumView.pack(plan.gradientSum?.params as StructValue),
      handPacked([{ u32: count }, { f32: 1 }], 16),
    );
  });

  it('cotangentDot.wgsl and the point params of pdeExact.wgsl and pdeTerminal.wgsl', () => {
    const plan = planCotangentDot(70, 9);
    const view = viewOf([{ name: 'cotangentDot.wgsl', code: cotangentDotCode }]);
    expectSameBytes(
      view.pack({ points: 70, valuesPerPoint: 9 }),
      handPacked([{ u32: 70 }, { u32: 9 }], 8),
    );
    expect(plan.named.params.bytes).toBe(view.size);
    expect(plan.workgroups).toBe(2);
    const batch = { points: null as unknown as GPUBuffer, count: 12, dim: 4, stride: 5 };
    const old = handPacked([{ u32: 12 }, { u32: 4 }, { u32: 5 }], 16);
    expectSameBytes(terminalParamsView().pack(pointParams(batch)), old);
    expectSameBytes(
      exactParamsView().pack({
        ...pointParams(batch),
        block: 4096,
        blocks: 1,
        pointSource: [7, 2, 40, 64],
      }),
      handPacked(
        // count, dim, stride, block, blocks; the vec4 pointSource at its 16-byte alignment.
        [12, 4, 5, 4096, 1, 0, 0, 0, 7, 2, 40, 64].map((u32) => ({ u32 })),
        48,
      ),
    );
  });

  it('pdeExact.wgsl runs over (point, block): ≥ 512 workgroups at d = 100 000, one block to d = 4096', () => {
    // d = 100 000, 32 points: 25 blocks, 800 workgroups of sums (≥ 512, the scale issue's bar).
    const wide = planExactDispatches('two-body', 32, 100_000);
    expect(wide).toEqual({
      block: 4096,
      blocks: 25,
      dispatches: [
        { entryPoint: 'twoBodyBlocks', workgroups: 800 },
        { entryPoint: 'laplacianFinish', workgroups: 1 },
      ],
      partialsBytes: 16 * (2 * 32 * 25 + 32),
    });
    // The sin chain's two rounds: the (q, s) scale between them.
    expect(planExactDispatches('sin-chain-4', 100, 5000).dispatches).toEqual([
      { entryPoint: 'sinChainNormBlocks', workgroups: 200 },
      { entryPoint: 'sinChainScale', workgroups: 2 },
      { entryPoint: 'sinChainBlocks', workgroups: 200 },
      { entryPoint: 'sinChainFinish', workgroups: 2 },
    ]);
    expect(planExactDispatches('clamped-sin-cos', 3, 4096).blocks).toBe(1);
    expect(planExactDispatches('clamped-sin-cos', 3, 4097).blocks).toBe(2);
    expect(() => planExactDispatches('two-body', 3, 10, 0)).toThrow(/positive integer/);
    // Every plan holding the exact values counts their partials.
    const pde = findPde('allen-cahn-two-body');
    if (pde.domain !== 'ball') throw new Error('not a ball problem');
    const plan = planExactAtPoints(pde, 100_000, 32, 'x');
    expect(plan.named.partials.bytes).toBe(wide.partialsBytes);
    expect(plan.buffers).toContain(plan.named.partials);
  });

  it('zerothOrder.wgsl: the params of every bound dispatch and the layer table', () => {
    const widths = [5, 16, 16, 1];
    const config = {
      widths,
      seed: 77,
      stream: 0x7a01,
      family: { kind: 'subspace' as const, rank: 3, period: 10 },
    };
    const plan = planParameterDirections(config);
    const parts = [
      lib.random,
      lib.grid,
      lib.finiteBits,
      { name: 'zerothOrder.wgsl', code: zerothOrderCode },
    ];
    const layout = parameterLayout(widths);
    const params = directionParams(config, plan, { direction: 2, scale: -1e-3 });
    expectSameBytes(
      viewOf(parts).pack(params),
      handPacked(
        [
          { u32: layout.count },
          { u32: 77 },
          { u32: 0x7a01 },
          { u32: 0x7a02 },
          { u32: 3 },
          { u32: 10 },
          { u32: layout.layers.length },
          { u32: 1 },
          { u32: 2 },
          { f32: 0 },
          { f32: -1e-3 },
        ],
        48,
      ),
    );
    const table = new Uint32Array(33 * 4);
    layout.layers.forEach((s, l) =>
      table.set([s.weightOffset, s.biasOffset, s.inputs, s.outputs], 4 * l),
    );
    expectSameBytes(viewOf(parts, 'layers').pack(plan.layers), new Uint8Array(table.buffer));
    expect(plan.workgroups).toBe(Math.ceil(layout.count / 64));
    expect(plan.constants.summarize).toEqual({ SUBSPACE: 0 });
    expect(plan.constants.perturb).toEqual({ WORKGROUP_SIZE: 64, SUBSPACE: 1 });
  });
});
