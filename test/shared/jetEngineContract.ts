/**
 * Properties every JetEngine must have, run against the float64 reference (test/unit) and the GPU
 * engine (test/gpu) alike. Each compares an engine with itself through a *different* route to the
 * same number (one-hot vs dense tangents, collapsed vs standard, polarization vs direct jets,
 * gradient vs finite differences), so a wrong kernel cannot pass by agreeing with itself.
 */
import { describe, expect, it } from 'vitest';
import type { JetBatch, JetEngine } from '../../src/engine/jetEngine.ts';
import { rowOf, rowsPerPoint, type ChannelStructure } from '../../src/engine/jetLayout.ts';
import { initParameters, type MlpArchitecture } from '../../src/jet/mlp.ts';

export interface ContractOptions {
  /** Relative tolerance of value comparisons (float64: ~1e-12, float32: ~1e-4). */
  relTol: number;
  /** Relative tolerance of gradients against central differences of forward(). */
  gradTol: number;
  /** Finite-difference step for the gradient check. */
  fdStep: number;
}

export type EngineFactory = (arch: MlpArchitecture, seed: number) => Promise<JetEngine>;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function points(n: number, d: number, seed: number): Float32Array {
  const next = lcg(seed);
  return Float32Array.from({ length: n * d }, () => next());
}

/** All d one-hot 2-jets (e_i, 0) per point: the exact Laplacian's jets. */
function oneHotSecondOrder(
  n: number,
  d: number,
  structure: ChannelStructure,
  x: Float32Array,
): JetBatch {
  const index = new Int32Array(n * d * 2).fill(-1);
  const coefficient = new Float32Array(n * d * 2);
  for (let p = 0; p < n; p++) {
    for (let r = 0; r < d; r++) {
      index[(p * d + r) * 2] = r;
      coefficient[(p * d + r) * 2] = 1;
    }
  }
  return {
    shape: { points: n, directions: d, order: 2, structure },
    dim: d,
    x,
    tangents: { kind: 'oneHot', index, coefficient },
  };
}

function close(a: number, b: number, scale: number, tol: number): void {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(scale, 1e-3));
}

export function describeJetEngineContract(
  name: string,
  makeEngine: EngineFactory,
  options: ContractOptions,
): void {
  const arch: MlpArchitecture = { widths: [4, 8, 6, 1], activation: 'tanh', boundary: 'ball' };
  const d = 4;
  const n = 3;

  describe(`JetEngine contract: ${name}`, () => {
    it('round-trips parameters', async () => {
      const engine = await makeEngine(arch, 1);
      const params = initParameters(arch, 5);
      engine.setParameters(params);
      const back = await engine.getParameters();
      back.layers.forEach((layer, l) => {
        layer.weight.forEach((w, i) => close(w, params.layers[l].weight[i], 1, 1e-7));
        layer.bias.forEach((b, i) => close(b, params.layers[l].bias[i], 1, 1e-7));
      });
      engine.dispose();
    });

    it('one-hot and dense tangents give the same jets', async () => {
      const engine = await makeEngine(arch, 2);
      const x = points(n, d, 3);
      const sparse = oneHotSecondOrder(n, d, 'standard', x);
      const dense = new Float32Array(n * d * 2 * d);
      for (let p = 0; p < n; p++) {
        for (let r = 0; r < d; r++) dense[(p * d + r) * 2 * d + r] = 1;
      }
      const a = await engine.forward(sparse);
      const b = await engine.forward({ ...sparse, tangents: { kind: 'dense', values: dense } });
      const scale = Math.max(...a.map(Math.abs));
      a.forEach((value, i) => close(value, b[i], scale, options.relTol));
      engine.dispose();
    });

    it('collapsed rows equal the standard rows, the top row their sum over directions', async () => {
      const engine = await makeEngine(arch, 4);
      const x = points(n, d, 5);
      const standard = await engine.forward(oneHotSecondOrder(n, d, 'standard', x));
      const collapsedBatch = oneHotSecondOrder(n, d, 'collapsed', x);
      const collapsed = await engine.forward(collapsedBatch);
      const sShape = { directions: d, order: 2, structure: 'standard' as const };
      const cShape = collapsedBatch.shape;
      const Vs = rowsPerPoint(sShape);
      const Vc = rowsPerPoint(cShape);
      for (let p = 0; p < n; p++) {
        close(collapsed[p * Vc], standard[p * Vs], Math.abs(standard[p * Vs]), options.relTol);
        let sum = 0;
        let scale = 0;
        for (let r = 0; r < d; r++) {
          const first = standard[p * Vs + rowOf(sShape, r, 1)];
          close(collapsed[p * Vc + rowOf(cShape, r, 1)], first, Math.abs(first), options.relTol);
          const top = standard[p * Vs + rowOf(sShape, r, 2)];
          sum += top;
          scale += Math.abs(top);
        }
        close(collapsed[p * Vc + rowOf(cShape, 0, 2)], sum, scale, options.relTol);
      }
      engine.dispose();
    });

    it('the jet Laplacian equals the Hessian trace by polarization of 2-jets', async () => {
      const engine = await makeEngine(arch, 6);
      const x = points(1, d, 7);
      // J_2[e_i + e_j] = u_ii + 2u_ij + u_jj, so u_ij = (J_2[e_i + e_j] − J_2[e_i] − J_2[e_j]) / 2
      // and the trace needs only the diagonal: check the off-diagonal route reproduces u_ii too,
      // with e_i + e_i = 2e_i: J_2[2e_i] = 4u_ii.
      const dirs: Float32Array[] = [];
      for (let i = 0; i < d; i++) {
        const v = new Float32Array(d);
        v[i] = 2;
        dirs.push(v);
      }
      const values = new Float32Array(d * 2 * d);
      dirs.forEach((v, r) => values.set(v, r * 2 * d));
      const doubled = await engine.forward({
        shape: { points: 1, directions: d, order: 2, structure: 'standard' },
        dim: d,
        x,
        tangents: { kind: 'dense', values },
      });
      const exact = await engine.forward(oneHotSecondOrder(1, d, 'collapsed', x));
      const shape = { directions: d, order: 2, structure: 'standard' as const };
      let trace = 0;
      let scale = 0;
      for (let r = 0; r < d; r++) {
        const u2 = doubled[rowOf(shape, r, 2)];
        trace += (2 * u2) / 4; // J_2 = 2!·u_2
        scale += Math.abs(u2);
      }
      const laplacian = 2 * exact[rowOf({ directions: d, order: 2, structure: 'collapsed' }, 0, 2)];
      close(laplacian, trace, scale, options.relTol);
      engine.dispose();
    });

    it('gradients match central differences of forward()', async () => {
      const engine = await makeEngine(arch, 8);
      const params = initParameters(arch, 9);
      engine.setParameters(params);
      const batch = oneHotSecondOrder(2, d, 'collapsed', points(2, d, 10));
      const out = await engine.forward(batch);
      // L = Σ_rows w_row · out_row with fixed weights: its cotangent is w.
      const w = Float64Array.from(out, (_, i) => Math.cos(i + 1));
      const loss = (values: Float64Array) => values.reduce((s, v, i) => s + w[i] * v, 0);
      const grad = await engine.gradient(batch, w);
      const h = options.fdStep;
      const probes: [number, 'weight' | 'bias', number][] = [
        [0, 'weight', 0],
        [0, 'weight', 13],
        [0, 'bias', 3],
        [1, 'weight', 20],
        [2, 'weight', 5],
        [2, 'bias', 0],
      ];
      const scale = Math.max(...grad.layers.flatMap((l) => [...l.weight, ...l.bias].map(Math.abs)));
      for (const [l, key, i] of probes) {
        const plus = structuredClone(params);
        const minus = structuredClone(params);
        plus.layers[l][key][i] += h;
        minus.layers[l][key][i] -= h;
        engine.setParameters(plus);
        const lp = loss(await engine.forward(batch));
        engine.setParameters(minus);
        const lm = loss(await engine.forward(batch));
        close(grad.layers[l][key][i], (lp - lm) / (2 * h), scale, options.gradTol);
      }
      engine.dispose();
    });

    it('Adam steps with the last gradient move the loss down', async () => {
      const engine = await makeEngine(arch, 11);
      const batch = oneHotSecondOrder(2, d, 'standard', points(2, d, 12));
      const sumSquares = (values: Float64Array) => values.reduce((s, v) => s + v * v, 0);
      const first = sumSquares(await engine.forward(batch));
      let last = first;
      for (let step = 1; step <= 5; step++) {
        const out = await engine.forward(batch);
        last = sumSquares(out);
        await engine.gradient(
          batch,
          out.map((v) => 2 * v),
        );
        await engine.adamStep(1e-2, step);
      }
      expect(last).toBeLessThan(first);
      engine.dispose();
    });
  });
}
