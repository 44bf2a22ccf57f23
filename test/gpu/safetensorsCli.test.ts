// Not on useNodeGpu: this file only starts CLI child processes, which acquire their own devices.
/**
 * `jetpinn train --out m.safetensors` as a user runs it: the trained model is written as
 * safetensors (the PyTorch layout, the run's options and metrics as metadata), and `eval` reads it
 * back to the very numbers the run reported for the same weights on the same device.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodes } from '../../src/cli/exitCodes.ts';
import { parseSafetensorsModel } from '../../src/engine/safetensorsModel.ts';

const dir = mkdtempSync(join(tmpdir(), 'jetpinn-safetensors-gpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const loaders = ['--import', 'tsx', '--import', './scripts/register-node-loaders.mjs'];
  return spawnSync(process.execPath, [...loaders, 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
  });
}

describe('train --out m.safetensors', () => {
  it('writes a safetensors model that eval scores as the run did', () => {
    const out = join(dir, 'm.safetensors');
    const train = cli(
      'train',
      ...['--pde', 'allen-cahn-two-body', '--dim', '3', '--jets', '2', '--points', '16'],
      ...['--width', '8', '--depth', '2', '--steps', '6', '--seed', '2', '--eval-every', '0'],
      ...['--test-points', '200', '--json', '--out', out],
    );
    // Dawn may warn about the adapters it skips; the tool itself prints nothing there.
    expect(train.stderr).not.toMatch(/jetpinn/);
    expect(train.status).toBe(exitCodes.ok);
    const model = parseSafetensorsModel(readFileSync(out));
    expect(model.architecture).toEqual({
      widths: [3, 8, 8, 1],
      activation: 'tanh',
      boundary: 'ball',
    });
    expect(model.training).toMatchObject({ pde: 'allen-cahn-two-body', dimension: 3, seed: 2 });
    expect(model.metrics?.finalStep).toBe(6);
    const score = cli('eval', '--model', out, '--json');
    expect(score.status).toBe(exitCodes.ok);
    const { relativeL2, relativeL1 } = JSON.parse(score.stdout) as Record<string, number>;
    expect(relativeL2).toBe(model.metrics?.finalRelativeL2);
    expect(relativeL1).toBe(model.metrics?.finalRelativeL1);
  });
});
