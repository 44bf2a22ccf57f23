import { Jet, pushCurve } from '../../../src/jet/jet.ts';

/**
 * An independent float64 reference for operators applied to the exact solutions: u* written once
 * more as plain Jet arithmetic (no closed-form derivatives anywhere), then differentiated by pushing
 * jets through it.
 */
export type JetFunction = (x: readonly Jet[]) => Jet;

function ballFactor(x: readonly Jet[]): Jet {
  return x.reduce((b, xi) => b.sub(xi.mul(xi)), Jet.constant(1, x[0].order));
}

function sum(x: readonly Jet[], terms: Jet[]): Jet {
  return terms.reduce((acc, t) => acc.add(t), Jet.constant(0, x[0].order));
}

export function twoBodyJet(c: ArrayLike<number>): JetFunction {
  return (x) => {
    const terms = [];
    for (let i = 0; i + 1 < x.length; i++) {
      const phi = x[i].add(x[i + 1].cos()).add(x[i + 1].mul(x[i].cos()));
      terms.push(phi.sin().scale(c[i]));
    }
    return ballFactor(x).mul(sum(x, terms));
  };
}

export function threeBodyJet(c: ArrayLike<number>): JetFunction {
  return (x) => {
    const terms = [];
    for (let i = 0; i + 2 < x.length; i++) {
      terms.push(
        x[i]
          .mul(x[i + 1])
          .mul(x[i + 2])
          .exp()
          .scale(c[i]),
      );
    }
    return ballFactor(x).mul(sum(x, terms));
  };
}

export function clampedSinCosJet(c: ArrayLike<number>): JetFunction {
  return (x) => {
    const terms = [];
    for (let i = 0; i + 1 < x.length; i++)
      terms.push(
        x[i]
          .sin()
          .mul(x[i + 1].cos())
          .scale(c[i]),
      );
    const b = ballFactor(x);
    return b.mul(b).mul(sum(x, terms));
  };
}

/** (1 − ‖x‖²)^m Σ_i c_i sin(x_i + x_{i+1}): the order-2m diagonal problem's solution. */
export function sinChainJet(c: ArrayLike<number>, m: number): JetFunction {
  return (x) => {
    const terms = [];
    for (let i = 0; i + 1 < x.length; i++)
      terms.push(
        x[i]
          .add(x[i + 1])
          .sin()
          .scale(c[i]),
      );
    const b = ballFactor(x);
    let factor = b;
    for (let n = 1; n < m; n++) factor = factor.mul(b);
    return factor.mul(sum(x, terms));
  };
}

/** J_k of u along the line x + t·v (first tangent v, higher tangents 0). */
export function directional(
  u: JetFunction,
  x: ArrayLike<number>,
  v: ArrayLike<number>,
  k: number,
): number {
  const tangents: (ArrayLike<number> | null)[] = [v];
  for (let j = 1; j < k; j++) tangents.push(null);
  return u(pushCurve(x, tangents)).derivatives()[k];
}

function unit(d: number, i: number): Float64Array {
  const e = new Float64Array(d);
  e[i] = 1;
  return e;
}

/** u(x) from the order-0 jet. */
export function jetValue(u: JetFunction, x: ArrayLike<number>): number {
  return u(pushCurve(x, [])).value;
}

/** Δu = Σ_i J_2[e_i]. */
export function jetLaplacian(u: JetFunction, x: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) total += directional(u, x, unit(x.length, i), 2);
  return total;
}

/** Σ_i ∂^k u/∂x_i^k = Σ_i J_k[e_i]. */
export function jetDiagonal(u: JetFunction, x: ArrayLike<number>, k: number): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) total += directional(u, x, unit(x.length, i), k);
  return total;
}

/**
 * Δ²u = Σ_i u_iiii + 2 Σ_{i<j} u_iijj, with each mixed partial from fourth-order jets by polarization:
 * J_4[e_i + e_j] + J_4[e_i − e_j] = 2u_iiii + 12u_iijj + 2u_jjjj (the odd terms u_iiij, u_ijjj cancel).
 */
export function jetBiharmonic(u: JetFunction, x: ArrayLike<number>): number {
  const d = x.length;
  const pure = Array.from({ length: d }, (_, i) => directional(u, x, unit(d, i), 4));
  let total = pure.reduce((a, b) => a + b, 0);
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const plus = unit(d, i);
      plus[j] = 1;
      const minus = unit(d, i);
      minus[j] = -1;
      const mixed =
        (directional(u, x, plus, 4) + directional(u, x, minus, 4) - 2 * pure[i] - 2 * pure[j]) / 12;
      total += 2 * mixed;
    }
  }
  return total;
}
