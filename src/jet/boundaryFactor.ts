import type { BoundaryFactor } from './mlp.ts';
import { seriesConstant, seriesMul, type Series } from './series.ts';
import { unitSeries, type VectorJet } from './vectorJet.ts';

/**
 * The jet of the hard boundary factor along the input curve: b(t) = 1 − ‖g(t)‖² for 'ball', its
 * square for 'ball2', and null for 'none' (no factor). Both vanish on the unit sphere; the square
 * also has a vanishing normal derivative there (clamped biharmonic problems).
 */
export function boundaryFactorJet(boundary: BoundaryFactor, curve: VectorJet): Series | null {
  if (boundary === 'none') return null;
  const b = seriesConstant(1, curve.order);
  for (let i = 0; i < curve.width; i++) {
    const g = unitSeries(curve, i);
    const square = seriesMul(g, g);
    for (let k = 0; k <= curve.order; k++) b[k] -= square[k];
  }
  switch (boundary) {
    case 'ball':
      return b;
    case 'ball2':
      return seriesMul(b, b);
    default:
      throw new RangeError(`unknown boundary factor '${String(boundary)}'`);
  }
}
