/**
 * Derivative values [f(z), f'(z), …, f^(order)(z)] of elementary functions, for composing them with
 * series (exact solutions and sources of the PDE zoo are built from these).
 */

function requireOrder(order: number): void {
  if (!Number.isInteger(order) || order < 0) {
    throw new RangeError(`derivative order must be a non-negative integer, got ${order}`);
  }
}

/** sin cycles through sin, cos, −sin, −cos; starting the cycle `shift` steps in gives cos and friends. */
function cyclicDerivatives(z: number, order: number, shift: number): Float64Array {
  requireOrder(order);
  const s = Math.sin(z);
  const c = Math.cos(z);
  const cycle = [s, c, -s, -c];
  const d = new Float64Array(order + 1);
  for (let k = 0; k <= order; k++) d[k] = cycle[(k + shift) % 4];
  return d;
}

export function sinDerivatives(z: number, order: number): Float64Array {
  return cyclicDerivatives(z, order, 0);
}

export function cosDerivatives(z: number, order: number): Float64Array {
  return cyclicDerivatives(z, order, 1);
}

export function expDerivatives(z: number, order: number): Float64Array {
  requireOrder(order);
  return new Float64Array(order + 1).fill(Math.exp(z));
}

/** d^k/dz^k (1/z) = (−1)^k k!/z^(k+1). */
export function reciprocalDerivatives(z: number, order: number): Float64Array {
  requireOrder(order);
  const d = new Float64Array(order + 1);
  let term = 1 / z;
  for (let k = 0; k <= order; k++) {
    d[k] = term;
    term *= -(k + 1) / z;
  }
  return d;
}
