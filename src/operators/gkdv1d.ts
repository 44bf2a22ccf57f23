/**
 * The partials of the 1-D gradient-enhanced KdV loss (DESIGN.md §4): the residual
 *   r = u_t + u u_x + β u_xxx   (β = 0.0025)
 * and, for the gradient-enhanced terms, its derivatives
 *   r_x = u_tx + u_x² + u u_xx + β u_xxxx,   r_t = u_tt + u_t u_x + u u_tx + β u_txxx,
 * from three 5-jets per point. The outputs, GKDV1D_OUTPUTS, are single partials named in the
 * vocabulary of partials.ts; the residuals themselves are src/pdes/highOrder.ts's gkdv1d.
 *
 * Jets r = 0, 1: v_1 = e_x, v_2 = s·e_t, s = ±1 (normalized w_1 = 1, w_2 = s/2). The multisets of
 * {1, 2} summing to n (Faà di Bruno, see kdv2d.ts) give
 *   J_1 = u_x
 *   J_2 = u_xx + s·u_t                          {1,1}, {2}: 2!·(s/2)
 *   J_3 = u_xxx + 3s·u_tx                       {1,1,1}, {1,2}: 3!·(s/2)
 *   J_4 = u_xxxx + 6s·u_txx + 3u_tt             {1⁴}, {1²,2}: 4!·(1/2!)(s/2), {2,2}: 4!·(1/4)/2!
 *   J_5 = u_xxxxx + 10s·u_txxx + 15u_ttx        {1⁵}, {1³,2}: 5!·(1/3!)(s/2), {1,2²}: 5!·(1/4)/2!
 * Terms odd in s carry an odd number of t's, so sums and differences of the pair separate them:
 *   u_t = (J_2⁺ − J_2⁻)/2, u_xx = (J_2⁺ + J_2⁻)/2, u_xxx = (J_3⁺ + J_3⁻)/2, u_tx = (J_3⁺ − J_3⁻)/6,
 *   u_txxx = (J_5⁺ − J_5⁻)/20, and (J_4⁺ + J_4⁻)/2 = u_xxxx + 3u_tt.
 * Jet r = 2: v_1 = e_t, J_2 = u_tt, hence u_xxxx = (J_4⁺ + J_4⁻)/2 − 3J_2[e_t].
 * u_txxx needs the pair: a one-hot jet of order ≤ 8 cannot isolate it (x at order 1 always adds
 * ∂_x^n u; otherwise 3a + b ≥ 9), and the order-7 scheme v_1 = e_x, v_4 = e_t (J_7 = ∂_x^7 u +
 * 35u_xxxt = 35u_txxx, DESIGN.md §3) needs ∂_x^7 u subtracted; the pair reaches it at order 5.
 */
import { along } from './fixedTangents.ts';
import { defineOperator, type JetOperator, type OutputTerm } from './operator.ts';
import { type QuantityName, vocabularyQuantities } from './partials.ts';

export interface Gkdv1dCoordinates {
  dimension: number;
  x: number;
  t: number;
}

const DEFAULT: Gkdv1dCoordinates = { dimension: 2, x: 0, t: 1 };

/** What the construction outputs, in this order. */
export const GKDV1D_OUTPUTS = [
  'u',
  'u_x',
  'u_t',
  'u_xx',
  'u_xxx',
  'u_tx',
  'u_tt',
  'u_xxxx',
  'u_txxx',
] as const satisfies readonly QuantityName[];

export type Gkdv1dOutput = (typeof GKDV1D_OUTPUTS)[number];

const pair = (order: number, plus: number, minus: number): OutputTerm[] => [
  { direction: 0, order, scale: plus },
  { direction: 1, order, scale: minus },
];

const CONSTRUCTION: Record<Gkdv1dOutput, OutputTerm[]> = {
  u: [{ direction: 0, order: 0, scale: 1 }],
  u_x: [{ direction: 0, order: 1, scale: 1 }],
  u_t: pair(2, 1 / 2, -1 / 2),
  u_xx: pair(2, 1 / 2, 1 / 2),
  u_xxx: pair(3, 1 / 2, 1 / 2),
  u_tx: pair(3, 1 / 6, -1 / 6),
  u_tt: [{ direction: 2, order: 2, scale: 1 }],
  u_xxxx: [...pair(4, 1 / 2, 1 / 2), { direction: 2, order: 2, scale: -3 }],
  u_txxx: pair(5, 1 / 20, -1 / 20),
};

export function gkdv1dOperator(
  coordinates: Gkdv1dCoordinates = DEFAULT,
): JetOperator<Gkdv1dOutput> {
  const { dimension, x, t } = coordinates;
  return defineOperator({
    name: 'gkdv1d-partials',
    tex: String.raw`r=u_t+uu_x+\beta u_{xxx},\ r_x,\ r_t`,
    dimension,
    order: 5,
    draw: {
      kind: 'fixed',
      jets: [[along(1, x), along(2, t, 1)], [along(1, x), along(2, t, -1)], [along(1, t)]],
    },
    quantities: vocabularyQuantities(GKDV1D_OUTPUTS, CONSTRUCTION),
  });
}
