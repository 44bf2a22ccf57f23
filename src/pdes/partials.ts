/**
 * Named partial derivatives of u(x, y, t) for the low-dimensional high-order problems. A name lists
 * the differentiation variables in the fixed order t, x, y (u_xt is written u_tx, u_xxxt is u_txxx),
 * so every partial has exactly one name; the operator code turns a name into the jets that produce it.
 */
export const PARTIAL_NAMES = [
  'u',
  'u_t',
  'u_x',
  'u_y',
  'u_tt',
  'u_tx',
  'u_ty',
  'u_xx',
  'u_xy',
  'u_yy',
  'u_xxx',
  'u_txxx',
  'u_xxxx',
  'u_xxxy',
] as const;

export type PartialName = (typeof PARTIAL_NAMES)[number];

export type SpaceTimeVariable = 't' | 'x' | 'y';

/** How many times a partial differentiates along each variable. */
export type MultiIndex = Readonly<Record<SpaceTimeVariable, number>>;

export function partialMultiIndex(name: PartialName): MultiIndex {
  const counts = { t: 0, x: 0, y: 0 };
  for (const letter of name.slice(2)) counts[letter as SpaceTimeVariable] += 1;
  return counts;
}

/** The total order |α| of a partial. */
export function partialOrder(name: PartialName): number {
  return Math.max(0, name.length - 2);
}

/** Values of some partials at one point. */
export type PartialValues = Readonly<Partial<Record<PartialName, number>>>;

/** One residual of a high-order problem as a formula in named partials. */
export interface ResidualTerm {
  readonly name: string;
  readonly tex: string;
  /** Weight of mean(r²) of this term in the loss. */
  readonly weight: number;
  /** The partials the formula reads (and the operator must provide). */
  readonly partials: readonly PartialName[];
  /** The residual from the partials' values; throws if one it needs is missing. */
  evaluate(values: PartialValues): number;
}

/**
 * Builds a ResidualTerm whose formula sees exactly the partials it declares (typed), after a runtime
 * check that the caller supplied them all.
 */
export function defineResidual<P extends PartialName>(
  spec: { name: string; tex: string; weight: number; partials: readonly P[] },
  formula: (v: Readonly<Record<P, number>>) => number,
): ResidualTerm {
  return {
    ...spec,
    evaluate(values) {
      const picked = {} as Record<P, number>;
      for (const p of spec.partials) {
        const value = values[p];
        if (value === undefined) throw new RangeError(`residual ${spec.name} needs ${p}`);
        picked[p] = value;
      }
      return formula(picked);
    },
  };
}
