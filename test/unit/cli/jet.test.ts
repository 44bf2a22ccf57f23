import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.ts';
import { exitCodes } from '../../../src/cli/exitCodes.ts';
import {
  jetBatch,
  type JetResult,
  jetResults,
  parseJetInputFile,
  readJetRequest,
  referenceJetBatch,
} from '../../../src/cli/jetRequest.ts';
import { serializeModel } from '../../../src/engine/modelFile.ts';
import { initParameters, type MlpArchitecture } from '../../../src/jet/mlp.ts';
import { fakeIo } from './fakeIo.ts';

const dir = mkdtempSync(join(tmpdir(), 'jetpinn-jet-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const arch: MlpArchitecture = { widths: [3, 6, 6, 1], activation: 'tanh', boundary: 'ball' };
const modelPath = join(dir, 'model.json');
writeFileSync(modelPath, serializeModel(arch, initParameters(arch, 5)));
const source = { points: '--points', tangents: '--tangents' };

async function cpuJets(points: unknown, tangents: unknown): Promise<JetResult[]> {
  const io = fakeIo();
  const code = await runCli(
    [
      'jet',
      '--cpu',
      '--model',
      modelPath,
      '--points',
      JSON.stringify(points),
      '--tangents',
      JSON.stringify(tangents),
    ],
    io,
  );
  expect(io.err).toBe('');
  expect(code).toBe(exitCodes.ok);
  const answer = JSON.parse(io.out) as { engine: string; order: number; jets: JetResult[] };
  expect(answer.engine).toBe('cpu-float64');
  return answer.jets;
}

describe('jet requests', () => {
  it('take one tangent list for every point or one per point; null is a zero tangent', () => {
    const shared = readJetRequest(
      [
        [0, 0, 0],
        [0.5, 0, 0],
      ],
      [[1, 0, 0], null],
      3,
      source,
    );
    expect(shared.order).toBe(2);
    expect(shared.tangents[1][0]).toEqual(Float64Array.of(1, 0, 0));
    expect(shared.tangents[1][1]).toBeNull();
    const perPoint = readJetRequest(
      [
        [0, 0, 0],
        [0.5, 0, 0],
      ],
      [[[1, 0, 0]], [null]],
      3,
      source,
    );
    expect(perPoint.order).toBe(1);
    expect(perPoint.tangents[1][0]).toBeNull();
  });

  it('turn derivative tangents v_k into normalized coefficients v_k/k! and back', () => {
    const request = readJetRequest(
      [[0.1, 0.2, 0.3]],
      [
        [1, 2, 3],
        [4, 6, 8],
        [6, 12, 18],
      ],
      3,
      source,
    );
    const batch = jetBatch(request);
    expect(batch.shape).toEqual({ points: 1, directions: 1, order: 3, structure: 'standard' });
    expect(batch.tangents).toEqual({
      kind: 'dense',
      values: Float32Array.of(1, 2, 3, 2, 3, 4, 1, 2, 3),
    });
    // Rows: value, then u_1, u_2, u_3; J_k = k!·u_k.
    const [result] = jetResults(batch, Float64Array.of(7, 1, 2, 3), 1);
    expect(result.value).toEqual([7]);
    expect(result.derivatives).toEqual([[1, 4, 18]]);
    expect(result.point).toEqual(Array.from(Float32Array.of(0.1, 0.2, 0.3)));
  });

  it('give the GPU float32 coefficients and the float64 reference float64 ones, both at float32 points', () => {
    const tangents = [[0.1, 1 / 3, -0.7], null, [1, 0.2, 2 / 3]];
    const request = readJetRequest([[0.1, 0.2, 0.3]], tangents, 3, source);
    const normalized = [0.1, 1 / 3, -0.7, 0, 0, 0, 1 / 6, 0.2 / 6, 2 / 3 / 6];
    const gpu = jetBatch(request);
    const reference = referenceJetBatch(request);
    expect(gpu.tangents).toEqual({ kind: 'dense', values: Float32Array.from(normalized) });
    expect(reference.tangents).toEqual({ kind: 'dense', values: Float64Array.from(normalized) });
    expect(reference.shape).toEqual(gpu.shape);
    expect(reference.x).toEqual(gpu.x);
    expect(reference.x).toBeInstanceOf(Float32Array);
  });

  const bad: [unknown, unknown, RegExp][] = [
    [[], [[1, 0, 0]], /--points must be a list of 1\.\.65536 points/],
    [[[0, 0]], [[1, 0, 0]], /--points\[0\] must be an array of 3 numbers/],
    [[[0, 0, 'x']], [[1, 0, 0]], /--points\[0\]\[2\] must be a finite number, got "x"/],
    [[[0, 0, null]], [[1, 0, 0]], /--points\[0\]\[2\] must be a finite number, got null/],
    [[[0, 0, 0]], 'e1', /--tangents must be a list of tangent vectors/],
    [[[0, 0, 0]], [], /--tangents must list the tangents v_1\.\.v_K, K in 1\.\.8/],
    [[[0, 0, 0]], Array.from({ length: 9 }, () => [1, 0, 0]), /K in 1\.\.8/],
    [[[0, 0, 0]], [[1, 0]], /--tangents\[0\] must be an array of 3 numbers/],
    [[[0, 0, 0]], [[[1, 0, 0]], [[0, 1, 0]]], /gives 2 tangent lists for 1 points/],
    [
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
      [[[1, 0, 0]], [[1, 0, 0], null]],
      /--tangents\[1\] has 2 tangents, --tangents\[0\] has 1/,
    ],
  ];
  it.each(bad)('refuse points %j with tangents %j', (points, tangents, message) => {
    expect(() => readJetRequest(points, tangents, 3, source)).toThrow(message);
  });

  it('read an input file with exactly the fields points and tangents', () => {
    const request = parseJetInputFile('{"points": [[0,0,0]], "tangents": [[0,0,1]]}', 3, 'in.json');
    expect(request.order).toBe(1);
    expect(() => parseJetInputFile('{"points": [[0,0,0]', 3, 'in.json')).toThrow(
      /in\.json is not valid JSON/,
    );
    expect(() => parseJetInputFile('[1]', 3, 'in.json')).toThrow(
      /in\.json must be an object { "points"/,
    );
    expect(() =>
      parseJetInputFile(
        '{"__proto__": {}, "points": [[0,0,0]], "tangents": [[0,0,1]]}',
        3,
        'in.json',
      ),
    ).toThrow(/in\.json has a forbidden field "__proto__"/);
    expect(() =>
      parseJetInputFile('{"points": [[0,0]], "tangents": [[0,0,1]]}', 3, 'in.json'),
    ).toThrow(/in\.json: points\[0\] must be an array of 3 numbers/);
  });
});

describe('jetpinn jet --cpu', () => {
  // Dyadic numbers: x ± h·v is exact in float32, to which the command rounds its inputs.
  const x = [0.125, -0.25, 0.375];
  const v = [0.5, 0.25, -0.25];
  const h = 2 ** -8;
  const along = (s: number) => x.map((xi, i) => xi + s * v[i]);

  it('gives J_k in the derivative convention: finite differences of u along the curve', async () => {
    const [jet] = await cpuJets([x], [v, null, null]);
    const [plus, minus] = await cpuJets([along(h), along(-h)], [v]);
    const u = jet.value[0];
    const [J1, J2, J3] = jet.derivatives[0];
    expect(J1).toBeCloseTo((plus.value[0] - minus.value[0]) / (2 * h), 5);
    expect(J2).toBeCloseTo((plus.value[0] - 2 * u + minus.value[0]) / (h * h), 4);
    // Along a straight line J_1's differences give J_2 and J_3.
    const [J1plus, J1minus] = [plus.derivatives[0][0], minus.derivatives[0][0]];
    expect(J2).toBeCloseTo((J1plus - J1minus) / (2 * h), 5);
    expect(J3).toBeCloseTo((J1plus - 2 * J1 + J1minus) / (h * h), 3);
  });

  it('takes v_2 as the second derivative of the input curve: g = x + v₂t²/2 gives J_2 = ∇u·v₂', async () => {
    const [first] = await cpuJets([x], [v]);
    const [second] = await cpuJets([x], [null, v]);
    expect(second.derivatives[0][0]).toBe(0);
    expect(second.derivatives[0][1]).toBeCloseTo(first.derivatives[0][0], 12);
  });

  it('reads the same request from an --input file', async () => {
    const input = join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({ points: [x], tangents: [v, null] }));
    const io = fakeIo();
    expect(await runCli(['jet', '--cpu', '--model', modelPath, '--input', input], io)).toBe(
      exitCodes.ok,
    );
    const fromFile = (JSON.parse(io.out) as { jets: JetResult[] }).jets;
    expect(fromFile).toEqual(await cpuJets([x], [v, null]));
  });

  it('says which point is wrong for the model, with exit code 2', async () => {
    const io = fakeIo();
    const code = await runCli(
      ['jet', '--cpu', '--model', modelPath, '--points', '[[0,0]]', '--tangents', '[[1,0,0]]'],
      io,
    );
    expect(code).toBe(exitCodes.usage);
    expect(io.err).toMatch(
      /--points\[0\] must be an array of 3 numbers \(the model's input width\)/,
    );
  });
});

describe('jetpinn jet --cpu stays float64 along the tangents given', () => {
  // Non-dyadic weights and tangents: float32 rounding of v_k or of 1/k! shows at ~1e-8.
  const K = 7;
  const tangents = Array.from({ length: K }, (_, i) => {
    const k = i + 1;
    return [(0.1 * k) / 3, -0.7 / k];
  });
  const point = [0.3, -0.2];
  // The model file keeps weights in float32; the closed forms use those float32 values.
  const W1 = [1 / 3, -2 / 7, 0.1, 5 / 9, -1 / 11, 2 / 3].map(Math.fround);
  const b1 = [0.2, -1 / 3, 1 / 7].map(Math.fround);
  const W2 = [3 / 7, -1 / 3, 0.9].map(Math.fround);
  const b2 = [1 / 9].map(Math.fround);
  /** The identity network is affine: u(x) = a·x + c. */
  const a = [0, 1].map((i) => W2.reduce((sum, w, j) => sum + w * W1[j * 2 + i], 0));
  const c = b2[0] + W2.reduce((sum, w, j) => sum + w * b1[j], 0);
  const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));

  function identityModel(boundary: 'none' | 'ball'): string {
    const path = join(dir, `identity-${boundary}.json`);
    const identity: MlpArchitecture = { widths: [2, 3, 1], activation: 'identity', boundary };
    writeFileSync(
      path,
      serializeModel(identity, {
        layers: [
          { weight: Float64Array.from(W1), bias: Float64Array.from(b1) },
          { weight: Float64Array.from(W2), bias: Float64Array.from(b2) },
        ],
      }),
    );
    return path;
  }

  async function cpuJet(path: string): Promise<JetResult> {
    const io = fakeIo();
    const code = await runCli(
      [
        'jet',
        '--cpu',
        '--model',
        path,
        '--points',
        JSON.stringify([point]),
        '--tangents',
        JSON.stringify(tangents),
      ],
      io,
    );
    expect(io.err).toBe('');
    expect(code).toBe(exitCodes.ok);
    const [jet] = (JSON.parse(io.out) as { jets: JetResult[] }).jets;
    // The point is still the float32 one.
    expect(jet.point).toEqual(Array.from(Float32Array.from(point)));
    return jet;
  }

  /** The largest |J_k − expected_k| relative to max(1, |expected_k|), value (k = 0) included. */
  function worstError(jet: JetResult, expected: number[]): number {
    const got = [jet.value[0], ...jet.derivatives[0]];
    expect(got).toHaveLength(K + 1);
    return Math.max(
      ...got.map((g, k) => Math.abs(g - expected[k]) / Math.max(1, Math.abs(expected[k]))),
    );
  }

  it('gives J_k = a·v_k for an affine network (identity activation, no boundary factor)', async () => {
    const jet = await cpuJet(identityModel('none'));
    const x = jet.point;
    const expected = [
      c + a[0] * x[0] + a[1] * x[1],
      ...tangents.map((v) => a[0] * v[0] + a[1] * v[1]),
    ];
    expect(worstError(jet, expected)).toBeLessThan(1e-13);
  });

  it('gives the jet of (1 − ‖g‖²)(a·g + c), the Cauchy products of the curve g(t)', async () => {
    const jet = await cpuJet(identityModel('ball'));
    const x = jet.point;
    // g_i(t) = x_i + Σ_k v_k,i t^k/k!, truncated polynomials in t of degree K.
    const g = [0, 1].map((i) => [x[i], ...tangents.map((v, k) => v[i] / factorial(k + 1))]);
    const mul = (p: number[], q: number[]): number[] =>
      p.map((_, k) => q.slice(0, k + 1).reduce((sum, qj, j) => sum + qj * p[k - j], 0));
    const affine = g[0].map((g0, k) => a[0] * g0 + a[1] * g[1][k] + (k === 0 ? c : 0));
    const squares = mul(g[0], g[0]).map((s, k) => s + mul(g[1], g[1])[k]);
    const factor = squares.map((s, k) => (k === 0 ? 1 : 0) - s);
    const expected = mul(factor, affine).map((u, k) => factorial(k) * u);
    expect(worstError(jet, expected)).toBeLessThan(1e-13);
  });
});
