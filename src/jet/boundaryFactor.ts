import { type BoundaryFactor, boundaryPower } from './mlp.ts';
import { seriesConstant, seriesMul, type Series } from './series.ts';
import { unitSeries, type VectorJet } from './vectorJet.ts';

/**
 * The jet of the hard boundary factor along the input curve: b(t)^m with b(t) = 1 − ‖g(t)‖² and m
 * the factor's power ('ball' 1 … 'ball4' 4), and null for 'none' (no factor). All vanish on the
 * unit sphere; b^m also has m − 1 vanishing normal derivatives there (m = 2: clamped biharmonic
 * problems).
 */
export function boundaryFactorJet(boundary: BoundaryFactor, curve: VectorJet): Series | null {
  if (boundary === 'none') return null;
  const b = seriesConstant(1, curve.order);
  for (let i = 0; i < curve.width; i++) {
    const g = unitSeries(curve, i);
    const square = seriesMul(g, g);
    for (let k = 0; k <= curve.order; k++) b[k] -= square[k];
  }
  const power = boundaryPower(boundary);
  if (!(power >= 1)) throw new RangeError(`unknown boundary factor '${String(boundary)}'`);
  let factor = b;
  for (let n = 1; n < power; n++) factor = seriesMul(factor, b);
  return factor;
}
