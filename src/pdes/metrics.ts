/**
 * Error metrics against exact solutions, in float64 with a fixed summation order (index order within
 * a batch, batches in the order given), so a test set gives the same bits however it is batched.
 */

export interface RelativeErrors {
  /** ‖u_θ − u*‖₂ / ‖u*‖₂. */
  relativeL2: number;
  /** ‖u_θ − u*‖₁ / ‖u*‖₁. */
  relativeL1: number;
}

/** Accumulates a test set evaluated in batches. */
export class RelativeErrorAccumulator {
  private errorSquares = 0;
  private exactSquares = 0;
  private errorAbs = 0;
  private exactAbs = 0;
  private points = 0;

  get count(): number {
    return this.points;
  }

  add(predicted: ArrayLike<number>, exact: ArrayLike<number>): void {
    if (predicted.length !== exact.length) {
      throw new RangeError(
        `relative error: ${predicted.length} predictions for ${exact.length} exact values`,
      );
    }
    for (let p = 0; p < exact.length; p++) {
      const e = predicted[p] - exact[p];
      this.errorSquares += e * e;
      this.exactSquares += exact[p] * exact[p];
      this.errorAbs += Math.abs(e);
      this.exactAbs += Math.abs(exact[p]);
    }
    this.points += exact.length;
  }

  result(): RelativeErrors {
    if (this.exactAbs === 0) {
      throw new RangeError(
        `relative error is undefined: the exact solution is 0 at all ${this.points} points`,
      );
    }
    return {
      relativeL2: Math.sqrt(this.errorSquares / this.exactSquares),
      relativeL1: this.errorAbs / this.exactAbs,
    };
  }
}

/** Relative L2 and L1 errors of one array of predictions. */
export function relativeErrors(
  predicted: ArrayLike<number>,
  exact: ArrayLike<number>,
): RelativeErrors {
  const accumulator = new RelativeErrorAccumulator();
  accumulator.add(predicted, exact);
  return accumulator.result();
}

/** |u_θ(0, 0) − ref| / |ref|: the metric of the parabolic problems. */
export function pointRelativeError(predicted: number, reference: number): number {
  if (reference === 0) throw new RangeError('point relative error against a reference of 0');
  return Math.abs(predicted - reference) / Math.abs(reference);
}
