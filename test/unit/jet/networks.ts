import { ctanh, type Complex, cadd, cmul, complex, csin, csoftplus, csub } from './complex.ts';
import { Jet } from '../../../src/jet/jet.ts';
import type { Activation } from '../../../src/jet/activations.ts';
import {
  type AnyMlpParameters,
  boundaryPower,
  type MlpArchitecture,
} from '../../../src/jet/mlp.ts';

/** Independent evaluations of the same network, unit by unit, for comparison with referenceJet. */

function complexActivation(activation: Activation, z: Complex): Complex {
  switch (activation) {
    case 'tanh':
      return ctanh(z);
    case 'sin':
      return csin(z);
    case 'softplus':
      return csoftplus(z);
    case 'identity':
      return z;
  }
}

/** u(x) at a complex point, boundary factor included (1 − Σ x_i², no conjugates: it is analytic). */
export function complexNetwork(
  arch: MlpArchitecture,
  params: AnyMlpParameters,
  point: readonly Complex[],
): Complex[] {
  let x = point;
  params.layers.forEach(({ weight, bias }, l) => {
    const z = Array.from(bias, (b, o) =>
      x.reduce((sum, xi, i) => cadd(sum, cmul(complex(weight[o * x.length + i]), xi)), complex(b)),
    );
    x = l < params.layers.length - 1 ? z.map((zo) => complexActivation(arch.activation, zo)) : z;
  });
  if (arch.boundary === 'none') return [...x];
  const b = point.reduce((acc, xi) => csub(acc, cmul(xi, xi)), complex(1));
  let factor = b;
  for (let n = 1; n < boundaryPower(arch.boundary); n++) factor = cmul(factor, b);
  return x.map((m) => cmul(factor, m));
}

/** The network along coordinate jets through the generic Jet arithmetic; also the hidden jets. */
export function jetNetwork(
  arch: MlpArchitecture,
  params: AnyMlpParameters,
  coordinates: readonly Jet[],
): { outputs: Jet[]; layerOutputs: Jet[][] } {
  const order = coordinates[0].order;
  let x: readonly Jet[] = coordinates;
  const layerOutputs: Jet[][] = [];
  params.layers.forEach(({ weight, bias }, l) => {
    const z = Array.from(bias, (b, o) =>
      x.reduce((sum, xi, i) => sum.add(xi.scale(weight[o * x.length + i])), Jet.constant(b, order)),
    );
    const y = l < params.layers.length - 1 ? z.map((zo) => zo.apply(arch.activation)) : z;
    layerOutputs.push(y);
    x = y;
  });
  if (arch.boundary === 'none') return { outputs: [...x], layerOutputs };
  const b = coordinates.reduce((acc, xi) => acc.sub(xi.mul(xi)), Jet.constant(1, order));
  let factor = b;
  for (let n = 1; n < boundaryPower(arch.boundary); n++) factor = factor.mul(b);
  return { outputs: x.map((m) => factor.mul(m)), layerOutputs };
}
