/**
 * Regenerated collocation points (pointStorage 'regenerated', src/engine/pointSource.ts): the ball
 * draw stores no coordinate, and the jet pass, its backward pass and the exact source redraw x_i
 * where they read it (shaders/lib/ballPoints.wgsl). Checked against the stored draw: the draws'
 * scales and ‖x‖² bit for bit, and ‖x‖² against a float64 sum of the stored coordinates; training
 * runs byte for byte against the stored runs, for backprop and SPSA, at a d of one coordinate
 * block and of three (d = 9000 also splits the first layer over its inputs).
 */
import { describe, expect, it } from 'vitest';
import { GpuMemory, readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { BALL_BLOCK, GpuPointSamplers, planBallDraw } from '../../src/random/gpuPointSamplers.ts';
import { GpuStepCounter } from '../../src/random/stepCounter.ts';
import type { TrainingOptions } from '../../src/train/options.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { smallRunOptions } from '../shared/smallRuns.ts';

const gpu = useNodeGpu();

async function drawPartials(storage: 'stored' | 'regenerated', d: number, N: number) {
  const memory = new GpuMemory(gpu.device);
  const counter = new GpuStepCounter(memory);
  counter.set(3);
  const samplers = await GpuPointSamplers.create(gpu.device, [
    'ball',
    'ballNorms',
    'regeneratedBall',
  ]);
  const plan = planBallDraw(d, 'volume-uniform', N, { seed: 11 }, BALL_BLOCK, storage, true);
  const draw = samplers.prepare(memory, counter.buffer, plan);
  const encoder = gpu.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  draw.record(pass);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
  const partials = await readFloat32(gpu.device, draw.partials, plan.named.partials.bytes / 4);
  const points = storage === 'stored' ? await readFloat32(gpu.device, draw.points, N * d) : null;
  draw.destroy();
  counter.destroy();
  return { plan, partials, points };
}

async function run(options: TrainingOptions, rollback = false) {
  const trainer = await Trainer.create(gpu.device, options, undefined, undefined, { rollback });
  try {
    await trainer.train(options.steps);
    const state = await trainer.state();
    return { losses: trainer.logs.map((log) => log.loss), parameters: state.parameters };
  } finally {
    trainer.dispose();
  }
}

/** 32 points of width 32 at d = 4170: a first layer split into blocks of 130 inputs. */
const splitInBlocksOf130 = { dimension: 4170, points: 32, width: 32 } as const;

describe('regenerated collocation points', () => {
  for (const d of [7, 9000]) {
    it(`d = ${d}: the draw's scales and ‖x‖² are the stored draw's bits, ‖x‖² the points' to f32`, async () => {
      const N = 5;
      const stored = await drawPartials('stored', d, N);
      const regenerated = await drawPartials('regenerated', d, N);
      const draw = regenerated.plan.source.draw;
      if (!draw || !stored.points) throw new Error('the draws have no norms');
      expect(stored.plan.source.draw).toEqual(draw);
      // The stored plan keeps an N·d buffer; the regenerated one a one-float stand-in.
      expect(stored.plan.named.points.bytes).toBe(N * d * 4);
      expect(regenerated.plan.named.points.bytes).toBe(4);
      const scalesAndNorms = (p: Float32Array) => p.slice(draw.scalesAt, draw.normsAt + N);
      expect(scalesAndNorms(regenerated.partials)).toEqual(scalesAndNorms(stored.partials));
      for (let p = 0; p < N; p++) {
        let normSquared = 0;
        for (let i = 0; i < d; i++) normSquared += stored.points[p * d + i] ** 2;
        const measured = regenerated.partials[draw.normsAt + p];
        // f32 sums of d terms of one sign: well inside d·2^-24 relative.
        expect(Math.abs(measured - normSquared) / normSquared).toBeLessThan(1e-6);
      }
    });
  }

  // Both read the same x and the draw's ‖x‖²: the runs are the same bits.
  for (const [name, overrides] of [
    ['backprop + Adam, d = 6', { gradientEstimator: 'backprop' }],
    ['backprop + Adam, d = 9000', { gradientEstimator: 'backprop', dimension: 9000 }],
    ['SPSA + Adam, d = 9000', { gradientEstimator: 'spsa', dimension: 9000 }],
    // The tangent pass redraws x too, and draws v (no rollback copy: the inline estimate). Its
    // first layer sums in tiles that draw x once for 8 units (jetForwardTangent.wgsl tiledSums):
    // unsplit at d = 1001 (a last tile of 9 inputs); at d = 4170, 32 points of width 32, split
    // into blocks of 130 inputs, which start inside a Philox block of x and of v.
    [
      'forward gradient + Adam, d = 1001',
      { gradientEstimator: 'forward-gradient', perturbationDirections: 1, dimension: 1001 },
    ],
    [
      'forward gradient + Adam, d = 4170',
      { ...splitInBlocksOf130, gradientEstimator: 'forward-gradient', perturbationDirections: 1 },
    ],
    [
      // With the rollback copy v is stored: the tiles share only x.
      'forward gradient + Adam with the rollback copy, d = 4170',
      {
        ...splitInBlocksOf130,
        gradientEstimator: 'forward-gradient',
        perturbationDirections: 1,
        rollback: true,
      },
    ],
    [
      'order-4 diagonal, exact jets, d = 5',
      { pde: 'diagonal-order-4', estimator: 'exact', dimension: 5 },
    ],
  ] as const) {
    it(`${name}: the stored run's losses and weights, bit for bit`, async () => {
      const { rollback, ...options } = { rollback: false, ...overrides };
      const base = { width: 8, points: 8, steps: 8, logEvery: 1, ...options };
      const stored = await run(smallRunOptions(base), rollback);
      const regenerated = await run(
        smallRunOptions({ ...base, pointStorage: 'regenerated' }),
        rollback,
      );
      expect(regenerated.losses).toHaveLength(8);
      expect(regenerated.losses.every(Number.isFinite)).toBe(true);
      expect(regenerated.losses).toEqual(stored.losses);
      expect(Buffer.from(regenerated.parameters.buffer)).toEqual(
        Buffer.from(stored.parameters.buffer),
      );
    });
  }
});
