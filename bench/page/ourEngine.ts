/**
 * Our side of the peer comparison: the Laplacian estimate at given points and directions through
 * the GPU jet engine (for the check), and a Trainer step of the same network and estimator (for
 * the timing).
 */
import { GpuJetEngine } from '../../src/engine/gpuJetEngine.ts';
import { tangentSlot } from '../../src/engine/jetLayout.ts';
import {
  type MlpArchitecture,
  type MlpParameters,
  toFloat32Parameters,
} from '../../src/jet/mlp.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { operatorBatch } from '../../src/operators/batch.ts';
import { laplacianOperator } from '../../src/operators/laplacian.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../../src/train/options.ts';
import { Trainer } from '../../src/train/trainer.ts';
import type { PeerBatch } from './peerModel.ts';
import type { PeerConfig } from './peerTypes.ts';

export function trainingOptionsOf(config: PeerConfig): TrainingOptions {
  return resolveTrainingOptions({
    pde: 'allen-cahn-two-body',
    dimension: config.dimension,
    estimator: 'sparse',
    jetsPerPoint: config.jets,
    collapsed: true,
    points: config.points,
    width: config.width,
    depth: config.depth,
    seed: config.seed,
    steps: 100_000_000,
    logEvery: 1_000_000,
    evalEvery: 0,
    testPoints: config.points,
  });
}

/** Points radius-uniform in the unit ball (STDE's sampler), seeded. */
function ballPoints(points: number, d: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  const x = new Float32Array(points * d);
  for (let p = 0; p < points; p++) {
    const v = Array.from({ length: d }, () => random.normal());
    const norm = Math.hypot(...v);
    const radius = random.uniform();
    v.forEach((value, i) => (x[p * d + i] = (value / norm) * radius));
  }
  return x;
}

export interface CheckBatch {
  peer: PeerBatch;
  /** Our engine's u and Laplacian estimate at the batch. */
  u: Float64Array;
  estimate: Float64Array;
}

/**
 * One batch of points and sparse directions (drawn by our operator), evaluated by our engine on
 * `params`; the peer gets the same points and directions.
 */
export async function ourEstimate(
  device: GPUDevice,
  architecture: MlpArchitecture,
  params: MlpParameters<Float64Array>,
  config: PeerConfig,
): Promise<CheckBatch> {
  const { points: N, dimension: d, jets: B, seed } = config;
  const operator = laplacianOperator({ dimension: d, method: 'sparse', samples: B });
  const x = ballPoints(N, d, seed + 1);
  const batch = operatorBatch(operator, x, { seed, step: 1 }, 'standard');
  if (batch.tangents.kind !== 'oneHot') throw new Error('sparse jets should be one-hot');
  const index = batch.tangents.index;
  const directions = Int32Array.from(
    { length: N * B },
    (_, s) => index[tangentSlot(batch.shape, Math.floor(s / B), s % B, 1)],
  );
  const engine = await GpuJetEngine.create(device, architecture, toFloat32Parameters(params));
  try {
    const outputs = await engine.forward(batch);
    const estimate = operator.estimate(outputs, batch.shape);
    const V = outputs.length / N;
    const u = Float64Array.from({ length: N }, (_, p) => outputs[p * V]);
    return { peer: { x, directions, points: N, dimension: d, jets: B }, u, estimate };
  } finally {
    engine.dispose();
  }
}

/** A Trainer of the configuration, stepping as the CLI and dashboard do. */
export async function ourTrainer(
  device: GPUDevice,
  config: PeerConfig,
): Promise<{ step: () => Promise<void>; dispose: () => void }> {
  const trainer = await Trainer.create(device, trainingOptionsOf(config));
  return {
    step: async () => {
      await trainer.train(1);
      await device.queue.onSubmittedWorkDone();
    },
    dispose: () => trainer.dispose(),
  };
}
