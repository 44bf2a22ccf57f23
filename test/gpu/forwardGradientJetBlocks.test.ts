/**
 * The forward jet with a parameter tangent (jetForwardTangent.wgsl) over θ and v split into
 * blocks (src/engine/parameterBlocks.ts) is the pass over one buffer each: the first layer runs
 * once per block over the rows of W₁ it holds and reads b₁, ḃ₁ from the copy the pass makes of
 * the last blocks' bias, so every (point, unit) sums the same products in the same order and u,
 * u̇ are the same bits. Checked for the first layer whole and split over its inputs, one-hot and
 * dense tangents, with blocks that cut W₁ between rows. A pass that draws v where it reads it
 * (ForwardJetConfig.drawnTangent) is the pass over the v zerothOrder.wgsl's `direction` writes,
 * bit for bit, in one buffer and in blocks. The float64 checks of the pass itself are
 * forwardGradientJet.test.ts's.
 */
import { describe, expect, it } from 'vitest';
import { ForwardGradientJet } from '../../src/engine/forwardGradientJet.ts';
import type { TangentKind } from '../../src/engine/forwardJet.ts';
import { layerElements, packParameters, parameterLayout } from '../../src/engine/jetLayout.ts';
import {
  createBlockedTensor,
  destroyBlockedTensor,
  planParameterBlocks,
  type ParameterBlocks,
  singleBlock,
} from '../../src/engine/parameterBlocks.ts';
import { readFloat32, type GpuMemory } from '../../src/gpu/gpuMemory.ts';
import { initParameters } from '../../src/jet/mlp.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { GpuStepCounter } from '../../src/random/stepCounter.ts';
import { DirectionStream, ParameterDirections } from '../../src/train/parameterDirections.ts';
import { blockedPass, seededBatch } from '../shared/blockedJetRuns.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

let memory: GpuMemory;
useNodeGpu((_context, created) => (memory = created));

const { dim, architecture, shape } = blockedPass;
const count = parameterLayout(architecture.widths).count;
const theta = packParameters(architecture.widths, initParameters(architecture, 3));
const random = new SeededRandom(5);
const v = Float32Array.from({ length: count }, () => random.normal());

/** The tangent pass's v: bound (a tensor of the given values) or drawn where read at `step`. */
type Tangent = { kind: 'bound'; values: Float32Array } | { kind: 'drawn'; seed: number };

const STEP = 9;

/** u then u̇ of the pass as bits, with θ and v in one buffer each or in `blocks`. */
async function outputBits(
  kind: TangentKind,
  firstLayerBlockInner: number,
  blocks?: ParameterBlocks,
  tangent: Tangent = { kind: 'bound', values: v },
  points = shape.points,
): Promise<Uint32Array> {
  const shape = { ...blockedPass.shape, points };
  const drawnTangent =
    tangent.kind === 'drawn'
      ? { seed: tangent.seed, directionStream: DirectionStream.tangent }
      : undefined;
  const config = { architecture, shape, tangentKind: kind, firstLayerBlockInner, drawnTangent };
  const tensor = (values: Float32Array) =>
    createBlockedTensor(memory, 'tensor', blocks ?? singleBlock(count), values);
  const parameters = tensor(theta);
  const tangents = tangent.kind === 'bound' ? tensor(tangent.values) : parameters;
  const counter = new GpuStepCounter(memory);
  counter.set(STEP);
  const { x, tangents: batch } = seededBatch(shape, dim, kind);
  const inputs = {
    x: memory.createFrom('x', x),
    tangents: memory.createFrom(
      'tangents',
      batch.kind === 'dense' ? batch.values : batch.coefficient,
    ),
    tangentIndex: batch.kind === 'oneHot' ? memory.createFrom('index', batch.index) : null,
    stepCounter: counter.buffer,
  };
  const jet = await ForwardGradientJet.create(
    memory,
    { ...config, parameterBlocks: blocks },
    blocks ? parameters : parameters.buffers[0],
    blocks ? tangents : tangents.buffers[0],
    inputs,
  );
  const device = memory.device;
  const encoder = device.createCommandEncoder();
  jet.encode(encoder);
  device.queue.submit([encoder.finish()]);
  const elements = layerElements(shape, 1);
  const [u, du] = await Promise.all([
    readFloat32(device, jet.output, elements),
    readFloat32(device, jet.outputTangent, elements),
  ]);
  jet.destroy();
  for (const buffer of [inputs.x, inputs.tangents, inputs.tangentIndex]) {
    if (buffer) memory.destroy(buffer);
  }
  counter.destroy();
  for (const t of new Set([parameters, tangents])) destroyBlockedTensor(memory, t);
  return new Uint32Array(Float32Array.from([...u, ...du]).buffer);
}

/** v as zerothOrder.wgsl's `direction` writes it for the forward gradient at STEP from `seed`. */
async function writtenDirection(seed: number): Promise<Float32Array> {
  const { widths } = architecture;
  const directions = await ParameterDirections.create(memory, {
    widths,
    seed,
    stream: DirectionStream.tangent,
    family: { kind: 'full' },
  });
  const counter = new GpuStepCounter(memory);
  counter.set(STEP);
  const destination = memory.create('v', 4 * count);
  const placeholder = memory.create('unused', 32);
  const io = {
    stepCounter: counter.buffer,
    parameters: placeholder,
    losses: placeholder,
    destination,
  };
  const encoder = memory.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  directions.bind('direction', io).record(pass);
  pass.end();
  memory.device.queue.submit([encoder.finish()]);
  const values = await readFloat32(memory.device, destination, count);
  directions.destroy();
  counter.destroy();
  for (const buffer of [destination, placeholder]) memory.destroy(buffer);
  return values;
}

describe('forward jet with a parameter tangent over parameter blocks', () => {
  // 40 rows of 300 weights: blocks of 13 rows (15.6 KB), the last with 1 row and the rest.
  const blocks = planParameterBlocks(architecture.widths, 13 * dim * 4);

  it('plans blocks of whole W₁ rows, the last with everything after W₁', () => {
    expect(blocks.blocks.map((b) => b.count / dim)).toEqual([13, 13, 13, expect.any(Number)]);
  });

  for (const kind of ['oneHot', 'dense'] as const) {
    for (const [name, inner] of [
      ['whole', 0],
      ['split over its inputs', 64],
    ] as const) {
      it(`${kind} tangents, first layer ${name}: the bits of one buffer`, async () => {
        const whole = await outputBits(kind, inner);
        const split = await outputBits(kind, inner, blocks);
        const elements = whole.length / 2;
        // Both u and u̇ carry values (a pass that wrote nothing would match itself).
        expect(whole.subarray(0, elements).some((w) => w !== 0)).toBe(true);
        expect(whole.subarray(elements).some((w) => w !== 0)).toBe(true);
        expect(Array.from(split)).toEqual(Array.from(whole));
      });
    }
  }

  it('draws v where it reads it, once a workgroup where it can: the bits of the written v', async () => {
    // The hidden layers keep a row of v a workgroup (jetForwardTangent.wgsl TANGENT_ROW): with
    // 70 points, two workgroups a unit, the second with 6. An unsplit first layer (300 inputs)
    // draws its row 256 and 44 at a time for the value row with one-hot tangents (ROW_TILES; over
    // parameter blocks too), v where it reads it with dense ones; a split one's blocks of 290 and
    // 10 inputs are drawn CACHED_INPUTS (256) at a time.
    const written = await writtenDirection(4);
    for (const kind of ['oneHot', 'dense'] as const) {
      for (const [blockInner, points, parameterBlocks] of [
        [0, 70, undefined],
        [0, 70, blocks],
        [290, 70, undefined],
        [290, 5, undefined],
      ] as const) {
        const bound = { kind: 'bound' as const, values: written };
        const stored = await outputBits(kind, blockInner, parameterBlocks, bound, points);
        const drawn = await outputBits(
          kind,
          blockInner,
          parameterBlocks,
          { kind: 'drawn', seed: 4 },
          points,
        );
        const label = `${kind}, block ${blockInner}, ${points} points`;
        expect(Array.from(drawn), `${label}${parameterBlocks ? ', blocks' : ''}`).toEqual(
          Array.from(stored),
        );
      }
    }
  });

  for (const [name, parameterBlocks] of [
    ['one buffer', undefined],
    ['parameter blocks', blocks],
  ] as const) {
    it(`draws v where it reads it: the bits of the pass over the v the direction kernel writes (${name}, first layer split)`, async () => {
      const written = await writtenDirection(4);
      const bound = { kind: 'bound' as const, values: written };
      for (const kind of ['oneHot', 'dense'] as const) {
        const stored = await outputBits(kind, 64, parameterBlocks, bound);
        const drawn = await outputBits(kind, 64, parameterBlocks, { kind: 'drawn', seed: 4 });
        expect(Array.from(drawn)).toEqual(Array.from(stored));
        // Another seed draws another v: the tangents differ.
        const other = await outputBits(kind, 64, parameterBlocks, { kind: 'drawn', seed: 5 });
        expect(Array.from(other)).not.toEqual(Array.from(stored));
      }
    });
  }

  it('refuses θ or v in other blocks than planned', async () => {
    const parameters = memory.createFrom('parameters', theta);
    const tangent = createBlockedTensor(memory, 'v', blocks, v);
    const { x, tangents } = seededBatch(shape, dim, 'oneHot');
    if (tangents.kind !== 'oneHot') throw new Error('one-hot batch expected');
    const inputs = {
      x: memory.createFrom('x', x),
      tangents: memory.createFrom('tangents', tangents.coefficient),
      tangentIndex: memory.createFrom('index', tangents.index),
    };
    const config = { architecture, shape, tangentKind: 'oneHot' as const };
    await expect(
      ForwardGradientJet.create(memory, config, parameters, tangent, inputs),
    ).rejects.toThrow(
      /tangentParameters is split into blocks \[0\+3900, 3900\+3900, .*\] in 4 buffers, expected \[0\+13049\]$/,
    );
    await expect(
      ForwardGradientJet.create(
        memory,
        { ...config, parameterBlocks: blocks },
        tangent,
        parameters,
        inputs,
      ),
    ).rejects.toThrow(
      /tangentParameters is split into blocks \[0\+13049\] in 1 buffers, expected \[0\+3900, /,
    );
    memory.destroy(parameters);
    destroyBlockedTensor(memory, tangent);
    for (const buffer of Object.values(inputs)) memory.destroy(buffer);
  });
});
