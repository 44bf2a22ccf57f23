/**
 * What a plan needs of a jet operator (src/operators): how many jets of which order each point
 * carries, whether they collapse, and how they are drawn, without building the jets themselves.
 * The exact biharmonic has d² fixed jets per point, and the memory check must size a run at
 * d = 3000 without making nine million of them; every other operator is cheap to build and is
 * read directly. Builds check that the operator they construct matches the plan (`requireSizing`).
 */
import type { ChannelStructure, JetShape } from '../engine/jetLayout.ts';
import type { TangentKind } from '../engine/forwardJet.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { JetOperator } from '../operators/operator.ts';
import type { JetDrawSpec } from '../random/jetDraws.ts';

export interface OperatorSizing {
  /** Jets per point R. */
  readonly directions: number;
  /** Jet order K. */
  readonly order: number;
  readonly collapsible: boolean;
  /** Drawn per step from a spec, or the same fixed jets at every point (one-hot or dense). */
  readonly draw:
    | { readonly kind: 'random'; readonly spec: JetDrawSpec }
    | { readonly kind: 'fixed'; readonly tangentKind: TangentKind };
}

/** The sizing of a built operator (fixed jets: one-hot when no tangent has two components). */
export function sizingOf(operator: JetOperator): OperatorSizing {
  const draw = operator.draw;
  return {
    directions: operator.directions,
    order: operator.order,
    collapsible: operator.collapsible,
    draw:
      draw.kind === 'random'
        ? { kind: 'random', spec: draw.spec }
        : {
            kind: 'fixed',
            tangentKind: draw.jets.every((jet) => jet.every((t) => t.components.length <= 1))
              ? 'oneHot'
              : 'dense',
          },
  };
}

/** The structure a run uses: collapsed when asked for and the operator allows it. */
export function structureOf(sizing: OperatorSizing, collapsed: boolean): ChannelStructure {
  return collapsed && sizing.collapsible ? 'collapsed' : 'standard';
}

/** The batch shape of `points` points (JetOperator.shape without the operator). */
export function shapeOf(
  sizing: OperatorSizing,
  points: number,
  structure: ChannelStructure,
): JetShape {
  return { points, directions: sizing.directions, order: sizing.order, structure };
}

/** The tangent kind a batch's forward pass reads (random draws: one-hot unless dense). */
export function tangentKindOf(sizing: OperatorSizing): TangentKind {
  if (sizing.draw.kind === 'fixed') return sizing.draw.tangentKind;
  const kind = sizing.draw.spec.kind;
  return kind === 'rademacher' || kind === 'gaussian' ? 'dense' : 'oneHot';
}

/** Dense tangents in one buffer, one-hot ones as coefficients and indices. */
export type FixedJetBuffers =
  { values: PlannedBuffer } | { coefficient: PlannedBuffer; index: PlannedBuffer };

/** The buffers fixed jets are uploaded into, for `points` points of input width `dimension`. */
export function fixedJetBuffers(
  shape: JetShape,
  dimension: number,
  tangentKind: TangentKind,
  labels: { values: string; coefficient: string; index: string },
): FixedJetBuffers {
  const slots = shape.points * shape.directions * shape.order;
  return tangentKind === 'dense'
    ? { values: storageBuffer(labels.values, slots * dimension * 4) }
    : {
        coefficient: storageBuffer(labels.coefficient, slots * 4),
        index: storageBuffer(labels.index, slots * 4),
      };
}

/** Throws unless the operator a build made is the one its plan sized. */
export function requireSizing(operator: JetOperator, planned: OperatorSizing): void {
  const built = sizingOf(operator);
  const same =
    built.directions === planned.directions &&
    built.order === planned.order &&
    built.collapsible === planned.collapsible &&
    tangentKindOf(built) === tangentKindOf(planned) &&
    built.draw.kind === planned.draw.kind;
  if (!same) {
    throw new Error(
      `${operator.name}: the built operator (${JSON.stringify(built)}) is not the planned one ` +
        `(${JSON.stringify(planned)})`,
    );
  }
}
