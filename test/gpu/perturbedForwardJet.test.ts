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
import { initParameters, type MlpArchitecture } from '../../src/jet/mlp.ts';
import { normalAt, randomKey } from '../../src/random/counterRandom.ts';
import { DirectionStream, ParameterDirections } from '../../src/train/parameterDirections.ts';
import { ballNetwork, blockedPass, seededBatch } from '../shared/blockedJetRuns.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

let memory: GpuMemory;
useNodeGpu((_context, created) => (memory = created));

const { shape } = blockedPass;
const trial = { seed: 11, direction: 1, scale: -0.02, trainStep: 3 };

/** A network, its inputs d and its packed θ. */
interface Net {
  dim: number;
  architecture: MlpArchitecture;
  theta: Float32Array;
}

function netOf(architecture: MlpArchitecture): Net {
  const theta = packParameters(architecture.widths, initParameters(architecture, 3));
  return { dim: architecture.widths[0], architecture, theta };
}

const wide = netOf(blockedPass.architecture);
/**
 * Layers narrower than 8 units load 2 inputs a tile (forwardJet.ts layerTiling), and rows of 7
 * inputs start at every offset within a Philox block of four: runs that straddle two blocks.
 */
const narrow = netOf(ballNetwork([301, 7, 5, 1]));

interface Case {
  kind: TangentKind;
  firstLayerBlockInner: number;
  blocks: ParameterBlocks;
}

async function run(
  c: Case,
  perturbed: boolean,
  parameters: Float32Array,
  net: Net = wide,
): Promise<Float32Array> {
  const config: ForwardJetConfig = {
    architecture: net.architecture,
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
    const { x, tangents } = seededBatch(shape, net.dim, c.kind);
    return await jet.run(x, tangents);
  } finally {
    jet.destroy();
    for (const buffer of tensor.buffers) memory.destroy(buffer);
  }
}

/** The trial point as training without the inline estimate writes it (zerothOrder.wgsl perturb). */
async function gpuTrialPoint(net: Net = wide): Promise<Float32Array> {
  const directions = await ParameterDirections.create(memory, {
    widths: net.architecture.widths,
    seed: trial.seed,
    stream: DirectionStream.perturbation,
    family: { kind: 'full' },
  });
  const blocks = singleBlock(net.theta.length);
  const source = createBlockedTensor(memory, 'θ', blocks, net.theta);
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
function cpuTrialPoint(net: Net = wide): Float32Array {
  const key = randomKey(trial.seed, DirectionStream.perturbation);
  return Float32Array.from(
    net.theta,
    (t, i) => t + trial.scale * normalAt(key, trial.trainStep, trial.direction, 0, i),
  );
}

describe('the perturbed forward jet', () => {
  // 40 rows of 300 weights: blocks of 13 rows, the last with 1 row and the rest.
  const blocks = planParameterBlocks(wide.architecture.widths, 13 * wide.dim * 4);
  const one = (net: Net) => singleBlock(net.theta.length);
  const cases: [string, Case, Net][] = [
    ['one-hot, fused', { kind: 'oneHot', firstLayerBlockInner: 0, blocks: one(wide) }, wide],
    ['dense, fused', { kind: 'dense', firstLayerBlockInner: 0, blocks: one(wide) }, wide],
    ['one-hot, split over inputs', { kind: 'oneHot', firstLayerBlockInner: 64, blocks }, wide],
    ['dense, in 4 parameter blocks', { kind: 'dense', firstLayerBlockInner: 0, blocks }, wide],
    [
      'one-hot, layers of 7 and 5 units',
      { kind: 'oneHot', firstLayerBlockInner: 0, blocks: one(narrow) },
      narrow,
    ],
  ];
  for (const [name, c, net] of cases) {
    it(`${name}: the pass over the stored trial point, bit for bit`, async () => {
      const stored = await gpuTrialPoint(net);
      const inline = await run(c, true, net.theta, net);
      const reference = await run(c, false, stored, net);
      const unperturbed = await run(c, false, net.theta, net);
      expect(new Uint32Array(inline.buffer)).toEqual(new Uint32Array(reference.buffer));
      // The perturbation moved the output (a pass that ignored it would match θ's).
      expect(inline.some((v, i) => v !== unperturbed[i])).toBe(true);
      const cpu = await run(c, false, cpuTrialPoint(net), net);
      const scale = Math.max(...cpu.map(Math.abs));
      inline.forEach((v, i) => expect(Math.abs(v - cpu[i])).toBeLessThanOrEqual(2e-5 * scale));
    }, 60_000);
  }
});
