/**
 * A training step of an operator without a PDE residual: forward jets of the operator's tangents,
 * backward from a fixed output cotangent, the divergence check (the scan of a step that does not
 * log) and an Adam update, one command buffer per step as the Trainer records it. It times the
 * operators the trainer does not run as problems (the diagonal operator, the box problems'
 * partials); the residual kernel it leaves out is one thread per point and cheap next to the jets.
 */
import { BackwardJet } from '../../src/engine/backwardJet.ts';
import { DivergenceGuard } from '../../src/engine/divergenceGuard.ts';
import { ForwardJet } from '../../src/engine/forwardJet.ts';
import {
  type ChannelStructure,
  layerElements,
  packParameters,
  parameterLayout,
} from '../../src/engine/jetLayout.ts';
import { GpuAdam } from '../../src/engine/optimizers.ts';
import { wholeTensor } from '../../src/engine/parameterBlocks.ts';
import { GpuMemory } from '../../src/gpu/gpuMemory.ts';
import { initParameters, type MlpArchitecture } from '../../src/jet/mlp.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import type { JetOperator } from '../../src/operators/operator.ts';
import type { Steppable } from './timeConfig.ts';

export interface JetStepConfig {
  operator: JetOperator;
  structure: ChannelStructure;
  points: number;
  width: number;
  depth: number;
  seed: number;
}

export async function createJetStep(device: GPUDevice, config: JetStepConfig): Promise<Steppable> {
  const { operator, points: N, width, depth } = config;
  const architecture: MlpArchitecture = {
    widths: [operator.dimension, ...Array.from({ length: depth }, () => width), 1],
    activation: 'tanh',
    boundary: 'none',
  };
  const memory = new GpuMemory(device);
  const shape = operator.shape(N, config.structure);
  const count = parameterLayout(architecture.widths).count;
  const params = memory.createFrom(
    'parameters',
    packParameters(architecture.widths, initParameters(architecture, config.seed)),
  );
  const gradient = memory.create('gradient', count * 4);
  const tangents = operator.tangents(N, { seed: config.seed, step: 0 });
  const forward = await ForwardJet.create(
    memory,
    { architecture, shape, tangentKind: tangents.kind },
    params,
  );
  const random = new SeededRandom(config.seed);
  forward.upload(
    new Float32Array(N * operator.dimension).map(() => random.uniformIn(-1, 1)),
    tangents,
  );
  const cotangent = memory.createFrom(
    'output cotangent',
    new Float32Array(layerElements(shape, 1)).map(() => random.uniformIn(-1, 1) / N),
  );
  const backward = await BackwardJet.create(memory, architecture, shape, tangents.kind);
  const guard = await DivergenceGuard.create(memory, count);
  const adam = await GpuAdam.create(memory, count);
  // The optimizer and the guard take θ and g as blocked tensors: here one buffer each.
  const paramsTensor = wholeTensor(params, count);
  const gradientTensor = wholeTensor(gradient, count);
  let step = 0;
  return {
    run: async (steps) => {
      for (let i = 0; i < steps; i++) {
        step++;
        const encoder = device.createCommandEncoder({ label: `jet step ${step}` });
        forward.encode(encoder);
        backward.encode(encoder, { forward: forward.buffers, params, cotangent, gradient });
        guard.encodeScan(encoder, { gradient: gradientTensor, step });
        adam.encodeStep(encoder, {
          params: paramsTensor,
          gradient: gradientTensor,
          learningRate: 1e-3,
          guard,
          step,
        });
        device.queue.submit([encoder.finish()]);
      }
      await device.queue.onSubmittedWorkDone();
    },
    get memoryBytes() {
      return memory.bytesInUse;
    },
    dispose: () => {
      forward.destroy();
      backward.destroy();
      guard.destroy();
      adam.destroy();
      memory.destroyAll();
    },
  };
}
