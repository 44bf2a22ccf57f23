// Where a training step's time goes as d grows: the stages of a Trainer step of two-body
// Allen–Cahn (small setup, sparse B = 16, collapsed), each submitted and timed on its own, at
// d = 100 / 10K / 100K. It explains the t(100K)/t(100) ratio of the scaling sweep: the stages
// whose cost grows with d are the ones to fix first.
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/stepBreakdown.ts
// Writes bench/results/stepBreakdown-<adapter>.json.
import { BackwardJet } from '../src/engine/backwardJet.ts';
import { DivergenceGuard } from '../src/engine/divergenceGuard.ts';
import { ForwardJet } from '../src/engine/forwardJet.ts';
import { layerElements, packParameters, parameterLayout } from '../src/engine/jetLayout.ts';
import { GpuAdam } from '../src/engine/optimizers.ts';
import { GpuBuffers } from '../src/gpu/buffers.ts';
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { initParameters } from '../src/jet/mlp.ts';
import { laplacianOperator } from '../src/operators/laplacian.ts';
import { type BallPdeEntry, findPde } from '../src/pdes/index.ts';
import { RandomStream } from '../src/random/counterRandom.ts';
import { GpuPointSamplers } from '../src/random/gpuPointSamplers.ts';
import { GpuRandomJets } from '../src/random/gpuRandomJets.ts';
import { GpuStepCounter } from '../src/random/stepCounter.ts';
import { architectureOf, resolveTrainingOptions } from '../src/train/options.ts';
import { BallExactAtPoints } from '../src/train/ballExactAtPoints.ts';
import type { BreakdownResults, BreakdownRow } from './lib/breakdownTypes.ts';
import { adapterRecord, finishMachineRecord, machineRecord } from './lib/machine.ts';
import { writeResults } from './lib/results.ts';
import { spreadOf } from './lib/stats.ts';

const DIMENSIONS = [100, 10_000, 100_000];
const SETUP = { points: 32, width: 32, depth: 3, jets: 16 };
const REPETITIONS = 3;

const machine = machineRecord();
const gpu = await acquireNodeGpu({ largeLimits: true });
const device = gpu.device;
const started = performance.now();
const rows: BreakdownRow[] = [];

async function timed(encode: (encoder: GPUCommandEncoder) => void): Promise<number> {
  const encoder = device.createCommandEncoder();
  encode(encoder);
  const start = performance.now();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

try {
  for (const d of DIMENSIONS) {
    const options = resolveTrainingOptions({
      dimension: d,
      points: SETUP.points,
      width: SETUP.width,
      depth: SETUP.depth,
      jetsPerPoint: SETUP.jets,
      testPoints: SETUP.points,
    });
    const pde = findPde(options.pde) as BallPdeEntry;
    const architecture = architectureOf(options);
    const memory = new GpuBuffers(device);
    const N = SETUP.points;
    const operator = laplacianOperator({ dimension: d, method: 'sparse', samples: SETUP.jets });
    const shape = operator.shape(N, 'collapsed');
    const count = parameterLayout(architecture.widths).count;
    const params = memory.createFrom(
      'parameters',
      packParameters(architecture.widths, initParameters(architecture, 0)),
    );
    const gradient = memory.create('gradient', count * 4);
    const counter = new GpuStepCounter(memory);
    counter.set(1);
    const pointDraw = (await GpuPointSamplers.create(device)).ball(
      memory,
      d,
      options.sampler,
      N,
      { seed: 0 },
      counter.buffer,
    );
    const draw = operator.draw;
    if (draw.kind !== 'random') throw new Error('the sparse Laplacian draws random jets');
    const jetDraw = (await GpuRandomJets.create(device)).prepare(
      memory,
      draw.spec,
      N,
      { seed: 0, stream: RandomStream.jets },
      counter.buffer,
    );
    if (jetDraw.tangents.kind !== 'oneHot') throw new Error('sparse jets are one-hot');
    const exact = await BallExactAtPoints.create(memory, pde, d, 0, {
      buffer: pointDraw.points,
      count: N,
      label: 'collocation',
    });
    const forward = await ForwardJet.create(
      memory,
      { architecture, shape, tangentKind: 'oneHot' },
      params,
      {
        x: pointDraw.points,
        tangents: jetDraw.tangents.coefficient,
        tangentIndex: jetDraw.tangents.index,
      },
    );
    const cotangent = memory.createFrom(
      'cotangent',
      new Float32Array(layerElements(shape, 1)).fill(1 / N),
    );
    const backward = await BackwardJet.create(memory, architecture, shape, 'oneHot');
    const guard = await DivergenceGuard.create(memory, count);
    const adam = await GpuAdam.create(memory, count);
    let step = 0;
    const stages: { stage: string; encode: (encoder: GPUCommandEncoder) => void }[] = [
      {
        stage: 'point draw',
        encode: (e) => {
          const pass = e.beginComputePass();
          pointDraw.record(pass);
          pass.end();
        },
      },
      {
        stage: 'jet draw',
        encode: (e) => {
          const pass = e.beginComputePass();
          jetDraw.record(pass);
          pass.end();
        },
      },
      {
        stage: 'exact source f at the points',
        encode: (e) => {
          const pass = e.beginComputePass();
          exact.record(pass);
          pass.end();
        },
      },
      { stage: 'forward jets', encode: (e) => forward.encode(e) },
      {
        stage: 'backward jets',
        encode: (e) =>
          backward.encode(e, { forward: forward.buffers, params, cotangent, gradient }),
      },
      {
        stage: 'divergence check',
        encode: (e) => guard.encodeCheck(e, { gradient, step: ++step }),
      },
      {
        stage: 'Adam',
        encode: (e) =>
          adam.encodeStep(e, { params, gradient, learningRate: 1e-3, guard, step: ++step }),
      },
    ];
    // One untimed round, then rounds of every stage in turn (background load hits all alike).
    for (const s of stages) await timed(s.encode);
    const times = stages.map(() => [] as number[]);
    for (let r = 0; r < REPETITIONS; r++) {
      for (const [i, s] of stages.entries()) times[i].push(await timed(s.encode));
    }
    const row: BreakdownRow = {
      dimension: d,
      parameters: count,
      stages: stages.map((s, i) => ({ stage: s.stage, ms: spreadOf(times[i]) })),
    };
    rows.push(row);
    console.log(
      `d=${d}: ${row.stages.map((s) => `${s.stage} ${s.ms.median.toFixed(1)} ms`).join(', ')}`,
    );
    forward.destroy();
    backward.destroy();
    guard.destroy();
    adam.destroy();
    exact.destroy();
    jetDraw.destroy();
    memory.destroyAll();
  }
} finally {
  gpu.destroy();
}

const file: BreakdownResults = {
  benchmark: 'stepBreakdown',
  date: new Date().toISOString(),
  runSeconds: (performance.now() - started) / 1000,
  machine: finishMachineRecord(machine),
  adapter: adapterRecord(gpu.adapter),
  command: 'npm run bench:breakdown',
  setup: { ...SETUP, pde: 'allen-cahn-two-body', estimator: 'sparse', structure: 'collapsed' },
  repetitions: REPETITIONS,
  rows,
};
console.log(`wrote ${writeResults(file)}`);
