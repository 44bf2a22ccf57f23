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
import { ACTIVATIONS, type Activation } from '../jet/activations.ts';
import {
  BOUNDARY_FACTORS,
  type AnyMlpParameters,
  type BoundaryFactor,
  type MlpArchitecture,
  type MlpParameters,
  validateParameters,
} from '../jet/mlp.ts';

export const modelFormat = 'jetpinn-model';
export const modelVersion = 1;

/** Upper bounds that keep a hostile file from making us allocate without limit. */
export const modelFileLimits = {
  maxLayers: 64,
  maxWidth: 1 << 24,
  maxParameters: 1 << 28,
  maxTrainingJsonBytes: 1 << 16,
};

export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface ModelFile {
  architecture: MlpArchitecture;
  parameters: MlpParameters<Float32Array>;
  training?: { [key: string]: JsonValue };
  metrics?: Record<string, number>;
}

export class ModelFileError extends Error {
  constructor(message: string) {
    super(`Invalid model file: ${message}`);
    this.name = 'ModelFileError';
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(
  where: string,
  value: Record<string, unknown>,
  allowed: readonly string[],
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ModelFileError(
        `${where} has an unknown field ${JSON.stringify(key)} (allowed: ${allowed.join(', ')})`,
      );
    }
  }
}

function readNumbers(where: string, value: unknown, length: number): Float32Array {
  if (!Array.isArray(value)) throw new ModelFileError(`${where} must be an array of numbers`);
  if (value.length !== length) {
    throw new ModelFileError(`${where} must have ${length} numbers, has ${value.length}`);
  }
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const x: unknown = value[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new ModelFileError(`${where}[${i}] must be a finite number, got ${JSON.stringify(x)}`);
    }
    out[i] = x;
    if (!Number.isFinite(out[i])) {
      throw new ModelFileError(`${where}[${i}] = ${x} is outside the float32 range`);
    }
  }
  return out;
}

function readArchitecture(value: unknown): MlpArchitecture {
  if (!isPlainObject(value)) throw new ModelFileError('architecture must be an object');
  checkKeys('architecture', value, ['widths', 'activation', 'boundary']);
  const { widths, activation, boundary } = value;
  if (
    !Array.isArray(widths) ||
    widths.length < 2 ||
    widths.length > modelFileLimits.maxLayers + 1
  ) {
    throw new ModelFileError(
      `architecture.widths must be an array of 2 to ${modelFileLimits.maxLayers + 1} positive integers`,
    );
  }
  widths.forEach((w: unknown, i) => {
    if (
      typeof w !== 'number' ||
      !Number.isSafeInteger(w) ||
      w < 1 ||
      w > modelFileLimits.maxWidth
    ) {
      throw new ModelFileError(
        `architecture.widths[${i}] must be an integer in 1..${modelFileLimits.maxWidth}, got ${JSON.stringify(w)}`,
      );
    }
  });
  const sizes = widths as number[];
  let count = 0;
  for (let l = 0; l + 1 < sizes.length; l++) count += (sizes[l] + 1) * sizes[l + 1];
  if (count > modelFileLimits.maxParameters) {
    throw new ModelFileError(
      `the architecture has ${count} parameters, more than the limit of ${modelFileLimits.maxParameters}`,
    );
  }
  if (typeof activation !== 'string' || !(ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new ModelFileError(
      `architecture.activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(activation)}`,
    );
  }
  if (typeof boundary !== 'string' || !(BOUNDARY_FACTORS as readonly string[]).includes(boundary)) {
    throw new ModelFileError(
      `architecture.boundary must be one of ${BOUNDARY_FACTORS.join(', ')}, got ${JSON.stringify(boundary)}`,
    );
  }
  return {
    widths: [...sizes],
    activation: activation as Activation,
    boundary: boundary as BoundaryFactor,
  };
}

function readParameters(value: unknown, arch: MlpArchitecture): MlpParameters<Float32Array> {
  const layerCount = arch.widths.length - 1;
  if (!Array.isArray(value) || value.length !== layerCount) {
    throw new ModelFileError(`parameters must be an array of ${layerCount} layers`);
  }
  return {
    layers: value.map((layer: unknown, l) => {
      const where = `parameters[${l}]`;
      if (!isPlainObject(layer)) throw new ModelFileError(`${where} must be an object`);
      checkKeys(where, layer, ['weight', 'bias']);
      const inputs = arch.widths[l];
      const outputs = arch.widths[l + 1];
      return {
        weight: readNumbers(`${where}.weight`, layer.weight, inputs * outputs),
        bias: readNumbers(`${where}.bias`, layer.bias, outputs),
      };
    }),
  };
}

function readMetrics(value: unknown): Record<string, number> {
  if (!isPlainObject(value)) throw new ModelFileError('metrics must be an object');
  const metrics: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [name, x] of Object.entries(value)) {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new ModelFileError(`metrics.${name} must be a finite number, got ${JSON.stringify(x)}`);
    }
    metrics[name] = x;
  }
  return metrics;
}

function readTraining(value: unknown): { [key: string]: JsonValue } {
  if (!isPlainObject(value)) throw new ModelFileError('training must be an object');
  if (JSON.stringify(value).length > modelFileLimits.maxTrainingJsonBytes) {
    throw new ModelFileError(
      `training is larger than ${modelFileLimits.maxTrainingJsonBytes} bytes of JSON`,
    );
  }
  return value as { [key: string]: JsonValue };
}

/** Validates a parsed JSON value as a model. */
export function readModel(value: unknown): ModelFile {
  if (!isPlainObject(value)) throw new ModelFileError('the top level must be a JSON object');
  checkKeys('the model', value, [
    'format',
    'version',
    'architecture',
    'parameters',
    'training',
    'metrics',
  ]);
  if (value.format !== modelFormat) {
    throw new ModelFileError(
      `format must be "${modelFormat}", got ${JSON.stringify(value.format)}`,
    );
  }
  if (value.version !== modelVersion) {
    throw new ModelFileError(
      `version ${JSON.stringify(value.version)} is not supported (this build reads version ${modelVersion})`,
    );
  }
  const architecture = readArchitecture(value.architecture);
  const model: ModelFile = {
    architecture,
    parameters: readParameters(value.parameters, architecture),
  };
  if (value.training !== undefined) model.training = readTraining(value.training);
  if (value.metrics !== undefined) model.metrics = readMetrics(value.metrics);
  return model;
}

/** Parses and validates model JSON text. */
export function parseModel(text: string): ModelFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(`not valid JSON (${(error as Error).message})`);
  }
  return readModel(value);
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
