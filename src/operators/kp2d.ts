/**
 * The partials of the 2-D Kadomtsev–Petviashvili residual (DESIGN.md §4)
 *   (u_t + 6u u_x + u_xxx)_x + 3u_yy = u_tx + u_xxxx + 6(u_x² + u u_xx) + 3u_yy
 * from two 4-jets per point, each partial isolated by the choice of nonzero tangent orders (no
 * cancellation between jets). The outputs, KP2D_OUTPUTS, are named in the vocabulary of
 * partials.ts (u, u_x, u_xx, the combined quantity u_tx+u_xxxx, u_yy); the residual itself is
 * src/pdes/highOrder.ts's kp2d.
 *
 * Jet 0: v_1 = e_x, v_3 = e_t/4 (normalized w_1 = 1, w_3 = 1/24). Its nonzero orders are {1, 3}, so
 * the multisets summing to n are {1ⁿ} and, from n = 3, {1^(n−3), 3}:
 *   J_1 = u_x, J_2 = u_xx,
 *   J_3 = u_xxx + 3!·(1/24)·u_t = u_xxx + u_t/4,
 *   J_4 = u_xxxx + 4!·(1·1/24)·u_tx = u_tx + u_xxxx   (the 1/4 makes the two terms the residual's).
 * Jet 1: v_1 = e_y, J_2 = u_yy.
 * Folding 3u_yy into jet 0 too (v_2 = e_y gives {2,2}: 3u_yy in J_4) would also form {1,1,2}
 * (u_xxy), so it would need a ± pair: two jets either way, and this way nothing cancels.
 */
import { along } from './fixedTangents.ts';
import { defineOperator, type JetOperator, type OutputTerm } from './operator.ts';
import { type QuantityName, vocabularyQuantities } from './partials.ts';

export interface Kp2dCoordinates {
  dimension: number;
  x: number;
  y: number;
  t: number;
}

const DEFAULT: Kp2dCoordinates = { dimension: 3, x: 0, y: 1, t: 2 };

/** What the construction outputs, in this order. */
export const KP2D_OUTPUTS = [
  'u',
  'u_x',
  'u_xx',
  'u_tx+u_xxxx',
  'u_yy',
] as const satisfies readonly QuantityName[];

export type Kp2dOutput = (typeof KP2D_OUTPUTS)[number];

const CONSTRUCTION: Record<Kp2dOutput, OutputTerm[]> = {
  u: [{ direction: 0, order: 0, scale: 1 }],
  u_x: [{ direction: 0, order: 1, scale: 1 }],
  u_xx: [{ direction: 0, order: 2, scale: 1 }],
  'u_tx+u_xxxx': [{ direction: 0, order: 4, scale: 1 }],
  u_yy: [{ direction: 1, order: 2, scale: 1 }],
};

export function kp2dOperator(coordinates: Kp2dCoordinates = DEFAULT): JetOperator<Kp2dOutput> {
  const { dimension, x, y, t } = coordinates;
  return defineOperator({
    name: 'kp2d-partials',
    tex: String.raw`(u_t+6uu_x+u_{xxx})_x+3u_{yy}`,
    dimension,
    order: 4,
    draw: { kind: 'fixed', jets: [[along(1, x), along(3, t, 1 / 4)], [along(1, y)]] },
    quantities: vocabularyQuantities(KP2D_OUTPUTS, CONSTRUCTION),
  });
}
