import { describe, expect, it } from 'vitest';
import type { Activation } from '../../../src/jet/activations.ts';
import {
  ArchitectureError,
  type BoundaryFactor,
  initialParameterStream,
  initParameters,
  type MlpArchitecture,
  parameterCount,
  toFloat32Parameters,
  validateArchitecture,
  validateParameters,
  zeroParameters,
} from '../../../src/jet/mlp.ts';

const arch = (widths: number[], activation: Activation = 'tanh'): MlpArchitecture => ({
  widths,
  activation,
  boundary: 'none',
});

describe('MLP architecture', () => {
  it('rejects bad widths, activations and boundary factors with clear messages', () => {
    expect(() => validateArchitecture(arch([]))).toThrow(/at least the input and output/);
    expect(() => validateArchitecture(arch([3]))).toThrow(ArchitectureError);
    expect(() => validateArchitecture(arch([3, 0, 1]))).toThrow(
      /widths\[1\] must be a positive integer, got 0/,
    );
    expect(() => validateArchitecture(arch([3, 2.5, 1]))).toThrow(/widths\[1\]/);
    expect(() => validateArchitecture(arch([3, 4, Number.NaN]))).toThrow(/widths\[2\]/);
    expect(() => validateArchitecture(arch([3, -4, 1]))).toThrow(/widths\[1\]/);
    expect(() => validateArchitecture(arch([3, 1], 'relu' as unknown as Activation))).toThrow(
      /unknown activation 'relu'/,
    );
    expect(() =>
      validateArchitecture({ ...arch([3, 1]), boundary: 'cube' as unknown as BoundaryFactor }),
    ).toThrow(/unknown boundary factor 'cube'/);
    expect(() => validateArchitecture(arch([3, 1]))).not.toThrow();
  });

  it('counts parameters: Σ out·(in + 1)', () => {
    expect(parameterCount(arch([3, 4, 2]))).toBe(3 * 4 + 4 + 4 * 2 + 2);
    // STDE's default network at d = 100: three hidden layers of 128, scalar output.
    expect(parameterCount(arch([100, 128, 128, 128, 1]))).toBe(
      100 * 128 + 128 + 2 * (128 * 128 + 128) + 128 + 1,
    );
  });

  it('checks parameter shapes against the architecture', () => {
    const a = arch([3, 4, 2]);
    const p = zeroParameters(a);
    expect(() => validateParameters(a, p)).not.toThrow();
    expect(() => validateParameters(arch([3, 4, 4, 2]), p)).toThrow(/need 3 layers, got 2/);
    expect(() => validateParameters(arch([2, 4, 2]), p)).toThrow(
      /layer 0: weight must hold 4×2 = 8/,
    );
    expect(() => validateParameters(arch([3, 4, 1]), p)).toThrow(/layer 1/);
    const badBias = { layers: [p.layers[0], { ...p.layers[1], bias: new Float64Array(3) }] };
    expect(() => validateParameters(a, badBias)).toThrow(/layer 1: bias must hold 2 values, got 3/);
  });
});

describe('parameter initialization', () => {
  const a = arch([16, 64, 32, 32]);

  it('streams the float32 flat layout bit for bit, in pieces of any size', () => {
    for (const gain of [1, 0.3]) {
      const layers = initParameters(a, 5, gain).layers;
      const whole = Float32Array.from(layers.flatMap((l) => [...l.weight, ...l.bias]));
      const stream = initialParameterStream(a, 5, gain);
      // Pieces that end inside a weight matrix, at a bias, and across layers.
      const pieces = [100, 1, 1000, 7, whole.length - 1108].map((n) => new Float32Array(n));
      for (const piece of pieces) stream.fill(piece);
      const streamed = Float32Array.from(pieces.flatMap((piece) => [...piece]));
      expect(new Uint32Array(streamed.buffer)).toEqual(new Uint32Array(whole.buffer));
      expect(() => stream.fill(new Float32Array(1))).toThrow(/no more parameters/);
    }
  });

  it('is deterministic in the seed', () => {
    const p = initParameters(a, 7);
    const q = initParameters(a, 7);
    const r = initParameters(a, 8);
    p.layers.forEach((layer, l) => {
      expect(Array.from(layer.weight)).toEqual(Array.from(q.layers[l].weight));
      expect(Array.from(layer.bias)).toEqual(Array.from(q.layers[l].bias));
      expect(Array.from(layer.weight)).not.toEqual(Array.from(r.layers[l].weight));
    });
  });

  it('is PyTorch-style uniform(±1/√fan_in): in range, variance bound²/3 within 15 % for weights', () => {
    const p = initParameters(a, 1);
    p.layers.forEach(({ weight, bias }, l) => {
      const bound = 1 / Math.sqrt(a.widths[l]);
      for (const values of [weight, bias]) {
        for (const v of values) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
      }
      // ≥ 1024 weights per layer: the sample variance's relative standard error is ≤ 2.8 %.
      const variance = weight.reduce((s, v) => s + v * v, 0) / weight.length;
      expect(Math.abs(variance / ((bound * bound) / 3) - 1), `layer ${l}`).toBeLessThan(0.15);
    });
  });

  it('firstLayerGain scales the first layer weights only, from the same draw', () => {
    const plain = initParameters(a, 3);
    const scaled = initParameters(a, 3, 3.5);
    scaled.layers.forEach(({ weight, bias }, l) => {
      const expected = plain.layers[l].weight.map((w) => (l === 0 ? 3.5 * w : w));
      expect(Array.from(weight), `layer ${l} weights`).toEqual(Array.from(expected));
      expect(Array.from(bias), `layer ${l} biases`).toEqual(Array.from(plain.layers[l].bias));
    });
  });

  it('rounds to float32 on request', () => {
    const p = initParameters(a, 1);
    const f = toFloat32Parameters(p);
    expect(f.layers[0].weight).toBeInstanceOf(Float32Array);
    expect(f.layers[0].weight[3]).toBe(Math.fround(p.layers[0].weight[3]));
  });
});
