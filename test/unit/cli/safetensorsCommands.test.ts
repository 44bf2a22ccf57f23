/**
 * The CLI's safetensors paths that need no GPU: `export` both ways, `jet --cpu` on either format,
 * and the refusals (`--resume`, mismatched names, bad files) before anything is written or run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.ts';
import { exitCodes } from '../../../src/cli/exitCodes.ts';
import { parseModel, serializeModel } from '../../../src/engine/modelFile.ts';
import { parseSafetensorsModel } from '../../../src/engine/safetensorsModel.ts';
import { initParameters, type MlpArchitecture } from '../../../src/jet/mlp.ts';
import { fakeIo } from './fakeIo.ts';

const dir = mkdtempSync(join(tmpdir(), 'jetpinn-safetensors-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);

const arch: MlpArchitecture = { widths: [3, 6, 6, 1], activation: 'softplus', boundary: 'ball2' };
const jsonText = serializeModel(arch, initParameters(arch, 4), {
  training: { pde: 'poisson-two-body', dimension: 3, seed: 4 },
  metrics: { finalStep: 12, finalRelativeL2: 0.5 },
});
writeFileSync(file('model.json'), jsonText);

async function cli(...args: string[]) {
  const io = fakeIo();
  const code = await runCli(args, io);
  return { code, out: io.out, err: io.err };
}

describe('jetpinn export', () => {
  it('writes safetensors and back to the same model JSON, byte for byte', async () => {
    const there = await cli(
      'export',
      '--model',
      file('model.json'),
      '--out',
      file('m.safetensors'),
    );
    expect(there).toMatchObject({ code: exitCodes.ok, err: '' });
    expect(there.out).toContain('safetensors, 73 parameters');
    const model = parseSafetensorsModel(readFileSync(file('m.safetensors')));
    expect(model).toEqual(parseModel(jsonText));
    const back = await cli(
      'export',
      '--model',
      file('m.safetensors'),
      '--format',
      'json',
      '--out',
      file('back.json'),
    );
    expect(back).toMatchObject({ code: exitCodes.ok, err: '' });
    expect(readFileSync(file('back.json'), 'utf8')).toBe(jsonText);
  });

  it('gives jet the same numbers from either format', async () => {
    await cli('export', '--model', file('model.json'), '--out', file('jet.safetensors'));
    const jet = (model: string) =>
      cli(
        'jet',
        '--cpu',
        '--model',
        model,
        '--points',
        '[[0.1, -0.4, 0.7]]',
        '--tangents',
        '[[1, 0, 0], null]',
      );
    const fromJson = await jet(file('model.json'));
    expect(fromJson.code).toBe(exitCodes.ok);
    expect(await jet(file('jet.safetensors'))).toEqual(fromJson);
  });

  it.each([
    [
      'safetensors',
      'wrong.json',
      /--out .*wrong\.json: a safetensors file must end in \.safetensors/,
    ],
    [
      'json',
      'wrong.safetensors',
      /--out .*wrong\.safetensors: a json file must not end in \.safetensors/,
    ],
  ])('refuses --format %s with --out %s (formats follow names)', async (format, out, message) => {
    const run = await cli(
      'export',
      '--model',
      file('model.json'),
      '--format',
      format,
      '--out',
      file(out),
    );
    expect(run.code).toBe(exitCodes.usage);
    expect(run.err).toMatch(message);
    expect(existsSync(file(out))).toBe(false);
  });

  it('refuses a damaged file with the field named, and writes nothing', async () => {
    await cli('export', '--model', file('model.json'), '--out', file('whole.safetensors'));
    const bytes = readFileSync(file('whole.safetensors'));
    writeFileSync(file('cut.safetensors'), bytes.subarray(0, bytes.length - 8));
    const run = await cli(
      'export',
      '--model',
      file('cut.safetensors'),
      '--format',
      'json',
      '--out',
      file('cut.json'),
    );
    expect(run.code).toBe(exitCodes.failure);
    expect(run.err).toMatch(
      /^jetpinn export: Invalid model file: header\["linears\.2\.weight"\]\.data_offsets end at byte \d+, past the \d+ bytes of data: the file is truncated\n$/,
    );
    expect(existsSync(file('cut.json'))).toBe(false);
  });
});

describe('safetensors models where the CLI refuses them', () => {
  it('train --resume: a model holds no optimizer state', async () => {
    const run = await cli('train', '--resume', file('m.safetensors'));
    expect(run.code).toBe(exitCodes.usage);
    expect(run.err).toMatch(
      /--resume .*m\.safetensors: a safetensors model holds the weights only, not the optimizer state/,
    );
  });

  it('eval: a bad file is named before any GPU work', async () => {
    writeFileSync(file('empty.safetensors'), new Uint8Array(3));
    const run = await cli('eval', '--model', file('empty.safetensors'));
    expect(run.code).toBe(exitCodes.failure);
    expect(run.err).toMatch(
      /Invalid model file: the file has 3 bytes, fewer than the 8-byte header/,
    );
  });

  it('eval: a model whose options are not a run is refused as the JSON model is', async () => {
    const run = await cli('eval', '--model', file('m.safetensors'));
    expect(run.code).toBe(exitCodes.failure);
    const json = await cli('eval', '--model', file('model.json'));
    expect(run.err.replace('m.safetensors', '')).toBe(json.err.replace('model.json', ''));
    expect(run.err).toMatch(/training options/);
  });
});
