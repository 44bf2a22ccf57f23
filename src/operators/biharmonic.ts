/**
 * The biharmonic Δ²u = Σ_{i,j} u_iijj (DESIGN.md §3), from 4-jets with first tangent v only, whose
 * J_4[v] = Σ_{abcd} u_abcd v_a v_b v_c v_d.
 *
 * gaussian: v ~ N(0, I). Isserlis: E[v_a v_b v_c v_d] = δ_ab δ_cd + δ_ac δ_bd + δ_ad δ_bc, so
 *   E[J_4[v]] = 3 Σ_{a,b} u_aabb = 3Δ²u and (1/(3B))·Σ_v J_4[v] is unbiased. (The STDE paper's
 *   Eq. 88 carries a spurious factor d.)
 * exact (small d), by polarization: for i ≠ j,
 *   J_4[e_i + e_j] + J_4[e_i − e_j] = 2u_iiii + 12u_iijj + 2u_jjjj   (the odd powers of ±1 cancel),
 *   so u_iijj = (J_4[e_i + e_j] + J_4[e_i − e_j])/12 − (u_iiii + u_jjjj)/6 with u_iiii = J_4[e_i].
 *   Summing Δ²u = Σ_i u_iiii + 2Σ_{i<j} u_iijj, each u_iiii appears in d − 1 pairs:
 *     Δ²u = (4 − d)/3 · Σ_i J_4[e_i] + (1/6) · Σ_{i<j} (J_4[e_i + e_j] + J_4[e_i − e_j]),
 *   d + d(d − 1) = d² jets per point. The one-hot jets come first, then the pairs (i < j) with +
 *   before −. The scales differ between jets, so this one cannot be collapsed.
 */
import { type FixedJet } from './fixedTangents.ts';
import { defineOperator, type JetOperator, OperatorError, type OutputTerm } from './operator.ts';

export type BiharmonicMethod = 'gaussian' | 'exact';

export interface BiharmonicOptions {
  dimension: number;
  method: BiharmonicMethod;
  /** B, Gaussian jets per point (ignored by 'exact'). */
  samples?: number;
}

const BIHARMONIC_TEX = String.raw`\Delta^2 u=\sum_{i,j}\partial_i^2\partial_j^2 u`;

function exactBiharmonicJets(d: number): { jets: FixedJet[]; terms: OutputTerm[] } {
  const jets: FixedJet[] = [];
  const terms: OutputTerm[] = [];
  for (let i = 0; i < d; i++) {
    terms.push({ direction: jets.length, order: 4, scale: (4 - d) / 3 });
    jets.push([{ order: 1, components: [{ index: i, value: 1 }] }]);
  }
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      for (const sign of [1, -1]) {
        terms.push({ direction: jets.length, order: 4, scale: 1 / 6 });
        jets.push([
          {
            order: 1,
            components: [
              { index: i, value: 1 },
              { index: j, value: sign },
            ],
          },
        ]);
      }
    }
  }
  return { jets, terms };
}

export function biharmonicOperator(options: BiharmonicOptions): JetOperator {
  const { dimension: d, method } = options;
  if (method === 'exact') {
    const { jets, terms } = exactBiharmonicJets(d);
    return defineOperator({
      name: 'biharmonic-exact',
      tex: String.raw`${BIHARMONIC_TEX}=\frac{4-d}{3}\sum_i\partial^4_{e_i}u+\frac16\sum_{i<j}\left(\partial^4_{e_i+e_j}u+\partial^4_{e_i-e_j}u\right)`,
      dimension: d,
      order: 4,
      draw: { kind: 'fixed', jets },
      quantities: [{ name: 'biharmonic', tex: String.raw`\Delta^2 u`, terms }],
    });
  }
  const B = options.samples ?? 0;
  if (!Number.isInteger(B) || B < 1) {
    throw new OperatorError(`Gaussian biharmonic: samples must be a positive integer, got ${B}`);
  }
  return defineOperator({
    name: 'biharmonic-gaussian',
    tex: String.raw`${BIHARMONIC_TEX}\approx\frac{1}{3B}\sum_{b=1}^{B}\partial^4_{v_b}u,\quad v_b\sim\mathcal N(0,I_d)`,
    dimension: d,
    order: 4,
    draw: {
      kind: 'random',
      spec: { kind: 'gaussian', directions: B, order: 4, dimension: d, range: d },
    },
    quantities: [
      {
        name: 'biharmonic',
        tex: String.raw`\Delta^2 u`,
        terms: [{ direction: 'all', order: 4, scale: 1 / (3 * B) }],
      },
    ],
  });
}
