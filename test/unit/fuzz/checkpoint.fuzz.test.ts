import { describe, expect, it } from 'vitest';
import { parameterLayout } from '../../../src/engine/jetLayout.ts';
import {
  type Checkpoint,
  CheckpointError,
  parseCheckpoint,
  readCheckpoint,
  serializeCheckpoint,
} from '../../../src/train/checkpoint.ts';
import { architectureOf, resolveTrainingOptions } from '../../../src/train/options.ts';
import { type FuzzInput, fuzzCleanly, type FuzzTarget, mutatedInputs } from './fuzzInputs.ts';

const options = resolveTrainingOptions({
  dimension: 3,
  jetsPerPoint: 2,
  width: 4,
  depth: 2,
  steps: 50,
});
const count = parameterLayout(architectureOf(options).widths).count;
const ramp = (scale: number) => Float32Array.from({ length: count }, (_, i) => scale * (i + 0.1));
const validText = serializeCheckpoint({
  options,
  state: { step: 20, parameters: ramp(1e-3), moments: { m: ramp(-1e-4), v: ramp(1e-6) } },
  logs: [
    { step: 10, loss: 3.25, gradientNorm: 1.5, learningRate: 1e-3 },
    { step: 20, loss: 2.125, gradientNorm: 1.25, learningRate: 5e-4 },
  ],
  evaluations: [
    { step: 0, relativeL2: 1, relativeL1: 1 },
    { step: 20, relativeL2: 0.5, relativeL1: 0.25 },
  ],
});

const target: FuzzTarget<Checkpoint> = {
  errorClass: CheckpointError,
  parse: (input: FuzzInput) =>
    input.kind === 'text' ? parseCheckpoint(input.text) : readCheckpoint(input.value),
  revalidate: (checkpoint) => {
    expect(parseCheckpoint(serializeCheckpoint(checkpoint))).toEqual(checkpoint);
  },
};

describe('checkpoint fuzz', () => {
  it('refuses 1500 mutated checkpoints with a CheckpointError naming the field, or re-validates them', () => {
    const report = fuzzCleanly(target, mutatedInputs(2, 1500, JSON.parse(validText)), {
      minRejected: 1200,
      fields: [
        'the checkpoint',
        'format',
        'version',
        'options',
        'step',
        'parameters',
        'parameters[…]',
        'moments',
        'moments.v[…]',
        'logs',
        'logs[…]',
        'evaluations[…]',
      ],
    });
    // Option fields are named one by one (options.width, …), not only as "options".
    const optionFields = [...report.fields.keys()].filter((f) => f.startsWith('options.'));
    expect(optionFields.length).toBeGreaterThan(5);
  });

  it('refuses absurd sizes implied by the options before allocating them', () => {
    const file = JSON.parse(validText) as Record<string, unknown>;
    const absurd = [
      // 10^7 inputs × 4096 × 32 layers: 4·10^10 parameters, a Float32Array V8 cannot even make.
      { dimension: 10_000_000, width: 4096, depth: 32, jetsPerPoint: 2 },
      { width: 4096, depth: 32 },
    ];
    for (const overrides of absurd) {
      const text = JSON.stringify({
        ...file,
        options: { ...(file.options as object), ...overrides },
      });
      const before = process.memoryUsage().arrayBuffers;
      const start = performance.now();
      expect(() => parseCheckpoint(text)).toThrow(
        /parameters must have \d+ numbers \(the network the options describe\), has \d+/,
      );
      expect(performance.now() - start).toBeLessThan(50);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
    }
  });

  it('refuses prototype keys anywhere and quotes long values in short messages', () => {
    const cases: [string, string, RegExp][] = [
      [
        '"options":{',
        '"options":{"constructor":{"prototype":{"x":1}},',
        /options has a forbidden field "constructor"/,
      ],
      ['"moments":{', '"moments":{"prototype":1,', /moments has a forbidden field "prototype"/],
      [
        '"evaluations":[{',
        '"evaluations":[{"__proto__":{"x":1},',
        /evaluations\[0\] has a forbidden field "__proto__"/,
      ],
      [
        '"pde":"allen-cahn-two-body"',
        `"pde":"${'y'.repeat(1 << 20)}"`,
        /options\.pde must be one of .*, got "y{40}"… \(1048576 characters\)/,
      ],
      ['"version":1', '"version":"1"', /version "1" is not supported/],
    ];
    for (const [find, replacement, message] of cases) {
      const text = validText.replace(find, replacement);
      expect(text).not.toBe(validText);
      expect(() => parseCheckpoint(text)).toThrow(message);
      try {
        parseCheckpoint(text);
      } catch (error) {
        expect((error as Error).message.length).toBeLessThan(600);
      }
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
