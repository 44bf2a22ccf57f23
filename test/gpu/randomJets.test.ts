/**
 * shaders/lib/random.wgsl and shaders/randomJets.wgsl on Dawn against their CPU mirrors: integer draws
 * bit for bit, Gaussian draws to f32 accuracy, and the sampled indices' distribution. Seeds are
 * fixed, so the statistical tests are deterministic (significance level 1e-3).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type GpuMemory, readBuffer } from '../../src/gpu/gpuMemory.ts';
import { ComposedShaderCompileError, createComposedKernel } from '../../src/gpu/composeShader.ts';
import { lib } from '../../src/gpu/shaderLibrary.ts';
import type { TangentInput } from '../../src/engine/jetLayout.ts';
import {
  normalAt,
  rademacherAt,
  randomKey,
  uniformAt,
  WordStream,
} from '../../src/random/counterRandom.ts';
import { GpuRandomJets } from '../../src/random/gpuRandomJets.ts';
import { drawTangents, type JetDrawSpec } from '../../src/random/jetDraws.ts';
import { philox4x32 } from '../../src/random/philox.ts';
import { GpuStepCounter } from '../../src/random/stepCounter.ts';
import {
  chiSquareCritical,
  moments,
  sparseIndexChiSquare,
  subsetPairChiSquares,
} from '../unit/random/statistics.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const ALPHA = 1e-3;
/**
 * |GPU − CPU| bound for a normal z: random.wgsl computes Box–Muller's log, sin and cos itself in f32
 * (not with the GPU's builtins, which WGSL bounds only loosely), so the GPU value is within a few
 * f32 ulp of the float64 mirror on any GPU; 5e-7·(1 + |z|) is about 8 ulp (SwiftShader: ≤ 1.2e-7).
 */
const normalTolerance = (z: number) => 5e-7 * (1 + Math.abs(z));

let memory: GpuMemory;
let jets: GpuRandomJets;
let stepCounter: GpuStepCounter;
const gpu = useNodeGpu((_context, b) => (memory = b));

beforeAll(async () => {
  jets = await GpuRandomJets.create(gpu.device);
  stepCounter = new GpuStepCounter(memory);
});

/** Draws the tangents of `points` points on the GPU for (seed, step) and reads them back. */
async function gpuTangents(
  spec: JetDrawSpec,
  points: number,
  seed: number,
  step: number,
): Promise<TangentInput> {
  const draw = jets.prepare(memory, spec, points, { seed }, stepCounter.buffer);
  stepCounter.set(step);
  const encoder = gpu.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  draw.record(pass);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
  const slots = points * spec.directions * spec.order;
  try {
    if (draw.tangents.kind === 'dense') {
      const values = draw.tangents.values;
      return { kind: 'dense', values: new Float32Array(await readBuffer(gpu.device, values)) };
    }
    const { index, coefficient } = draw.tangents;
    return {
      kind: 'oneHot',
      index: new Int32Array(await readBuffer(gpu.device, index, slots * 4)),
      coefficient: new Float32Array(await readBuffer(gpu.device, coefficient, slots * 4)),
    };
  } finally {
    draw.destroy();
  }
}

// A harness kernel over random.wgsl: per row (counter, key, bound) it writes the Philox words,
// uniformAt, normalAt, rademacherAt (as bits) and uniformBelow(bound) of the row's word stream.
const harness = `
struct Row { counter: vec4<u32>, key: vec2<u32>, bound: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> rows: array<Row>;
@group(0) @binding(1) var<storage, read_write> results: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= arrayLength(&rows)) {
    return;
  }
  let row = rows[i];
  let c = row.counter;
  let words = philox4x32(c, row.key);
  for (var j = 0u; j < 4u; j++) {
    results[8u * i + j] = words[j];
  }
  results[8u * i + 4u] = bitcast<u32>(uniformAt(row.key, c.x, c.y, c.z, c.w));
  results[8u * i + 5u] = bitcast<u32>(normalAt(row.key, c.x, c.y, c.z, c.w));
  results[8u * i + 6u] = bitcast<u32>(rademacherAt(row.key, c.x, c.y, c.z, c.w));
  var stream = wordStream(row.key, c.x, c.y, c.z);
  results[8u * i + 7u] = uniformBelow(&stream, row.bound);
}
`;

describe('random.wgsl on the GPU equals its CPU mirror', () => {
  it('Philox words, uniforms, signs and bounded integers bit for bit; normals to f32 accuracy', async () => {
    const rows: { counter: number[]; key: [number, number]; bound: number }[] = [
      { counter: [0, 0, 0, 0], key: [0, 0], bound: 1 },
      {
        counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
        key: [0xffffffff, 0xffffffff],
        bound: 0xffffffff,
      },
      {
        counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
        key: [0xa4093822, 0x299f31d0],
        bound: 3,
      },
    ];
    const source = new WordStream(randomKey(99, 0), 0, 0, 0);
    // Bounds up to 2^32 − 1, many above 2^31 where uniformBelow rejects up to half the words.
    for (let i = 0; i < 2000; i++) {
      rows.push({
        counter: [source.nextWord() % 1000, source.nextWord() % 5000, source.nextWord() % 64, i],
        key: [source.nextWord(), source.nextWord() % 4],
        bound: Math.max(1, source.nextWord()),
      });
    }
    const data = new Uint32Array(rows.length * 8);
    rows.forEach((r, i) => data.set([...r.counter, ...r.key, r.bound, 0], 8 * i));
    const kernel = await createComposedKernel(gpu.device, [
      lib.random,
      { name: 'harness.wgsl', code: harness },
    ]);
    const rowBuffer = memory.createFrom('rows', data);
    const resultBuffer = memory.create('results', data.byteLength);
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    kernel.dispatch(
      pass,
      kernel.bind({ rows: rowBuffer, results: resultBuffer }),
      kernel.workgroupsFor(rows.length),
    );
    pass.end();
    gpu.device.queue.submit([encoder.finish()]);
    const bits = new Uint32Array(await readBuffer(gpu.device, resultBuffer));
    const floats = new Float32Array(bits.buffer);

    let worstNormal = 0;
    rows.forEach(({ counter: c, key, bound }, i) => {
      const at = `row ${i}`;
      expect([...bits.subarray(8 * i, 8 * i + 4)], at).toEqual([...philox4x32(c, key)]);
      expect(floats[8 * i + 4], at).toBe(uniformAt(key, c[0], c[1], c[2], c[3]));
      expect(floats[8 * i + 6], at).toBe(rademacherAt(key, c[0], c[1], c[2], c[3]));
      expect(bits[8 * i + 7], at).toBe(new WordStream(key, c[0], c[1], c[2]).uniformBelow(bound));
      const z = normalAt(key, c[0], c[1], c[2], c[3]);
      const error = Math.abs(floats[8 * i + 5] - z);
      worstNormal = Math.max(worstNormal, error / (1 + Math.abs(z)));
      expect(error, at).toBeLessThanOrEqual(normalTolerance(z));
    });
    console.log(
      `largest |GPU − CPU| / (1 + |z|) over ${rows.length} normals: ${worstNormal.toExponential(2)}`,
    );
    // The GPU's own draws, as distributions (4 standard errors).
    const n = rows.length;
    const u = moments(Float64Array.from(rows, (_, i) => floats[8 * i + 4]));
    expect(Math.abs(u.mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(u.variance - 1 / 12)).toBeLessThan(4 * Math.sqrt((1 / 80 - 1 / 144) / n));
    const z = moments(Float64Array.from(rows, (_, i) => floats[8 * i + 5]));
    expect(Math.abs(z.mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(z.variance - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    memory.destroy(rowBuffer);
    memory.destroy(resultBuffer);
  });

  it('reports a compile error in a composed shader at its own file and line', async () => {
    const broken =
      '// a kernel\n\n@compute @workgroup_size(1)\nfn main() {\n  let x: u32 = philox4x32(1u);\n}\n';
    const error = await createComposedKernel(gpu.device, [
      lib.random,
      { name: 'broken.wgsl', code: broken },
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComposedShaderCompileError);
    const composed = error as ComposedShaderCompileError;
    expect(composed.diagnostics[0]).toMatchObject({ file: 'broken.wgsl', line: 5 });
    expect(composed.message).toContain('broken.wgsl:5:');
    expect(composed.message).toContain('philox4x32(1u)');
  });

  it('locates a reflection parse error (before compilation) in its own file', async () => {
    // wgsl_reflect rejects the identifier `block` in an argument list that WGSL itself accepts.
    const kernel =
      '@group(0) @binding(0) var<storage, read_write> y: array<u32>;\n' +
      'fn f(a: u32, block: u32) -> vec2<u32> {\n  return vec2<u32>(a, block);\n}\n' +
      '@compute @workgroup_size(1)\nfn main() {\n  y[0] = f(1u, 2u).x;\n}\n';
    const error = await createComposedKernel(gpu.device, [
      lib.random,
      { name: 'reflect.wgsl', code: kernel },
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComposedShaderCompileError);
    expect((error as ComposedShaderCompileError).diagnostics[0]).toMatchObject({
      file: 'reflect.wgsl',
      line: 3,
    });
  });
});

function expectSameTangents(gpuDraw: TangentInput, cpuDraw: TangentInput, exact: boolean): void {
  expect(gpuDraw.kind).toBe(cpuDraw.kind);
  if (gpuDraw.kind === 'oneHot' && cpuDraw.kind === 'oneHot') {
    expect(gpuDraw.index).toEqual(cpuDraw.index);
    expect(gpuDraw.coefficient).toEqual(cpuDraw.coefficient);
  } else if (gpuDraw.kind === 'dense' && cpuDraw.kind === 'dense') {
    if (exact) {
      expect(gpuDraw.values).toEqual(cpuDraw.values);
    } else {
      cpuDraw.values.forEach((z, i) => {
        expect(Math.abs(gpuDraw.values[i] - z), `value ${i}`).toBeLessThanOrEqual(
          normalTolerance(z),
        );
      });
    }
  }
}

describe('random jets on the GPU', () => {
  it('sparse: B distinct indices per point, equal to the CPU mirror, chi-square uniform', async () => {
    const d = 23;
    const B = 5;
    const N = 4000;
    const spec: JetDrawSpec = { kind: 'sparse', directions: B, order: 2, dimension: d, range: d };
    const draw = await gpuTangents(spec, N, 1234, 17);
    expectSameTangents(draw, drawTangents(spec, N, { seed: 1234, step: 17 }), true);
    if (draw.kind !== 'oneHot') throw new Error('sparse jets are one-hot');
    const counts = new Float64Array(d);
    for (let p = 0; p < N; p++) {
      const picks = new Set<number>();
      for (let r = 0; r < B; r++) {
        const slot = (p * B + r) * 2;
        picks.add(draw.index[slot]);
        counts[draw.index[slot]]++;
        expect(draw.coefficient[slot]).toBe(1);
        expect(draw.index[slot + 1]).toBe(-1);
        expect(draw.coefficient[slot + 1]).toBe(0);
      }
      expect(picks.size).toBe(B);
    }
    const test = sparseIndexChiSquare(counts, N, B);
    console.log(
      `sparse index frequencies: χ² = ${test.statistic.toFixed(1)} on ${test.df} df, p = ${test.pValue.toFixed(3)}`,
    );
    expect(test.pValue).toBeGreaterThan(ALPHA);
  });

  it('two sparse subsets per point (the unbiased loss): equal to the CPU mirror, independent and uniform', async () => {
    // d = 6, B = 2 as in the CPU test, on the GPU's own draws: 20 000 pairs, χ² at p = 1e-4.
    const N = 20_000;
    const spec: JetDrawSpec = {
      kind: 'sparse',
      directions: 4,
      order: 2,
      dimension: 6,
      range: 6,
      subsets: 2,
    };
    const draw = await gpuTangents(spec, N, 606, 9);
    expectSameTangents(draw, drawTangents(spec, N, { seed: 606, step: 9 }), true);
    if (draw.kind !== 'oneHot') throw new Error('sparse jets are one-hot');
    const first = (p: number, from: number) =>
      [0, 1].map((r) => draw.index[(4 * p + from + r) * 2]);
    const result = subsetPairChiSquares((p) => [first(p, 0), first(p, 2)], N, 6, 2);
    for (const t of ['first', 'second', 'joint', 'overlap'] as const) {
      const { statistic, df } = result[t];
      const critical = chiSquareCritical(1e-4, df);
      console.log(
        `GPU two subsets ${t}: χ² = ${statistic.toFixed(1)} on ${df} df (critical ${critical.toFixed(1)})`,
      );
      expect(statistic, t).toBeLessThan(critical);
    }
    // A wider draw with the time tangent, and B = range in each subset: still the mirror exactly.
    const extra = { order: 2, index: 23, value: 0.25 };
    for (const [directions, range] of [
      [10, 23],
      [46, 23],
    ]) {
      const wide: JetDrawSpec = {
        kind: 'sparse',
        directions,
        order: 3,
        dimension: 24,
        range,
        extra,
        subsets: 2,
      };
      expectSameTangents(
        await gpuTangents(wide, 300, 31, 2),
        drawTangents(wide, 300, { seed: 31, step: 2 }),
        true,
      );
    }
  });

  it('sparse with B = d draws every index once; a new step draws anew, the same step the same', async () => {
    const spec: JetDrawSpec = { kind: 'sparse', directions: 6, order: 1, dimension: 6, range: 6 };
    const all = await gpuTangents(spec, 50, 5, 1);
    if (all.kind !== 'oneHot') throw new Error('sparse jets are one-hot');
    for (let p = 0; p < 50; p++) {
      expect([...all.index.subarray(6 * p, 6 * p + 6)].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    }
    const few: JetDrawSpec = { ...spec, directions: 2 };
    const [a, again, next] = [
      await gpuTangents(few, 50, 5, 1),
      await gpuTangents(few, 50, 5, 1),
      await gpuTangents(few, 50, 5, 2),
    ];
    expect(again).toEqual(a);
    expect(next).not.toEqual(a);
  });

  it('exact and sparse jets carry the extra tangent (u_t folded into a Laplacian)', async () => {
    const extra = { order: 2, index: 4, value: 0.25 };
    for (const kind of ['exact', 'sparse'] as const) {
      const spec: JetDrawSpec = { kind, directions: 4, order: 3, dimension: 5, range: 4, extra };
      const draw = await gpuTangents(spec, 7, 8, 3);
      expectSameTangents(draw, drawTangents(spec, 7, { seed: 8, step: 3 }), true);
      if (draw.kind !== 'oneHot') throw new Error('one-hot expected');
      for (let jet = 0; jet < 7 * 4; jet++) {
        expect(draw.index[3 * jet]).toBeLessThan(4);
        expect(draw.index[3 * jet + 1]).toBe(4);
        expect(draw.coefficient[3 * jet + 1]).toBe(0.125);
        expect(draw.index[3 * jet + 2]).toBe(-1);
      }
    }
  });

  it('the ∂_jΔu draw (i at order 2, one j per point at order 3, two subsets) equals the mirror', async () => {
    const spec: JetDrawSpec = {
      kind: 'sparse',
      directions: 6,
      order: 7,
      dimension: 9,
      range: 9,
      subsets: 2,
      sampledOrder: 2,
      pointTangent: { order: 3 },
    };
    const draw = await gpuTangents(spec, 300, 21, 6);
    expectSameTangents(draw, drawTangents(spec, 300, { seed: 21, step: 6 }), true);
    // The plain draw's words are untouched: its subsets reappear at order 2.
    const plain = await gpuTangents(
      { ...spec, order: 1, sampledOrder: undefined, pointTangent: undefined },
      300,
      21,
      6,
    );
    if (draw.kind !== 'oneHot' || plain.kind !== 'oneHot') throw new Error('one-hot expected');
    for (let jet = 0; jet < 300 * 6; jet++) expect(draw.index[7 * jet + 1]).toBe(plain.index[jet]);
  });

  it('Rademacher tangents equal the mirror bit for bit; Gaussian ones to f32 accuracy', async () => {
    const N = 64;
    const base = { directions: 3, order: 2, dimension: 9, range: 8 };
    const rademacher: JetDrawSpec = { kind: 'rademacher', ...base };
    expectSameTangents(
      await gpuTangents(rademacher, N, 77, 4),
      drawTangents(rademacher, N, { seed: 77, step: 4 }),
      true,
    );
    const gaussian: JetDrawSpec = {
      kind: 'gaussian',
      ...base,
      extra: { order: 2, index: 8, value: 1 },
    };
    const draw = await gpuTangents(gaussian, N, 77, 4);
    expectSameTangents(draw, drawTangents(gaussian, N, { seed: 77, step: 4 }), false);
    if (draw.kind !== 'dense') throw new Error('dense expected');
    const first: number[] = [];
    for (let jet = 0; jet < N * 3; jet++) {
      const v1 = draw.values.subarray(jet * 18, jet * 18 + 9);
      first.push(...v1.subarray(0, 8));
      expect(v1[8]).toBe(0); // coordinate 8 is outside the range
      expect(draw.values[jet * 18 + 9 + 8]).toBe(0.5); // v_2 = e_8: c_2 = 1/2
    }
    const m = moments(first);
    const n = first.length;
    expect(Math.abs(m.mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(m.variance - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
  });
});
