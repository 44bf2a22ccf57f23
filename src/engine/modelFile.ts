/**
 * The JSON model format: what a trained network is on disk, in the dashboard's export and in the
 * CLI. Loading validates every field against an explicit schema, so a corrupted, truncated or
 * hostile file gives a clear error naming the field, never a crash or a half-loaded model.
 *
 * {
 *   "format": "jetpinn-model",
 *   "version": 1,
 *   "architecture": { "widths": [d, h1, …, hL, out], "activation": "tanh", "boundary": "ball" },
 *   "parameters": [ { "weight": [out·in numbers, row-major [out][in]], "bias": [out numbers] }, … ],
 *   "training": { … optional: the PDE and options the model was trained with (JSON object) },
 *   "metrics": { … optional: name → finite number }
 * }
 */
import { ACTIVATIONS } from '../jet/activations.ts';
import {
  BOUNDARY_FACTORS,
  type AnyMlpParameters,
  type MlpArchitecture,
  type MlpParameters,
  validateParameters,
} from '../jet/mlp.ts';
import {
  describeValue,
  fieldPath,
  isPlainObject,
  type JsonValue,
  parseJsonText,
  SchemaReader,
} from '../validation/schema.ts';

export type { JsonValue } from '../validation/schema.ts';

export const modelFormat = 'jetpinn-model';
export const modelVersion = 1;

/** Upper bounds that keep a hostile file from making us allocate without limit. */
export const modelFileLimits = {
  maxLayers: 64,
  maxWidth: 1 << 24,
  maxParameters: 1 << 28,
  maxTrainingJsonBytes: 1 << 16,
  /** The training record is a flat options object; a little nesting is tolerated, not more. */
  maxTrainingDepth: 8,
  maxMetrics: 256,
};

/** Metric names are identifiers (finalRelativeL2, bestRelativeL2Step, …), at most 64 characters. */
const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export interface ModelFile {
  architecture: MlpArchitecture;
  parameters: MlpParameters<Float32Array>;
  training?: { [key: string]: JsonValue };
  metrics?: Record<string, number>;
}

export class ModelFileError extends Error {
  constructor(
    message: string,
    /** The path of the field the error is about (`parameters[1].weight[4]`). */
    readonly field = '',
  ) {
    super(`Invalid model file: ${message}`);
    this.name = 'ModelFileError';
  }
}

const schema: SchemaReader = new SchemaReader(
  (message, field) => new ModelFileError(message, field),
);

/** The readers of the model's parts, shared with the safetensors metadata (safetensorsModel.ts). */
export function readArchitecture(value: unknown): MlpArchitecture {
  const given = schema.object('architecture', value, ['widths', 'activation', 'boundary']);
  const { maxLayers, maxWidth, maxParameters } = modelFileLimits;
  const widths = given.widths;
  if (!Array.isArray(widths) || widths.length < 2 || widths.length > maxLayers + 1) {
    schema.expected(
      'architecture.widths',
      `an array of 2 to ${maxLayers + 1} positive integers`,
      widths,
    );
  }
  const sizes = widths.map((w: unknown, i) =>
    schema.integer(fieldPath('architecture.widths', i), w, 1, maxWidth),
  );
  let count = 0;
  for (let l = 0; l + 1 < sizes.length; l++) count += (sizes[l] + 1) * sizes[l + 1];
  if (count > maxParameters) {
    schema.fail(
      'architecture.widths',
      `describe a network of ${count} parameters, more than the limit of ${maxParameters}`,
    );
  }
  return {
    widths: sizes,
    activation: schema.oneOf('architecture.activation', given.activation, ACTIVATIONS),
    boundary: schema.oneOf('architecture.boundary', given.boundary, BOUNDARY_FACTORS),
  };
}

function readParameters(value: unknown, arch: MlpArchitecture): MlpParameters<Float32Array> {
  const layerCount = arch.widths.length - 1;
  if (!Array.isArray(value) || value.length !== layerCount) {
    schema.expected('parameters', `an array of ${layerCount} layers`, value);
  }
  return {
    layers: value.map((layer: unknown, l) => {
      const where = fieldPath('parameters', l);
      const given = schema.object(where, layer, ['weight', 'bias']);
      const inputs = arch.widths[l];
      const outputs = arch.widths[l + 1];
      return {
        weight: schema.float32Array(
          `${where}.weight`,
          given.weight,
          inputs * outputs,
          `${outputs}×${inputs}, from architecture.widths`,
        ),
        bias: schema.float32Array(`${where}.bias`, given.bias, outputs, 'from architecture.widths'),
      };
    }),
  };
}

export function readMetrics(value: unknown): Record<string, number> {
  if (!isPlainObject(value)) return schema.expected('metrics', 'an object name → number', value);
  const entries = Object.entries(value);
  if (entries.length > modelFileLimits.maxMetrics) {
    schema.fail('metrics', `has ${entries.length} entries, at most ${modelFileLimits.maxMetrics}`);
  }
  const metrics = Object.create(null) as Record<string, number>;
  for (const [name, x] of entries) {
    schema.checkKey('metrics', name);
    if (!METRIC_NAME.test(name)) {
      schema.fail(
        'metrics',
        `has a field ${describeValue(name)}; metric names are letters, digits and _ (at most 64)`,
      );
    }
    metrics[name] = schema.finite(fieldPath('metrics', name), x);
  }
  return metrics;
}

export function readTraining(value: unknown): { [key: string]: JsonValue } {
  if (!isPlainObject(value)) return schema.expected('training', 'an object', value);
  return schema.jsonTree('training', value, {
    maxDepth: modelFileLimits.maxTrainingDepth,
    maxChars: modelFileLimits.maxTrainingJsonBytes,
  }) as { [key: string]: JsonValue };
}

/** Validates a parsed JSON value as a model. */
export function readModel(value: unknown): ModelFile {
  const file = schema.object(
    '',
    value,
    ['format', 'version', 'architecture', 'parameters', 'training', 'metrics'],
    'the model',
  );
  if (file.format !== modelFormat) schema.expected('format', `"${modelFormat}"`, file.format);
  if (file.version !== modelVersion) {
    schema.fail(
      'version',
      `${describeValue(file.version)} is not supported (this build reads version ${modelVersion})`,
    );
  }
  const architecture = readArchitecture(file.architecture);
  const model: ModelFile = {
    architecture,
    parameters: readParameters(file.parameters, architecture),
  };
  // Kept as a record of how the model was trained; the commands that act on it (eval) validate
  // it as training options (train/trainedModel.ts).
  if (file.training !== undefined) model.training = readTraining(file.training);
  if (file.metrics !== undefined) model.metrics = readMetrics(file.metrics);
  return model;
}

/** Parses and validates model JSON text. */
export function parseModel(text: string): ModelFile {
  return readModel(parseJsonText(text, (message, field) => new ModelFileError(message, field)));
}

/** Serializes a model; float32 weights print exactly (every float32 is a float64). */
export function serializeModel(
  architecture: MlpArchitecture,
  parameters: AnyMlpParameters,
  extra: { training?: { [key: string]: JsonValue }; metrics?: Record<string, number> } = {},
): string {
  validateParameters(architecture, parameters);
  const file = {
    format: modelFormat,
    version: modelVersion,
    architecture: {
      widths: architecture.widths,
      activation: architecture.activation,
      boundary: architecture.boundary,
    },
    parameters: parameters.layers.map(({ weight, bias }) => ({
      weight: Array.from(Float32Array.from(weight)),
      bias: Array.from(Float32Array.from(bias)),
    })),
    ...extra,
  };
  return JSON.stringify(file);
}
