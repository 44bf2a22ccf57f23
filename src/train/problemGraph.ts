/**
 * What the trainer needs from a PDE family: the GPU work of one step's loss and gradient, and an
 * evaluation against the known solution. Ball problems (ballProblemGraph.ts) and the parabolic
 * problems implement these; the trainer does not know which it runs.
 */
import type { JetShape } from '../engine/jetLayout.ts';
import type { BlockedTensor } from '../engine/parameterBlocks.ts';
import type { StepEncoder } from './boundedSubmits.ts';
import type { GradientEstimator } from './options.ts';

/**
 * What a graph is built to do. backprop: loss and reverse-mode gradient (every layer's jets kept
 * for the backward pass); loss: the loss alone, layer storage reused (zeroth-order training);
 * forward-gradient: the loss and ∇L·v through a parameter-tangent channel (ball problems).
 */
export type GraphMode = 'backprop' | 'loss' | 'forward-gradient';

export function graphModeOf(estimator: GradientEstimator): GraphMode {
  if (estimator === 'backprop') return 'backprop';
  return estimator === 'forward-gradient' ? 'forward-gradient' : 'loss';
}

/** The forward-gradient channel of a graph built in 'forward-gradient' mode. */
export interface DirectionalDerivativeGraph {
  /** Points the tangent channel at v (a tensor of the parameter layout, in θ's blocks). */
  setTangentParameters(tangent: BlockedTensor): void;
  /**
   * Records the step's loss (into lossStats) and ∇_θL·v into `result` (a 32-byte reduction
   * result: reductionWord.sum), with the step's draws.
   */
  encodeDirectionalDerivative(steps: StepEncoder, result: GPUBuffer): void;
}

export interface ProblemGraph {
  /** The collocation batch (rows per point say what the channel structure costs). */
  readonly shape: JetShape;
  /** 32-byte reduction result whose `mean` word is the step's loss (reductions.ts). */
  readonly lossStats: GPUBuffer;
  /**
   * Records one step's loss and its gradient into `steps` (stage by stage where the graph has
   * split them, boundedSubmits.ts); the step counter is already written. The gradient buffer is
   * overwritten, not accumulated. Both are tensors of the parameter layout (parameterBlocks.ts).
   */
  encodeGradient(steps: StepEncoder, params: BlockedTensor, gradient: BlockedTensor): void;
  /**
   * Records the step's loss alone (into lossStats) at the parameters the forward pass reads, with
   * the same draws as encodeGradient: two calls at one step and one θ give bit-identical losses
   * (common random numbers, DESIGN.md §6).
   */
  encodeLoss(steps: StepEncoder): void;
  /** Points the loss pass at other parameters, same blocks (a zeroth-order trial point). */
  setLossParameters(parameters: BlockedTensor): void;
  /**
   * The perturbation uniform of a loss pass that reads the zeroth-order trial point inline
   * (ForwardJetConfig.perturbed: a ball graph planned with a perturbed loss); else null.
   */
  readonly lossPerturbation: GPUBuffer | null;
  /** The tangent channel; null unless the graph was built in 'forward-gradient' mode. */
  readonly directional: DirectionalDerivativeGraph | null;
  destroy(): void;
}

/** Metrics of one evaluation; which ones depend on the problem's metric (src/pdes). */
export interface EvaluationMetrics {
  /** ‖u_θ − u*‖₂/‖u*‖₂ on the test set. */
  relativeL2?: number;
  /** ‖u_θ − u*‖₁/‖u*‖₁ on the test set. */
  relativeL1?: number;
  /** |u_θ(0, 0) − ref|/|ref| for the parabolic problems. */
  pointRelativeError?: number;
  /** u_θ(0, 0) for the parabolic problems. */
  value?: number;
}

export interface ProblemEvaluation {
  /** Metrics of the current parameters (awaits its readbacks: not for the step loop). */
  evaluate(): Promise<EvaluationMetrics>;
  destroy(): void;
}
