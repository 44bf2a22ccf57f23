/**
 * Loss terms of the PDE zoo, in float64 over arrays (the reference the GPU loss is checked against).
 * Sums run in index order, so a given input always gives the same bits.
 */

/**
 * Weights of the parabolic loss, residual + λ·(mean|u − g|² + γ·mean‖∇u − ∇g‖²). The defaults
 * (λ = 20, γ = 0.05) are STDE's; training options can change both.
 */
export interface ParabolicLossWeights {
  /** λ: the terminal loss against the residual. */
  terminal: number;
  /** γ: the terminal gradient term inside the terminal loss. */
  terminalGradient: number;
}

export const PARABOLIC_LOSS_WEIGHTS: Readonly<ParabolicLossWeights> = {
  terminal: 20,
  terminalGradient: 0.05,
};

function requireSameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: lengths ${a.length} and ${b.length}`);
  if (a.length === 0) throw new RangeError(`${what}: no points`);
}

/** The biased residual loss mean(r²) (the default, as in STDE). */
export function meanSquare(r: ArrayLike<number>): number {
  return meanProduct(r, r);
}

/**
 * mean(r₁·r₂) over two residuals of the same points from independent jet draws: the value of the
 * unbiased loss mean(stopgrad(r₁)·r₂), whose expectation is the squared true residual.
 */
export function meanProduct(r1: ArrayLike<number>, r2: ArrayLike<number>): number {
  requireSameLength(r1, r2, 'meanProduct');
  let sum = 0;
  for (let p = 0; p < r1.length; p++) sum += r1[p] * r2[p];
  return sum / r1.length;
}

export interface TerminalBatch {
  /** Network values u(x_p, T), one per point. */
  u: ArrayLike<number>;
  /** g(x_p). */
  g: ArrayLike<number>;
  /** ∇_x u(x_p, T), points × d, row-major. */
  gradU: ArrayLike<number>;
  /** ∇g(x_p), points × d, row-major. */
  gradG: ArrayLike<number>;
}

/** mean_p |u − g|² + γ·mean_p ‖∇u − ∇g‖² (squared Euclidean norm over the d coordinates). */
export function terminalLoss(
  batch: TerminalBatch,
  gradientWeight: number = PARABOLIC_LOSS_WEIGHTS.terminalGradient,
): number {
  const { u, g, gradU, gradG } = batch;
  requireSameLength(u, g, 'terminalLoss values');
  requireSameLength(gradU, gradG, 'terminalLoss gradients');
  if (gradU.length % u.length !== 0) {
    throw new RangeError(`terminalLoss: ${gradU.length} gradient entries for ${u.length} points`);
  }
  const points = u.length;
  return (
    sumSquareDifference(u, g) / points +
    (gradientWeight * sumSquareDifference(gradU, gradG)) / points
  );
}

/** mean(r²) + λ·terminalLoss. */
export function parabolicLoss(
  residuals: ArrayLike<number>,
  terminal: TerminalBatch,
  weights: ParabolicLossWeights = PARABOLIC_LOSS_WEIGHTS,
): number {
  return (
    meanSquare(residuals) + weights.terminal * terminalLoss(terminal, weights.terminalGradient)
  );
}

function sumSquareDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const e = a[i] - b[i];
    sum += e * e;
  }
  return sum;
}
