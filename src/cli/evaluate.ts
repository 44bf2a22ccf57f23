/**
 * `jetpinn eval`: a model file's error against the known solution of its problem.
 * - Ball problems: relative L2 and L1 errors on the trainer's test set (same sampler, seed and
 *   random stream, from the options the file records), so with the same --test-points the numbers
 *   reproduce the model's `finalRelativeL2` and `finalRelativeL1` on the same device.
 * - Parabolic problems: u_θ(0, 0) against the reference value for d (DESIGN.md §4), and their
 *   relative difference where the table has a value for d.
 */
import { packParameters, parameterLayout } from '../engine/jetLayout.ts';
import { parseModelBytes } from '../engine/modelFormats.ts';
import { GpuMemory } from '../gpu/gpuMemory.ts';
import { BallEvaluation } from '../train/ballEvaluation.ts';
import { BoxEvaluation } from '../train/boxEvaluation.ts';
import { ParabolicEvaluation } from '../train/parabolicEvaluation.ts';
import type { EvaluationMetrics, ProblemEvaluation } from '../train/problemGraph.ts';
import { pdeOf, resolveTrainingOptions, TrainingOptionsError } from '../train/options.ts';
import { boxGridPerAxis } from '../pdes/boxTestSet.ts';
import type { HighOrderProblem } from '../pdes/highOrder.ts';
import { parabolicReferenceValue } from '../pdes/parabolicReference.ts';
import { type FlagSpec, UsageError } from './args.ts';
import type { Command } from './command.ts';
import { exitCodes } from './exitCodes.ts';
import { withNodeGpu } from './gpuSession.ts';
import { readBinaryFile } from './io.ts';
import { trainedModelOf } from '../train/trainedModel.ts';
import { wholeTensor } from '../engine/parameterBlocks.ts';

const EVAL_FLAGS: readonly FlagSpec[] = [
  {
    name: 'model',
    kind: 'string',
    placeholder: 'file',
    required: true,
    description: 'model written by `jetpinn train --out` (JSON or .safetensors)',
  },
  {
    name: 'test-points',
    kind: 'integer',
    min: 1,
    description:
      "ball and box problems: test-set points (default: the model's training --test-points)",
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
  summary: "a model's error against the known solution (relative L2/L1, or u(0, 0))",
  description:
    'Scores a model file on the PDE it was trained on. Ball problems: relative L2/L1 on the\n' +
    'test set (its training options give d, seed and sampler; --test-points changes only the\n' +
    'size of the set). Box problems (KdV, KP, g-KdV): relative L2/L1 against the exact\n' +
    'travelling wave on a grid of at most --test-points points. Parabolic problems: u(0, 0)\n' +
    'against the reference value for d.',
  flags: EVAL_FLAGS,
  run: async (flags, io) => {
    const path = flags.requiredString('model');
    const { model, options: trained } = trainedModelOf(
      parseModelBytes(path, readBinaryFile(path, '--model')),
    );
    const pde = pdeOf(trained);
    if (pde.domain === 'spacetime' && flags.has('test-points')) {
      throw new UsageError(
        `--test-points: ${pde.id} is scored at the single point (0, 0), not on a test set`,
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
      const memory = new GpuMemory(session.gpu.device);
      try {
        const params = memory.createFrom(
          'parameters',
          packParameters(model.architecture.widths, model.parameters),
        );
        const evaluation: ProblemEvaluation =
          pde.domain === 'ball'
            ? await BallEvaluation.create(
                memory,
                pde,
                options,
                model.architecture,
                wholeTensor(params, parameterLayout(model.architecture.widths).count),
              )
            : pde.domain === 'box'
              ? await BoxEvaluation.create(memory, pde, options, model.architecture, params)
              : await ParabolicEvaluation.create(memory, pde, options, model.architecture, params);
        const result = await evaluation.evaluate();
        evaluation.destroy();
        session.assertHealthy();
        return result;
      } finally {
        memory.destroyAll();
      }
    });
    if (pde.domain === 'spacetime') {
      const reference = parabolicReferenceValue(pde.problem.id, options.dimension);
      printPointScore(flags.boolean('json'), path, options, metrics, reference, io.stdout);
      return exitCodes.ok;
    }
    const { relativeL2, relativeL1 } = metrics;
    if (flags.boolean('json')) {
      const { pde: id, dimension, seed, sampler, testPoints } = options;
      io.stdout(
        `${JSON.stringify({ model: path, pde: id, dimension, seed, sampler, testPoints, relativeL2, relativeL1 })}\n`,
      );
    } else {
      const testSet =
        pde.domain === 'box'
          ? describeBoxGrid(pde.problem, options.testPoints)
          : `${options.testPoints} test points (${options.sampler}, seed ${options.seed})`;
      io.stdout(
        `${path}: ${options.pde}, d = ${options.dimension}, ${testSet}\n` +
          `relative L2 ${relativeL2?.toExponential(6)}\nrelative L1 ${relativeL1?.toExponential(6)}\n`,
      );
    }
    return exitCodes.ok;
  },
};

/** A box problem's test grid in words: "a 10 × 10 × 10 grid over (x, y, t)". */
function describeBoxGrid(problem: HighOrderProblem, testPoints: number): string {
  const perAxis = boxGridPerAxis(problem.variables.length, testPoints);
  const axes = problem.variables.map(() => perAxis).join(' × ');
  return `a ${axes} grid over (${problem.variables.join(', ')})`;
}

/** u_θ(0, 0), the reference and their relative difference (null where d has no reference). */
function printPointScore(
  json: boolean,
  path: string,
  options: { pde: string; dimension: number },
  metrics: EvaluationMetrics,
  reference: number | undefined,
  print: (text: string) => void,
): void {
  const { pde, dimension } = options;
  const value = metrics.value;
  const pointRelativeError = metrics.pointRelativeError ?? null;
  if (json) {
    print(
      `${JSON.stringify({ model: path, pde, dimension, value, reference: reference ?? null, pointRelativeError })}\n`,
    );
    return;
  }
  const score =
    reference === undefined
      ? `no reference value for d = ${dimension}\n`
      : `reference ${reference}\nrelative error ${pointRelativeError?.toExponential(6)}\n`;
  print(`${path}: ${pde}, d = ${dimension}\nu(0, 0) ${value?.toPrecision(7)}\n${score}`);
}
