import { sinDerivatives } from './elementary.ts';
import { OdeDerivativeFactors, polynomialEvaluate } from './odePolynomials.ts';
import { factorial } from './series.ts';

export type Activation = 'tanh' | 'sin' | 'softplus' | 'identity';

export const ACTIVATIONS: readonly Activation[] = ['tanh', 'sin', 'softplus', 'identity'];

export function isActivation(value: unknown): value is Activation {
  return (ACTIVATIONS as readonly unknown[]).includes(value);
}

/**
 * tanh from expm1(−2|z|): never overflows (|z| = 1000 gives ±1, where sinh/cosh would give ∞/∞) and
 * keeps full relative accuracy near 0, where (1 − e^{−2|z|})/(1 + e^{−2|z|}) would cancel.
 */
export function stableTanh(z: number): number {
  const e = Math.expm1(-2 * Math.abs(z));
  return Math.sign(z) * (-e / (2 + e));
}

/** sech² z = 1 − tanh² z, from e^{−2|z|} so it keeps its relative accuracy when tanh z rounds to ±1. */
export function sech2(z: number): number {
  const t = Math.exp(-2 * Math.abs(z));
  return (4 * t) / ((1 + t) * (1 + t));
}

/** The logistic function 1/(1 + e^{−z}), with the exponential taken of −|z| so it cannot overflow. */
export function logistic(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(1 + e^z) = max(z, 0) + log1p(e^{−|z|}): no overflow for large z, no log(1) rounding for small. */
export function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

const tanhFactors = new OdeDerivativeFactors([1, 0, -1]);
const logisticFactors = new OdeDerivativeFactors([0, 1, -1]);

function tanhDerivatives(z: number, order: number): Float64Array {
  const d = new Float64Array(order + 1);
  const y = stableTanh(z);
  const f = sech2(z);
  d[0] = y;
  for (let k = 1; k <= order; k++) d[k] = f * polynomialEvaluate(tanhFactors.factor(k), y);
  return d;
}

function softplusDerivatives(z: number, order: number): Float64Array {
  const d = new Float64Array(order + 1);
  const s = logistic(z);
  // s(1 − s) with 1 − s = logistic(−z) computed directly, for the same reason as sech2.
  const f = s * logistic(-z);
  d[0] = softplus(z);
  if (order >= 1) d[1] = s;
  for (let k = 2; k <= order; k++) d[k] = f * polynomialEvaluate(logisticFactors.factor(k - 1), s);
  return d;
}

function identityDerivatives(z: number, order: number): Float64Array {
  const d = new Float64Array(order + 1);
  d[0] = z;
  if (order >= 1) d[1] = 1;
  return d;
}

/** [σ(z), σ'(z), …, σ^(order)(z)] in float64, for any order. */
export function activationDerivatives(
  activation: Activation,
  z: number,
  order: number,
): Float64Array {
  if (!Number.isInteger(order) || order < 0) {
    throw new RangeError(`derivative order must be a non-negative integer, got ${order}`);
  }
  switch (activation) {
    case 'tanh':
      return tanhDerivatives(z, order);
    case 'sin':
      return sinDerivatives(z, order);
    case 'softplus':
      return softplusDerivatives(z, order);
    case 'identity':
      return identityDerivatives(z, order);
    default:
      throw new RangeError(`unknown activation '${String(activation)}'`);
  }
}

/** σ(z) alone. */
export function activationValue(activation: Activation, z: number): number {
  return activationDerivatives(activation, z, 0)[0];
}

/** σ^(j)(z)/j! for j = 0..order: the coefficients Faà di Bruno composes with a pre-activation jet. */
export function activationTaylorCoefficients(
  activation: Activation,
  z: number,
  order: number,
): Float64Array {
  const d = activationDerivatives(activation, z, order);
  for (let j = 2; j <= order; j++) d[j] /= factorial(j);
  return d;
}
