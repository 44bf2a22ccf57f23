/**
 * Every engine build allocates exactly what its plan lists: the bytes and the number of buffers
 * GpuMemory counts while a build is created equal the plan's buffer list, and destroy gives them
 * all back. The trainer's memory estimate sums these lists, so this is what keeps it exact.
 */
import { describe, expect, it } from 'vitest';
import { plannedBytes, type PlannedBuffer } from '../../src/gpu/bufferPlan.ts';
import { planBackwardJet, BackwardJet } from '../../src/engine/backwardJet.ts';
import { DivergenceGuard, planDivergenceGuard } from '../../src/engine/divergenceGuard.ts';
import { planForwardGradientJet, ForwardGradientJet } from '../../src/engine/forwardGradientJet.ts';
import { type ForwardJetConfig, ForwardJet, planForwardJet } from '../../src/engine/forwardJet.ts';
import { packParameters } from '../../src/engine/jetLayout.ts';
import { wholeTensor } from '../../src/engine/parameterBlocks.ts';
import { GpuAdam, GpuSgd, planOptimizer } from '../../src/engine/optimizers.ts';
import { GpuReducer, planReducer } from '../../src/engine/reductions.ts';
import { initParameters } from '../../src/jet/mlp.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

/** What `build` adds to the fixture's buffers; checks that `destroy` gives it all back. */
async function allocation<T extends { destroy(): void }>(
  build: () => Promise<T>,
  use?: (built: T) => void,
): Promise<{ bytes: number; count: number }> {
  const { memory: buffers } = gpu;
  const before = { bytes: buffers.bytesInUse, count: buffers.count };
  const built = await build();
  const added = { bytes: buffers.bytesInUse - before.bytes, count: buffers.count - before.count };
  use?.(built);
  built.destroy();
  expect(buffers.bytesInUse).toBe(before.bytes);
  expect(buffers.count).toBe(before.count);
  return added;
}

const planned = (buffers: readonly PlannedBuffer[]) => ({
  bytes: plannedBytes(buffers),
  count: buffers.length,
});

const config: ForwardJetConfig = {
  architecture: { widths: [3, 8, 6, 1], activation: 'tanh', boundary: 'ball' },
  shape: { points: 5, directions: 2, order: 2, structure: 'standard' },
  tangentKind: 'dense',
};
const oneHot: ForwardJetConfig = { ...config, tangentKind: 'oneHot' };

function parametersFor(c: ForwardJetConfig): GPUBuffer {
  const flat = packParameters(c.architecture.widths, initParameters(c.architecture, 3));
  return gpu.memory.createFrom('θ', flat);
}

describe('engine builds allocate what their plans list', () => {
  it('ForwardJet: stored, reused and with external inputs', async () => {
    const params = parametersFor(config);
    for (const c of [config, oneHot, { ...oneHot, layerStorage: 'reused' as const }]) {
      const plan = planForwardJet(c, gpu.device.limits);
      expect(await allocation(() => ForwardJet.create(gpu.memory, c, params))).toEqual(
        planned(plan.buffers),
      );
    }
    const own = await ForwardJet.create(gpu.memory, oneHot, params);
    const external = planForwardJet(oneHot, gpu.device.limits, { externalInputs: true });
    expect(
      await allocation(() => ForwardJet.create(gpu.memory, oneHot, params, own.buffers)),
    ).toEqual(planned(external.buffers));
    own.destroy();
    gpu.memory.destroy(params);
  });

  it('BackwardJet, split and unsplit, dense and one-hot', async () => {
    for (const [c, splitRows] of [
      [config, 16],
      [oneHot, undefined],
    ] as const) {
      const plan = planBackwardJet({ ...c, splitRows }, gpu.device.limits);
      const { architecture, shape, tangentKind } = c;
      expect(
        await allocation(() =>
          BackwardJet.create(gpu.memory, architecture, shape, tangentKind, { splitRows }),
        ),
      ).toEqual(planned(plan.buffers));
    }
  });

  it('ForwardGradientJet on external inputs', async () => {
    const params = parametersFor(oneHot);
    const inputs = await ForwardJet.create(gpu.memory, oneHot, params);
    const plan = planForwardGradientJet(oneHot, gpu.device.limits);
    expect(
      await allocation(() =>
        ForwardGradientJet.create(gpu.memory, oneHot, params, params, inputs.buffers),
      ),
    ).toEqual(planned(plan.buffers));
    inputs.destroy();
    gpu.memory.destroy(params);
  });

  it('GpuAdam and GpuSgd', async () => {
    const limits = gpu.device.limits;
    const adam = planOptimizer({ kind: 'adam', parameterCount: 1037, uniformSlots: 4 }, limits);
    expect(await allocation(() => GpuAdam.create(gpu.memory, 1037, { uniformSlots: 4 }))).toEqual(
      planned(adam.buffers),
    );
    const sgd = planOptimizer({ kind: 'sgd', parameterCount: 1037 }, limits);
    expect(await allocation(() => GpuSgd.create(gpu.memory, 1037))).toEqual(planned(sgd.buffers));
  });

  it('DivergenceGuard, with the reduction chain it adds at create; a check adds nothing', async () => {
    const n = 5000;
    const plan = planDivergenceGuard({ gradientCount: n }, gpu.device.limits);
    const gradient = gpu.memory.create('gradient', 4 * n);
    let added = { bytes: -1, count: -1 };
    const created = await allocation(
      () => DivergenceGuard.create(gpu.memory, n),
      (guard) => {
        const before = { bytes: gpu.memory.bytesInUse, count: gpu.memory.count };
        const encoder = gpu.device.createCommandEncoder();
        guard.encodeCheck(encoder, { gradient: wholeTensor(gradient, n), step: 1 });
        guard.encodeScan(encoder, { gradient: wholeTensor(gradient, n), step: 2 });
        gpu.device.queue.submit([encoder.finish()]);
        added = {
          bytes: gpu.memory.bytesInUse - before.bytes,
          count: gpu.memory.count - before.count,
        };
      },
    );
    expect(created).toEqual(planned([...plan.buffers, ...plan.reduction.buffers]));
    expect(added).toEqual({ bytes: 0, count: 0 });
    expect(plan.reduction.reductions[0].passes).toHaveLength(2);
    gpu.memory.destroy(gradient);
  });

  it('GpuReducer: one chain per size, as planReducer lists it', async () => {
    const options = { workgroupSize: 64, itemsPerThread: 2 };
    const n = 300_000;
    const input = gpu.memory.create('input', 4 * n);
    const result = gpu.memory.create('result', 32);
    const plan = planReducer(n, options, gpu.device.limits);
    const reducer = await GpuReducer.create(gpu.memory, options);
    const chain = await allocation(
      async () => {
        const encoder = gpu.device.createCommandEncoder();
        reducer.encode(encoder, input, n, result);
        gpu.device.queue.submit([encoder.finish()]);
        return reducer;
      },
      () => expect(reducer.passesFor(n)).toBe(plan.passes.length),
    );
    expect(chain).toEqual(planned(plan.buffers));
    gpu.memory.destroy(input);
    gpu.memory.destroy(result);
  });
});
