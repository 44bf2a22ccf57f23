/**
 * Many independent estimates of the trainer's operator at one point, for the dashboard's
 * estimator panel: the operator of src/operators for the PDE (Δu, u_t + Δu or Δ²u) with a chosen
 * estimator and B, on the GPU forward kernels bound to the model the trainer shows
 * (Trainer.createViewJet: the page's weight average, else its weights).
 *
 * Sample s is one "point" of a batch whose points are all copies of x: the operator's draw gives
 * every point of a batch its own jets (counter-based, keyed by the point index), so S copies give
 * S independent estimates in one pass. Large batches go in chunks that keep every buffer under a
 * budget; chunk c draws with the key's step + c, so a sample set is fixed by (seed, step, S).
 */
import { ForwardJet } from '../engine/forwardJet.ts';
import { layerElements, rowOf, rowsPerPoint, type TangentInput } from '../engine/jetLayout.ts';
import { readFloat32 } from '../gpu/gpuMemory.ts';
import { factorial } from '../jet/series.ts';
import type { JetOperator } from '../operators/operator.ts';
import type { DrawKey } from '../random/jetDraws.ts';
import { operatorFor } from './operatorFor.ts';
import { type Estimator, pdeOf } from './options.ts';
import type { Trainer } from './trainer.ts';

/** Bytes any one buffer of a sampling pass may hold; larger sample sets run in chunks. */
export const SAMPLE_BUFFER_BUDGET = 16 * 2 ** 20;

/**
 * Jets per estimate the panel pushes at most: above it the exact value is skipped (the exact
 * biharmonic has d² jets) and an estimator is refused.
 */
export const MAX_EXACT_JETS = 4096;

export interface EstimatorSampleRequest {
  /** The point, the network's input width (d, or d + 1 for space-time problems). */
  point: ArrayLike<number>;
  estimator: Estimator;
  /** B, jets per estimate (the exact estimator uses all of its directions). */
  jetsPerPoint: number;
  /** How many estimates S. */
  samples: number;
  /** The draws: samples of chunk c come from (seed, step + c, stream). */
  draw: DrawKey;
  /** Bytes one buffer of a pass may hold (default SAMPLE_BUFFER_BUDGET). */
  passBytes?: number;
}

export interface SampleStatistics {
  count: number;
  mean: number;
  /** Sample standard deviation (n − 1). */
  standardDeviation: number;
  /** standardDeviation / √n. */
  standardError: number;
}

export interface EstimatorSamples extends SampleStatistics {
  /** The operator's name (e.g. laplacian-sparse) and the quantity's TeX. */
  operator: string;
  quantityTex: string;
  /** Jets per estimate (B, or every direction of the exact construction). */
  jetsPerEstimate: number;
  estimates: Float64Array;
  /** The exact operator's value at the point (GPU, f32), or null when it has too many jets. */
  exact: number | null;
  /** Why `exact` is null. */
  exactMissing: string | null;
  /**
   * Sparse only: the standard deviation the sampling predicts from the d one-hot J_2 values of
   * the exact pass (sparseStandardDeviation); null for other estimators.
   */
  predictedStandardDeviation: number | null;
}

/** Mean, sample standard deviation and standard error of the mean. */
export function sampleStatistics(values: ArrayLike<number>): SampleStatistics {
  const count = values.length;
  if (count === 0) throw new RangeError('statistics of no samples');
  let sum = 0;
  for (let i = 0; i < count; i++) sum += values[i];
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < count; i++) squares += (values[i] - mean) ** 2;
  const standardDeviation = count > 1 ? Math.sqrt(squares / (count - 1)) : 0;
  return { count, mean, standardDeviation, standardError: standardDeviation / Math.sqrt(count) };
}

/** Samples per pass: every buffer of the pass (layer jets, dense tangents) stays in the budget. */
export function samplesPerPass(
  operator: JetOperator,
  structure: 'standard' | 'collapsed',
  widths: readonly number[],
  budgetBytes = SAMPLE_BUFFER_BUDGET,
): number {
  const rows = rowsPerPoint(operator.shape(1, structure));
  const widest = Math.max(...widths.slice(1));
  const d = widths[0];
  // One-hot tangents hold an index and a coefficient per jet and order, dense ones d values.
  const dense = operator.tangents(1, { seed: 0, step: 0 }).kind === 'dense';
  const tangentsPerSample = operator.directions * operator.order * (dense ? d : 1);
  const perSample = 4 * rows * widest;
  const byTangents = Math.floor(budgetBytes / (4 * tangentsPerSample));
  return Math.max(1, Math.min(Math.floor(budgetBytes / perSample), byTangents));
}

/** Records one forward pass of uploaded points and tangents and reads the output rows back. */
async function outputRows(
  trainer: Trainer,
  forward: ForwardJet,
  x: Float32Array,
  tangents: TangentInput,
): Promise<Float32Array> {
  const { architecture, memory } = trainer;
  forward.upload(x, tangents);
  const encoder = memory.device.createCommandEncoder({ label: 'estimator samples' });
  forward.encode(encoder);
  memory.device.queue.submit([encoder.finish()]);
  const out = architecture.widths[architecture.widths.length - 1];
  return readFloat32(
    memory.device,
    forward.buffers.output,
    layerElements(forward.buffers.shape, out),
  );
}

function requirePoint(trainer: Trainer, point: ArrayLike<number>): Float32Array {
  const d = trainer.architecture.widths[0];
  if (point.length !== d) {
    throw new RangeError(`the point has ${point.length} coordinates, the network takes ${d}`);
  }
  return Float32Array.from(point);
}

/**
 * The operator's first quantity at `count` copies of `point`, one estimate per copy, on the GPU.
 * Every buffer is allocated through the trainer's memory and freed before returning.
 */
export async function estimatesAtPoint(
  trainer: Trainer,
  operator: JetOperator,
  point: ArrayLike<number>,
  count: number,
  draw: DrawKey,
  passBytes = SAMPLE_BUFFER_BUDGET,
): Promise<Float64Array> {
  const { architecture } = trainer;
  const single = requirePoint(trainer, point);
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`the number of samples must be a positive integer, got ${count}`);
  }
  const d = single.length;
  const structure = trainer.options.collapsed && operator.collapsible ? 'collapsed' : 'standard';
  const perPass = Math.min(
    count,
    samplesPerPass(operator, structure, architecture.widths, passBytes),
  );
  const estimates = new Float64Array(count);
  const Q = operator.quantities.length;
  const out = architecture.widths[architecture.widths.length - 1];
  let forward: ForwardJet | null = null;
  try {
    for (let chunk = 0, done = 0; done < count; chunk++) {
      const n = Math.min(perPass, count - done);
      const shape = operator.shape(n, structure);
      const tangents = operator.tangents(n, { ...draw, step: draw.step + chunk });
      // The last chunk may be smaller: its pass has its own buffers.
      if (!forward || forward.config.shape.points !== n) {
        forward?.destroy();
        forward = null;
        forward = await trainer.createViewJet({ architecture, shape, tangentKind: tangents.kind });
      }
      const x = new Float32Array(n * d);
      for (let p = 0; p < n; p++) x.set(single, p * d);
      const values = operator.estimate(await outputRows(trainer, forward, x, tangents), shape, out);
      for (let p = 0; p < n; p++) estimates[done + p] = values[p * Q];
      done += n;
    }
  } finally {
    forward?.destroy();
  }
  return estimates;
}

/**
 * A deterministic operator (the exact construction) at the point, in the standard structure so
 * each jet's J_K is kept: the value and J_K = K!·u_K of every jet.
 */
export async function exactAtPoint(
  trainer: Trainer,
  operator: JetOperator,
  point: ArrayLike<number>,
): Promise<{ value: number; perJet: Float64Array }> {
  if (operator.stochastic) throw new RangeError(`${operator.name} is not deterministic`);
  const { architecture } = trainer;
  const x = requirePoint(trainer, point);
  const shape = operator.shape(1, 'standard');
  const tangents = operator.tangents(1, { seed: 0, step: 0 });
  const forward = await trainer.createViewJet({ architecture, shape, tangentKind: tangents.kind });
  try {
    const rows = await outputRows(trainer, forward, x, tangents);
    const out = architecture.widths[architecture.widths.length - 1];
    const K = operator.order;
    const perJet = Float64Array.from(
      { length: operator.directions },
      (_, r) => factorial(K) * rows[rowOf(shape, r, K) * out],
    );
    return { value: operator.estimate(rows, shape, out)[0], perJet };
  } finally {
    forward.destroy();
  }
}

/**
 * The standard deviation of the sparse estimator (n/B)·Σ_{i∈S} a_i, S a uniformly drawn B-subset
 * of the n values a_i: sampling without replacement gives Var = n²·σ²·(n − B)/(B·(n − 1)), σ² the
 * population variance of the a_i (so it vanishes at B = n).
 */
export function sparseStandardDeviation(values: ArrayLike<number>, B: number): number {
  const n = values.length;
  if (!Number.isInteger(B) || B < 1 || B > n) {
    throw new RangeError(`B must be an integer in 1..${n}, got ${B}`);
  }
  if (n === 1) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i] / n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (values[i] - mean) ** 2 / n;
  return n * Math.sqrt((variance * (n - B)) / (B * (n - 1)));
}

/** S estimates with the requested estimator, their statistics, and the exact value at the point. */
export async function sampleEstimator(
  trainer: Trainer,
  request: EstimatorSampleRequest,
): Promise<EstimatorSamples> {
  const pde = pdeOf(trainer.options);
  const dimension = trainer.options.dimension;
  const { estimator, jetsPerPoint, samples, point, draw, passBytes } = request;
  if (!Number.isInteger(samples) || samples < 2) {
    throw new RangeError(`the number of samples must be an integer ≥ 2, got ${samples}`);
  }
  const operator = operatorFor(pde, { dimension, estimator }, jetsPerPoint);
  if (operator.directions > MAX_EXACT_JETS) {
    throw new RangeError(
      `${operator.name} needs ${operator.directions} jets per estimate; the panel draws at most ` +
        `${MAX_EXACT_JETS}`,
    );
  }
  const estimates = await estimatesAtPoint(trainer, operator, point, samples, draw, passBytes);
  const exactOperator =
    estimator === 'exact' ? operator : operatorFor(pde, { dimension, estimator: 'exact' }, 1);
  let exact: number | null = null;
  let exactMissing: string | null = null;
  let predictedStandardDeviation: number | null = null;
  if (exactOperator.directions > MAX_EXACT_JETS) {
    exactMissing =
      `the exact operator needs ${exactOperator.directions} jets per point ` +
      `(more than ${MAX_EXACT_JETS})`;
  } else {
    const result = await exactAtPoint(trainer, exactOperator, point);
    exact = result.value;
    // Sparse jets are a B-subset of the exact construction's one-hot jets, scaled by d/B.
    if (estimator === 'sparse') {
      predictedStandardDeviation = sparseStandardDeviation(result.perJet, jetsPerPoint);
    }
  }
  return {
    ...sampleStatistics(estimates),
    operator: operator.name,
    quantityTex: operator.quantities[0].tex,
    jetsPerEstimate: operator.directions,
    estimates,
    exact,
    exactMissing,
    predictedStandardDeviation,
  };
}
