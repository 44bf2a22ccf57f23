/**
 * ∂_jΔu = Σ_i u_iij along a sampled coordinate j, with u, u_j and Δu from the same jets: what the
 * gPINN term of the ball problems reads (r = Δu + N(u) − f, ∂_j r = ∂_jΔu + N'(u)·u_j − ∂_j f).
 *
 * Construction: STDE's 7-jets (DESIGN.md §3), scaled so that every normalized input coefficient
 * is 1 and therefore exact in f32 (unscaled, v_3 = e_j would store 1/6, which f32 rounds):
 *   jet r of a point: v_2 = 2!·e_i (i the r-th of B coordinates drawn without replacement),
 *   v_3 = 3!·e_j (one j per point, uniform on 0..d−1, independent of the i's), other tangents 0.
 * Faà di Bruno for one-hot tangents (see kdv2d.ts), normalized w_2 = w_3 = 1, over the multisets of
 * {2, 3} summing to n:
 *   J_2 = 2u_i {2},  J_3 = 6u_j {3},  J_4 = 12u_ii {2,2},  J_5 = 120u_ij {2,3},
 *   J_6 = 120u_iii + 360u_jj {2,2,2}, {3,3},  J_7 = 5040·(1/2!)·u_iij = 2520u_iij {2,2,3}
 * (7 = 2 + 2 + 3 is the only way from parts 2 and 3), also when i = j. Nothing cancels, so f32
 * rounding is that of the partial itself. With R = D·B jets (D independent B-subsets that share
 * the point's j: D = 2 for the unbiased gPINN term), given j,
 *   u_j = J_3[0]/6,   Δu ≈ (d/R)·Σ_r J_4[r]/12,   ∂_jΔu ≈ (d/R)·Σ_r J_7[r]/2520,
 * unbiased since each i lies in a uniform B-subset with probability B/d; B = d is exact.
 *
 * Why this one (rows per point V; standard 1 + R·K, collapsed 1 + R·(K − 1) + 1). A hidden layer
 * of width h costs h multiply-adds per row and unit (the matmul) plus the activation's O(K²)
 * recurrence, K² + 2K per jet and unit (jetForward.wgsl); per sampled i at h = 128:
 *   construction                                jets/i  K  V            recurrence  per i, h = 128
 *   7-jet v_2 = 2e_i, v_3 = 6e_j (chosen)        1      7  1 + 7B       63          959
 *     collapsed (∂_jΔu reads Σ_r J_7 only)                 2 + 6B       63          831
 *   4-jet pair v_1 = e_i, v_2 = ±e_j             2      4  1 + 8B       48          1072
 *     (J_4^± = u_iiii ± 6u_iij + 3u_jj: (J_4⁺ − J_4⁻)/12 = u_iij; J_2^± = u_ii ± u_j; the top
 *     order is read as a difference, so it cannot be collapsed, and u_iiii cancels in f32)
 *   5-jet pair v_1 = e_i, v_3 = ±e_j             2      5  1 + 10B      70          1350
 *   3-jet polarization e_i ± e_j, plus e_j       2      3  4 + 6B       30          798 + dense
 *     (J_3[e_i+e_j] − J_3[e_i−e_j] = 6u_iij + 2u_jjj: two-component tangents, so the first layer
 *     is a d×h matmul per row instead of a gather, O(d) per row at the d this is for)
 * No single one-hot jet of lower order isolates u_iij: with i at order a and j at order b, u_iij
 * sits at n = 2a + b; a = 1 or b = 1 adds ∂_i^n u or ∂_j^n u, and a, b ≥ 2 with a ≠ b gives
 * n ≥ 7 (a = 2, b = 3). The plain sparse Laplacian (r only) has V = 1 + 2B, so gPINN costs about
 * 3.5× its rows (3× collapsed).
 */
import type { TangentInput } from '../engine/jetLayout.ts';
import { defineOperator, type JetOperator, OperatorError, type OutputTerm } from './operator.ts';

/** The orders of the two tangents, and the jet order (2 + 2 + 3). */
const SAMPLED_ORDER = 2;
const POINT_ORDER = 3;
const ORDER = 7;

/** What the construction outputs, in this order. */
export const LAPLACIAN_GRADIENT_OUTPUTS = ['u', 'u_j', 'laplacian', 'laplacian_j'] as const;

export type LaplacianGradientOutput = (typeof LAPLACIAN_GRADIENT_OUTPUTS)[number];

export interface LaplacianGradientOptions {
  dimension: number;
  /** B = |I|, sampled i per draw (1..d). */
  samples: number;
  /** D independent B-subsets per point sharing its j (default 1; 2 for the unbiased term). */
  draws?: number;
}

/** J_3 = 6u_j, J_4 = 12u_ii, J_7 = 2520u_iij (see the header). */
const J3_PER_U_J = 6;
const J4_PER_U_II = 12;
const J7_PER_U_IIJ = 2520;

/** Each output as row terms of R = D·B jets over d coordinates. */
function construction(d: number, R: number): Record<LaplacianGradientOutput, OutputTerm[]> {
  return {
    u: [{ direction: 0, order: 0, scale: 1 }],
    u_j: [{ direction: 0, order: POINT_ORDER, scale: 1 / J3_PER_U_J }],
    laplacian: [{ direction: 'all', order: 4, scale: d / (R * J4_PER_U_II) }],
    laplacian_j: [{ direction: 'all', order: ORDER, scale: d / (R * J7_PER_U_IIJ) }],
  };
}

const TEX: Record<LaplacianGradientOutput, string> = {
  u: 'u',
  u_j: String.raw`\partial_j u`,
  laplacian: String.raw`\Delta u`,
  laplacian_j: String.raw`\partial_j\Delta u`,
};

export function laplacianGradientOperator(
  options: LaplacianGradientOptions,
): JetOperator<LaplacianGradientOutput> {
  const { dimension: d, samples: B } = options;
  const draws = options.draws ?? 1;
  if (!Number.isInteger(B) || B < 1 || B > d) {
    throw new OperatorError(`∂_jΔu: samples must be an integer in 1..${d}, got ${B}`);
  }
  if (!Number.isInteger(draws) || draws < 1) {
    throw new OperatorError(`∂_jΔu: draws must be a positive integer, got ${draws}`);
  }
  const R = draws * B;
  const terms = construction(d, R);
  const drawsTex =
    draws === 1 ? '' : String.raw`,\quad\text{the mean of ${draws} independent draws of }I`;
  return defineOperator({
    name: 'laplacian-gradient-sparse',
    tex: String.raw`\partial_j\Delta u\approx\frac{d}{B}\sum_{i\in I}\frac{\partial^7_{(2e_i,6e_j)}u}{2520},\quad I\subset\{1..d\},\ |I|=B,\ j\sim U\{1..d\}${drawsTex}`,
    dimension: d,
    order: ORDER,
    draw: {
      kind: 'random',
      spec: {
        kind: 'sparse',
        directions: R,
        order: ORDER,
        dimension: d,
        range: d,
        sampledOrder: SAMPLED_ORDER,
        pointTangent: { order: POINT_ORDER },
        ...(draws > 1 ? { subsets: draws } : {}),
      },
    },
    quantities: LAPLACIAN_GRADIENT_OUTPUTS.map((name) => ({
      name,
      tex: TEX[name],
      terms: terms[name],
    })),
  });
}

/**
 * Where point p's sampled j sits among one-hot jet indices laid out [point][jet][order]:
 * index[p·stride + offset], v_3's index in the point's first jet.
 */
export function gradientCoordinateSlot(directions: number): { stride: number; offset: number } {
  return { stride: directions * ORDER, offset: POINT_ORDER - 1 };
}

/**
 * The sampled j of every point, read where the jets carry it, so the source ∂_j f is taken along
 * the very coordinate the jets differentiate.
 */
export function gradientCoordinates(
  tangents: TangentInput,
  points: number,
  directions: number,
): Int32Array {
  if (tangents.kind !== 'oneHot') {
    throw new OperatorError('∂_jΔu jets are one-hot; dense tangents carry no sampled j');
  }
  const { stride, offset } = gradientCoordinateSlot(directions);
  return Int32Array.from({ length: points }, (_, p) => tangents.index[p * stride + offset]);
}
