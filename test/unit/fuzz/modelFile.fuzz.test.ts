import { describe, expect, it } from 'vitest';
import {
  type ModelFile,
  ModelFileError,
  parseModel,
  readModel,
  serializeModel,
} from '../../../src/engine/modelFile.ts';
import {
  trainedModelOf,
  type TrainedModel,
  TrainedModelError,
} from '../../../src/train/trainedModel.ts';
import { initParameters, type MlpArchitecture } from '../../../src/jet/mlp.ts';
import { architectureOf, resolveTrainingOptions } from '../../../src/train/options.ts';
import { type FuzzInput, fuzzCleanly, type FuzzTarget, mutatedInputs } from './fuzzInputs.ts';

const arch: MlpArchitecture = { widths: [3, 5, 4, 1], activation: 'tanh', boundary: 'ball' };
const training = resolveTrainingOptions({ dimension: 3, jetsPerPoint: 2, width: 5, depth: 2 });
const validText = serializeModel(arch, initParameters(arch, 7), {
  training: { ...training },
  metrics: { finalRelativeL2: 0.01, bestRelativeL2: 0.008, bestRelativeL2Step: 20 },
});

const target: FuzzTarget<ModelFile> = {
  errorClass: ModelFileError,
  parse: (input: FuzzInput) =>
    input.kind === 'text' ? parseModel(input.text) : readModel(input.value),
  revalidate: (model) => {
    const { architecture, parameters, training: record, metrics } = model;
    const again = parseModel(
      serializeModel(architecture, parameters, { training: record, metrics }),
    );
    expect(again).toEqual(model);
  },
};

describe('model file fuzz', () => {
  it('refuses 1500 mutated model files with a ModelFileError naming the field, or re-validates them', () => {
    // Mutations that stay valid exist (a metric scaled, a training value changed) but are few;
    // the fields listed show the mutations reach every part of the schema, per-number checks too.
    fuzzCleanly(target, mutatedInputs(1, 1500, JSON.parse(validText)), {
      minRejected: 1200,
      fields: [
        'the model',
        'format',
        'version',
        'architecture',
        'architecture.widths',
        'architecture.activation',
        'parameters',
        'parameters[…]',
        'metrics',
        'training',
      ],
    });
  });

  it('refuses declared sizes that do not match the data before allocating them', () => {
    const file = JSON.parse(validText) as Record<string, unknown>;
    const declared: [number[], RegExp][] = [
      // 2^24 inputs: more parameters than the limit, refused from the widths alone.
      [[1 << 24, 16, 1], /architecture\.widths describe a network of \d+ parameters, more than/],
      [[1 << 25, 1], /architecture\.widths\[0\] must be an integer in 1\.\.16777216, got 33554432/],
      // Within the limits (3·8192² floats, 800 MB) but the file's layers hold a few numbers.
      [
        [8192, 8192, 8192, 8192],
        /parameters\[0\]\.weight must have 67108864 numbers \(8192×8192, .*\), has 15/,
      ],
    ];
    for (const [widths, message] of declared) {
      const text = JSON.stringify({ ...file, architecture: { ...arch, widths } });
      const before = process.memoryUsage().arrayBuffers;
      const start = performance.now();
      expect(() => parseModel(text)).toThrow(message);
      expect(performance.now() - start).toBeLessThan(50);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
    }
  });

  it('refuses 1000 mutated trained models (as `jetpinn eval` reads them) or re-validates them', () => {
    // Widths follow from the options, so mutations of either side meet the consistency check.
    const trainedArch = architectureOf(training);
    const trainedText = serializeModel(trainedArch, initParameters(trainedArch, 3), {
      training: { ...training },
    });
    const trainedTarget: FuzzTarget<TrainedModel> = {
      errorClass: [ModelFileError, TrainedModelError],
      parse: (input) =>
        trainedModelOf(
          parseModel(input.kind === 'text' ? input.text : JSON.stringify(input.value)),
        ),
      revalidate: ({ model, options }) => {
        expect(resolveTrainingOptions({ ...options })).toEqual(options);
        expect(architectureOf(options)).toEqual(model.architecture);
      },
    };
    fuzzCleanly(trainedTarget, mutatedInputs(11, 1000, JSON.parse(trainedText)), {
      minRejected: 800,
      fields: ['training', 'architecture'],
    });
  });

  /** [what, text to find in the valid file, its replacement, expected message]. */
  const hostile: [string, string, string, RegExp][] = [
    [
      'constructor key in metrics',
      '"metrics":{',
      '"metrics":{"constructor":1,',
      /metrics has a forbidden field "constructor"/,
    ],
    [
      '__proto__ key in training',
      '"training":{',
      '"training":{"__proto__":{"x":1},',
      /training has a forbidden field "__proto__"/,
    ],
    [
      'prototype key deep in training',
      '"training":{',
      '"training":{"note":{"prototype":{"x":1}},',
      /training\.note has a forbidden field "prototype"/,
    ],
    [
      'deeply nested training',
      '"training":{',
      `"training":{"note":${'['.repeat(100_000)}${']'.repeat(100_000)},`,
      /training\.note(\[0\])+ is nested deeper than 8 levels/,
    ],
    [
      'a huge training record',
      '"training":{',
      `"training":{"note":"${'x'.repeat(1 << 17)}",`,
      /training is larger than 65536 characters of JSON/,
    ],
    [
      'a metric name that is markup',
      '"metrics":{',
      '"metrics":{"<b>x</b>":1,',
      /metrics has a field "<b>x<\/b>"; metric names are letters, digits and _/,
    ],
    [
      'a megabyte string as the activation',
      '"activation":"tanh"',
      `"activation":"${'x'.repeat(1 << 20)}"`,
      /architecture\.activation must be one of .*, got "x{40}"… \(1048576 characters\)/,
    ],
  ];
  it.each(hostile)('refuses %s with a short message', (_name, find, replacement, message) => {
    const text = validText.replace(find, replacement);
    expect(text).not.toBe(validText);
    let error: unknown;
    try {
      parseModel(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.length).toBeLessThan(400);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
