/**
 * Residual formulas of the high-order problems, written in the shared vocabulary of
 * src/operators/partials.ts and typed by the outputs of the operator that feeds them: a residual is
 * built by `residualsOver(OUTPUTS)` of its operator (KDV2D_OUTPUTS, …), so declaring a quantity the
 * operator does not output, or reading one the residual does not declare, is a compile error (and
 * the first is refused at run time too).
 */
import type { QuantityName } from '../operators/partials.ts';

/** Values of some quantities at one point. */
export type QuantityValues<Q extends QuantityName = QuantityName> = Readonly<
  Partial<Record<Q, number>>
>;

/** One residual of a high-order problem as a formula in named operator outputs. */
export interface ResidualTerm<Q extends QuantityName = QuantityName> {
  readonly name: string;
  readonly tex: string;
  /** Weight of mean(r²) of this term in the loss. */
  readonly weight: number;
  /** A gradient-enhanced (gPINN) term, a derivative of another residual: its weight is further
   * multiplied by the run's gpinnWeight (0 drops it). */
  readonly gradientEnhanced?: boolean;
  /** The operator outputs the formula reads, each one value (u_ty+u_xxxy included). */
  readonly quantities: readonly Q[];
  /** The residual from the quantities' values; throws if one it needs is missing. */
  evaluate(values: QuantityValues<Q>): number;
}

export interface ResidualSpec<P extends QuantityName> {
  name: string;
  tex: string;
  weight: number;
  gradientEnhanced?: boolean;
  quantities: readonly P[];
}

/** Builds residuals over one operator's outputs Q; the formula sees exactly the declared P ⊆ Q. */
export type ResidualBuilder<Q extends QuantityName> = <P extends Q>(
  spec: ResidualSpec<P>,
  formula: (v: Readonly<Record<P, number>>) => number,
) => ResidualTerm<Q>;

export function residualsOver<Q extends QuantityName>(outputs: readonly Q[]): ResidualBuilder<Q> {
  const available = new Set<QuantityName>(outputs);
  return (spec, formula) => {
    for (const q of spec.quantities) {
      if (!available.has(q)) {
        throw new RangeError(
          `residual ${spec.name} reads ${q}, not an output of its operator (${outputs.join(', ')})`,
        );
      }
    }
    return {
      ...spec,
      evaluate(values) {
        const picked = {} as Record<(typeof spec.quantities)[number], number>;
        for (const q of spec.quantities) {
          const value = values[q];
          if (value === undefined) throw new RangeError(`residual ${spec.name} needs ${q}`);
          picked[q] = value;
        }
        return formula(picked);
      },
    };
  };
}

/**
 * Each residual at every point from an operator's outputs (N values per quantity, as
 * JetOperator.evaluate returns them): one Float64Array of N residuals per term.
 */
export function evaluateResiduals<Q extends QuantityName>(
  terms: readonly ResidualTerm<Q>[],
  outputs: Readonly<Partial<Record<Q, ArrayLike<number>>>>,
): Float64Array[] {
  return terms.map((term) => {
    const columns = term.quantities.map((q) => {
      const column = outputs[q];
      if (!column) throw new RangeError(`residual ${term.name} needs ${q}`);
      return [q, column] as const;
    });
    const n = columns.length > 0 ? columns[0][1].length : 0;
    return Float64Array.from({ length: n }, (_, p) => {
      const values: Partial<Record<Q, number>> = {};
      for (const [q, column] of columns) values[q] = column[p];
      return term.evaluate(values);
    });
  });
}
