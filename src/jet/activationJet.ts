import { type Activation, activationTaylorCoefficients } from './activations.ts';
import { seriesCompose, seriesMulTranspose } from './series.ts';
import { createVectorJet, setUnitSeries, unitSeries, type VectorJet } from './vectorJet.ts';

/** s = σ(z) unit by unit, by Faà di Bruno: s(t) = Σ_j σ^(j)(z_0)/j!·(z(t) − z_0)^j. */
export function activationJetForward(activation: Activation, z: VectorJet): VectorJet {
  const s = createVectorJet(z.width, z.order);
  for (let i = 0; i < z.width; i++) {
    const zi = unitSeries(z, i);
    setUnitSeries(
      s,
      i,
      seriesCompose(activationTaylorCoefficients(activation, zi[0], z.order), zi),
    );
  }
  return s;
}

/**
 * Reverse of `activationJetForward`. Since ∂σ(z(t))/∂z_m = σ'(z(t))·t^m for every m (z_0 included),
 * ∂s_k/∂z_m = [t^{k−m}] σ'(z(t)): the Jacobian is multiplication by the series D = σ'(z(t)), and the
 * cotangent map is its transpose, z̄_m = Σ_{k≥m} s̄_k D_{k−m}. D is σ' composed with z, whose Taylor
 * coefficients σ^(j+1)(z_0)/j! = (j + 1)·[σ^(j+1)(z_0)/(j + 1)!] need σ up to order K + 1.
 */
export function activationJetReverse(
  activation: Activation,
  z: VectorJet,
  sBar: VectorJet,
): VectorJet {
  if (sBar.width !== z.width || sBar.order !== z.order) {
    throw new RangeError('activation reverse: the cotangent does not match the activation output');
  }
  const zBar = createVectorJet(z.width, z.order);
  const derivativeTaylor = new Float64Array(z.order + 1);
  for (let i = 0; i < z.width; i++) {
    const zi = unitSeries(z, i);
    const taylor = activationTaylorCoefficients(activation, zi[0], z.order + 1);
    for (let j = 0; j <= z.order; j++) derivativeTaylor[j] = (j + 1) * taylor[j + 1];
    const d = seriesCompose(derivativeTaylor, zi);
    setUnitSeries(zBar, i, seriesMulTranspose(d, unitSeries(sBar, i)));
  }
  return zBar;
}
