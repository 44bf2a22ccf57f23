/**
 * The one vocabulary of partial derivatives shared by the mixed-partial operators (kdv2d.ts,
 * kp2d.ts, gkdv1d.ts: the quantities they output) and the high-order PDE residuals
 * (src/pdes/highOrder.ts: the quantities they read). It lives here, below src/pdes, so both layers
 * import it without an upward import.
 *
 * Partials of u(t, x, y): a name lists its differentiation variables in the fixed order t, x, y
 * (alphabetical), so every partial has exactly one name: u_tx, never u_xt; u_txxx, never u_xxxt;
 * u_ty, u_xxxy.
 *
 * Combined quantities: where one jet construction yields a sum of partials and not the partials
 * themselves (the 2-D KdV pair yields u_ty + u_xxxy, the 2-D KP jet u_tx + u_xxxx), the sum is a
 * first-class quantity named by its terms joined with '+', lower order first (then by name), and a
 * residual reads it as one value.
 */
import type { OutputTerm, Quantity } from './operator.ts';

export type SpaceTimeVariable = 't' | 'x' | 'y';

/** The variables in name order. */
export const SPACE_TIME_VARIABLES: readonly SpaceTimeVariable[] = ['t', 'x', 'y'];

/** The single partials any construction of this repository outputs. */
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

/** The sums of partials a construction yields as one value (see the header). */
export const COMBINED_QUANTITIES = ['u_ty+u_xxxy', 'u_tx+u_xxxx'] as const;

export type CombinedQuantity = (typeof COMBINED_QUANTITIES)[number];

/** Anything an operator may output and a residual may read. */
export type QuantityName = PartialName | CombinedQuantity;

export const QUANTITY_NAMES: readonly QuantityName[] = [...PARTIAL_NAMES, ...COMBINED_QUANTITIES];

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

/** The partials a quantity sums (one for a single partial). */
export function quantityPartials(name: QuantityName): PartialName[] {
  return name.split('+') as PartialName[];
}

/** TeX of a partial: u_{txxx}. */
export function partialTex(name: PartialName): string {
  return name === 'u' ? 'u' : `u_{${name.slice(2)}}`;
}

/** TeX of a quantity: u_{ty}+u_{xxxy}. */
export function quantityTex(name: QuantityName): string {
  return quantityPartials(name).map(partialTex).join('+');
}

/**
 * An operator's quantities in the order of `names`, each with the jet combination `construction`
 * gives it and its TeX from the vocabulary: how kdv2d.ts, kp2d.ts and gkdv1d.ts name their outputs.
 */
export function vocabularyQuantities<Q extends QuantityName>(
  names: readonly Q[],
  construction: Readonly<Record<Q, readonly OutputTerm[]>>,
): Quantity<Q>[] {
  return names.map((name) => ({ name, tex: quantityTex(name), terms: construction[name] }));
}
