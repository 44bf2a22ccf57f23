import type { JetBatch } from '../engine/jetEngine.ts';
import type { ChannelStructure } from '../engine/jetLayout.ts';
import type { DrawKey } from '../random/jetDraws.ts';
import type { JetOperator } from './operator.ts';

/**
 * The JetBatch of an operator at N points x (row-major N×d) for one draw: what a JetEngine's
 * forward() takes. The collapsed structure is refused for operators that read single top-order
 * jets.
 */
export function operatorBatch(
  operator: JetOperator,
  x: Float32Array | Float64Array,
  at: DrawKey,
  structure: ChannelStructure = 'standard',
): JetBatch {
  const d = operator.dimension;
  if (x.length % d !== 0) {
    throw new RangeError(`x has ${x.length} values, not a whole number of ${d}-dimensional points`);
  }
  const points = x.length / d;
  return {
    shape: operator.shape(points, structure),
    dim: d,
    x,
    tangents: operator.tangents(points, at),
  };
}
