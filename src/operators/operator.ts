/**
 * A differential operator as jets (DESIGN.md §3): which jets each point carries, how they are drawn
 * from a seed, and how the output coefficients combine into the operator's value. Every operator
 * of src/operators is one of these, built by `defineOperator`, so the trainer, the dashboard and
 * the tests treat the Laplacian, the biharmonic and the KdV partials alike.
 *
 * Conventions: J_k[r] = k!·u_k[r] is the k-th output derivative along jet r of a point (u_k its
 * normalized coefficient, what the engines return). A quantity is Σ_terms scale·J_order[direction],
 * with direction 'all' meaning the sum over the point's jets.
 */
import type { ChannelStructure, JetShape, TangentInput } from '../engine/jetLayout.ts';
import {
  drawTangents,
  type DrawKey,
  type JetDrawSpec,
  validateDrawSpec,
} from '../random/jetDraws.ts';
import { evaluateQuantity } from './combine.ts';
import { fixedTangents, type FixedJet, validateFixedJets } from './fixedTangents.ts';

/** Random (or exhaustive one-hot) jets drawn per step, or a fixed construction. */
export type OperatorDraw =
  { kind: 'random'; spec: JetDrawSpec } | { kind: 'fixed'; jets: readonly FixedJet[] };

export interface OutputTerm {
  /** Jet index r of the point, or 'all' for the sum over its jets; order 0 reads direction 0. */
  direction: number | 'all';
  /** Which output derivative J_order. */
  order: number;
  scale: number;
}

export interface Quantity<N extends string = string> {
  name: N;
  tex: string;
  terms: readonly OutputTerm[];
}

/** N: the quantities' names (the vocabulary of src/operators/partials.ts for mixed partials). */
export interface OperatorSpec<N extends string = string> {
  /** Identifier, e.g. 'laplacian-sparse'. */
  name: string;
  /** The operator and its estimator, as TeX for the dashboard. */
  tex: string;
  /** Input width d of the network. */
  dimension: number;
  /** Jet order K. */
  order: number;
  draw: OperatorDraw;
  /** The components of the operator's value: one for a scalar operator, d for ∇u, the needed
   * partials for a PDE residual. */
  quantities: readonly Quantity<N>[];
}

export interface JetOperator<N extends string = string> extends OperatorSpec<N> {
  /** Jets per point R. */
  readonly directions: number;
  /** Whether the draw depends on (seed, step); false for exact and fixed constructions. */
  readonly stochastic: boolean;
  /**
   * Whether the collapsed channel structure applies: every quantity reads the top order K only
   * as the plain sum over all jets (DESIGN.md §2), so one summed top row suffices.
   */
  readonly collapsible: boolean;
  /** The input tangents of `points` points: the CPU mirror of what the GPU draws for `at`. */
  tangents(points: number, at: DrawKey): TangentInput;
  /**
   * The operator's value at every point from an engine's output coefficients (the row layout of
   * `shape`, `outputWidth` outputs per row, the operator applied to output `output`): N·Q values,
   * point-major, Q = quantities.length.
   */
  estimate(
    outputs: ArrayLike<number>,
    shape: JetShape,
    outputWidth?: number,
    output?: number,
  ): Float64Array;
  /** Every quantity at every point, by name (N values each). */
  evaluate(
    outputs: ArrayLike<number>,
    shape: JetShape,
    outputWidth?: number,
    output?: number,
  ): Record<N, Float64Array>;
  /** One named quantity at every point (N values). */
  quantity(
    name: N,
    outputs: ArrayLike<number>,
    shape: JetShape,
    outputWidth?: number,
    output?: number,
  ): Float64Array;
  /** The batch shape of `points` points under a channel structure. */
  shape(points: number, structure?: ChannelStructure): JetShape;
}

export class OperatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorError';
  }
}

function directionsOf(draw: OperatorDraw): number {
  return draw.kind === 'random' ? draw.spec.directions : draw.jets.length;
}

function validateQuantities(spec: OperatorSpec, directions: number): void {
  if (spec.quantities.length === 0) throw new OperatorError(`${spec.name}: no quantities`);
  for (const { name, terms } of spec.quantities) {
    for (const { direction, order } of terms) {
      if (!Number.isInteger(order) || order < 0 || order > spec.order) {
        throw new OperatorError(`${spec.name}/${name}: order ${order} outside 0..${spec.order}`);
      }
      const valid =
        direction === 'all'
          ? order > 0
          : Number.isInteger(direction) &&
            direction >= 0 &&
            direction < directions &&
            (order > 0 || direction === 0);
      if (!valid) {
        throw new OperatorError(
          `${spec.name}/${name}: direction ${direction} invalid for order ${order} with ${directions} jets`,
        );
      }
    }
  }
}

export function defineOperator<N extends string>(spec: OperatorSpec<N>): JetOperator<N> {
  const { draw, dimension, order, quantities } = spec;
  if (draw.kind === 'random') {
    validateDrawSpec(draw.spec);
    if (draw.spec.dimension !== dimension || draw.spec.order !== order) {
      throw new OperatorError(
        `${spec.name}: the draw's dimension or order differs from the operator's`,
      );
    }
  } else {
    validateFixedJets(draw.jets, dimension, order);
  }
  const directions = directionsOf(draw);
  validateQuantities(spec, directions);
  const collapsible = quantities.every((q) =>
    q.terms.every((t) => t.order < order || t.direction === 'all'),
  );
  const stochastic = draw.kind === 'random' && draw.spec.kind !== 'exact';
  const byName = new Map(quantities.map((q) => [q.name, q]));

  const requireStructure = (structure: ChannelStructure): void => {
    if (structure === 'collapsed' && !collapsible) {
      throw new OperatorError(`${spec.name} reads single top-order jets: it cannot be collapsed`);
    }
  };
  /** The outputs must come from this operator's batches: same jets per point and order. */
  const requireShape = (batchShape: JetShape): void => {
    if (batchShape.directions !== directions || batchShape.order !== order) {
      throw new OperatorError(
        `${spec.name} has ${directions} jets of order ${order} per point; the outputs have ${batchShape.directions} of order ${batchShape.order}`,
      );
    }
    requireStructure(batchShape.structure);
  };

  return {
    ...spec,
    directions,
    stochastic,
    collapsible,
    tangents(points: number, at: DrawKey): TangentInput {
      return draw.kind === 'random'
        ? drawTangents(draw.spec, points, at)
        : fixedTangents(draw.jets, dimension, order, points);
    },
    estimate(outputs, batchShape, outputWidth = 1, output = 0) {
      requireShape(batchShape);
      const Q = quantities.length;
      const result = new Float64Array(batchShape.points * Q);
      quantities.forEach((q, j) => {
        const values = evaluateQuantity(q.terms, outputs, batchShape, outputWidth, output);
        values.forEach((v, p) => (result[p * Q + j] = v));
      });
      return result;
    },
    evaluate(outputs, batchShape, outputWidth = 1, output = 0) {
      requireShape(batchShape);
      return Object.fromEntries(
        quantities.map((q) => [
          q.name,
          evaluateQuantity(q.terms, outputs, batchShape, outputWidth, output),
        ]),
      ) as Record<N, Float64Array>;
    },
    quantity(name, outputs, batchShape, outputWidth = 1, output = 0) {
      const q = byName.get(name);
      if (!q) {
        throw new OperatorError(
          `${spec.name} has no quantity '${name}' (it has ${quantities.map((x) => x.name).join(', ')})`,
        );
      }
      requireShape(batchShape);
      return evaluateQuantity(q.terms, outputs, batchShape, outputWidth, output);
    },
    shape(points: number, structure: ChannelStructure = 'standard'): JetShape {
      requireStructure(structure);
      return { points, directions, order, structure };
    },
  };
}
