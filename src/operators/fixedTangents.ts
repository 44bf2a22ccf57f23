/**
 * Fixed jet constructions (mixed partials, exact biharmonic, directional derivatives) as a batch's
 * TangentInput: the same jets at every point. One-hot when every tangent has at most one nonzero
 * component (the first layer then gathers columns), dense otherwise.
 */
import type { TangentInput } from '../engine/jetLayout.ts';
import { factorial } from '../jet/series.ts';

/** Component `index` of a tangent vector, in the derivative convention (v_k, not v_k/k!). */
export interface TangentComponent {
  index: number;
  value: number;
}

/** A nonzero input tangent v_order = Σ value·e_index. */
export interface FixedTangent {
  order: number;
  components: readonly TangentComponent[];
}

/** One jet: its nonzero tangents; every other order is zero. */
export type FixedJet = readonly FixedTangent[];

/** The tangent v_order = value·e_index. */
export function along(order: number, index: number, value = 1): FixedTangent {
  return { order, components: [{ index, value }] };
}

export function validateFixedJets(
  jets: readonly FixedJet[],
  dimension: number,
  order: number,
): void {
  if (jets.length === 0) throw new RangeError('a fixed construction needs at least one jet');
  jets.forEach((jet, r) => {
    const orders = new Set<number>();
    for (const tangent of jet) {
      if (!Number.isInteger(tangent.order) || tangent.order < 1 || tangent.order > order) {
        throw new RangeError(`jet ${r}: tangent order ${tangent.order} outside 1..${order}`);
      }
      if (orders.has(tangent.order))
        throw new RangeError(`jet ${r}: v_${tangent.order} given twice`);
      orders.add(tangent.order);
      for (const { index } of tangent.components) {
        if (!Number.isInteger(index) || index < 0 || index >= dimension) {
          throw new RangeError(`jet ${r}: index ${index} outside 0..${dimension - 1}`);
        }
      }
    }
  });
}

export function fixedTangents(
  jets: readonly FixedJet[],
  dimension: number,
  order: number,
  points: number,
): TangentInput {
  const R = jets.length;
  const K = order;
  const oneHot = jets.every((jet) => jet.every((t) => t.components.length <= 1));
  if (oneHot) {
    const index = new Int32Array(points * R * K).fill(-1);
    const coefficient = new Float32Array(points * R * K);
    for (let p = 0; p < points; p++) {
      jets.forEach((jet, r) => {
        for (const { order: k, components } of jet) {
          if (components.length === 0) continue;
          const slot = (p * R + r) * K + k - 1;
          index[slot] = components[0].index;
          coefficient[slot] = components[0].value / factorial(k);
        }
      });
    }
    return { kind: 'oneHot', index, coefficient };
  }
  const values = new Float32Array(points * R * K * dimension);
  for (let p = 0; p < points; p++) {
    jets.forEach((jet, r) => {
      for (const { order: k, components } of jet) {
        const base = ((p * R + r) * K + k - 1) * dimension;
        for (const { index, value } of components) values[base + index] += value / factorial(k);
      }
    });
  }
  return { kind: 'dense', values };
}

/**
 * One jet's tangents in the derivative convention of src/jet (JetInput.tangents: v_1 … v_K, null
 * for zero), in float64: how the constructions are checked exactly against polynomials.
 */
export function fixedJetTangents(
  jet: FixedJet,
  dimension: number,
  order: number,
): (Float64Array | null)[] {
  const tangents: (Float64Array | null)[] = Array.from({ length: order }, () => null);
  for (const { order: k, components } of jet) {
    const v = new Float64Array(dimension);
    for (const { index, value } of components) v[index] += value;
    tangents[k - 1] = v;
  }
  return tangents;
}
