/**
 * What the tests of the jet passes over parameter blocks (src/engine/parameterBlocks.ts) share:
 * a seeded batch, and a forward then backward pass whose gradient bits a test compares between
 * one buffer and blocks.
 */
import { BackwardJet } from '../../src/engine/backwardJet.ts';
import { ForwardJet, type TangentKind } from '../../src/engine/forwardJet.ts';
import {
  type JetShape,
  layerElements,
  packParameters,
  parameterLayout,
  type TangentInput,
} from '../../src/engine/jetLayout.ts';
import {
  createBlockedTensor,
  type ParameterBlocks,
  readBlockedTensor,
} from '../../src/engine/parameterBlocks.ts';
import type { GridLimits } from '../../src/gpu/dispatch.ts';
import { readFloat32 } from '../../src/gpu/gpuMemory.ts';
import { initParameters, type MlpArchitecture } from '../../src/jet/mlp.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import type { NodeGpuFixture } from './nodeGpuFixture.ts';

/** The tanh network of `widths` with the ball's boundary factor. */
export function ballNetwork(widths: number[]): MlpArchitecture {
  return { widths, activation: 'tanh', boundary: 'ball' };
}

/**
 * The pass the forward tests over parameter blocks run (forwardJetBlocks, perturbedForwardJet,
 * forwardGradientJetBlocks): d = 300 into 40, 24 and 1 tanh units with the ball's factor, 5
 * points of 3 collapsed order-2 jets; d is below the first layer's split threshold, so a test
 * that splits it says so (firstLayerBlockInner).
 */
export const blockedPass = {
  dim: 300,
  architecture: ballNetwork([300, 40, 24, 1]),
  shape: { points: 5, directions: 3, order: 2, structure: 'collapsed' as const },
};

/**
 * Points near the origin and tangents of `kind` for `shape` at d = `dim`, from seed 7; one-hot
 * indices repeat within and across points, and every seventh slot from the fourth is a zero
 * tangent.
 */
export function seededBatch(
  shape: Omit<JetShape, 'structure'>,
  dim: number,
  kind: TangentKind,
): { x: Float32Array; tangents: TangentInput } {
  const random = new SeededRandom(7);
  const x = Float32Array.from({ length: shape.points * dim }, () => 0.05 * random.normal());
  const slots = shape.points * shape.directions * shape.order;
  if (kind === 'dense') {
    const values = Float32Array.from({ length: slots * dim }, () => 0.05 * random.normal());
    return { x, tangents: { kind, values } };
  }
  const index = Int32Array.from({ length: slots }, (_, s) => (s % 7 === 3 ? -1 : (s * 37) % dim));
  const coefficient = Float32Array.from({ length: slots }, () => random.normal());
  return { x, tangents: { kind, index, coefficient } };
}

export interface BackwardCase {
  widths: number[];
  shape: JetShape;
  kind: TangentKind;
  /** BackwardJetOptions.splitRows: undefined keeps small reductions whole. */
  splitRows?: number;
}

/**
 * The forward pass of seed 3's network on seededBatch, then the backward pass of a seed-11
 * cotangent, over `blocks` (one flat buffer when absent) and planned on `limits` (the device's
 * when absent): the gradient's bits. The gradient starts as NaN everywhere, so an element the
 * pass does not write (or a surplus workgroup overwrites) shows. Frees what it allocated.
 */
export async function backwardGradientBits(
  gpu: NodeGpuFixture,
  c: BackwardCase,
  blocks?: ParameterBlocks,
  limits?: GridLimits,
): Promise<Uint32Array> {
  const { memory, device } = gpu;
  const architecture = ballNetwork(c.widths);
  const count = parameterLayout(c.widths).count;
  const flat = packParameters(c.widths, initParameters(architecture, 3));
  const params = blocks
    ? createBlockedTensor(memory, 'blocked parameters', blocks, flat)
    : memory.createFrom('parameters', flat);
  const config = { architecture, shape: c.shape, tangentKind: c.kind, parameterBlocks: blocks };
  const forward = await ForwardJet.create(memory, config, params);
  const { x, tangents } = seededBatch(c.shape, c.widths[0], c.kind);
  await forward.run(x, tangents);
  const random = new SeededRandom(11);
  const bar = Float32Array.from({ length: layerElements(c.shape, 1) }, () => random.normal());
  const cotangent = memory.createFrom('cotangent', bar);
  const options = { splitRows: c.splitRows, parameterBlocks: blocks };
  const backward = await BackwardJet.create(memory, architecture, c.shape, c.kind, options, limits);
  const stale = new Float32Array(count).fill(Number.NaN);
  const gradient = blocks
    ? createBlockedTensor(memory, 'blocked gradient', blocks, stale)
    : memory.createFrom('gradient', stale);
  const encoder = device.createCommandEncoder();
  backward.encode(encoder, { forward: forward.buffers, params, cotangent, gradient });
  device.queue.submit([encoder.finish()]);
  const values =
    'buffers' in gradient
      ? await readBlockedTensor(device, gradient)
      : await readFloat32(device, gradient, count);
  backward.destroy();
  forward.destroy();
  memory.destroyAll();
  return new Uint32Array(values.buffer);
}
