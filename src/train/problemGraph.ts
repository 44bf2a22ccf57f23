/**
 * What the trainer needs from a PDE family: the GPU work of one step's loss and gradient, and an
 * evaluation against the known solution. Ball problems (ballProblemGraph.ts) and the parabolic
 * problems implement these; the trainer does not know which it runs.
 */
import type { JetShape } from '../engine/jetLayout.ts';

export interface ProblemGraph {
  /** The collocation batch (rows per point say what the channel structure costs). */
  readonly shape: JetShape;
  /** 32-byte reduction result whose `mean` word is the step's loss (reductions.ts). */
  readonly lossStats: GPUBuffer;
  /**
   * Records one step's loss and its gradient into `encoder`; the step counter is already
   * written. The gradient buffer is overwritten, not accumulated.
   */
  encodeGradient(encoder: GPUCommandEncoder, params: GPUBuffer, gradient: GPUBuffer): void;
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
