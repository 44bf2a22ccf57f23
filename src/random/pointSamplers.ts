/**
 * Collocation point samplers: the CPU mirror of shaders/samplers.wgsl (same words, so the same
 * points up to f32 rounding and the GPU's pow/log/sin/cos accuracy). See the shader's header for
 * the distributions and which draw each coordinate uses.
 */
import { normalAt, randomKey, RandomStream, requireU32, uniformAt } from './counterRandom.ts';
import type { DrawKey } from './jetDraws.ts';

/**
 * volume-uniform: uniform in the unit ball, P(|x| ≤ s) = s^d.
 * radius-uniform: |x| ~ U[0, 1), direction uniform: the STDE code's sampler (its published numbers
 * used it), named so because it is not uniform in the ball for d > 1.
 */
export type BallLaw = 'volume-uniform' | 'radius-uniform';

/** Interior points t ~ U[0, T), x ~ N(0, 2t·I), or terminal points t = T, x ~ N(0, 2T·I). */
export type ParabolicLaw = 'interior' | 'terminal';

/**
 * A box Π_i [low_i, high_i] of at most 4 variables, one of them time, and how many of a draw's
 * points are interior (the rest go on its faces, see samplers.wgsl's box entry).
 */
export interface BoxDrawSpec {
  readonly low: readonly number[];
  readonly high: readonly number[];
  readonly timeIndex: number;
  readonly interior: number;
}

/** Faces of a box: the initial face and both ends of each spatial variable. */
export function boxFaceCount(variables: number): number {
  return 1 + 2 * (variables - 1);
}

function requireDimension(dimension: number): void {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension >= 2 ** 31) {
    throw new RangeError(`dimension must be a positive integer, got ${dimension}`);
  }
}

/** `points` points in the unit ball, row-major N×d, at this key (default stream: points). */
export function sampleBall(
  dimension: number,
  law: BallLaw,
  points: number,
  at: DrawKey,
): Float32Array {
  requireDimension(dimension);
  requireU32(points, 'points');
  const step = requireU32(at.step, 'step');
  const key = randomKey(at.seed, at.stream ?? RandomStream.points);
  const out = new Float32Array(points * dimension);
  const z = new Float64Array(dimension);
  for (let p = 0; p < points; p++) {
    let normSquared = 0;
    for (let i = 0; i < dimension; i++) {
      z[i] = normalAt(key, step, p, 0, i);
      normSquared += z[i] * z[i];
    }
    const u = uniformAt(key, step, p, 1, 0);
    const radius = law === 'volume-uniform' ? (1 - u) ** (1 / dimension) : u;
    const row = out.subarray(p * dimension, (p + 1) * dimension);
    if (normSquared > 0) {
      const scale = radius / Math.sqrt(normSquared);
      for (let i = 0; i < dimension; i++) row[i] = scale * z[i];
    } else {
      row[0] = radius;
    }
  }
  return out;
}

/**
 * `points` (x, t) points, row-major N×(d+1) with t last, for a horizon T (default stream: points
 * for interior draws, terminalPoints for terminal ones).
 */
export function sampleParabolic(
  dimension: number,
  horizon: number,
  law: ParabolicLaw,
  points: number,
  at: DrawKey,
): Float32Array {
  requireDimension(dimension);
  requireU32(points, 'points');
  if (!(horizon > 0) || !Number.isFinite(horizon)) {
    throw new RangeError(`the horizon T must be positive, got ${horizon}`);
  }
  const step = requireU32(at.step, 'step');
  const stream =
    at.stream ?? (law === 'interior' ? RandomStream.points : RandomStream.terminalPoints);
  const key = randomKey(at.seed, stream);
  const T = Math.fround(horizon);
  const width = dimension + 1;
  const out = new Float32Array(points * width);
  for (let p = 0; p < points; p++) {
    const t = law === 'interior' ? Math.fround(T * uniformAt(key, step, p, 1, 0)) : T;
    const scale = Math.sqrt(2 * t);
    for (let i = 0; i < dimension; i++) out[p * width + i] = scale * normalAt(key, step, p, 0, i);
    out[p * width + dimension] = t;
  }
  return out;
}

/**
 * `points` points of a box, row-major N×width (default stream: points), the last
 * N − box.interior on its faces (gpuPointSamplers.ts BoxDrawSpec, samplers.wgsl's box entry).
 */
export function sampleBox(box: BoxDrawSpec, points: number, at: DrawKey): Float32Array {
  requireU32(points, 'points');
  const step = requireU32(at.step, 'step');
  const key = randomKey(at.seed, at.stream ?? RandomStream.points);
  const width = box.low.length;
  const faces = boxFaceCount(width);
  const low = Float32Array.from(box.low);
  const high = Float32Array.from(box.high);
  const out = new Float32Array(points * width);
  for (let p = 0; p < points; p++) {
    for (let i = 0; i < width; i++) {
      const u = uniformAt(key, step, p, 0, i);
      out[p * width + i] = low[i] + Math.fround(high[i] - low[i]) * u;
    }
    if (p >= box.interior) {
      const face = (p - box.interior) % faces;
      if (face === 0) {
        out[p * width + box.timeIndex] = low[box.timeIndex];
      } else {
        const s = Math.floor((face - 1) / 2);
        const variable = s >= box.timeIndex ? s + 1 : s;
        out[p * width + variable] = (face - 1) % 2 === 0 ? low[variable] : high[variable];
      }
    }
  }
  return out;
}
