/**
 * The partials of the 2-D KdV residual (DESIGN.md §4)
 *   u_ty + u_xxxy + 3(u_y u_x)_x − u_xx + 2u_yy = u_ty + u_xxxy + 3(u_xy u_x + u_y u_xx) − u_xx + 2u_yy
 * from three 5-jets per point, derived here (the STDE paper's constants for this PDE are wrong).
 * The outputs, KDV2D_OUTPUTS, are named in the vocabulary of partials.ts: u, u_x, u_y, u_xx, u_xy,
 * u_yy and the combined quantity u_ty+u_xxxy; the residual itself is src/pdes/highOrder.ts's kdv2d.
 *
 * Faà di Bruno for one-hot tangents: with v_k = w_k·k!·e_{i_k} (w_k the normalized coefficient),
 * J_n = n!·Σ_M Π_k (w_k^{μ_k}/μ_k!)·∂_M u over the multisets M of nonzero orders summing to n (μ_k
 * the multiplicity of order k, ∂_M the partial with coordinate i_k taken μ_k times).
 *
 * Jets r = 0, 1: v_1 = e_x, v_2 = s·e_y, v_3 = e_t with s = +1, −1 (w_1 = 1, w_2 = s/2, w_3 = 1/6):
 *   J_1 = u_x                                       {1}
 *   J_2 = u_xx + s·u_y                              {1,1}, {2}
 *   J_3 = u_xxx + 3s·u_xy + u_t                     {1,1,1}, {1,2}: 3!·(s/2), {3}: 3!/6
 *   J_5 = u_xxxxx + 10s·u_xxxy + 15u_xyy + 10u_txx + 10s·u_ty
 *         {1⁵}, {1³,2}: 5!·(1/3!)(s/2), {1,2²}: 5!·(1/4)/2!, {1²,3}: 5!·(1/2!)(1/6), {2,3}: 5!·(s/2)(1/6)
 * The terms odd in s are exactly those with an odd number of y's, so the difference of the two
 * jets cancels every other partial exactly:
 *   u_y = (J_2⁺ − J_2⁻)/2,  u_xx = (J_2⁺ + J_2⁻)/2,  u_xy = (J_3⁺ − J_3⁻)/6,
 *   u_ty + u_xxxy = (J_5⁺ − J_5⁻)/20   (t at order 3 puts u_ty next to u_xxxy on purpose).
 * Jet r = 2: v_1 = e_y, J_2 = u_yy.
 *
 * Why a pair and not one jet: the engine's jets have order ≤ 8, and no single one-hot jet of order
 * ≤ 8 isolates u_xxxy: if x sits at order 1 then 1+…+1 = n always adds ∂_x^n u; otherwise every
 * part is ≥ 2, so 3a + b ≥ 9 (a = 2, b = 3: J_9 = 1260u_xxxy + 280u_yyy, the STDE paper's 9-jet
 * scheme, which still needs u_yyy subtracted). In f32 the cancelled partials (up to u_xxxxx) add
 * rounding error in proportion to their size.
 */
import { along } from './fixedTangents.ts';
import { defineOperator, type JetOperator, type OutputTerm } from './operator.ts';
import { type QuantityName, vocabularyQuantities } from './partials.ts';

export interface Kdv2dCoordinates {
  dimension: number;
  x: number;
  y: number;
  t: number;
}

const DEFAULT: Kdv2dCoordinates = { dimension: 3, x: 0, y: 1, t: 2 };

/** What the construction outputs, in this order. */
export const KDV2D_OUTPUTS = [
  'u',
  'u_x',
  'u_y',
  'u_xx',
  'u_xy',
  'u_yy',
  'u_ty+u_xxxy',
] as const satisfies readonly QuantityName[];

export type Kdv2dOutput = (typeof KDV2D_OUTPUTS)[number];

/** Each output as its combination of the three jets. */
const CONSTRUCTION: Record<Kdv2dOutput, OutputTerm[]> = {
  u: [{ direction: 0, order: 0, scale: 1 }],
  u_x: [{ direction: 0, order: 1, scale: 1 }],
  u_y: [
    { direction: 0, order: 2, scale: 1 / 2 },
    { direction: 1, order: 2, scale: -1 / 2 },
  ],
  u_xx: [
    { direction: 0, order: 2, scale: 1 / 2 },
    { direction: 1, order: 2, scale: 1 / 2 },
  ],
  u_xy: [
    { direction: 0, order: 3, scale: 1 / 6 },
    { direction: 1, order: 3, scale: -1 / 6 },
  ],
  u_yy: [{ direction: 2, order: 2, scale: 1 }],
  'u_ty+u_xxxy': [
    { direction: 0, order: 5, scale: 1 / 20 },
    { direction: 1, order: 5, scale: -1 / 20 },
  ],
};

export function kdv2dOperator(coordinates: Kdv2dCoordinates = DEFAULT): JetOperator<Kdv2dOutput> {
  const { dimension, x, y, t } = coordinates;
  return defineOperator({
    name: 'kdv2d-partials',
    tex: String.raw`u_{ty}+u_{xxxy}+3(u_y u_x)_x-u_{xx}+2u_{yy}`,
    dimension,
    order: 5,
    draw: {
      kind: 'fixed',
      jets: [
        [along(1, x), along(2, y, 1), along(3, t)],
        [along(1, x), along(2, y, -1), along(3, t)],
        [along(1, y)],
      ],
    },
    quantities: vocabularyQuantities(KDV2D_OUTPUTS, CONSTRUCTION),
  });
}
