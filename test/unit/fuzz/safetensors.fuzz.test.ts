import { describe, expect, it } from 'vitest';
import { type ModelFile, ModelFileError } from '../../../src/engine/modelFile.ts';
import {
  parseSafetensorsModel,
  serializeSafetensorsModel,
} from '../../../src/engine/safetensorsModel.ts';
import { initParameters, type MlpArchitecture } from '../../../src/jet/mlp.ts';
import { resolveTrainingOptions } from '../../../src/train/options.ts';
import { safetensorsBytes } from '../engine/safetensorsFixtures.ts';
import {
  type FuzzInput,
  Fuzzer,
  fuzzCleanly,
  type FuzzTarget,
  mutatedInput,
  toJsonText,
} from './fuzzInputs.ts';

const arch: MlpArchitecture = { widths: [3, 5, 4, 1], activation: 'tanh', boundary: 'ball' };
const training = resolveTrainingOptions({ dimension: 3, jetsPerPoint: 2, width: 5, depth: 2 });
const valid = serializeSafetensorsModel(arch, initParameters(arch, 7), {
  training: { ...training },
  metrics: { step: 30, relativeL2: 0.01, bestRelativeL2: 0.008 },
});
const headerLength = new DataView(valid.buffer).getUint32(0, true);
const validHeader = JSON.parse(
  new TextDecoder().decode(valid.subarray(8, 8 + headerLength)),
) as Record<string, unknown>;
const validData = valid.subarray(8 + headerLength);
const metadata = validHeader.__metadata__ as Record<string, string>;

const target: FuzzTarget<ModelFile, Uint8Array> = {
  errorClass: ModelFileError,
  parse: parseSafetensorsModel,
  revalidate: (model) => {
    const { architecture, parameters, training: record, metrics } = model;
    const again = serializeSafetensorsModel(architecture, parameters, {
      training: record,
      metrics,
    });
    expect(parseSafetensorsModel(again)).toEqual(model);
  },
  describe: (bytes) =>
    `${bytes.length} bytes: ${Buffer.from(bytes.subarray(0, 120)).toString('hex')}`,
};

function textOf(input: FuzzInput): string {
  return input.kind === 'text' ? input.text : (JSON.stringify(input.value) ?? 'null');
}

/** The header mutated as JSON (structure, types, offsets, shapes, dtypes), with the data kept. */
function* mutatedHeaders(seed: number, count: number): Generator<Uint8Array> {
  const f = new Fuzzer(seed);
  for (let i = 0; i < count; i++) {
    yield safetensorsBytes(textOf(mutatedInput(f, validHeader)), validData);
  }
}

/** One metadata JSON value (architecture, training, metrics) mutated inside its string. */
function* mutatedMetadata(seed: number, count: number): Generator<Uint8Array> {
  const f = new Fuzzer(seed);
  const keys = ['architecture', 'training', 'metrics'] as const;
  for (let i = 0; i < count; i++) {
    const key = f.pick(keys);
    const text = textOf(mutatedInput(f, JSON.parse(metadata[key])));
    const header = { ...validHeader, __metadata__: { ...metadata, [key]: text } };
    yield safetensorsBytes(toJsonText(header), validData);
  }
}

/** Damage to the bytes: truncation, flipped bytes, a rewritten header length, trailing bytes. */
function* damagedBytes(seed: number, count: number): Generator<Uint8Array> {
  const f = new Fuzzer(seed);
  for (let i = 0; i < count; i++) {
    const bytes = valid.slice();
    switch (f.below(4)) {
      case 0:
        yield bytes.subarray(0, f.below(bytes.length));
        break;
      case 1: {
        const flips = 1 + f.below(4);
        for (let k = 0; k < flips; k++) bytes[f.below(bytes.length)] ^= 1 << f.below(8);
        yield bytes;
        break;
      }
      case 2: {
        const view = new DataView(bytes.buffer);
        const length = f.pick([0, 1, headerLength - 1, headerLength + 4, 1 << 20, 2 ** 32 - 1]);
        view.setUint32(0, length, true);
        view.setUint32(4, f.pick([0, 0, 1, 0xffffffff]), true);
        yield bytes;
        break;
      }
      default: {
        const extra = new Uint8Array(f.pick([1, 3, 4, 1000])).fill(f.below(256));
        yield new Uint8Array([...bytes, ...extra]);
      }
    }
  }
}

describe('safetensors reader fuzz', () => {
  it('refuses 1500 mutated headers with a ModelFileError naming the field, or re-validates them', () => {
    fuzzCleanly(target, mutatedHeaders(1, 1500), {
      minRejected: 1400,
      fields: [
        'header',
        'header[…]',
        '__metadata__',
        '__metadata__.format',
        '__metadata__.version',
        '__metadata__.step',
      ],
    });
  });

  it('refuses 1000 files whose metadata JSON is mutated, naming the field', () => {
    // Many training mutations stay valid: the record is kept, not interpreted, by the reader.
    fuzzCleanly(target, mutatedMetadata(2, 1000), {
      minRejected: 700,
      fields: [
        'architecture',
        'architecture.widths',
        'architecture.activation',
        'training',
        'metrics',
        '__metadata__.architecture',
        '__metadata__.step',
      ],
    });
  });

  it('refuses 1500 truncated, bit-flipped, re-lengthed or extended files', () => {
    // Flips inside a float's mantissa leave a valid file with other weights: those re-validate.
    fuzzCleanly(target, damagedBytes(3, 1500), {
      minRejected: 1400,
      fields: ['the file', 'header length', 'header', 'header[…]'],
    });
  });

  it('refuses declared shapes and lengths that do not match the data before allocating them', () => {
    const entry = (shape: number[], data_offsets: number[]) => ({
      ...validHeader,
      'linears.0.weight': { dtype: 'F32', shape, data_offsets },
    });
    const hostile: [Uint8Array, RegExp][] = [
      [
        safetensorsBytes(entry([8192, 8192, 8192], [0, 60]), validData),
        /span 60 bytes, but shape \[8192, 8192, 8192\] of F32 needs 2199023255552/,
      ],
      [
        safetensorsBytes(entry([5, 3], [0, 2 ** 40]), validData),
        /data_offsets end at byte 1099511627776, past the \d+ bytes of data/,
      ],
      [safetensorsBytes(validHeader, validData, 2n ** 64n - 1n), /more than the limit/],
    ];
    for (const [bytes, message] of hostile) {
      const before = process.memoryUsage().arrayBuffers;
      const start = performance.now();
      expect(() => parseSafetensorsModel(bytes)).toThrow(message);
      expect(performance.now() - start).toBeLessThan(50);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
    }
  });
});
