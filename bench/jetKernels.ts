// Forward jet throughput against a plain tiled matmul of the same shapes, on whatever adapter Node
// gets (Dawn). Ratios are the point: on SwiftShader absolute GFLOP/s mean little (DESIGN.md §8).
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/jetKernels.ts
// Writes bench/results/jetKernels-<adapter>.json and .md.
//
// Each configuration runs a 3-layer MLP [h, h, h, h] (tanh; first layer with dense tangents, output
// layer linear, no boundary factor) on N points, as one ForwardJet pass, against three matmuls
// (N·V × h)·(h × h), V = rows per point of the channel structure. Timed repetitions of the two
// alternate (so background load hits both alike) after warm-up; we report medians.
import { mkdirSync, writeFileSync } from 'node:fs';
import { ForwardJet } from '../src/engine/forwardJet.ts';
import {
  type ChannelStructure,
  type JetShape,
  packParameters,
  rowsPerPoint,
} from '../src/engine/jetLayout.ts';
import { MatmulBaseline } from '../src/engine/matmulBaseline.ts';
import { adapterSummary } from '../src/gpu/adapterDescription.ts';
import { GpuBuffers } from '../src/gpu/buffers.ts';
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { initParameters, type MlpArchitecture, toFloat32Parameters } from '../src/jet/mlp.ts';
import { SeededRandom } from '../src/jet/seededRandom.ts';

const POINTS = 32;
const WIDTHS = [64, 128, 256];
const JETS = [
  { label: 'Laplacian', order: 2, directions: 16 },
  { label: 'order 4', order: 4, directions: 4 },
];
const STRUCTURES: ChannelStructure[] = ['standard', 'collapsed'];
const WARMUP = 2;
const MIN_REPS = 7;
const MAX_REPS = 25;
/** Repetitions are added until the pair of kernels has run this long (at least MIN_REPS). */
const TARGET_MS = 4000;

/** Arithmetic of σ's Taylor rule (tanh) per unit and direction for orders 1..n, as the kernel does it. */
function taylorRuleFlops(n: number): number {
  let flops = 0;
  // s_k: k terms j·z_j·D_{k−j} (2 mul, 1 add) and a division; D_k = −Σ s_i s_{k−i}: k + 1 terms.
  for (let k = 1; k <= n; k++) flops += 3 * k + 1 + 2 * (k + 1);
  return flops;
}

/** FLOPs of the forward pass, counted from the math (matmuls, bias, Taylor rules, top-row sums). */
function jetFlops(shape: JetShape, width: number, layers: number): number {
  const { points: N, directions: R, order: K } = shape;
  const V = rowsPerPoint(shape);
  const collapsed = shape.structure === 'collapsed';
  const matmul = 2 * N * V * width * width * layers;
  const bias = N * width * layers;
  const perDirection = taylorRuleFlops(collapsed ? K - 1 : K) + (collapsed ? 3 * (K - 1) + 1 : 0);
  const taylor = (layers - 1) * N * width * (R * perDirection + (collapsed ? 2 : 0));
  const topSum = collapsed ? N * (R - 1) * width : 0;
  return matmul + bias + taylor + topSum;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Row {
  jet: string;
  order: number;
  directions: number;
  structure: ChannelStructure;
  width: number;
  points: number;
  rowsPerPoint: number;
  repetitions: number;
  jetMs: number;
  matmulMs: number;
  jetGflops: number;
  matmulGflops: number;
  /** jet time / matmul time. */
  timeRatio: number;
}

const gpu = await acquireNodeGpu();
const device = gpu.device;
const memory = new GpuBuffers(device);
const random = new SeededRandom(2024);

async function timeOnce(encode: (encoder: GPUCommandEncoder) => void): Promise<number> {
  const encoder = device.createCommandEncoder();
  encode(encoder);
  const start = performance.now();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

const rows: Row[] = [];
try {
  for (const width of WIDTHS) {
    for (const jet of JETS) {
      for (const structure of STRUCTURES) {
        const architecture: MlpArchitecture = {
          widths: [width, width, width, width],
          activation: 'tanh',
          boundary: 'none',
        };
        const layers = architecture.widths.length - 1;
        const shape: JetShape = {
          points: POINTS,
          directions: jet.directions,
          order: jet.order,
          structure,
        };
        const V = rowsPerPoint(shape);
        const flat = packParameters(
          architecture.widths,
          toFloat32Parameters(initParameters(architecture, 1)),
        );
        const parameters = memory.createFrom('bench parameters', flat);
        const forward = await ForwardJet.create(
          memory,
          { architecture, shape, tangentKind: 'dense' },
          parameters,
        );
        const uniform = (n: number): Float32Array =>
          new Float32Array(n).map(() => random.uniformIn(-1, 1) / Math.sqrt(width));
        forward.upload(uniform(POINTS * width), {
          kind: 'dense',
          values: uniform(POINTS * jet.directions * jet.order * width),
        });
        const matmulShape = { rows: POINTS * V, inputs: width, outputs: width };
        const a = memory.createFrom('bench a', uniform(matmulShape.rows * width));
        const c = memory.create('bench c', matmulShape.rows * width * 4);
        const matmul = await MatmulBaseline.create(memory, matmulShape, { a, w: parameters, c });
        const encodeMatmuls = (encoder: GPUCommandEncoder): void => {
          for (let l = 0; l < layers; l++) matmul.encode(encoder);
        };
        const encodeJet = (encoder: GPUCommandEncoder): void => forward.encode(encoder);

        for (let i = 0; i < WARMUP; i++) {
          await timeOnce(encodeJet);
          await timeOnce(encodeMatmuls);
        }
        const jetTimes: number[] = [];
        const matmulTimes: number[] = [];
        let elapsed = 0;
        while (jetTimes.length < MAX_REPS && (jetTimes.length < MIN_REPS || elapsed < TARGET_MS)) {
          jetTimes.push(await timeOnce(encodeJet));
          matmulTimes.push(await timeOnce(encodeMatmuls));
          elapsed += jetTimes[jetTimes.length - 1] + matmulTimes[matmulTimes.length - 1];
        }
        const jetMs = median(jetTimes);
        const matmulMs = median(matmulTimes);
        const row: Row = {
          jet: jet.label,
          order: jet.order,
          directions: jet.directions,
          structure,
          width,
          points: POINTS,
          rowsPerPoint: V,
          repetitions: jetTimes.length,
          jetMs,
          matmulMs,
          jetGflops: jetFlops(shape, width, layers) / jetMs / 1e6,
          matmulGflops: (2 * matmulShape.rows * width * width * layers) / matmulMs / 1e6,
          timeRatio: jetMs / matmulMs,
        };
        rows.push(row);
        console.log(
          `h=${width} ${jet.label} (K=${jet.order}, R=${jet.directions}) ${structure}: ` +
            `jet ${jetMs.toFixed(1)} ms (${row.jetGflops.toFixed(2)} GFLOP/s), ` +
            `matmul ${matmulMs.toFixed(1)} ms (${row.matmulGflops.toFixed(2)} GFLOP/s), ` +
            `time ratio ${row.timeRatio.toFixed(2)}`,
        );
        matmul.destroy();
        forward.destroy();
        for (const buffer of [a, c, parameters]) memory.destroy(buffer);
      }
    }
  }
} finally {
  gpu.destroy();
}

const adapter = gpu.adapter;
const slug =
  [adapter.vendor, adapter.architecture]
    .filter((s) => s)
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-') || 'unknown-adapter';

function collapsedSpeedup(row: Row): string {
  if (row.structure !== 'collapsed') return '';
  const standard = rows.find(
    (r) => r.structure === 'standard' && r.width === row.width && r.jet === row.jet,
  );
  return standard ? `${(standard.jetMs / row.jetMs).toFixed(2)}×` : '';
}

const table = [
  `Forward jet kernels vs. a plain tiled matmul of the same shapes on ${adapterSummary(adapter)}.`,
  '',
  `MLP [h, h, h, h], tanh, dense input tangents, N = ${POINTS} points; matmul = 3 × (N·V × h)·(h × h).`,
  'GFLOP/s counted from the math (matmul, bias, Taylor rule, collapsed top sums); median of the',
  'timed repetitions after warm-up. Time ratio = jet time / matmul time (1.00 = jets are free).',
  '',
  '| h | jet | structure | V | jet ms | matmul ms | jet GFLOP/s | matmul GFLOP/s | time ratio | collapsed speedup |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.width} | ${r.jet} (K=${r.order}, R=${r.directions}) | ${r.structure} | ${r.rowsPerPoint} | ` +
      `${r.jetMs.toFixed(1)} | ${r.matmulMs.toFixed(1)} | ${r.jetGflops.toFixed(2)} | ` +
      `${r.matmulGflops.toFixed(2)} | ${r.timeRatio.toFixed(2)} | ${collapsedSpeedup(r)} |`,
  ),
  '',
].join('\n');

mkdirSync('bench/results', { recursive: true });
const base = `bench/results/jetKernels-${slug}`;
writeFileSync(
  `${base}.json`,
  `${JSON.stringify(
    {
      adapter: {
        summary: adapterSummary(adapter),
        vendor: adapter.vendor,
        architecture: adapter.architecture,
        description: adapter.description,
        isSoftware: adapter.isSoftware,
      },
      date: new Date().toISOString(),
      node: process.version,
      settings: { points: POINTS, warmup: WARMUP, minReps: MIN_REPS, maxReps: MAX_REPS },
      results: rows,
    },
    null,
    2,
  )}\n`,
);
writeFileSync(`${base}.md`, table);
console.log(`\n${table}`);
console.log(`wrote ${base}.json and ${base}.md`);
