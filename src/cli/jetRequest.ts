/**
 * What `jetpinn jet` is asked and what it answers, in the derivative convention other AD systems
 * use (JAX's `jet`, nested forward mode): the input curve is g(t) = x + Σ_k v_k t^k / k!, so v_k
 * is its k-th derivative at t = 0, and the answer is J_k = d^k/dt^k u(g(t)) at t = 0. The engines
 * take normalized coefficients c_k = v_k / k! and return u_k = J_k / k! (DESIGN.md §2); the
 * conversion happens here and nowhere else.
 *
 * Tangents are either one list [v_1, …, v_K] shared by every point or one such list per point;
 * a null entry is a zero vector (handy for jets that use only some orders).
 */
import { MAX_JET_ORDER } from '../engine/forwardJet.ts';
import type { AnyTangentInput, Float64TangentInput, JetBatch } from '../engine/jetEngine.ts';
import { rowOf, rowsPerPoint, type JetShape, tangentSlot } from '../engine/jetLayout.ts';
import { factorial } from '../jet/series.ts';
import {
  describeValue,
  fieldPath,
  isPlainObject,
  parseJsonText,
  SchemaReader,
} from '../validation/schema.ts';
import { UsageError } from './args.ts';

/** Enough for any hand-written or scripted check; far more belongs in a benchmark, not here. */
const MAX_JET_POINTS = 1 << 16;

export interface JetRequest {
  dim: number;
  order: number;
  points: Float64Array[];
  /** tangents[p][k − 1] = v_k at point p; null for a zero tangent. */
  tangents: (Float64Array | null)[][];
}

export interface JetResult {
  point: number[];
  /** u(x), one entry per network output. */
  value: number[];
  /** derivatives[o][k − 1] = J_k of output o. */
  derivatives: number[][];
}

/** Where the two values came from, for the error messages (`--points`, `in.json: points`). */
export interface JetRequestSource {
  points: string;
  tangents: string;
}

const schema: SchemaReader = new SchemaReader((message, field) => new UsageError(message, field));

function readVector(where: string, value: unknown, dim: number): Float64Array {
  if (!Array.isArray(value) || value.length !== dim) {
    schema.expected(where, `an array of ${dim} numbers (the model's input width)`, value);
  }
  // The length is the model's, checked above, before this allocation.
  return Float64Array.from(value, (x: unknown, i) => schema.finite(fieldPath(where, i), x));
}

function readTangentList(where: string, value: unknown, dim: number): (Float64Array | null)[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_JET_ORDER) {
    schema.fail(
      where,
      `must list the tangents v_1..v_K, K in 1..${MAX_JET_ORDER} (null for a zero tangent), ` +
        `got ${describeValue(value)}`,
    );
  }
  return value.map((v: unknown, k) =>
    v === null ? null : readVector(fieldPath(where, k), v, dim),
  );
}

/** A list of tangents per point rather than one shared list: its first entry is itself a list. */
function isPerPoint(tangents: unknown[]): boolean {
  const first: unknown = tangents[0];
  return Array.isArray(first) && first.length > 0 && (first[0] === null || Array.isArray(first[0]));
}

export function readJetRequest(
  points: unknown,
  tangents: unknown,
  dim: number,
  source: JetRequestSource,
): JetRequest {
  if (!Array.isArray(points) || points.length < 1 || points.length > MAX_JET_POINTS) {
    schema.expected(
      source.points,
      `a list of 1..${MAX_JET_POINTS} points, each ${dim} numbers`,
      points,
    );
  }
  const request: JetRequest = {
    dim,
    order: 0,
    points: points.map((p: unknown, i) => readVector(fieldPath(source.points, i), p, dim)),
    tangents: [],
  };
  if (!Array.isArray(tangents)) {
    schema.expected(source.tangents, 'a list of tangent vectors', tangents);
  }
  if (isPerPoint(tangents)) {
    if (tangents.length !== points.length) {
      schema.fail(
        source.tangents,
        `gives ${tangents.length} tangent lists for ${points.length} points`,
      );
    }
    request.tangents = tangents.map((list: unknown, p) =>
      readTangentList(fieldPath(source.tangents, p), list, dim),
    );
    const order = request.tangents[0].length;
    const other = request.tangents.findIndex((list) => list.length !== order);
    if (other >= 0) {
      schema.fail(
        fieldPath(source.tangents, other),
        `has ${request.tangents[other].length} tangents, ${source.tangents}[0] has ${order}: ` +
          'every point needs the same order',
      );
    }
  } else {
    const shared = readTangentList(source.tangents, tangents, dim);
    request.tangents = request.points.map(() => shared);
  }
  request.order = request.tangents[0].length;
  return request;
}

/** A JSON input file: { "points": [...], "tangents": [...] } and nothing else. */
export function parseJetInputFile(text: string, dim: number, path: string): JetRequest {
  const value = parseJsonText(text, (message, field) => new UsageError(message, field), path);
  if (!isPlainObject(value)) {
    schema.expected(path, 'an object { "points": [...], "tangents": [...] }', value);
  }
  const { points, tangents } = schema.object(path, value, ['points', 'tangents']);
  return readJetRequest(points, tangents, dim, {
    points: `${path}: points`,
    tangents: `${path}: tangents`,
  });
}

function jetShape(request: JetRequest): JetShape {
  return {
    points: request.points.length,
    directions: 1,
    order: request.order,
    structure: 'standard',
  };
}

/** The points, rounded to float32 for either engine: the GPU's precision, and the `point` shown. */
function float32Points(request: JetRequest): Float32Array {
  const x = new Float32Array(request.points.length * request.dim);
  request.points.forEach((point, p) => x.set(point, p * request.dim));
  return x;
}

/** The normalized coefficients v_k/k!, computed in float64 and stored in `values`. */
function fillCoefficients<T extends Float32Array | Float64Array>(
  request: JetRequest,
  shape: JetShape,
  values: T,
): T {
  const { dim } = request;
  request.tangents.forEach((list, p) => {
    list.forEach((v, index) => {
      const k = index + 1;
      if (v === null) return;
      const slot = tangentSlot(shape, p, 0, k);
      for (let i = 0; i < dim; i++) values[slot * dim + i] = v[i] / factorial(k);
    });
  });
  return values;
}

/**
 * The request as the GPU's batch: one direction per point, dense normalized coefficients v_k/k!
 * (computed in float64, then rounded to float32, the GPU's precision).
 */
export function jetBatch(request: JetRequest): JetBatch {
  const shape = jetShape(request);
  const values = new Float32Array(request.points.length * request.order * request.dim);
  return {
    shape,
    dim: request.dim,
    x: float32Points(request),
    tangents: { kind: 'dense', values: fillCoefficients(request, shape, values) },
  };
}

/**
 * The request as the float64 reference's batch: the same float32 points as the GPU's (so both
 * engines evaluate the same point), but the tangents as given, normalized in float64: the
 * reference answers in float64 for the tangents it was asked about.
 */
export function referenceJetBatch(request: JetRequest): JetBatch<Float64TangentInput> {
  const shape = jetShape(request);
  const values = new Float64Array(request.points.length * request.order * request.dim);
  return {
    shape,
    dim: request.dim,
    x: float32Points(request),
    tangents: { kind: 'dense', values: fillCoefficients(request, shape, values) },
  };
}

/**
 * Derivatives J_k = k!·u_k from the engine's normalized output (forward's row layout). `point` is
 * the batch's float32 point: the one actually evaluated, which an external check must use.
 */
export function jetResults(
  batch: JetBatch<AnyTangentInput>,
  output: Float64Array,
  outputs: number,
): JetResult[] {
  const { shape, dim } = batch;
  const rows = rowsPerPoint(shape);
  const outputIndices = Array.from({ length: outputs }, (_, o) => o);
  return Array.from({ length: shape.points }, (_, p) => {
    const at = (row: number, o: number) => output[(p * rows + row) * outputs + o];
    return {
      point: Array.from(batch.x.subarray(p * dim, (p + 1) * dim)),
      value: outputIndices.map((o) => at(0, o)),
      derivatives: outputIndices.map((o) =>
        Array.from(
          { length: shape.order },
          (_, i) => factorial(i + 1) * at(rowOf(shape, 0, i + 1), o),
        ),
      ),
    };
  });
}
