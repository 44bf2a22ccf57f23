import { describe, expect, it } from 'vitest';
import { initParameters, type MlpArchitecture } from '../../src/jet/mlp.ts';
import { ModelFileError, parseModel, serializeModel } from '../../src/engine/modelFile.ts';

const arch: MlpArchitecture = { widths: [3, 5, 4, 1], activation: 'tanh', boundary: 'ball' };

function validJson(): Record<string, unknown> {
  return JSON.parse(serializeModel(arch, initParameters(arch, 7), { metrics: { relL2: 0.01 } }));
}

describe('model files', () => {
  it('round-trips architecture, float32 weights, training options and metrics exactly', () => {
    const params = initParameters(arch, 11);
    const text = serializeModel(arch, params, {
      training: { pde: 'allen-cahn-two-body', dim: 3 },
      metrics: { relL2: 0.042 },
    });
    const model = parseModel(text);
    expect(model.architecture).toEqual(arch);
    model.parameters.layers.forEach((layer, l) => {
      expect(layer.weight).toEqual(Float32Array.from(params.layers[l].weight));
      expect(layer.bias).toEqual(Float32Array.from(params.layers[l].bias));
    });
    expect(model.training).toEqual({ pde: 'allen-cahn-two-body', dim: 3 });
    expect(model.metrics).toEqual({ relL2: 0.042 });
  });

  const cases: [string, (m: Record<string, unknown>) => unknown, RegExp][] = [
    ['truncated JSON', () => '{"format": "jetpinn-model", "ver', /not valid JSON/],
    ['wrong format', (m) => ({ ...m, format: 'onnx' }), /format must be "jetpinn-model"/],
    ['future version', (m) => ({ ...m, version: 2 }), /version 2 is not supported/],
    ['unknown field', (m) => ({ ...m, extra: 1 }), /unknown field "extra"/],
    [
      'prototype pollution key',
      (m) => `{"__proto__": {"polluted": true}, ${JSON.stringify(m).slice(1)}`,
      /the model has a forbidden field "__proto__"/,
    ],
    [
      'negative width',
      (m) => ({ ...m, architecture: { ...(m.architecture as object), widths: [3, -5, 1] } }),
      /widths\[1\] must be an integer/,
    ],
    [
      'absurd width',
      (m) => ({ ...m, architecture: { ...(m.architecture as object), widths: [3, 1e9, 1] } }),
      /widths\[1\] must be an integer in 1\.\.16777216/,
    ],
    [
      'too many parameters',
      (m) => ({ ...m, architecture: { ...(m.architecture as object), widths: [16777216, 64, 1] } }),
      /parameters, more than the limit/,
    ],
    [
      'unknown activation',
      (m) => ({ ...m, architecture: { ...(m.architecture as object), activation: 'relu' } }),
      /activation must be one of tanh, sin, softplus, identity/,
    ],
    [
      'missing layer',
      (m) => ({ ...m, parameters: (m.parameters as unknown[]).slice(1) }),
      /3 layers/,
    ],
    [
      'short weight',
      (m) => {
        const p = structuredClone(m.parameters) as { weight: number[] }[];
        p[1].weight.pop();
        return { ...m, parameters: p };
      },
      /parameters\[1\]\.weight must have 20 numbers \(4×5, from architecture\.widths\), has 19/,
    ],
    [
      'string weight',
      (m) => {
        const p = structuredClone(m.parameters) as { bias: unknown[] }[];
        p[0].bias[2] = '0.5';
        return { ...m, parameters: p };
      },
      /parameters\[0\]\.bias\[2\] must be a finite number, got "0\.5"/,
    ],
    [
      'non-finite metric',
      (m) => ({ ...m, metrics: { relL2: null } }),
      /metrics\.relL2 must be a finite number/,
    ],
    ['array at top level', () => '[1, 2]', /the model must be an object, got an array of 2/],
  ];

  it.each(cases)('rejects %s with a clear error', (_name, mutate, message) => {
    const mutated = mutate(validJson());
    const text = typeof mutated === 'string' ? mutated : JSON.stringify(mutated);
    expect(() => parseModel(text)).toThrow(ModelFileError);
    expect(() => parseModel(text)).toThrow(message);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a weight outside the float32 range', () => {
    const text = JSON.stringify(validJson()).replace(/"bias":\[[^,\]]+/, '"bias":[1e39');
    expect(() => parseModel(text)).toThrow(/bias\[0\] = 1e\+39 is outside the float32 range/);
  });

  it('rejects a weight that overflows float64 as non-finite text', () => {
    const text = JSON.stringify(validJson()).replace(/"bias":\[[^,\]]+/, '"bias":[1e999');
    expect(() => parseModel(text)).toThrow(/bias\[0\] must be a finite number/);
  });
});
