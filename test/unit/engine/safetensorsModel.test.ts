import { describe, expect, it } from 'vitest';
import { ModelFileError, parseModel, serializeModel } from '../../../src/engine/modelFile.ts';
import { parseModelBytes } from '../../../src/engine/modelFormats.ts';
import {
  parseSafetensorsModel,
  serializeSafetensorsModel,
} from '../../../src/engine/safetensorsModel.ts';
import { initParameters, type MlpArchitecture } from '../../../src/jet/mlp.ts';
import {
  fixtureArchitecture,
  fixtureData,
  fixtureEntries,
  fixtureHeader,
  fixtureMetadata,
  fixtureValues,
  safetensorsBytes,
} from './safetensorsFixtures.ts';

const arch = fixtureArchitecture as MlpArchitecture;

function refusal(bytes: Uint8Array): ModelFileError {
  try {
    parseSafetensorsModel(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelFileError);
    return error as ModelFileError;
  }
  throw new Error('the file was accepted');
}

describe('safetensors model files read from hand-built bytes', () => {
  it('reads every tensor at its offsets as the PyTorch layout [out, in]', () => {
    const model = parseSafetensorsModel(safetensorsBytes(fixtureHeader(), fixtureData));
    expect(model.architecture).toEqual(arch);
    expect(model.parameters.layers).toEqual([
      { weight: Float32Array.from(fixtureValues.w0), bias: Float32Array.from(fixtureValues.b0) },
      { weight: Float32Array.from(fixtureValues.w1), bias: Float32Array.from(fixtureValues.b1) },
    ]);
    expect(model.training).toBeUndefined();
    expect(model.metrics).toBeUndefined();
  });

  it('follows the offsets, not the order of the header or of the data', () => {
    // The biases first in the data, the header listing the last layer first.
    const header = fixtureHeader(fixtureMetadata(), {
      'linears.1.bias': { dtype: 'F32', shape: [1], data_offsets: [12, 16] },
      'linears.1.weight': { dtype: 'F32', shape: [1, 3], data_offsets: [40, 52] },
      'linears.0.weight': { dtype: 'F32', shape: [3, 2], data_offsets: [16, 40] },
      'linears.0.bias': { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
    });
    const { b0, b1, w0, w1 } = fixtureValues;
    const model = parseSafetensorsModel(safetensorsBytes(header, [...b0, ...b1, ...w0, ...w1]));
    expect(Array.from(model.parameters.layers[0].weight)).toEqual(w0);
    expect(Array.from(model.parameters.layers[1].bias)).toEqual(b1);
  });

  it('are written byte for byte as the format says: u64 length, space-padded header, LE floats', () => {
    const { w0, b0, w1, b1 } = fixtureValues;
    const parameters = {
      layers: [
        { weight: Float64Array.from(w0), bias: Float64Array.from(b0) },
        { weight: Float64Array.from(w1), bias: Float64Array.from(b1) },
      ],
    };
    let text = JSON.stringify(fixtureHeader());
    text += ' '.repeat((8 - (text.length % 8)) % 8);
    const written = serializeSafetensorsModel(arch, parameters);
    expect(Buffer.from(written).equals(Buffer.from(safetensorsBytes(text, fixtureData)))).toBe(
      true,
    );
    expect((8 + text.length) % 8).toBe(0);
  });

  it('round-trip a trained model exactly, and convert to the same model JSON', () => {
    const trainedArch: MlpArchitecture = {
      widths: [4, 6, 6, 2],
      activation: 'sin',
      boundary: 'ball2',
    };
    const parameters = initParameters(trainedArch, 11);
    const record = {
      training: { pde: 'poisson-two-body', dimension: 4, seed: 3, note: { nested: [1, 'x'] } },
      metrics: { finalStep: 40, finalRelativeL2: 0.125 },
    };
    const bytes = serializeSafetensorsModel(trainedArch, parameters, record);
    const json = serializeModel(trainedArch, parameters, record);
    expect(parseSafetensorsModel(bytes)).toEqual(parseModel(json));
    expect(serializeModel(trainedArch, parseSafetensorsModel(bytes).parameters, record)).toBe(json);
    expect(parseModelBytes('M.SAFETENSORS', bytes)).toEqual(parseModel(json));
    expect(parseModelBytes('m.json', new TextEncoder().encode(json))).toEqual(parseModel(json));
  });
});

describe('safetensors model files refused, with the field named', () => {
  const valid = (): [Record<string, unknown>, number[]] => [fixtureHeader(), [...fixtureData]];
  const entries = fixtureEntries();
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['too short', () => new Uint8Array(5), /the file has 5 bytes, fewer than the 8-byte header/],
    [
      'a header length over the cap',
      () => safetensorsBytes(fixtureHeader(), fixtureData, BigInt((1 << 20) + 1)),
      /header length is 1048577 bytes, more than the limit of 1048576/,
    ],
    [
      'a header length of 2^63',
      () => safetensorsBytes(fixtureHeader(), fixtureData, 2n ** 63n),
      /header length is \d+ bytes, more than the limit/,
    ],
    [
      'a header length past the end of the file',
      () => safetensorsBytes(fixtureHeader(), [], 5000n),
      /header length is 5000 bytes, but \d+ follow it: the file is truncated/,
    ],
    [
      'a header that is not UTF-8',
      () => safetensorsBytes('{"\xff"}', fixtureData, 5n).map((b, i) => (i === 10 ? 0xff : b)),
      /header is not UTF-8 text/,
    ],
    ['a header that is not JSON', () => safetensorsBytes('{"a":', []), /header is not valid JSON/],
    [
      'a header that is an array',
      () => safetensorsBytes('[1,2]', []),
      /header must be a JSON object, got an array/,
    ],
    [
      'an F64 tensor',
      () => {
        const [header, data] = valid();
        header['linears.1.bias'] = { dtype: 'F64', shape: [1], data_offsets: [48, 52] };
        return safetensorsBytes(header, data);
      },
      /header\["linears\.1\.bias"\]\.dtype is "F64"; only F32 \(float32\) tensors are read/,
    ],
    [
      'a truncated file',
      () => safetensorsBytes(fixtureHeader(), fixtureData.slice(0, -1)),
      /header\["linears\.1\.bias"\]\.data_offsets end at byte 52, past the 48 bytes of data: the file is truncated/,
    ],
    [
      'overlapping offsets',
      () => {
        const [header, data] = valid();
        header['linears.0.bias'] = { dtype: 'F32', shape: [3], data_offsets: [20, 32] };
        return safetensorsBytes(header, data);
      },
      /header\["linears\.0\.bias"\]\.data_offsets overlap those of "linears\.0\.weight"/,
    ],
    [
      'a gap between tensors',
      () => {
        const [header, data] = valid();
        header['linears.1.bias'] = { dtype: 'F32', shape: [1], data_offsets: [52, 56] };
        return safetensorsBytes(header, [...data, 0]);
      },
      /header\["linears\.1\.bias"\]\.data_offsets begin at byte 52, leaving bytes 48\.\.52 unused/,
    ],
    [
      'bytes after the last tensor',
      () => safetensorsBytes(fixtureHeader(), [...fixtureData, 7]),
      /header accounts for 52 bytes of data, but 56 follow it/,
    ],
    [
      'offsets that do not fit the shape',
      () => {
        const [header, data] = valid();
        header['linears.0.weight'] = { dtype: 'F32', shape: [3, 3], data_offsets: [0, 24] };
        return safetensorsBytes(header, data);
      },
      /header\["linears\.0\.weight"\]\.data_offsets span 24 bytes, but shape \[3, 3\] of F32 needs 36/,
    ],
    [
      'offsets in the wrong order',
      () => {
        const [header, data] = valid();
        header['linears.0.weight'] = { dtype: 'F32', shape: [3, 2], data_offsets: [24, 0] };
        return safetensorsBytes(header, data);
      },
      /header\["linears\.0\.weight"\]\.data_offsets end 0 is before begin 24/,
    ],
    [
      'a shape transposed against the architecture',
      () => {
        const [header, data] = valid();
        header['linears.0.weight'] = { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] };
        return safetensorsBytes(header, data);
      },
      /header\["linears\.0\.weight"\]\.shape is \[2, 3\], but architecture\.widths need \[3, 2\]/,
    ],
    [
      'a missing tensor',
      () => {
        const [header, data] = valid();
        delete header['linears.1.bias'];
        return safetensorsBytes(header, data.slice(0, -1));
      },
      /header\["linears\.1\.bias"\] is missing \(architecture\.widths need it\)/,
    ],
    [
      'a tensor the network does not have',
      () => {
        const [header, data] = valid();
        header['linears.2.weight'] = { dtype: 'F32', shape: [1], data_offsets: [52, 56] };
        return safetensorsBytes(header, [...data, 0]);
      },
      /header\["linears\.2\.weight"\] is not a tensor of this network \(linears\.0\.weight … linears\.1\.bias\)/,
    ],
    [
      'a __proto__ tensor',
      () =>
        safetensorsBytes(
          JSON.stringify(fixtureHeader()).replace('"linears.1.bias"', '"__proto__"'),
          fixtureData,
        ),
      /header has a forbidden field "__proto__"/,
    ],
    [
      'an unknown field in an entry',
      () => {
        const [header, data] = valid();
        header['linears.1.bias'] = { ...entries['linears.1.bias'], align: 8 };
        return safetensorsBytes(header, data);
      },
      /header\["linears\.1\.bias"\] has an unknown field "align"/,
    ],
    [
      'no metadata',
      () => safetensorsBytes(fixtureEntries(), fixtureData),
      /__metadata__ is missing: a jetpinn model records its format, version and architecture there/,
    ],
    [
      'a metadata value that is not a string',
      () =>
        safetensorsBytes(
          fixtureHeader(fixtureMetadata({ architecture: fixtureArchitecture })),
          fixtureData,
        ),
      /__metadata__\.architecture must be a string \(metadata values are text\), got an object/,
    ],
    [
      'an unknown metadata key',
      () => safetensorsBytes(fixtureHeader(fixtureMetadata({ author: 'x' })), fixtureData),
      /__metadata__ has an unknown field "author"/,
    ],
    [
      'another format',
      () => safetensorsBytes(fixtureHeader(fixtureMetadata({ format: 'pt' })), fixtureData),
      /__metadata__\.format must be "jetpinn-safetensors", got "pt"/,
    ],
    [
      'a later version',
      () => safetensorsBytes(fixtureHeader(fixtureMetadata({ version: '2' })), fixtureData),
      /__metadata__\.version "2" is not supported \(this build reads version "1"\)/,
    ],
    [
      'an architecture that is not JSON',
      () =>
        safetensorsBytes(fixtureHeader(fixtureMetadata({ architecture: '{widths' })), fixtureData),
      /__metadata__\.architecture is not valid JSON/,
    ],
    [
      'an unknown activation',
      () =>
        safetensorsBytes(
          fixtureHeader(
            fixtureMetadata({
              architecture: JSON.stringify({ ...fixtureArchitecture, activation: 'relu' }),
            }),
          ),
          fixtureData,
        ),
      /architecture\.activation must be one of tanh, sin, softplus, identity, got "relu"/,
    ],
    [
      'a copied value that disagrees with the training record',
      () =>
        safetensorsBytes(
          fixtureHeader(fixtureMetadata({ training: '{"dimension":2}', dimension: '3' })),
          fixtureData,
        ),
      /__metadata__\.dimension is "3", but __metadata__\.training records "2"/,
    ],
    [
      'a copied value that is missing',
      () =>
        safetensorsBytes(fixtureHeader(fixtureMetadata({ metrics: '{"step":7}' })), fixtureData),
      /__metadata__\.step is nothing \(the field is missing\), but __metadata__\.metrics records "7"/,
    ],
    [
      'a non-finite metric',
      () =>
        safetensorsBytes(
          fixtureHeader(fixtureMetadata({ metrics: '{"loss":1e999}' })),
          fixtureData,
        ),
      /metrics\.loss must be a finite number, got Infinity/,
    ],
    [
      'a NaN weight',
      () => {
        const data = [...fixtureData];
        data[1] = NaN;
        return safetensorsBytes(fixtureHeader(), data);
      },
      /data\["linears\.0\.weight"\]\[1\] is NaN; weights must be finite/,
    ],
  ];

  it.each(cases)('%s', (_name, bytes, message) => {
    const error = refusal(bytes());
    expect(error.message).toMatch(/^Invalid model file: /);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(error.field);
    expect(error.message.length).toBeLessThan(300);
  });
});
