/**
 * `jetpinn export`: rewrites a model file in the other format, JSON ↔ safetensors, validating it
 * on the way in. The weights are float32 in both, so the conversion is exact both ways.
 */
import { isSafetensorsName, parseModelBytes, serializeModelAs } from '../engine/modelFormats.ts';
import { parameterCount } from '../jet/mlp.ts';
import { type FlagSpec, UsageError } from './args.ts';
import type { Command } from './command.ts';
import { exitCodes } from './exitCodes.ts';
import { readBinaryFile, writeFileAtomic } from './io.ts';

const EXPORT_FLAGS: readonly FlagSpec[] = [
  {
    name: 'model',
    kind: 'string',
    placeholder: 'file',
    required: true,
    description: 'model file: JSON, or safetensors when the name ends in .safetensors',
  },
  {
    name: 'format',
    kind: 'choice',
    choices: ['safetensors', 'json'],
    default: 'safetensors',
    description: 'format of the file written',
  },
  {
    name: 'out',
    kind: 'string',
    placeholder: 'file',
    required: true,
    description: 'where to write it (.safetensors for safetensors, another name for JSON)',
  },
];

export const exportCommand: Command = {
  name: 'export',
  summary: 'a model file in another format (safetensors for PyTorch / JAX, or JSON)',
  description:
    'Reads a model file (JSON or .safetensors) and writes it in --format: safetensors holds the\n' +
    'weights as PyTorch / DeepXDE name them (linears.{l}.weight [out, in], linears.{l}.bias)\n' +
    'and the architecture, training options and metrics as metadata; see the README, "Continue\n' +
    'elsewhere". Formats follow file names, so --out must end in .safetensors exactly when\n' +
    '--format is safetensors.',
  flags: EXPORT_FLAGS,
  run: async (flags, io) => {
    const path = flags.requiredString('model');
    const out = flags.requiredString('out');
    const format = flags.requiredString('format');
    if (isSafetensorsName(out) !== (format === 'safetensors')) {
      throw new UsageError(
        `--out ${out}: a ${format} file ${format === 'safetensors' ? 'must' : 'must not'} end ` +
          'in .safetensors (the commands that read models tell the formats apart by name)',
      );
    }
    const { architecture, parameters, training, metrics } = parseModelBytes(
      path,
      readBinaryFile(path, '--model'),
    );
    writeFileAtomic(out, serializeModelAs(out, architecture, parameters, { training, metrics }));
    io.stdout(`${out}: ${format}, ${parameterCount(architecture)} parameters from ${path}\n`);
    return exitCodes.ok;
  },
};
