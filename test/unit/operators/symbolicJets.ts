/**
 * J_n of a jet as an exact linear combination of partial derivatives, by enumerating Faà di Bruno
 * term by term: J_n = n!·Σ_m (1/m!)·Σ_{k_1+…+k_m = n} D^m u[c_{k_1}, …, c_{k_m}] with c_k = v_k/k!.
 * Shares no code with the Taylor-mode machinery, so it can tell which partials a construction
 * extracts, and that nothing else leaks in.
 */
import { factorial } from '../../../src/jet/series.ts';
import type { FixedJet } from '../../../src/operators/fixedTangents.ts';
import type { OutputTerm } from '../../../src/operators/operator.ts';

/** A partial named by its sorted coordinate indices, e.g. '0,0,0,1' = u_xxxy; '' = u. */
export type Partials = Map<string, number>;

function addTo(target: Partials, key: string, value: number): void {
  target.set(key, (target.get(key) ?? 0) + value);
}

/** J_n of the jet, n = 0..order. */
export function symbolicDerivatives(jet: FixedJet, order: number): Partials[] {
  const c = new Map(jet.map((t) => [t.order, t.components]));
  const result: Partials[] = [new Map([['', 1]])];
  for (let n = 1; n <= order; n++) {
    const partials: Partials = new Map();
    // Ordered compositions (k_1, …, k_m) of n into nonzero tangent orders, each factor expanded
    // over the tangent's components.
    const visit = (remaining: number, indices: number[], weight: number, m: number): void => {
      if (remaining === 0) {
        addTo(
          partials,
          [...indices].sort((a, b) => a - b).join(','),
          (factorial(n) * weight) / factorial(m),
        );
        return;
      }
      for (const [k, components] of c) {
        if (k > remaining) continue;
        for (const { index, value } of components) {
          visit(remaining - k, [...indices, index], (weight * value) / factorial(k), m + 1);
        }
      }
    };
    visit(n, [], 1, 0);
    result.push(partials);
  }
  return result;
}

/** Σ_terms scale·J_order[direction] as partials, dropping coefficients below 1e-12. */
export function symbolicQuantity(
  jets: readonly FixedJet[],
  order: number,
  terms: readonly OutputTerm[],
): Partials {
  const derivatives = jets.map((jet) => symbolicDerivatives(jet, order));
  const total: Partials = new Map();
  for (const { direction, order: k, scale } of terms) {
    const directions = direction === 'all' ? derivatives.map((_, r) => r) : [direction];
    for (const r of directions) {
      for (const [key, value] of derivatives[r][k]) addTo(total, key, scale * value);
    }
  }
  for (const [key, value] of total) if (Math.abs(value) < 1e-12) total.delete(key);
  return total;
}

/** Partials written with coordinate letters, e.g. ('xxxy', {x: 0, y: 1}) → '0,0,0,1'. */
export function partialKey(letters: string, coordinates: Record<string, number>): string {
  return [...letters]
    .map((l) => coordinates[l])
    .sort((a, b) => a - b)
    .join(',');
}
