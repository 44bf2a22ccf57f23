import { parameterLayout, rowsPerPoint } from '../engine/jetLayout.ts';
import {
  type BlockedTensor,
  ParameterBlockError,
  type ParameterBlocks,
  singleBlock,
  soleBuffer,
} from '../engine/parameterBlocks.ts';
import type { PlannedBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import type { GpuStepCounter } from '../random/stepCounter.ts';
import { BallEvaluation, type EvaluationLimits, planBallEvaluation } from './ballEvaluation.ts';
import { BallProblemGraph, planBallGraph } from './ballProblemGraph.ts';
import { BoxEvaluation, planBoxEvaluation } from './boxEvaluation.ts';
import { BoxProblemGraph, planBoxGraph } from './boxProblemGraph.ts';
import { ParabolicEvaluation, planParabolicEvaluation } from './parabolicEvaluation.ts';
import { ParabolicProblemGraph, planParabolicGraph } from './parabolicProblemGraph.ts';
import { pdeOf, type TrainingOptions } from './options.ts';
import type { ProblemEvaluation, ProblemGraph } from './problemGraph.ts';

/** The step graph's buffers (and the reduction chain of its first step), and its batch. */
export interface ProblemGraphPlan {
  /** Jets per point, their order and the rows per point of the collocation batch. */
  readonly jets: number;
  readonly order: number;
  readonly rowsPerPoint: number;
  readonly buffers: readonly PlannedBuffer[];
  readonly firstStep: readonly PlannedBuffer[];
}

/**
 * Only the ball problems take parameters split into blocks (parameterBlocks.ts): the parabolic
 * and box problems run at small d, where the parameters fit one binding.
 */
function requireOneBlock(blocks: ParameterBlocks, problems: string): void {
  if (blocks.blocks.length > 1) {
    throw new ParameterBlockError(
      `${problems} cannot take parameters split into ${blocks.blocks.length} blocks ` +
        `(${blocks.count} parameters do not fit one buffer binding)`,
    );
  }
}

/**
 * Only the ball graphs take an inline estimate (inlineEstimate: SPSA's trial point read inline, the
 * forward gradient's v drawn where read).
 */
function requireStoredEstimate(inlineEstimate: boolean, domain: string): void {
  if (inlineEstimate) {
    throw new RangeError(`the ${domain} problems store their estimate's trial point or v`);
  }
}

/** The parameter blocks a plan was not given: all of the architecture's in one. */
function allInOne(architecture: MlpArchitecture): ParameterBlocks {
  return singleBlock(parameterLayout(architecture.widths).count);
}

/** What createProblem's graph allocates for the options' PDE, on parameters split as `blocks`. */
export function planProblemGraph(
  options: TrainingOptions,
  architecture: MlpArchitecture,
  limits: EvaluationLimits,
  blocks: ParameterBlocks = allInOne(architecture),
  inlineEstimate = false,
): ProblemGraphPlan {
  const pde = pdeOf(options);
  if (pde.domain !== 'ball') requireOneBlock(blocks, `the ${pde.domain} problems`);
  if (pde.domain !== 'ball') requireStoredEstimate(inlineEstimate, pde.domain);
  switch (pde.domain) {
    case 'ball': {
      const { shape, rows, buffers, firstStep } = planBallGraph(
        pde,
        options,
        architecture,
        limits,
        blocks,
        inlineEstimate,
      );
      return { jets: shape.directions, order: shape.order, rowsPerPoint: rows, buffers, firstStep };
    }
    case 'spacetime': {
      const graph = planParabolicGraph(pde, options, architecture, limits);
      const { shape } = graph.interior;
      return {
        jets: shape.directions,
        order: shape.order,
        rowsPerPoint: rowsPerPoint(shape),
        buffers: graph.buffers,
        firstStep: graph.firstStep,
      };
    }
    case 'box': {
      const { shape, rows, buffers, firstStep } = planBoxGraph(pde, options, architecture, limits);
      return { jets: shape.directions, order: shape.order, rowsPerPoint: rows, buffers, firstStep };
    }
  }
}

/** What createProblem's evaluation allocates (evaluations reduce on the CPU: no first step). */
export function planProblemEvaluation(
  options: TrainingOptions,
  architecture: MlpArchitecture,
  limits: EvaluationLimits,
  blocks: ParameterBlocks = allInOne(architecture),
): readonly PlannedBuffer[] {
  const pde = pdeOf(options);
  if (pde.domain !== 'ball') requireOneBlock(blocks, `the ${pde.domain} problems`);
  switch (pde.domain) {
    case 'ball':
      return planBallEvaluation(pde, options, architecture, limits, blocks).buffers;
    case 'spacetime':
      return planParabolicEvaluation(architecture, limits);
    case 'box':
      return planBoxEvaluation(pde, options, architecture, limits).buffers;
  }
}

/**
 * The weights a problem is built on: the step graph trains `trained`, the evaluation scores
 * `evaluated` (the trainer's weight average when it keeps one, else the same buffer).
 */
export interface ProblemWeights {
  trained: BlockedTensor;
  evaluated: BlockedTensor;
}

/** The step graph and the evaluation of the options' PDE, built on the trainer's buffers. */
export async function createProblem(
  memory: GpuMemory,
  options: TrainingOptions,
  architecture: MlpArchitecture,
  weights: ProblemWeights,
  counter: GpuStepCounter,
  inlineEstimate = false,
): Promise<{ graph: ProblemGraph; evaluation: ProblemEvaluation }> {
  const pde = pdeOf(options);
  if (pde.domain === 'ball') {
    const { trained, evaluated } = weights;
    return {
      graph: await BallProblemGraph.create(
        memory,
        pde,
        options,
        architecture,
        trained,
        counter,
        inlineEstimate,
      ),
      evaluation: await BallEvaluation.create(memory, pde, options, architecture, evaluated),
    };
  }
  requireStoredEstimate(inlineEstimate, pde.domain);
  const problems = `the ${pde.domain} problems`;
  const params = soleBuffer(weights.trained, problems);
  const evaluated = soleBuffer(weights.evaluated, problems);
  switch (pde.domain) {
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
        evaluation: await ParabolicEvaluation.create(memory, pde, options, architecture, evaluated),
      };
    case 'box':
      return {
        graph: await BoxProblemGraph.create(memory, pde, options, architecture, params, counter),
        evaluation: await BoxEvaluation.create(memory, pde, options, architecture, evaluated),
      };
  }
}
