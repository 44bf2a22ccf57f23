/**
 * The perturbed forward jet (ForwardJetConfig.perturbed, jetForward.wgsl PERTURBED) reads every
 * weight and bias as the zeroth-order trial value θ + scale·z_j, z_j redrawn at the element's flat
 * index. Checked two ways on each first-layer path (one-hot and dense tangents, the layer fused or
 * split over its inputs, the parameters in one buffer or in blocks that cut W₁ between rows):
 * - bit for bit the unperturbed pass over the trial point that zerothOrder.wgsl's perturb writes
 *   to a buffer (what training without the inline estimate reads);
 * - against the unperturbed pass over a trial point built on the CPU from the Philox mirror
 *   (random/counterRandom.ts) in float64, so the direction drawn is the right one, not just the
 *   same one twice: to 2e-5 of the output's scale (f32 rounding of the trial weights and the pass).
 */
import { describe, expect, it } from 'vitest';
import {
  ForwardJet,
  type ForwardJetConfig,
  perturbationView,
  type TangentKind,
} from '../../src/engine/forwardJet.ts';
import { packParameters } from '../../src/engine/jetLayout.ts';
import {
  createBlockedTensor,
  planParameterBlocks,
  readBlockedTensor,
  type ParameterBlocks,
  singleBlock,
} from '../../src/engine/parameterBlocks.ts';
import type { GpuMemory } from '../../src/gpu/gpuMemory.ts';
import { initParameters } from '../../src/jet/mlp.ts';
import { normalAt, randomKey } from '../../src/random/counterRandom.ts';
import { DirectionStream, ParameterDirections } from '../../src/train/parameterDirections.ts';
import { blockedPass, seededBatch } from '../shared/blockedJetRuns.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

let memory: GpuMemory;
useNodeGpu((_context, created) => (memory = created));

const { dim, architecture, shape } = blockedPass;
const trial = { seed: 11, direction: 1, scale: -0.02, trainStep: 3 };
const theta = packParameters(architecture.widths, initParameters(architecture, 3));
const count = theta.length;

interface Case {
  kind: TangentKind;
  firstLayerBlockInner: number;
  blocks: ParameterBlocks;
}

async function run(c: Case, perturbed: boolean, parameters: Float32Array): Promise<Float32Array> {
  const config: ForwardJetConfig = {
    architecture,
    shape,
    tangentKind: c.kind,
    firstLayerBlockInner: c.firstLayerBlockInner,
    parameterBlocks: c.blocks,
    perturbed,
  };
  const tensor = createBlockedTensor(memory, 'parameters', c.blocks, parameters);
  const jet = await ForwardJet.create(memory, config, tensor);
  try {
    expect(jet.perturbation !== null).toBe(perturbed);
    if (jet.perturbation) {
      memory.writeStruct(jet.perturbation, perturbationView, {
        ...trial,
        directionStream: DirectionStream.perturbation,
      });
    }
    const { x, tangents } = seededBatch(shape, dim, c.kind);
    return await jet.run(x, tangents);
  } finally {
    jet.destroy();
    for (const buffer of tensor.buffers) memory.destroy(buffer);
  }
}

/** The trial point as training without the inline estimate writes it (zerothOrder.wgsl perturb). */
async function gpuTrialPoint(): Promise<Float32Array> {
  const directions = await ParameterDirections.create(memory, {
    widths: architecture.widths,
    seed: trial.seed,
    stream: DirectionStream.perturbation,
    family: { kind: 'full' },
  });
  const blocks = singleBlock(count);
  const source = createBlockedTensor(memory, 'θ', blocks, theta);
  const destination = createBlockedTensor(memory, 'trial', blocks);
  const stepCounter = memory.createFrom('step', Uint32Array.of(trial.trainStep));
  const losses = memory.create('losses', 8);
  const perturb = directions.bind(
    'perturb',
    { stepCounter, parameters: source.buffers[0], losses, destination: destination.buffers[0] },
    { direction: trial.direction, scale: trial.scale },
  );
  const encoder = memory.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  perturb.record(pass);
  pass.end();
  memory.device.queue.submit([encoder.finish()]);
  const values = await readBlockedTensor(memory.device, destination);
  directions.destroy();
  for (const buffer of [...source.buffers, ...destination.buffers, stepCounter, losses]) {
    memory.destroy(buffer);
  }
  return values;
}

/** θ + scale·z_j in float64 from the CPU mirror of the Philox draw, then rounded to f32. */
function cpuTrialPoint(): Float32Array {
  const key = randomKey(trial.seed, DirectionStream.perturbation);
  return Float32Array.from(
    theta,
    (t, i) => t + trial.scale * normalAt(key, trial.trainStep, trial.direction, 0, i),
  );
}

describe('the perturbed forward jet', () => {
  // 40 rows of 300 weights: blocks of 13 rows, the last with 1 row and the rest.
  const blocks = planParameterBlocks(architecture.widths, 13 * dim * 4);
  const cases: [string, Case][] = [
    ['one-hot, fused', { kind: 'oneHot', firstLayerBlockInner: 0, blocks: singleBlock(count) }],
    ['dense, fused', { kind: 'dense', firstLayerBlockInner: 0, blocks: singleBlock(count) }],
    ['one-hot, split over inputs', { kind: 'oneHot', firstLayerBlockInner: 64, blocks }],
    ['dense, in 4 parameter blocks', { kind: 'dense', firstLayerBlockInner: 0, blocks }],
  ];
  for (const [name, c] of cases) {
    it(`${name}: the pass over the stored trial point, bit for bit`, async () => {
      const stored = await gpuTrialPoint();
      const inline = await run(c, true, theta);
      const reference = await run(c, false, stored);
      const unperturbed = await run(c, false, theta);
      expect(new Uint32Array(inline.buffer)).toEqual(new Uint32Array(reference.buffer));
      // The perturbation moved the output (a pass that ignored it would match θ's).
      expect(inline.some((v, i) => v !== unperturbed[i])).toBe(true);
      const cpu = await run(c, false, cpuTrialPoint());
      const scale = Math.max(...cpu.map(Math.abs));
      inline.forEach((v, i) => expect(Math.abs(v - cpu[i])).toBeLessThanOrEqual(2e-5 * scale));
    }, 60_000);
  }
});
