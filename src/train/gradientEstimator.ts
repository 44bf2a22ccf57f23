/**
 * The trainer's source of a step's gradient, by TrainingOptions.gradientEstimator: reverse mode
 * through the stored jets, the two-point zeroth-order estimate (full or subspace directions), or
 * the forward gradient. Each writes the trainer's gradient buffer, so the divergence guard and
 * Adam/SGD consume every mode unchanged — but for an inline estimate (SPSA's two-point one, the
 * forward gradient without the rollback copy), which writes no gradient: the optimizer sums it
 * from the estimate's losses or ∇L·v (inlineGradient). Every mode takes parameters split into
 * blocks (engine/parameterBlocks.ts) on the ball problems.
 */
import type { BlockedTensor, ParameterBlocks } from '../engine/parameterBlocks.ts';
import type { InlineGradient } from '../engine/optimizers.ts';
import type { PlannedBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import type { StepEncoder } from './boundedSubmits.ts';
import { ForwardGradientEstimator, planForwardGradient } from './forwardGradient.ts';
import type { TrainingOptions } from './options.ts';
import type { ProblemGraph } from './problemGraph.ts';
import { planZerothOrder, type ZerothOrderConfig, ZerothOrderEstimator } from './zerothOrder.ts';

export interface GradientEstimate {
  /** 32-byte reduction result whose mean word is the step's loss. */
  readonly lossStats: GPUBuffer;
  /**
   * Records the step's loss and gradient (into the gradient buffer it was built with), stage by
   * stage (boundedSubmits.ts).
   */
  encodeGradient(steps: StepEncoder): void;
  /**
   * An inline estimate's gradient of step `trainStep` (SPSA's two-point one, the forward
   * gradient's), which the optimizer's inline update sums (optimizersChecked.wgsl); null for an
   * estimate written to the gradient buffer.
   */
  readonly inlineGradient: ((trainStep: number) => InlineGradient) | null;
  destroy(): void;
}

export interface GradientEstimateIo {
  /** θ; split into blocks on the ball problems (trainingPlan.ts takesParameterBlocks). */
  parameters: BlockedTensor;
  /** Split as θ is; null for an inline estimate (trainingPlan.ts inlineGradient), which stores none. */
  gradient: BlockedTensor | null;
  stepCounter: GPUBuffer;
}

type EstimatorOptions = Pick<
  TrainingOptions,
  | 'seed'
  | 'gradientEstimator'
  | 'perturbationScale'
  | 'perturbationDirections'
  | 'subspaceRank'
  | 'subspacePeriod'
>;

/** The zeroth-order estimate's configuration for the run's options, on parameters in `blocks`. */
export function zerothOrderConfig(
  options: EstimatorOptions,
  widths: readonly number[],
  blocks?: ParameterBlocks,
  inline = false,
): ZerothOrderConfig {
  return {
    widths,
    blocks,
    inline,
    seed: options.seed,
    epsilon: options.perturbationScale,
    directions: options.perturbationDirections,
    family:
      options.gradientEstimator === 'spsa'
        ? { kind: 'full' }
        : { kind: 'subspace', rank: options.subspaceRank, period: options.subspacePeriod },
  };
}

/**
 * The buffers the estimate allocates besides the problem graph's: none for backprop, the
 * directions and the 2q losses for SPSA (with a perturb uniform per trial point and parameter
 * block and a combine uniform per block: `blocks`, one block when absent), the directions and ∇L·v
 * for the forward gradient (with a direction and a scale uniform per block).
 * `inline` (trainingPlan.ts inlineGradient): SPSA's inline two-point estimate (no perturb or
 * combine uniforms, a trial table), the forward gradient's ∇L·v alone.
 */
export function planGradientEstimate(
  options: EstimatorOptions,
  widths: readonly number[],
  blocks?: ParameterBlocks,
  inline = false,
): readonly PlannedBuffer[] {
  switch (options.gradientEstimator) {
    case 'backprop':
      return [];
    case 'spsa':
    case 'spsa-subspace':
      return planZerothOrder(zerothOrderConfig(options, widths, blocks, inline)).buffers;
    case 'forward-gradient':
      return planForwardGradient({ widths, seed: options.seed }, blocks, inline);
  }
}

export async function createGradientEstimate(
  memory: GpuMemory,
  options: TrainingOptions,
  widths: readonly number[],
  graph: ProblemGraph,
  io: GradientEstimateIo,
): Promise<GradientEstimate> {
  const seed = options.seed;
  if (io.gradient === null) return createInlineEstimate(memory, options, widths, graph, io);
  const gradient = io.gradient;
  switch (options.gradientEstimator) {
    case 'backprop':
      // The graph's plan refuses split parameters for a backward pass (planBallGraph).
      return {
        lossStats: graph.lossStats,
        encodeGradient: (steps) => graph.encodeGradient(steps, io.parameters, gradient),
        inlineGradient: null,
        destroy: () => undefined,
      };
    case 'spsa':
    case 'spsa-subspace': {
      // The gradient tensor doubles as the trial point θ ± εz: it is dead until the last write.
      graph.setLossParameters(gradient);
      return ZerothOrderEstimator.create(
        memory,
        zerothOrderConfig(options, widths, io.parameters.blocks),
        { ...io, trial: gradient, gradient },
        graph,
      );
    }
    case 'forward-gradient': {
      if (!graph.directional) {
        throw new Error('the problem graph was not built with a tangent channel');
      }
      const estimator = await ForwardGradientEstimator.create(
        memory,
        { widths, seed },
        {
          parameters: io.parameters,
          gradient,
          stepCounter: io.stepCounter,
        },
        graph.directional,
      );
      return {
        lossStats: graph.lossStats,
        encodeGradient: (steps) => estimator.encodeGradient(steps),
        inlineGradient: null,
        destroy: () => estimator.destroy(),
      };
    }
  }
}

/**
 * An inline estimate (trainingPlan.ts inlineGradient). SPSA's two-point one (zerothOrder.ts): the
 * graph's loss pass reads θ ± εz_j through its perturbation uniform, and the optimizer sums the
 * gradient from the 2q losses. The forward gradient (forwardGradient.ts): the graph's tangent pass
 * draws v itself, and the optimizer sums (∇L·v)·v.
 */
async function createInlineEstimate(
  memory: GpuMemory,
  options: TrainingOptions,
  widths: readonly number[],
  graph: ProblemGraph,
  io: GradientEstimateIo,
): Promise<GradientEstimate> {
  if (options.gradientEstimator === 'forward-gradient' && graph.directional) {
    const estimator = ForwardGradientEstimator.createInline(memory, options, graph.directional);
    return {
      lossStats: graph.lossStats,
      encodeGradient: (steps) => estimator.encodeGradient(steps),
      inlineGradient: estimator.inlineGradient,
      destroy: () => estimator.destroy(),
    };
  }
  const perturbation = graph.lossPerturbation;
  if (options.gradientEstimator !== 'spsa' || !perturbation) {
    throw new Error(
      'only spsa on a graph with a perturbed loss pass and the forward gradient estimate their ' +
        'gradient without storing it',
    );
  }
  graph.setLossParameters(io.parameters);
  return ZerothOrderEstimator.create(
    memory,
    zerothOrderConfig(options, widths, io.parameters.blocks, true),
    { ...io, trial: { perturbation }, gradient: null },
    graph,
  );
}
