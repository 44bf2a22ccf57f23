/**
 * First derivatives from 1-jets, J_1[v] = ∇u·v: the time derivative u_t (v = e_t), a directional
 * derivative ∇u·w (v = w, dense unless w is one-hot), and the gradient (the d one-hot jets e_i,
 * e.g. ∇_x u for the parabolic terminal loss mean‖∇u − ∇g‖², DESIGN.md §4).
 */
import { along } from './fixedTangents.ts';
import { defineOperator, type JetOperator, OperatorError } from './operator.ts';

function requireIndex(index: number, dimension: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= dimension) {
    throw new OperatorError(`${what} must be an input index in 0..${dimension - 1}, got ${index}`);
  }
}

export function timeDerivativeOperator(options: { dimension: number; time: number }): JetOperator {
  requireIndex(options.time, options.dimension, 'the time index');
  return defineOperator({
    name: 'time-derivative',
    tex: String.raw`u_t=\partial_{e_t}u`,
    dimension: options.dimension,
    order: 1,
    draw: { kind: 'fixed', jets: [[along(1, options.time)]] },
    quantities: [{ name: 'u_t', tex: 'u_t', terms: [{ direction: 0, order: 1, scale: 1 }] }],
  });
}

export function directionalDerivativeOperator(options: {
  dimension: number;
  direction: ArrayLike<number>;
}): JetOperator {
  const { dimension, direction } = options;
  if (direction.length !== dimension) {
    throw new OperatorError(
      `the direction has ${direction.length} components, the input ${dimension}`,
    );
  }
  const components = Array.from(direction, (value, index) => ({ index, value })).filter(
    (c) => c.value !== 0,
  );
  return defineOperator({
    name: 'directional-derivative',
    tex: String.raw`\nabla u\cdot w=\partial_{w}u`,
    dimension,
    order: 1,
    draw: { kind: 'fixed', jets: [[{ order: 1, components }]] },
    quantities: [
      {
        name: 'directional',
        tex: String.raw`\nabla u\cdot w`,
        terms: [{ direction: 0, order: 1, scale: 1 }],
      },
    ],
  });
}

/** ∂u/∂x_i for i = 0..coordinates−1 (default: every input), quantity i named `grad_i`. */
export function gradientOperator(options: {
  dimension: number;
  coordinates?: number;
}): JetOperator {
  const { dimension } = options;
  const n = options.coordinates ?? dimension;
  if (!Number.isInteger(n) || n < 1 || n > dimension) {
    throw new OperatorError(`coordinates must be in 1..${dimension}, got ${n}`);
  }
  return defineOperator({
    name: 'gradient',
    tex: String.raw`\nabla u=\left(\partial_{e_1}u,\dots,\partial_{e_d}u\right)`,
    dimension,
    order: 1,
    draw: { kind: 'random', spec: { kind: 'exact', directions: n, order: 1, dimension, range: n } },
    quantities: Array.from({ length: n }, (_, i) => ({
      name: `grad_${i}`,
      tex: String.raw`\partial_{x_{${i + 1}}}u`,
      terms: [{ direction: i, order: 1, scale: 1 }],
    })),
  });
}
