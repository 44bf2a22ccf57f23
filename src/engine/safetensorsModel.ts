/**
 * A model as a safetensors file (safetensors.ts) with the PyTorch / DeepXDE layout of a fully
 * connected network, so `load_state_dict` of a module whose `nn.ModuleList` is named `linears`
 * takes the file's keys as they are:
 *
 *   linears.{l}.weight  F32 [out, in]   (nn.Linear's layout, our row-major [out][in])
 *   linears.{l}.bias    F32 [out]
 *
 * and `__metadata__` (string → string, as safetensors requires):
 *   format "jetpinn-safetensors", version "1",
 *   architecture  JSON {"widths", "activation", "boundary"}  (the model JSON's, modelFile.ts)
 *   training      JSON of the training options, when known
 *   metrics       JSON name → number, when known
 *   pde, dimension, seed, step  copies of training / metrics values, for readers that only want
 *                 those; a file whose copies disagree with the JSON they copy is refused.
 *
 * The metadata goes through the same readers as the model JSON's fields, so both formats accept
 * exactly the same models.
 */
import {
  type AnyMlpParameters,
  type MlpArchitecture,
  type MlpParameters,
  validateParameters,
} from '../jet/mlp.ts';
import { describeValue, fieldPath, parseJsonText, SchemaReader } from '../validation/schema.ts';
import {
  type ModelFile,
  ModelFileError,
  readArchitecture,
  readMetrics,
  readTraining,
} from './modelFile.ts';
import {
  encodeSafetensors,
  METADATA_KEY,
  type NamedTensor,
  readSafetensorsHeader,
  readTensor,
  type SafetensorsHeader,
  type TensorEntry,
} from './safetensors.ts';

export const safetensorsFormat = 'jetpinn-safetensors';
export const safetensorsVersion = '1';

/** What a model records beside its network. */
export type ModelRecord = Pick<ModelFile, 'training' | 'metrics'>;

const SUMMARY_KEYS = ['pde', 'dimension', 'seed', 'step'] as const;
const METADATA_KEYS: readonly string[] = [
  'format',
  'version',
  'architecture',
  'training',
  'metrics',
  ...SUMMARY_KEYS,
];

const makeError = (message: string, field: string) => new ModelFileError(message, field);
const schema: SchemaReader = new SchemaReader(makeError);

function weightName(layer: number): string {
  return `linears.${layer}.weight`;
}

function biasName(layer: number): string {
  return `linears.${layer}.bias`;
}

/** Each layer's tensor names and the shapes the architecture gives them. */
function layout(widths: readonly number[]): [name: string, shape: number[]][] {
  return widths.slice(1).flatMap((outputs, l): [string, number[]][] => [
    [weightName(l), [outputs, widths[l]]],
    [biasName(l), [outputs]],
  ]);
}

/** The copies of training and metrics values that the metadata carries as plain strings. */
function summaryOf({ training, metrics }: ModelRecord): Map<string, string> {
  const summary = new Map<string, string>();
  for (const key of ['pde', 'dimension', 'seed'] as const) {
    const value = training?.[key];
    if (typeof value === 'string' || typeof value === 'number') summary.set(key, String(value));
  }
  // The dashboard records `step`, `jetpinn train` `finalStep`.
  const step = metrics?.step ?? metrics?.finalStep;
  if (step !== undefined) summary.set('step', String(step));
  return summary;
}

function metadataOf(architecture: MlpArchitecture, record: ModelRecord): Record<string, string> {
  const { widths, activation, boundary } = architecture;
  const metadata: Record<string, string> = {
    format: safetensorsFormat,
    version: safetensorsVersion,
    architecture: JSON.stringify({ widths, activation, boundary }),
  };
  if (record.training !== undefined) metadata.training = JSON.stringify(record.training);
  if (record.metrics !== undefined) metadata.metrics = JSON.stringify(record.metrics);
  for (const [key, value] of summaryOf(record)) metadata[key] = value;
  return metadata;
}

/** The model as one safetensors file of float32 tensors, layer by layer. */
export function serializeSafetensorsModel(
  architecture: MlpArchitecture,
  parameters: AnyMlpParameters,
  record: ModelRecord = {},
): Uint8Array<ArrayBuffer> {
  validateParameters(architecture, parameters);
  const arrays = parameters.layers.flatMap(({ weight, bias }) => [weight, bias]);
  const tensors: NamedTensor[] = layout(architecture.widths).map(([name, shape], i) => ({
    name,
    shape,
    data: Float32Array.from(arrays[i]),
  }));
  return encodeSafetensors(tensors, metadataOf(architecture, record));
}

function metadataJson(metadata: Map<string, string>, key: string): unknown {
  const text = metadata.get(key);
  return text === undefined ? undefined : parseJsonText(text, makeError, `${METADATA_KEY}.${key}`);
}

function checkSummary(metadata: Map<string, string>, record: ModelRecord): void {
  const expected = summaryOf(record);
  for (const key of SUMMARY_KEYS) {
    const given = metadata.get(key);
    const copied = expected.get(key);
    if (given === copied) continue;
    const source = key === 'step' ? 'metrics' : 'training';
    schema.fail(
      `${METADATA_KEY}.${key}`,
      `is ${describeValue(given)}, but ${METADATA_KEY}.${source} records ${describeValue(copied)}`,
    );
  }
}

function readMetadata(metadata: Map<string, string> | null): {
  architecture: MlpArchitecture;
  record: ModelRecord;
} {
  if (metadata === null) {
    return schema.fail(
      METADATA_KEY,
      'is missing: a jetpinn model records its format, version and architecture there',
    );
  }
  for (const key of metadata.keys()) schema.checkKey(METADATA_KEY, key, METADATA_KEYS);
  const format = metadata.get('format');
  if (format !== safetensorsFormat) {
    schema.expected(`${METADATA_KEY}.format`, `"${safetensorsFormat}"`, format);
  }
  const version = metadata.get('version');
  if (version !== safetensorsVersion) {
    schema.fail(
      `${METADATA_KEY}.version`,
      `${describeValue(version)} is not supported (this build reads version "${safetensorsVersion}")`,
    );
  }
  const architecture = readArchitecture(metadataJson(metadata, 'architecture'));
  const training = metadataJson(metadata, 'training');
  const metrics = metadataJson(metadata, 'metrics');
  const record: ModelRecord = {};
  if (training !== undefined) record.training = readTraining(training);
  if (metrics !== undefined) record.metrics = readMetrics(metrics);
  checkSummary(metadata, record);
  return { architecture, record };
}

/** The file holds exactly the network's tensors, each of its shape; checked before any is read. */
function checkLayout(header: SafetensorsHeader, expected: Map<string, number[]>): void {
  const names = [...expected.keys()];
  for (const name of header.tensors.keys()) {
    if (!expected.has(name)) {
      schema.fail(
        fieldPath('header', name),
        `is not a tensor of this network (${names[0]} … ${names[names.length - 1]})`,
      );
    }
  }
  for (const [name, shape] of expected) {
    const entry = header.tensors.get(name);
    if (entry === undefined) {
      schema.fail(fieldPath('header', name), 'is missing (architecture.widths need it)');
    }
    if (entry.shape.join(',') !== shape.join(',')) {
      schema.fail(
        `${fieldPath('header', name)}.shape`,
        `is [${entry.shape.join(', ')}], but architecture.widths need [${shape.join(', ')}]`,
      );
    }
  }
}

function readFinite(bytes: Uint8Array, header: SafetensorsHeader, name: string): Float32Array {
  // checkLayout has made sure every tensor of the network is there.
  const values = readTensor(bytes, header, header.tensors.get(name) as TensorEntry);
  const bad = values.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    schema.fail(`${fieldPath('data', name)}[${bad}]`, `is ${values[bad]}; weights must be finite`);
  }
  return values;
}

function readLayers(
  bytes: Uint8Array,
  header: SafetensorsHeader,
  widths: readonly number[],
): MlpParameters<Float32Array> {
  checkLayout(header, new Map(layout(widths)));
  return {
    layers: widths.slice(1).map((_, l) => ({
      weight: readFinite(bytes, header, weightName(l)),
      bias: readFinite(bytes, header, biasName(l)),
    })),
  };
}

/** Parses and validates a safetensors model; a bad file throws a ModelFileError naming the field. */
export function parseSafetensorsModel(bytes: Uint8Array): ModelFile {
  const header = readSafetensorsHeader(bytes, makeError);
  const { architecture, record } = readMetadata(header.metadata);
  return { architecture, parameters: readLayers(bytes, header, architecture.widths), ...record };
}
