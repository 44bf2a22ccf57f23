/**
 * The safetensors container (the format of Hugging Face's `safetensors`, read by PyTorch, NumPy,
 * JAX and Flax), float32 tensors only:
 *
 *   [8 bytes: header length N, unsigned little-endian]
 *   [N bytes: JSON { name: { "dtype": "F32", "shape": [...], "data_offsets": [begin, end] }, …,
 *              "__metadata__": { string: string } }, padded with spaces]
 *   [data: each tensor's row-major little-endian bytes at data_offsets, relative to the data start]
 *
 * Reading is as strict as the JSON formats: a capped header length checked before anything is
 * decoded, a closed schema for every entry, F32 only, offsets inside the data, and the tensors
 * tiling the data exactly (contiguous, non-overlapping, nothing after the last), so no byte is
 * read twice or left unexplained. Errors come from the caller's factory and name the field.
 */
import {
  describeValue,
  fieldPath,
  isPlainObject,
  parseJsonText,
  type SchemaErrorFactory,
  SchemaReader,
} from '../validation/schema.ts';

export const METADATA_KEY = '__metadata__';

/** Caps that keep a hostile header from costing more than reading a small JSON text. */
export const safetensorsLimits = {
  /** Far above any header we write (a 64-layer network's entries and a 64 KiB training record). */
  maxHeaderBytes: 1 << 20,
  maxTensors: 1024,
  maxRank: 8,
  maxMetadataEntries: 64,
};

export interface NamedTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/** Where one tensor's bytes are, relative to the start of the data. */
export interface TensorEntry {
  name: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** null when the file has no `__metadata__`. */
  metadata: Map<string, string> | null;
  tensors: Map<string, TensorEntry>;
  /** Byte offset of the data in the file. */
  dataStart: number;
}

const FLOAT32_BYTES = 4;

/** The header's JSON text padded with spaces so the data starts 8-byte aligned, as upstream does. */
function paddedHeader(header: object): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  padded.set(json);
  return padded;
}

/** One file holding `tensors` in the order given, back to back, and the metadata. */
export function encodeSafetensors(
  tensors: readonly NamedTensor[],
  metadata: Readonly<Record<string, string>>,
): Uint8Array<ArrayBuffer> {
  let offset = 0;
  const entries = tensors.map(({ name, shape, data }) => {
    const begin = offset;
    offset += data.length * FLOAT32_BYTES;
    return [name, { dtype: 'F32', shape, data_offsets: [begin, offset] }] as const;
  });
  const header = paddedHeader(Object.fromEntries([[METADATA_KEY, metadata], ...entries]));
  const bytes = new Uint8Array(8 + header.length + offset);
  const view = new DataView(bytes.buffer);
  // The length is a u64; ours fit the low 32 bits (the high word stays 0).
  view.setUint32(0, header.length, true);
  bytes.set(header, 8);
  // Written through a DataView so the file is little-endian whatever the machine's byte order.
  let at = 8 + header.length;
  for (const { data } of tensors) {
    for (let i = 0; i < data.length; i++, at += FLOAT32_BYTES) view.setFloat32(at, data[i], true);
  }
  return bytes;
}

function readHeaderLength(bytes: Uint8Array, schema: SchemaReader): number {
  if (bytes.length < 8) {
    schema.fail(
      'the file',
      `has ${bytes.length} bytes, fewer than the 8-byte header length of a safetensors file`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const high = view.getUint32(4, true);
  const length = high * 2 ** 32 + view.getUint32(0, true);
  const { maxHeaderBytes } = safetensorsLimits;
  if (high !== 0 || length > maxHeaderBytes) {
    schema.fail('header length', `is ${length} bytes, more than the limit of ${maxHeaderBytes}`);
  }
  if (length < 2 || 8 + length > bytes.length) {
    schema.fail(
      'header length',
      `is ${length} bytes, but ${bytes.length - 8} follow it: the file is truncated or not safetensors`,
    );
  }
  return length;
}

function readMetadata(value: unknown, schema: SchemaReader): Map<string, string> {
  if (!isPlainObject(value)) return schema.expected(METADATA_KEY, 'an object', value);
  // Only prototype keys are refused here; which keys belong is the model's to decide.
  const entries = Object.entries(value);
  if (entries.length > safetensorsLimits.maxMetadataEntries) {
    schema.fail(
      METADATA_KEY,
      `has ${entries.length} entries, at most ${safetensorsLimits.maxMetadataEntries}`,
    );
  }
  const metadata = new Map<string, string>();
  for (const [key, text] of entries) {
    schema.checkKey(METADATA_KEY, key);
    if (typeof text !== 'string') {
      schema.expected(fieldPath(METADATA_KEY, key), 'a string (metadata values are text)', text);
    }
    metadata.set(key, text);
  }
  return metadata;
}

function readShape(where: string, value: unknown, schema: SchemaReader): number[] {
  const dims = schema.array(where, value, 0, safetensorsLimits.maxRank);
  return dims.map((n, i) => schema.integer(fieldPath(where, i), n, 0, 2 ** 31));
}

function readEntry(
  name: string,
  value: unknown,
  dataBytes: number,
  schema: SchemaReader,
): TensorEntry {
  const where = fieldPath('header', name);
  const given = schema.object(where, value, ['dtype', 'shape', 'data_offsets']);
  if (given.dtype !== 'F32') {
    schema.fail(
      `${where}.dtype`,
      `is ${describeValue(given.dtype)}; only F32 (float32) tensors are read`,
    );
  }
  const shape = readShape(`${where}.shape`, given.shape, schema);
  const offsets = schema.array(`${where}.data_offsets`, given.data_offsets, 2, 2);
  const [begin, end] = offsets.map((n, i) =>
    schema.integer(fieldPath(`${where}.data_offsets`, i), n, 0, Number.MAX_SAFE_INTEGER),
  );
  if (end < begin) schema.fail(`${where}.data_offsets`, `end ${end} is before begin ${begin}`);
  if (end > dataBytes) {
    schema.fail(
      `${where}.data_offsets`,
      `end at byte ${end}, past the ${dataBytes} bytes of data: the file is truncated`,
    );
  }
  const count = shape.reduce((n, d) => n * d, 1);
  if (end - begin !== count * FLOAT32_BYTES) {
    schema.fail(
      `${where}.data_offsets`,
      `span ${end - begin} bytes, but shape [${shape.join(', ')}] of F32 needs ${count * FLOAT32_BYTES}`,
    );
  }
  return { name, shape, begin, end };
}

/** The tensors must tile the data: sorted by offset, each starts where the previous ended. */
function checkTiling(
  entries: readonly TensorEntry[],
  dataBytes: number,
  schema: SchemaReader,
): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previous: TensorEntry | null = null;
  for (const entry of sorted) {
    const expected = previous?.end ?? 0;
    const where = `${fieldPath('header', entry.name)}.data_offsets`;
    if (entry.begin < expected) {
      schema.fail(where, `overlap those of ${describeValue(previous?.name)}`);
    }
    if (entry.begin > expected) {
      schema.fail(
        where,
        `begin at byte ${entry.begin}, leaving bytes ${expected}..${entry.begin} unused`,
      );
    }
    previous = entry;
  }
  const covered = previous?.end ?? 0;
  if (covered !== dataBytes) {
    schema.fail('header', `accounts for ${covered} bytes of data, but ${dataBytes} follow it`);
  }
}

/** The validated header; the data is read per tensor with `readTensor`. */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  makeError: SchemaErrorFactory,
): SafetensorsHeader {
  const schema = new SchemaReader(makeError);
  const length = readHeaderLength(bytes, schema);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + length));
  } catch {
    return schema.fail('header', 'is not UTF-8 text');
  }
  const value = parseJsonText(text, makeError, 'header');
  if (!isPlainObject(value)) return schema.expected('header', 'a JSON object', value);
  const dataStart = 8 + length;
  const dataBytes = bytes.length - dataStart;
  const names = Object.keys(value).filter((key) => key !== METADATA_KEY);
  if (names.length > safetensorsLimits.maxTensors) {
    schema.fail('header', `lists ${names.length} tensors, at most ${safetensorsLimits.maxTensors}`);
  }
  const tensors = new Map<string, TensorEntry>();
  for (const name of names) {
    schema.checkKey('header', name);
    tensors.set(name, readEntry(name, value[name], dataBytes, schema));
  }
  checkTiling([...tensors.values()], dataBytes, schema);
  const metadata = METADATA_KEY in value ? readMetadata(value[METADATA_KEY], schema) : null;
  return { metadata, tensors, dataStart };
}

/** One tensor's values (little-endian in the file, whatever the machine's byte order). */
export function readTensor(
  bytes: Uint8Array,
  header: SafetensorsHeader,
  entry: TensorEntry,
): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataStart + entry.begin);
  const values = new Float32Array((entry.end - entry.begin) / FLOAT32_BYTES);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * FLOAT32_BYTES, true);
  return values;
}
