import type { GpuBuffers } from '../gpu/buffers.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import type { GpuStepCounter } from '../random/stepCounter.ts';
import { BallEvaluation } from './ballEvaluation.ts';
import { BallProblemGraph } from './ballProblemGraph.ts';
import { ParabolicEvaluation } from './parabolicEvaluation.ts';
import { ParabolicProblemGraph } from './parabolicProblemGraph.ts';
import { pdeOf, type TrainingOptions, TrainingOptionsError } from './options.ts';
import type { ProblemEvaluation, ProblemGraph } from './problemGraph.ts';

/** The step graph and the evaluation of the options' PDE, built on the trainer's buffers. */
export async function createProblem(
  memory: GpuBuffers,
  options: TrainingOptions,
  architecture: MlpArchitecture,
  params: GPUBuffer,
  counter: GpuStepCounter,
): Promise<{ graph: ProblemGraph; evaluation: ProblemEvaluation }> {
  const pde = pdeOf(options);
  switch (pde.domain) {
    case 'ball':
      return {
        graph: await BallProblemGraph.create(memory, pde, options, architecture, params, counter),
        evaluation: await BallEvaluation.create(memory, pde, options, architecture, params),
      };
    case 'spacetime':
      return {
        graph: await ParabolicProblemGraph.create(
          memory,
          pde,
          options,
          architecture,
          params,
          counter,
        ),
        evaluation: await ParabolicEvaluation.create(memory, pde, options, architecture, params),
      };
    default:
      throw new TrainingOptionsError(
        `the GPU trainer does not run ${pde.domain} problems (${pde.id}) yet`,
      );
  }
}
