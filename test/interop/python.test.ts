/**
 * The safetensors file read by someone else: models written through `jetpinn export` are loaded
 * by the NumPy-only reader in interop/ (which rebuilds the network, activation and boundary
 * transform from the file alone) and its u at points is compared with `jetpinn jet --cpu`, the
 * float64 reference, for every activation and every boundary transform the engine has.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.ts';
import { exitCodes } from '../../src/cli/exitCodes.ts';
import type { JetResult } from '../../src/cli/jetRequest.ts';
import { serializeModel } from '../../src/engine/modelFile.ts';
import { ACTIVATIONS } from '../../src/jet/activations.ts';
import { BOUNDARY_FACTORS, initParameters, type MlpArchitecture } from '../../src/jet/mlp.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { fakeIo } from '../unit/cli/fakeIo.ts';

const dir = mkdtempSync(join(tmpdir(), 'jetpinn-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const READER = 'interop/jetpinn_safetensors.py';

async function cli(...args: string[]): Promise<string> {
  const io = fakeIo();
  const code = await runCli(args, io);
  expect(io.err).toBe('');
  expect(code).toBe(exitCodes.ok);
  return io.out;
}

function python(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync('python3', [READER, ...args], { encoding: 'utf8' });
  // CI installs python3-numpy (.ci/run); without it this names what is missing.
  expect(run.error, 'python3 could not be started').toBeUndefined();
  return run;
}

/** Points inside and outside the unit ball, where every boundary factor takes both signs. */
function points(dim: number, count: number, seed: number): number[][] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: dim }, () => 1.6 * (2 * random.uniform() - 1)),
  );
}

/** A network whose weights are scaled up, so every activation is well inside its nonlinear range. */
function model(arch: MlpArchitecture, seed: number): string {
  const parameters = initParameters(arch, seed, 3);
  return serializeModel(arch, parameters, { training: { pde: 'interop', dimension: 3, seed } });
}

const cases = BOUNDARY_FACTORS.flatMap((boundary) =>
  ACTIVATIONS.map((activation, i) => ({
    boundary,
    activation,
    widths: i === 0 ? [3, 8, 6, 2] : [3, 8, 6, 1],
  })),
);

describe('the NumPy reader of jetpinn safetensors files', () => {
  it.each(cases)(
    '$activation network, $boundary boundary: u matches jet --cpu within 1e-6 of max |u|',
    async ({ boundary, activation, widths }) => {
      const name = `${activation}-${boundary}`;
      const json = join(dir, `${name}.json`);
      const file = join(dir, `${name}.safetensors`);
      writeFileSync(json, model({ widths, activation, boundary }, widths.length + name.length));
      await cli('export', '--model', json, '--format', 'safetensors', '--out', file);
      const answer = JSON.parse(
        await cli(
          'jet',
          '--cpu',
          '--model',
          file,
          '--points',
          JSON.stringify(points(3, 32, name.length)),
          '--tangents',
          '[null]',
        ),
      ) as { jets: JetResult[] };
      // The float32 points the reference evaluated (jet rounds them), given to Python as they are.
      const evaluated = join(dir, `${name}-points.json`);
      writeFileSync(evaluated, JSON.stringify(answer.jets.map((jet) => jet.point)));
      const run = python(file, '--points', evaluated);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const { u } = JSON.parse(run.stdout) as { u: number[][] };
      const reference = answer.jets.map((jet) => jet.value);
      expect(u.map((row) => row.length)).toEqual(reference.map((row) => row.length));
      const scale = Math.max(...reference.flat().map(Math.abs));
      const worst = Math.max(...u.flat().map((x, i) => Math.abs(x - reference.flat()[i])));
      expect(scale).toBeGreaterThan(1e-3);
      expect(worst / scale).toBeLessThanOrEqual(1e-6);
    },
  );

  it('refuses a truncated file instead of evaluating it', async () => {
    const json = join(dir, 'small.json');
    const file = join(dir, 'small.safetensors');
    writeFileSync(json, model({ widths: [3, 4, 1], activation: 'tanh', boundary: 'ball' }, 1));
    await cli('export', '--model', json, '--out', file);
    const truncated = join(dir, 'truncated.safetensors');
    const bytes = readFileSync(file);
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 4));
    writeFileSync(join(dir, 'one.json'), '[[0, 0, 0]]');
    const run = python(truncated, '--points', join(dir, 'one.json'));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/ValueError: linears\.1\.bias: data ends at byte 84, past the 80/);
  });
});
