/**
 * `jetpinn eval`: relative L2 and L1 errors of a model file against the exact solution of its
 * ball problem. The test set is the trainer's (same sampler, seed and random stream, from the
 * options the file records), so with the same --test-points the numbers reproduce the model's
 * `finalRelativeL2` and `finalRelativeL1` on the same device.
 */
import { packParameters } from '../engine/jetLayout.ts';
import { GpuBuffers } from '../gpu/buffers.ts';
import { BallEvaluation } from '../train/ballEvaluation.ts';
import { pdeOf, resolveTrainingOptions, TrainingOptionsError } from '../train/options.ts';
import { type FlagSpec, UsageError } from './args.ts';
import type { Command } from './command.ts';
import { exitCodes } from './exitCodes.ts';
import { withNodeGpu } from './gpuSession.ts';
import { readTextFile } from './io.ts';
import { readTrainedModel, TrainedModelError } from './trainedModel.ts';

const EVAL_FLAGS: readonly FlagSpec[] = [
  {
    name: 'model',
    kind: 'string',
    placeholder: 'file',
    required: true,
    description: 'model JSON written by `jetpinn train --out`',
  },
  {
    name: 'test-points',
    kind: 'integer',
    min: 1,
    description: "test-set points (default: the model's training --test-points)",
  },
  {
    name: 'json',
    kind: 'boolean',
    default: false,
    negatable: false,
    description: 'print one JSON object instead of text',
  },
];

export const evalCommand: Command = {
  name: 'eval',
  summary: "a model's relative L2/L1 error against the exact solution (ball problems)",
  description:
    'Scores a model file on the test set of the PDE it was trained on (its training options\n' +
    'give the PDE, d, seed and sampler; --test-points changes only the size of the set).',
  flags: EVAL_FLAGS,
  run: async (flags, io) => {
    const path = flags.requiredString('model');
    const { model, options: trained } = readTrainedModel(readTextFile(path, '--model'));
    const pde = pdeOf(trained);
    if (pde.domain !== 'ball') {
      throw new TrainedModelError(
        `eval scores ball problems against their exact solution; ${pde.id} is a ${pde.domain} problem`,
      );
    }
    let options = trained;
    try {
      options = resolveTrainingOptions({
        ...trained,
        testPoints: flags.number('test-points') ?? trained.testPoints,
      });
    } catch (error) {
      if (error instanceof TrainingOptionsError)
        throw new UsageError(`--test-points: ${error.message}`);
      throw error;
    }
    const metrics = await withNodeGpu(io, async (session) => {
      const buffers = new GpuBuffers(session.gpu.device);
      try {
        const params = buffers.createFrom(
          'parameters',
          packParameters(model.architecture.widths, model.parameters),
        );
        const evaluation = await BallEvaluation.create(
          buffers,
          pde,
          options,
          model.architecture,
          params,
        );
        const result = await evaluation.evaluate();
        evaluation.destroy();
        session.assertHealthy();
        return result;
      } finally {
        buffers.destroyAll();
      }
    });
    const { relativeL2, relativeL1 } = metrics;
    if (flags.boolean('json')) {
      const { pde: id, dimension, seed, sampler, testPoints } = options;
      io.stdout(
        `${JSON.stringify({ model: path, pde: id, dimension, seed, sampler, testPoints, relativeL2, relativeL1 })}\n`,
      );
    } else {
      io.stdout(
        `${path}: ${options.pde}, d = ${options.dimension}, ${options.testPoints} test points ` +
          `(${options.sampler}, seed ${options.seed})\n` +
          `relative L2 ${relativeL2?.toExponential(6)}\nrelative L1 ${relativeL1?.toExponential(6)}\n`,
      );
    }
    return exitCodes.ok;
  },
};
