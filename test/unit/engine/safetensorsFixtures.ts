/**
 * Safetensors files built byte by byte with Node's Buffer, independently of the writer under test
 * (src/engine/safetensors.ts): the u64 little-endian header length, the header text as given,
 * then the float32 values little-endian.
 */

/** A file from a header (an object to stringify, or raw text) and the data's float32 values. */
export function safetensorsBytes(
  header: object | string,
  values: readonly number[] | Uint8Array,
  declaredLength?: bigint,
): Uint8Array {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(declaredLength ?? BigInt(text.length));
  let data: Buffer;
  if (values instanceof Uint8Array) {
    data = Buffer.from(values);
  } else {
    data = Buffer.alloc(values.length * 4);
    values.forEach((x, i) => data.writeFloatLE(x, i * 4));
  }
  return new Uint8Array(Buffer.concat([length, text, data]));
}

/** The network of the fixtures: widths [2, 3, 1], tanh, ball factor; 13 parameters. */
export const fixtureArchitecture = { widths: [2, 3, 1], activation: 'tanh', boundary: 'ball' };

/** Exactly representable float32 values, so the expected numbers need no rounding. */
export const fixtureValues = {
  w0: [0.5, -1, 0.25, 2, -0.75, 1.5],
  b0: [0.125, -0.5, 1],
  w1: [1, -2, 0.5],
  b1: [-0.25],
};

export const fixtureData: number[] = [
  ...fixtureValues.w0,
  ...fixtureValues.b0,
  ...fixtureValues.w1,
  ...fixtureValues.b1,
];

export function fixtureMetadata(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 'jetpinn-safetensors',
    version: '1',
    architecture: JSON.stringify(fixtureArchitecture),
    ...overrides,
  };
}

/** The fixture's tensor entries, in data order. */
export function fixtureEntries(): Record<
  string,
  { dtype: string; shape: number[]; data_offsets: number[] }
> {
  return {
    'linears.0.weight': { dtype: 'F32', shape: [3, 2], data_offsets: [0, 24] },
    'linears.0.bias': { dtype: 'F32', shape: [3], data_offsets: [24, 36] },
    'linears.1.weight': { dtype: 'F32', shape: [1, 3], data_offsets: [36, 48] },
    'linears.1.bias': { dtype: 'F32', shape: [1], data_offsets: [48, 52] },
  };
}

export function fixtureHeader(
  metadata: Record<string, unknown> = fixtureMetadata(),
  entries: Record<string, unknown> = fixtureEntries(),
): Record<string, unknown> {
  return { __metadata__: metadata, ...entries };
}
