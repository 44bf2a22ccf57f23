/**
 * How the input tangents of a jet batch are drawn from (seed, step), and the CPU mirror of
 * shaders/randomJets.wgsl that draws them: the same indices and signs as the GPU, the same
 * Gaussian values up to f32 rounding. The CPU reference engine trains on these, the GPU engine on
 * the kernel's, and the two see the same jets.
 */
import type { TangentInput } from '../engine/jetLayout.ts';
import { factorial } from '../jet/series.ts';
import {
  normalAt,
  rademacherAt,
  randomKey,
  RandomStream,
  requireU32,
  WordStream,
} from './counterRandom.ts';

/**
 * sparse    : B one-hot first tangents e_i, i drawn uniformly without replacement from 0..range−1
 *             (or `subsets` independent such draws, one after the other: JetDrawSpec.subsets);
 *             optionally at another order, and with a per-point index (sampledOrder, pointTangent)
 * exact     : every one-hot first tangent e_0 … e_{range−1} (no randomness)
 * rademacher: dense first tangents, coordinates 0..range−1 independent ±1, the rest 0
 * gaussian  : dense first tangents, coordinates 0..range−1 independent N(0, 1), the rest 0
 */
export type JetDrawKind = 'sparse' | 'exact' | 'rademacher' | 'gaussian';

/** A fixed tangent v_order = value·e_index carried by every jet (derivative convention). */
export interface ExtraTangent {
  order: number;
  index: number;
  value: number;
}

/**
 * A one-hot tangent v_order = order!·e_j (normalized coefficient 1) that every jet of a point
 * carries, with j uniform on 0..range−1, one j per point, from the WordStream (seed, stream;
 * step, point, subsets): a word sequence that none of the point's subsets reads, so j is
 * independent of the drawn subsets. Third-order mixed partials u_iij along sampled i and j need
 * it (laplacianGradient.ts: i at order 2, j at order 3).
 */
export interface PointTangent {
  order: number;
}

export interface JetDrawSpec {
  kind: JetDrawKind;
  /** Jets per point R: B for sparse and dense draws (subsets·B for several subsets), `range` for
   * exact. */
  directions: number;
  /** Jet order K. */
  order: number;
  /** Input width d. */
  dimension: number;
  /** Coordinates 0..range−1 are drawn (e.g. the d spatial ones of an (x, t) input). */
  range: number;
  extra?: ExtraTangent;
  /**
   * Sparse draws only: the R jets of a point are this many independent uniform subsets of
   * R/subsets coordinates each (default 1), jets [g·R/subsets, (g + 1)·R/subsets) holding subset g,
   * drawn from its own WordStream (seed, stream; step, point, g). The unbiased loss takes two, one
   * per residual estimate: the first and second halves of a single 2B-draw without replacement
   * would be neither independent nor (Floyd's order is not a uniform permutation) uniform subsets.
   * One subset is the plain draw, whose words are those of subset 0.
   */
  subsets?: number;
  /**
   * Sparse draws only: the order of the drawn one-hot tangent (default 1), with normalized
   * coefficient 1 (v_order = order!·e_i), exact in f32 at every order.
   */
  sampledOrder?: number;
  /** Sparse draws only: a per-point one-hot tangent (see PointTangent). */
  pointTangent?: PointTangent;
}

/** Which draw of the sequence: the step, and the seed and stream of the key. */
export interface DrawKey {
  seed: number;
  step: number;
  /** Defaults to RandomStream.jets. */
  stream?: number;
}

/** The orders that sampledOrder, pointTangent and extra occupy must be distinct and in 1..K. */
function validateTangentOrders(spec: JetDrawSpec): void {
  const { kind, order, sampledOrder, pointTangent, extra } = spec;
  if (kind !== 'sparse' && (sampledOrder !== undefined || pointTangent !== undefined)) {
    throw new RangeError(`${kind} jets: sampledOrder and pointTangent apply to sparse draws only`);
  }
  const used = [sampledOrder ?? 1, ...(pointTangent ? [pointTangent.order] : [])];
  for (const k of used) {
    if (!Number.isInteger(k) || k < 1 || k > order) {
      throw new RangeError(
        `${kind} jets: a drawn tangent's order must be in 1..${order}, got ${k}`,
      );
    }
  }
  if (extra) used.push(extra.order);
  if (new Set(used).size !== used.length) {
    throw new RangeError(
      `${kind} jets: the drawn, per-point and extra tangents need distinct orders, got ${used.join(', ')}`,
    );
  }
}

export function validateDrawSpec(spec: JetDrawSpec): void {
  const { kind, directions, order, dimension, range, extra } = spec;
  const subsets = spec.subsets ?? 1;
  if (kind !== 'sparse' && subsets !== 1) {
    throw new RangeError(
      `${kind} jets: subsets apply to sparse draws only (dense jets are independent already, ` +
        `exact ones not random), got subsets = ${subsets}`,
    );
  }
  if (!Number.isInteger(subsets) || subsets < 1 || !Number.isInteger(directions / subsets)) {
    throw new RangeError(
      `sparse jets: subsets must be a positive integer that divides directions = ${directions}, ` +
        `got ${subsets}`,
    );
  }
  const integers: [string, number, number, number][] = [
    ['order', order, 1, 8],
    ['dimension', dimension, 1, 2 ** 31 - 1],
    ['range', range, 1, dimension],
    ['directions', directions, 1, 2 ** 31 - 1],
  ];
  for (const [name, value, min, max] of integers) {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(
        `${kind} jets: ${name} must be an integer in ${min}..${max}, got ${value}`,
      );
    }
  }
  if (kind === 'sparse' && directions / subsets > range) {
    throw new RangeError(
      `sparse jets: cannot draw ${directions / subsets} distinct coordinates out of ${range}`,
    );
  }
  if (kind === 'exact' && directions !== range) {
    throw new RangeError(`exact jets: directions must equal range (${range}), got ${directions}`);
  }
  if (extra) {
    if (!Number.isInteger(extra.order) || extra.order < 2 || extra.order > order) {
      throw new RangeError(`the extra tangent's order must be in 2..${order}, got ${extra.order}`);
    }
    if (!Number.isInteger(extra.index) || extra.index < 0 || extra.index >= dimension) {
      throw new RangeError(`the extra tangent's index must be in 0..${dimension - 1}`);
    }
  }
  validateTangentOrders(spec);
}

/** The normalized coefficient c_k = v_k/k! of the extra tangent. */
export function extraCoefficient(extra: ExtraTangent): number {
  return extra.value / factorial(extra.order);
}

/**
 * The B coordinates of one point's sparse jets (of its subset `subset`), in the order the GPU
 * writes them (Floyd's algorithm over the WordStream (seed, stream; step, point, subset); see
 * shaders/randomJets.wgsl).
 */
export function sparseIndices(
  key: readonly [number, number],
  step: number,
  point: number,
  range: number,
  samples: number,
  subset = 0,
): Int32Array {
  const stream = new WordStream(key, step, point, subset);
  const picks = new Int32Array(samples);
  for (let r = 0; r < samples; r++) {
    const j = range - samples + r;
    const t = stream.uniformBelow(j + 1);
    picks[r] = picks.subarray(0, r).includes(t) ? j : t;
  }
  return picks;
}

/**
 * All `subsets`·B coordinates of one point's sparse jets: subset g (sparseIndices with subset g)
 * in jets [g·B, (g + 1)·B), each an independent uniform B-subset of 0..range−1.
 */
export function sparseSubsetIndices(
  key: readonly [number, number],
  step: number,
  point: number,
  range: number,
  samples: number,
  subsets: number,
): Int32Array {
  const picks = new Int32Array(subsets * samples);
  for (let g = 0; g < subsets; g++) {
    picks.set(sparseIndices(key, step, point, range, samples, g), g * samples);
  }
  return picks;
}

/**
 * The index j of a point's PointTangent: uniform on 0..range−1 from the WordStream (seed, stream;
 * step, point, subsets), after the words of subsets 0..subsets−1.
 */
export function pointTangentIndex(
  key: readonly [number, number],
  step: number,
  point: number,
  range: number,
  subsets: number,
): number {
  return new WordStream(key, step, point, subsets).uniformBelow(range);
}

function oneHotTangents(
  spec: JetDrawSpec,
  points: number,
  sampledIndex: (p: number) => ArrayLike<number>,
  pointIndex?: (p: number) => number,
): TangentInput {
  const { directions: R, order: K, extra, pointTangent } = spec;
  const sampled = (spec.sampledOrder ?? 1) - 1;
  const index = new Int32Array(points * R * K).fill(-1);
  const coefficient = new Float32Array(points * R * K);
  for (let p = 0; p < points; p++) {
    const drawn = sampledIndex(p);
    const j = pointTangent && pointIndex ? pointIndex(p) : -1;
    for (let r = 0; r < R; r++) {
      const slot = (p * R + r) * K;
      index[slot + sampled] = drawn[r];
      coefficient[slot + sampled] = 1;
      if (pointTangent) {
        index[slot + pointTangent.order - 1] = j;
        coefficient[slot + pointTangent.order - 1] = 1;
      }
      if (extra) {
        index[slot + extra.order - 1] = extra.index;
        coefficient[slot + extra.order - 1] = extraCoefficient(extra);
      }
    }
  }
  return { kind: 'oneHot', index, coefficient };
}

function denseTangents(
  spec: JetDrawSpec,
  points: number,
  draw: (p: number, r: number, i: number) => number,
): TangentInput {
  const { directions: R, order: K, dimension: d, range, extra } = spec;
  const values = new Float32Array(points * R * K * d);
  for (let p = 0; p < points; p++) {
    for (let r = 0; r < R; r++) {
      const base = (p * R + r) * K * d;
      for (let i = 0; i < range; i++) values[base + i] = draw(p, r, i);
      if (extra) values[base + (extra.order - 1) * d + extra.index] = extraCoefficient(extra);
    }
  }
  return { kind: 'dense', values };
}

/** The tangents the GPU draws for `points` points at this key (CPU mirror of randomJets.wgsl). */
export function drawTangents(spec: JetDrawSpec, points: number, at: DrawKey): TangentInput {
  validateDrawSpec(spec);
  requireU32(points, 'points');
  const step = requireU32(at.step, 'step');
  const key = randomKey(at.seed, at.stream ?? RandomStream.jets);
  switch (spec.kind) {
    case 'sparse': {
      const subsets = spec.subsets ?? 1;
      const samples = spec.directions / subsets;
      return oneHotTangents(
        spec,
        points,
        (p) => sparseSubsetIndices(key, step, p, spec.range, samples, subsets),
        (p) => pointTangentIndex(key, step, p, spec.range, subsets),
      );
    }
    case 'exact': {
      const all = Int32Array.from({ length: spec.range }, (_, i) => i);
      return oneHotTangents(spec, points, () => all);
    }
    case 'rademacher':
      return denseTangents(spec, points, (p, r, i) => rademacherAt(key, step, p, r, i));
    case 'gaussian':
      return denseTangents(spec, points, (p, r, i) => normalAt(key, step, p, r, i));
  }
}
