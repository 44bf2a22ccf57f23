/**
 * The gPINN term of the ball problems in float64, from the rows of the ∂_jΔu jets
 * (src/operators/laplacianGradient.ts): per point and per independent draw k of its B sampled
 * coordinates I_k (all draws share the point's sampled j),
 *   r̂_k    = Δ̂_k u + N(u) − f,                    Δ̂_k u   = (d/B)·Σ_{i∈I_k} u_ii,
 *   ∂_j r̂_k = ∂_jΔ̂_k u + N'(u)·u_j − ∂_j f,      ∂_jΔ̂_k u = (d/B)·Σ_{i∈I_k} u_iij,
 * with u and u_j exact, so E[∂_j r̂_k | j] = ∂_j r. The term estimates mean_p (1/d)·‖∇r_p‖²:
 *   two draws: mean_p ∂_j r̂₁·∂_j r̂₂, unbiased (independent I_1, I_2 given j; E over j uniform);
 *   one draw:  mean_p (∂_j r̂)², biased upward by the mean variance of ∂_jΔ̂u given j (zero at
 *              B = d), as the default residual loss mean(r̂²) is by that of Δ̂u.
 * The loss is residual loss + c·term, c = GPINN_DEFAULT_WEIGHT unless chosen. Everything is row
 * weights (combine.ts), the form a GPU residual kernel reads, so CPU and GPU read rows alike.
 */
import type { ChannelStructure, JetShape } from '../engine/jetLayout.ts';
import { ReferenceJetEngine } from '../engine/referenceEngine.ts';
import type { MlpArchitecture, MlpParameters } from '../jet/mlp.ts';
import { RandomStream } from '../random/counterRandom.ts';
import { sampleBall } from '../random/pointSamplers.ts';
import type { BallSampler } from './options.ts';
import { directionRangeWeights, quantityRowWeights } from '../operators/combine.ts';
import {
  gradientCoordinates,
  laplacianGradientOperator,
  type LaplacianGradientOutput,
} from '../operators/laplacianGradient.ts';
import type { OutputTerm } from '../operators/operator.ts';
import {
  type BallNonlinearity,
  ballResidual,
  ballResidualGradient,
  ballSource,
  ballSourceGradient,
} from '../pdes/ballProblem.ts';
import type { BallPdeEntry } from '../pdes/index.ts';
import { meanProduct, meanSquare } from '../pdes/losses.ts';

/** c of loss + c·mean|∂_j r|² (STDE's gPINN weight). */
export const GPINN_DEFAULT_WEIGHT = 0.1;

/** One weight per row of a point for each quantity; Δu and ∂_jΔu per draw. */
export interface GpinnRowWeights {
  readonly shape: Omit<JetShape, 'points'>;
  readonly value: Float64Array;
  readonly uJ: Float64Array;
  readonly laplacian: readonly Float64Array[];
  readonly laplacianJ: readonly Float64Array[];
}

function termsOf(
  quantities: readonly { name: LaplacianGradientOutput; terms: readonly OutputTerm[] }[],
  name: LaplacianGradientOutput,
): readonly OutputTerm[] {
  const quantity = quantities.find((q) => q.name === name);
  if (!quantity) throw new RangeError(`the ∂_jΔu construction has no ${name}`);
  return quantity.terms;
}

/** The row weights of `draws` independent draws of `samples` sampled coordinates each. */
export function gpinnRowWeights(
  dimension: number,
  samples: number,
  draws: number,
  structure: ChannelStructure = 'standard',
): GpinnRowWeights {
  if (structure === 'collapsed' && draws > 1) {
    // The collapsed top row sums J_7 over every jet of the point: one draw's share is lost.
    throw new RangeError('the two-draw gPINN term reads each draw’s J_7: it cannot be collapsed');
  }
  const single = laplacianGradientOperator({ dimension, samples }).quantities;
  const shape = laplacianGradientOperator({ dimension, samples, draws }).shape(1, structure);
  // One draw reads every jet: quantityRowWeights, which reads a collapsed top row once (it holds
  // the sum over the jets already); two draws read their own halves of the standard rows.
  const perDraw = (name: LaplacianGradientOutput) =>
    draws === 1
      ? [quantityRowWeights(termsOf(single, name), shape)]
      : Array.from({ length: draws }, (_, k) =>
          directionRangeWeights(termsOf(single, name), shape, k * samples, samples),
        );
  return {
    shape,
    value: quantityRowWeights(termsOf(single, 'u'), shape),
    uJ: quantityRowWeights(termsOf(single, 'u_j'), shape),
    laplacian: perDraw('laplacian'),
    laplacianJ: perDraw('laplacian_j'),
  };
}

/** f and ∂_j f at every point (x row-major N×d, j the point's sampled coordinate). */
export function gpinnSources(
  pde: BallPdeEntry,
  x: ArrayLike<number>,
  c: ArrayLike<number>,
  js: ArrayLike<number>,
): { f: Float64Array; fJ: Float64Array } {
  const N = js.length;
  const d = x.length / N;
  const f = new Float64Array(N);
  const fJ = new Float64Array(N);
  for (let p = 0; p < N; p++) {
    const point = Array.from({ length: d }, (_, i) => x[p * d + i]);
    f[p] = ballSource(pde.solution, pde.nonlinearity, point, c).f;
    fJ[p] = ballSourceGradient(pde.solution, pde.nonlinearity, point, c, js[p]);
  }
  return { f, fJ };
}

function dot(weights: Float64Array, rows: ArrayLike<number>, base: number): number {
  let sum = 0;
  for (let v = 0; v < weights.length; v++) {
    if (weights[v] !== 0) sum += weights[v] * rows[base + v];
  }
  return sum;
}

/** r̂_k and ∂_j r̂_k at every point, one array per draw k (rows: N·V outputs of one network output). */
export function gpinnResiduals(
  nonlinearity: BallNonlinearity,
  weights: GpinnRowWeights,
  rows: ArrayLike<number>,
  sources: { f: ArrayLike<number>; fJ: ArrayLike<number> },
): { r: Float64Array[]; rJ: Float64Array[] } {
  const V = weights.value.length;
  const N = sources.f.length;
  if (rows.length !== N * V) {
    throw new RangeError(`expected ${N * V} rows (${N} points × ${V}), got ${rows.length}`);
  }
  const r = weights.laplacian.map(() => new Float64Array(N));
  const rJ = weights.laplacianJ.map(() => new Float64Array(N));
  for (let p = 0; p < N; p++) {
    const base = p * V;
    const u = dot(weights.value, rows, base);
    const uJ = dot(weights.uJ, rows, base);
    weights.laplacian.forEach((w, k) => {
      r[k][p] = ballResidual(nonlinearity, dot(w, rows, base), u, sources.f[p]);
    });
    weights.laplacianJ.forEach((w, k) => {
      rJ[k][p] = ballResidualGradient(nonlinearity, dot(w, rows, base), u, uJ, sources.fJ[p]);
    });
  }
  return { r, rJ };
}

/** mean_p ∂_j r̂₁·∂_j r̂₂ from two draws (unbiased), mean_p (∂_j r̂)² from one (biased). */
export function gpinnTerm(rJ: readonly Float64Array[]): number {
  if (rJ.length === 1) return meanSquare(rJ[0]);
  if (rJ.length === 2) return meanProduct(rJ[0], rJ[1]);
  throw new RangeError(`the gPINN term takes one or two draws, got ${rJ.length}`);
}

/**
 * The whole loss: the residual loss (mean r̂₁·r̂₂ from two draws, mean r̂² from one) plus
 * c·gpinnTerm, c = GPINN_DEFAULT_WEIGHT unless given.
 */
export function gpinnLoss(
  residuals: { r: readonly Float64Array[]; rJ: readonly Float64Array[] },
  weight = GPINN_DEFAULT_WEIGHT,
): number {
  const { r, rJ } = residuals;
  const residualLoss = r.length === 2 ? meanProduct(r[0], r[1]) : meanSquare(r[0]);
  return residualLoss + weight * gpinnTerm(rJ);
}

/**
 * mean (∂_j r)² of a network in float64, the quantity the gPINN term drives down: at `points`
 * points of the problem's sampler drawn from `at.seed`, one uniform j per point, with ∂_jΔu exact
 * (B = d jets), for the problem drawn from `problemSeed` (the run's seed). Over
 * the draws of j it estimates mean_p (1/d)·‖∇r_p‖² without bias. For reports and acceptance
 * checks (plain runs included), not for training: it is d float64 7-jets per point.
 */
export async function gpinnGradientTerm(
  pde: BallPdeEntry,
  network: { architecture: MlpArchitecture; parameters: MlpParameters<Float64Array> },
  at: { dimension: number; points: number; seed: number; sampler: BallSampler },
  problemSeed: number,
): Promise<number> {
  const { dimension: d, points: N } = at;
  const operator = laplacianGradientOperator({ dimension: d, samples: d });
  const x = sampleBall(d, at.sampler, N, { seed: at.seed, step: 0 });
  const tangents = operator.tangents(N, { seed: at.seed, step: 0, stream: RandomStream.jets });
  const c = pde.coefficients(d, problemSeed);
  const sources = gpinnSources(pde, x, c, gradientCoordinates(tangents, N, d));
  const engine = new ReferenceJetEngine(network.architecture, network.parameters);
  const rows = await engine.forward({ shape: operator.shape(N, 'collapsed'), dim: d, x, tangents });
  const weights = gpinnRowWeights(d, d, 1, 'collapsed');
  return gpinnTerm(gpinnResiduals(pde.nonlinearity, weights, rows, sources).rJ);
}
