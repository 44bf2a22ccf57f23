/**
 * The fixed small network of the estimator tests, float64 references for its derivatives at a
 * point, and the sample statistics of repeated estimates.
 */
import { ReferenceJetEngine } from '../../../src/engine/referenceEngine.ts';
import { initParameters, type MlpArchitecture } from '../../../src/jet/mlp.ts';
import { referenceForwardJet } from '../../../src/jet/referenceJet.ts';
import { operatorBatch } from '../../../src/operators/batch.ts';
import type { JetOperator } from '../../../src/operators/operator.ts';

export function network(widths: number[], seed = 2024) {
  const arch: MlpArchitecture = { widths, activation: 'tanh', boundary: 'ball' };
  const params = initParameters(arch, seed);
  return { arch, params, engine: new ReferenceJetEngine(arch, params) };
}

export type Network = ReturnType<typeof network>;

/** J_order of output 0 along the jet with first tangent v and no others (float64 reference). */
export function directional(
  net: Network,
  point: ArrayLike<number>,
  v: ArrayLike<number>,
  order: number,
): number {
  const tangents = Array.from({ length: order }, (_, i) => (i === 0 ? v : null));
  return referenceForwardJet(net.arch, net.params, { point, tangents }).derivatives[0][order];
}

export function unit(d: number, i: number, scale = 1): Float64Array {
  const e = new Float64Array(d);
  e[i] = scale;
  return e;
}

/** The Hessian by polarization: H_ij = (J_2[e_i + e_j] − J_2[e_i − e_j])/4. */
export function hessian(net: Network, point: ArrayLike<number>): Float64Array[] {
  const d = point.length;
  return Array.from({ length: d }, (_, i) =>
    Float64Array.from({ length: d }, (_, j) => {
      if (i === j) return directional(net, point, unit(d, i), 2);
      const plus = unit(d, i);
      const minus = unit(d, i);
      plus[j] = 1;
      minus[j] = -1;
      return (directional(net, point, plus, 2) - directional(net, point, minus, 2)) / 4;
    }),
  );
}

/** The operator's first quantity at `copies` copies of one point, for each step: one estimate per
 * (copy, step), all independent (draws are keyed by point and step). */
export async function repeatedEstimates(
  net: Network,
  operator: JetOperator,
  point: readonly number[],
  copies: number,
  steps: readonly number[],
  seed = 7,
): Promise<Float64Array> {
  const x = Float64Array.from({ length: copies * point.length }, (_, i) => point[i % point.length]);
  const all: number[] = [];
  for (const step of steps) {
    const batch = operatorBatch(operator, x, { seed, step });
    const outputs = await net.engine.forward(batch);
    all.push(...operator.quantity(operator.quantities[0].name, outputs, batch.shape));
  }
  return Float64Array.from(all);
}

export interface SampleSummary {
  mean: number;
  /** Unbiased sample variance. */
  variance: number;
  /** Standard error of the mean. */
  standardError: number;
  /** Standard error of the variance estimate, sqrt((m4 − s⁴)/n). */
  varianceError: number;
}

export function summarize(samples: ArrayLike<number>): SampleSummary {
  const n = samples.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += samples[i];
  mean /= n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const e = (samples[i] - mean) ** 2;
    m2 += e;
    m4 += e * e;
  }
  const variance = m2 / (n - 1);
  return {
    mean,
    variance,
    standardError: Math.sqrt(variance / n),
    varianceError: Math.sqrt(Math.max(m4 / n - (m2 / n) ** 2, 0) / n),
  };
}
