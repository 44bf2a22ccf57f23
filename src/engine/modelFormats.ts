/**
 * The two files a model can be: the model JSON (modelFile.ts) and safetensors
 * (safetensorsModel.ts). The format follows the file name, `.safetensors` or anything else for
 * JSON, in the page and the CLI alike: a safetensors header length can begin with the byte `{`,
 * so the contents alone cannot tell the two apart.
 */
import type { AnyMlpParameters, MlpArchitecture } from '../jet/mlp.ts';
import { type ModelFile, parseModel, serializeModel } from './modelFile.ts';
import {
  type ModelRecord,
  parseSafetensorsModel,
  serializeSafetensorsModel,
} from './safetensorsModel.ts';

export const SAFETENSORS_EXTENSION = '.safetensors';

export function isSafetensorsName(name: string): boolean {
  return name.toLowerCase().endsWith(SAFETENSORS_EXTENSION);
}

/** Parses and validates a model file of either format. */
export function parseModelBytes(name: string, bytes: Uint8Array): ModelFile {
  return isSafetensorsName(name)
    ? parseSafetensorsModel(bytes)
    : parseModel(new TextDecoder().decode(bytes));
}

/** The model in the format `name` asks for. */
export function serializeModelAs(
  name: string,
  architecture: MlpArchitecture,
  parameters: AnyMlpParameters,
  record: ModelRecord,
): string | Uint8Array {
  return isSafetensorsName(name)
    ? serializeSafetensorsModel(architecture, parameters, record)
    : serializeModel(architecture, parameters, record);
}
