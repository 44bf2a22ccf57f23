// Not on useNodeGpu: this file only starts CLI child processes, which acquire their own devices.
/**
 * The jetpinn CLI as a user runs it: separate Node processes on Dawn. Runs that do not depend
 * on each other start together (two waves), which keeps the file well under a minute on
 * SwiftShader, where starting a process and building its pipelines costs more than 30 steps.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodes } from '../../src/cli/exitCodes.ts';
import { jetBatch, type JetResult, jetResults, readJetRequest } from '../../src/cli/jetRequest.ts';
import { parseModel } from '../../src/engine/modelFile.ts';
import { ReferenceJetEngine } from '../../src/engine/referenceEngine.ts';
import { parseCheckpoint } from '../../src/train/checkpoint.ts';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        './scripts/register-node-loaders.mjs',
        'src/cli/main.ts',
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

type Event = Record<string, unknown> & { event: string };

function events(run: CliRun): Event[] {
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Event);
}

const lossesOf = (run: CliRun) =>
  new Map(
    events(run)
      .filter((e) => e.event === 'log')
      .map((e) => [e.step as number, e.loss]),
  );
const evaluationsOf = (run: CliRun) => events(run).filter((e) => e.event === 'evaluation');

const dir = mkdtempSync(join(tmpdir(), 'jetpinn-cli-gpu-'));
const file = (name: string) => join(dir, name);
const tiny = [
  'train',
  ...['--pde', 'allen-cahn-two-body', '--dim', '4', '--estimator', 'sparse', '--jets', '4'],
  ...['--points', '16', '--width', '8', '--depth', '2', '--steps', '30', '--seed', '3'],
  ...['--log-every', '1', '--eval-every', '10', '--test-points', '300', '--json'],
];
const points = [
  [0.1, -0.2, 0.3, 0.05],
  [-0.4, 0.1, 0, 0.25],
];
const tangents = [
  [1, 0.5, -0.25, 0],
  [0, 0, 1, 0],
  [0.3, -0.1, 0.2, 0.4],
];

let full: CliRun;
let stopped: CliRun;
let diverged: CliRun;
let resumed: CliRun;
let evaluated: CliRun;
let jets: CliRun;
let heat: CliRun;
let recovered: CliRun;
let heatScore: CliRun;
let kp: CliRun;
let kpScore: CliRun;
let kpRefused: CliRun;
const kpTrain = [
  'train',
  ...['--pde', 'kp-2d', '--points', '16', '--width', '8', '--depth', '2', '--steps', '5'],
  ...['--test-points', '200', '--json'],
];
const heatTrain = [
  'train',
  ...['--pde', 'semilinear-heat', '--dim', '10', '--estimator', 'sparse', '--jets', '2'],
  ...['--points', '8', '--width', '8', '--depth', '1', '--steps', '5', '--json'],
];

beforeAll(async () => {
  [full, stopped, diverged, heat, kp, kpRefused] = await Promise.all([
    cli(...tiny, '--out', file('model.json'), '--metrics', file('metrics.csv')),
    cli(...tiny, '--stop-at', '15', '--checkpoint', file('checkpoint.json')),
    cli(
      ...tiny,
      ...['--lr', '10', '--optimizer', 'sgd', '--out', file('diverged.json')],
      ...['--checkpoint', file('diverged-checkpoint.json')],
    ),
    cli(...heatTrain, '--out', file('heat.json')),
    cli(...kpTrain, '--out', file('kp.json')),
    cli(...kpTrain, '--estimator', 'sparse'),
  ]);
  [resumed, evaluated, jets, heatScore, recovered, kpScore] = await Promise.all([
    cli('train', '--resume', file('checkpoint.json'), '--json'),
    cli('eval', '--model', file('model.json'), '--json'),
    cli(
      'jet',
      ...['--model', file('model.json')],
      ...['--points', JSON.stringify(points), '--tangents', JSON.stringify(tangents)],
    ),
    cli('eval', '--model', file('heat.json'), '--json'),
    cli('train', '--resume', file('checkpoint.json'), '--lr', '1e-4', '--json'),
    cli('eval', '--model', file('kp.json'), '--json'),
  ]);
}, 110_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('jetpinn CLI on the GPU', () => {
  it('train writes a model and a metrics CSV that eval accepts and reproduces', () => {
    expect(full.stderr).not.toMatch(/jetpinn/);
    expect(full.code).toBe(exitCodes.ok);
    const model = parseModel(readFileSync(file('model.json'), 'utf8'));
    expect(model.architecture.widths).toEqual([4, 8, 8, 1]);
    expect(model.training).toMatchObject({ pde: 'allen-cahn-two-body', dimension: 4, seed: 3 });
    const metrics = model.metrics!;
    expect(metrics.finalStep).toBe(30);
    expect(metrics.bestRelativeL2).toBeLessThanOrEqual(metrics.finalRelativeL2);
    // The start record states the run's bytes per parameter and those of the other four modes.
    const start = events(full)[0];
    expect(start).toMatchObject({ event: 'start', mode: 'backprop + Adam', parameters: 121 });
    // θ, g, Adam's m, v and the rollback copy of θ, m, v (test/unit/train/parameterMemory.test.ts).
    expect(start.bytesPerParameter).toBe(28);
    expect((start.otherModes as { mode: string }[]).map((m) => m.mode)).toEqual([
      'backprop + SGD',
      'SPSA + Adam',
      'subspace SPSA + Adam',
      'forward gradient + Adam',
    ]);
    const done = events(full).at(-1)!;
    expect(done).toMatchObject({
      event: 'done',
      step: 30,
      finalRelativeL2: metrics.finalRelativeL2,
    });

    const rows = readFileSync(file('metrics.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe(
      'step,loss,gradient_norm,learning_rate,relative_l2,relative_l1,point_relative_error,value',
    );
    expect(rows).toHaveLength(31);
    const last = rows[30].split(',');
    expect(Number(last[0])).toBe(30);
    expect(Number(last[1])).toBe(lossesOf(full).get(30));
    expect(Number(last[4])).toBe(metrics.finalRelativeL2);

    expect(evaluated.code).toBe(exitCodes.ok);
    const score = JSON.parse(evaluated.stdout) as Record<string, number>;
    // The trainer's test set from the recorded options, on the same device: the same bits.
    expect(score.testPoints).toBe(300);
    expect(score.relativeL2).toBe(metrics.finalRelativeL2);
    expect(score.relativeL1).toBe(metrics.finalRelativeL1);
  });

  it('eval scores a parabolic model by u(0, 0) against the d = 10 reference', () => {
    expect(heat.code).toBe(exitCodes.ok);
    expect(heatScore.code).toBe(exitCodes.ok);
    const trained = evaluationsOf(heat).at(-1)!;
    const score = JSON.parse(heatScore.stdout) as Record<string, number>;
    // DESIGN.md §4: u(0, 0) = 0.47006 for the semilinear heat equation at d = 10.
    expect(score).toMatchObject({ pde: 'semilinear-heat', dimension: 10, reference: 0.47006 });
    expect(score.value).toBe(trained.value);
    expect(score.pointRelativeError).toBeCloseTo(Math.abs(score.value - 0.47006) / 0.47006, 12);
  });

  it('trains a box problem (2-D KP) whose model eval scores on the same grid, bit for bit', () => {
    expect(kp.code).toBe(exitCodes.ok);
    const model = parseModel(readFileSync(file('kp.json'), 'utf8'));
    expect(model.architecture).toMatchObject({ widths: [3, 8, 8, 1], boundary: 'none' });
    expect(model.training).toMatchObject({ pde: 'kp-2d', dimension: 2, estimator: 'exact' });
    expect(kpScore.code).toBe(exitCodes.ok);
    const score = JSON.parse(kpScore.stdout) as Record<string, number>;
    expect(score.relativeL2).toBe(model.metrics!.finalRelativeL2);
    expect(score.relativeL2).toBeGreaterThan(0);
    expect(kpRefused.code).toBe(exitCodes.usage);
    expect(kpRefused.stderr).toMatch(/kp-2d: its partials come from one fixed jet construction/);
  });

  it('--resume from a checkpoint repeats the uninterrupted losses and evaluations exactly', () => {
    expect(stopped.code).toBe(exitCodes.ok);
    const checkpoint = parseCheckpoint(readFileSync(file('checkpoint.json'), 'utf8'));
    expect(checkpoint.state.step).toBe(15);
    expect(checkpoint.logs.map((l) => l.step)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));

    expect(resumed.code).toBe(exitCodes.ok);
    const uninterrupted = lossesOf(full);
    const continued = lossesOf(resumed);
    expect([...continued.keys()]).toEqual(Array.from({ length: 15 }, (_, i) => i + 16));
    for (const [step, loss] of continued)
      expect(loss, `step ${step}`).toBe(uninterrupted.get(step));
    for (const [step, loss] of lossesOf(stopped)) expect(loss).toBe(uninterrupted.get(step));
    const later = (run: CliRun) => evaluationsOf(run).filter((e) => (e.step as number) > 15);
    expect(later(resumed)).toEqual(later(full));
  });

  it("jet gives the float64 reference engine's J_k within float32 tolerance", () => {
    expect(jets.code).toBe(exitCodes.ok);
    const answer = JSON.parse(jets.stdout) as { engine: string; order: number; jets: JetResult[] };
    expect(answer.engine).toBe('gpu-float32');
    expect(answer.order).toBe(3);
    const model = parseModel(readFileSync(file('model.json'), 'utf8'));
    const batch = jetBatch(readJetRequest(points, tangents, 4, { points: 'p', tangents: 't' }));
    const reference = new ReferenceJetEngine(model.architecture, model.parameters);
    return reference.forward(batch).then((output) => {
      const expected = jetResults(batch, output, 1);
      answer.jets.forEach((jet, p) => {
        expect(jet.point).toEqual(expected[p].point);
        expect(jet.value[0]).toBeCloseTo(expected[p].value[0], 5);
        expected[p].derivatives[0].forEach((J, k) => {
          const scale = Math.max(1, ...expected.map((e) => Math.abs(e.derivatives[0][k])));
          expect(Math.abs(jet.derivatives[0][k] - J), `point ${p}, J_${k + 1}`).toBeLessThan(
            2e-5 * scale,
          );
        });
      });
    });
  });

  it('a diverging run exits non-zero with the step and still writes the last good weights', () => {
    expect(diverged.code).toBe(exitCodes.diverged);
    const match = /training diverged at step (\d+): non-finite (loss|gradient)/.exec(
      diverged.stderr,
    );
    expect(match).not.toBeNull();
    const step = Number(match![1]);
    const event = events(diverged).find((e) => e.event === 'diverged');
    expect(event).toMatchObject({ step, lastGoodStep: Math.max(0, step - 2) });
    const model = parseModel(readFileSync(file('diverged.json'), 'utf8'));
    for (const layer of model.parameters.layers) {
      expect([...layer.weight, ...layer.bias].every(Number.isFinite)).toBe(true);
    }
    // The checkpoint holds the last weights whose loss and gradient were finite.
    const checkpoint = parseCheckpoint(readFileSync(file('diverged-checkpoint.json'), 'utf8'));
    expect(checkpoint.state.step).toBe(Math.max(0, step - 2));
  });

  it('--resume with --lr continues the run with the new learning rate from the next update', () => {
    expect(recovered.code).toBe(exitCodes.ok);
    const uninterrupted = lossesOf(full);
    const continued = lossesOf(recovered);
    expect([...continued.keys()]).toEqual(Array.from({ length: 15 }, (_, i) => i + 16));
    // Step 16's loss is taken at the checkpoint's weights; the new rate moves them after it.
    expect(continued.get(16)).toBe(uninterrupted.get(16));
    expect(continued.get(17)).not.toBe(uninterrupted.get(17));
    const rates = events(recovered).filter((e) => e.event === 'log');
    // The linear schedule of the 30-step run at step 16, from the new first rate.
    expect(rates[0].learningRate).toBeCloseTo(1e-4 * (1 - 15 / 30), 12);
    expect([...continued.values()].every((loss) => Number.isFinite(loss))).toBe(true);
  });
});
