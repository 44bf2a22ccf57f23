/**
 * The Laplacian Δu = Σ_i ∂²u/∂x_i² over the spatial coordinates 0..d−1 (DESIGN.md §3), from 2-jets
 * with first tangent v and no second tangent, J_2[v] = vᵀ∇²u v:
 *   sparse (STDE, default): B coordinates without replacement, (d/B)·Σ_i J_2[e_i]; unbiased since
 *     each i is in the sample with probability B/d; exact, with zero variance, at B = d.
 *   rademacher / gaussian (Hutchinson): B dense v with E[v vᵀ] = I, (1/B)·Σ_v J_2[v].
 *   exact: all d one-hot jets, Σ_i J_2[e_i]; collapsed, this is the Forward Laplacian.
 * Every variant sums top-order derivatives with one scale, so all of them may be collapsed.
 *
 * With `time` (the input index of t, outside the spatial range) the same jets estimate u_t + Δu,
 * the operator of the terminal-value parabolic PDEs: every jet also carries v_2 = a·e_t, which
 * adds a·u_t to its J_2 (the t² coefficient of u(x + vt + a e_t t²/2) is vᵀ∇²u v/2 + a u_t/2 and
 * no other partial has order 2). The estimate multiplies Σ_r J_2 by s (d/B, 1/B or 1), so a = 1/(s·R)
 * gives exactly u_t: a = 1/d for sparse and exact jets, 1 for dense ones. No extra jet for u_t.
 *
 * With `draws` = D > 1 (the unbiased loss: D = 2) a point carries D independent draws of B jets,
 * R = D·B, draw k in jets [k·B, (k + 1)·B): dense jets are independent anyway, sparse ones are D
 * independent uniform B-subsets (JetDrawSpec.subsets), so B ≤ d suffices, not D·B ≤ d. The
 * operator's quantity is the mean of the D estimates (scale d/(D·B) or 1/(D·B)); the unbiased loss
 * reads each draw's estimate with directionRangeWeights (combine.ts) of the B-jet operator.
 */
import { defineOperator, type JetOperator, OperatorError } from './operator.ts';

export type LaplacianMethod = 'sparse' | 'rademacher' | 'gaussian' | 'exact';

export interface LaplacianOptions {
  /** Input width of the network. */
  dimension: number;
  method: LaplacianMethod;
  /** B, jets per point (ignored by 'exact'). */
  samples?: number;
  /** The Laplacian acts on coordinates 0..spatial−1 (default: all). */
  spatial?: number;
  /** Input index of t: estimate u_t + Δu instead. */
  time?: number;
  /** Independent draws of B jets per point (default 1; not for 'exact'). */
  draws?: number;
}

const TEX: Record<LaplacianMethod, string> = {
  sparse: String.raw`\frac{d}{B}\sum_{i\in S}\partial^2_{e_i}u,\quad S\subset\{1..d\},\ |S|=B\ \text{uniform without replacement}`,
  rademacher: String.raw`\frac{1}{B}\sum_{b=1}^{B}\partial^2_{v_b}u,\quad v_b\sim\{\pm1\}^d`,
  gaussian: String.raw`\frac{1}{B}\sum_{b=1}^{B}\partial^2_{v_b}u,\quad v_b\sim\mathcal N(0,I_d)`,
  exact: String.raw`\sum_{i=1}^{d}\partial^2_{e_i}u`,
};

export function laplacianOperator(options: LaplacianOptions): JetOperator {
  const { dimension, method, time } = options;
  const d = options.spatial ?? dimension;
  if (!Number.isInteger(d) || d < 1 || d > dimension) {
    throw new OperatorError(
      `the Laplacian's spatial dimension must be in 1..${dimension}, got ${d}`,
    );
  }
  if (time !== undefined && (!Number.isInteger(time) || time < d || time >= dimension)) {
    throw new OperatorError(`the time index must be an input outside 0..${d - 1}, got ${time}`);
  }
  const B = method === 'exact' ? d : (options.samples ?? 0);
  if (!Number.isInteger(B) || B < 1 || (method === 'sparse' && B > d)) {
    throw new OperatorError(
      `${method} Laplacian: samples must be an integer in 1..${method === 'sparse' ? d : '∞'}, got ${B}`,
    );
  }
  const draws = options.draws ?? 1;
  if (!Number.isInteger(draws) || draws < 1 || (method === 'exact' && draws !== 1)) {
    throw new OperatorError(
      `${method} Laplacian: draws must be ${method === 'exact' ? '1 (exact jets are not random)' : 'a positive integer'}, got ${draws}`,
    );
  }
  const R = draws * B;
  const scale = method === 'sparse' ? d / R : method === 'exact' ? 1 : 1 / R;
  // a = 1/(scale·R): 1/d for sparse and exact jets, 1 for dense ones (see the header).
  const dense = method === 'rademacher' || method === 'gaussian';
  const extra =
    time === undefined ? undefined : { order: 2, index: time, value: dense ? 1 : 1 / d };
  const laplacianTex = time === undefined ? String.raw`\Delta u` : String.raw`u_t+\Delta u`;
  const timeTex =
    extra === undefined
      ? ''
      : String.raw`,\quad\text{every jet with second tangent }${dense ? '' : String.raw`\tfrac1d`}e_t`;
  const drawsTex =
    draws === 1 ? '' : String.raw`,\quad\text{the mean of ${draws} independent draws}`;
  return defineOperator({
    name: `laplacian-${method}${time === undefined ? '' : '-with-time'}`,
    tex: `${laplacianTex}\\approx ${TEX[method]}${timeTex}${drawsTex}`,
    dimension,
    order: 2,
    draw: {
      kind: 'random',
      spec: {
        kind: method,
        directions: R,
        order: 2,
        dimension,
        range: d,
        extra,
        ...(method === 'sparse' && draws > 1 ? { subsets: draws } : {}),
      },
    },
    quantities: [
      {
        name: time === undefined ? 'laplacian' : 'u_t+laplacian',
        tex: laplacianTex,
        terms: [{ direction: 'all', order: 2, scale }],
      },
    ],
  });
}
