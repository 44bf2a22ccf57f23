/**
 * The kernel benchmark as a function (bench/jetKernels.ts is its command line, the GPU kit another
 * caller): fused forward and backward jet kernels against plain tiled matmuls doing the same
 * matrix work. Ratios are the point: on SwiftShader absolute GFLOP/s mean little (DESIGN.md §8).
 *
 * Each configuration runs a 3-layer MLP [h, h, h, h] (tanh; first layer with dense tangents, output
 * layer linear, no boundary factor) on N points, V = rows per point of the channel structure:
 *   forward : one ForwardJet pass against three matmuls (N·V × h)·(h × h);
 *   backward: one BackwardJet pass from a fixed output cotangent against the matmuls a backward
 *             pass needs: dW_l = Z̄_lᵀ·A_l for every layer, (h × N·V)·(N·V × h), and Ā_l = Z̄_l·W_l for
 *             the two upper layers, (N·V × h)·(h × h). The input layer needs no input cotangent, so
 *             that is 5/3 of the forward's matmul work, not 2×.
 * Every timed repetition runs these four kernels of both channel structures in turn (so background
 * load hits all eight alike) after warm-up; we report medians with the min–max spread and check the
 * kernel issue's two targets.
 */
import { BackwardJet } from '../../src/engine/backwardJet.ts';
import { ForwardJet } from '../../src/engine/forwardJet.ts';
import {
  type ChannelStructure,
  type JetShape,
  layerElements,
  packParameters,
  parameterLayout,
  rowsPerPoint,
} from '../../src/engine/jetLayout.ts';
import { MatmulBaseline } from './matmulBaseline.ts';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { adapterSummary } from '../../src/gpu/adapterDescription.ts';
import { GpuMemory } from '../../src/gpu/gpuMemory.ts';
import { initParameters, type MlpArchitecture, toFloat32Parameters } from '../../src/jet/mlp.ts';
import { SeededRandom } from '../../src/jet/seededRandom.ts';
import { GpuTimer } from './gpuTimer.ts';

export interface KernelJet {
  label: string;
  order: number;
  directions: number;
}

export interface KernelPlan {
  points: number;
  widths: number[];
  jets: KernelJet[];
  warmup: number;
  minReps: number;
  maxReps: number;
  /**
   * Repetitions are added until the eight kernels of a width and jet have run this long (at least
   * minReps).
   */
  targetMs: number;
  /**
   * Wall-clock budget of the whole run, s (none for `npm run bench:kernels`): each width and jet
   * gets at most its share of what is left, and those the budget cannot reach are listed as not
   * run in the results.
   */
  budgetSeconds?: number;
  /**
   * Time every kernel with GPU timestamps (the device must have `timestamp-query`) instead of
   * submit-to-done on the host, which on a GPU is mostly the round trip of a short kernel.
   */
  gpuTimestamps?: boolean;
  log?: (line: string) => void;
  /** The results file so far, after every width and jet (the kit writes it as it goes). */
  onProgress?: (partial: Record<string, unknown>) => void;
}

export const defaultKernelPlan: KernelPlan = {
  points: 32,
  widths: [64, 128, 256],
  jets: [
    { label: 'Laplacian', order: 2, directions: 16 },
    { label: 'order 4', order: 4, directions: 4 },
  ],
  warmup: 2,
  minReps: 7,
  maxReps: 25,
  // Other work shares the two cores, so single runs scatter by up to 2×; this many keeps the
  // medians steady while the whole run stays within about 4 minutes on SwiftShader.
  targetMs: 20000,
};

const STRUCTURES: ChannelStructure[] = ['standard', 'collapsed'];
/** The issue's targets: jets keep ≥ 70 % of the plain matmul's throughput on the same work… */
const THROUGHPUT_TARGET = 0.7;
const MAX_TIME_RATIO = 1 / THROUGHPUT_TARGET;
/** …and collapsed jets beat standard ones by this factor for the R = 16 Laplacian. */
const SPEEDUP_TARGET = 1.7;
const SPEEDUP_DIRECTIONS = 16;

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

/**
 * Arithmetic of the transposed tanh Taylor rule per unit and direction, as jetBackward.wgsl does
 * it: the series D = σ'(z(t)) to order K by tanh's ODE (y_k: k terms of 2 mul + 1 add and a
 * division; D_k = −(2·y_0·y_k + Σ_{i=1..k−1} y_i y_{k−i})), then the transposed Cauchy product
 * (the value-row term Σ_k ē_k D_k and f̄_m = Σ_{k=m..K} ē_k D_{k−m} for the stored orders m) and
 * the add into the value row. The collapsed structure still needs D up to order K.
 */
function transposedTaylorRuleFlops(order: number, collapsed: boolean): number {
  let flops = 0;
  for (let k = 1; k <= order; k++) flops += 3 * k + 1 + 2 * (k - 1) + 3;
  flops += 2 * order + 1;
  const stored = collapsed ? order - 1 : order;
  for (let m = 1; m <= stored; m++) flops += 2 * (order - m + 1);
  return flops;
}

/**
 * FLOPs of the backward pass, counted from the math: weight gradients of every layer over all N·V
 * rows, bias gradients over the value rows, input cotangents of the upper layers, the transposed
 * Taylor rules of the hidden layers (plus s̄_0·σ' per unit, and in the collapsed structure the
 * top row's share of the value row and its own cotangent) and the collapsed first layer's
 * top-row sums of the input tangents.
 */
function backwardJetFlops(shape: JetShape, width: number, layers: number): number {
  const { points: N, directions: R, order: K } = shape;
  const V = rowsPerPoint(shape);
  const collapsed = shape.structure === 'collapsed';
  const weights = 2 * N * V * width * width * layers;
  const bias = N * width * layers;
  const inputCotangents = 2 * N * V * width * width * (layers - 1);
  const perUnit = R * transposedTaylorRuleFlops(K, collapsed) + 1 + (collapsed ? 4 : 0);
  const taylor = (layers - 1) * N * width * perUnit;
  const topSum = collapsed ? N * (R - 1) * width : 0;
  return weights + bias + inputCotangents + taylor + topSum;
}

/** Median and range of one kernel's timed repetitions, in ms. */
interface Spread {
  median: number;
  min: number;
  max: number;
}

function spreadOf(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** One pass (forward or backward) of a configuration against its plain matmul work. */
interface PassResult {
  jetMs: Spread;
  matmulMs: Spread;
  /** Counted from the math: jetFlops / backwardJetFlops, and 2·rows·inputs·outputs per matmul. */
  jetFlops: number;
  matmulFlops: number;
  jetGflops: number;
  matmulGflops: number;
  /** Median jet time / median matmul time. */
  timeRatio: number;
}

function passResult(
  jetTimes: number[],
  matmulTimes: number[],
  jetFlopCount: number,
  matmulFlops: number,
): PassResult {
  const jetMs = spreadOf(jetTimes);
  const matmulMs = spreadOf(matmulTimes);
  return {
    jetMs,
    matmulMs,
    jetFlops: jetFlopCount,
    matmulFlops,
    jetGflops: jetFlopCount / jetMs.median / 1e6,
    matmulGflops: matmulFlops / matmulMs.median / 1e6,
    timeRatio: jetMs.median / matmulMs.median,
  };
}

export interface Row {
  jet: string;
  order: number;
  directions: number;
  structure: ChannelStructure;
  width: number;
  points: number;
  rowsPerPoint: number;
  repetitions: number;
  forward: PassResult;
  backward: PassResult;
}

/** What the run produced: the results file's object and its Markdown report. */
export interface KernelRun {
  json: Record<string, unknown>;
  markdown: string;
}

/** One configuration ready to time: its four kernels in the order they run, and its row's data. */
interface Setup {
  shape: JetShape;
  layers: number;
  /** Forward jet, its matmuls, backward jet, its matmuls. */
  kernels: ((encoder: GPUCommandEncoder) => void)[];
  destroy: () => void;
}

interface Speedups {
  forward: number;
  backward: number;
  total: number;
}

export async function runKernels(gpu: GpuContext, plan: KernelPlan): Promise<KernelRun> {
  const log = plan.log ?? console.log;
  const POINTS = plan.points;
  const device = gpu.device;
  const memory = new GpuMemory(device);
  const random = new SeededRandom(2024);

  const timer = new GpuTimer(device, plan.gpuTimestamps === true);
  /** Host time from submit to done, or with gpuTimestamps the GPU time of the kernel alone. */
  async function timeOnce(encode: (encoder: GPUCommandEncoder) => void): Promise<number> {
    const { ms, gpuMs } = await timer.time(encode);
    return gpuMs ?? ms;
  }

  async function setUp(width: number, jet: KernelJet, structure: ChannelStructure): Promise<Setup> {
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
    const backward = await BackwardJet.create(memory, architecture, shape, 'dense');
    const uniform = (n: number): Float32Array =>
      new Float32Array(n).map(() => random.uniformIn(-1, 1) / Math.sqrt(width));
    forward.upload(uniform(POINTS * width), {
      kind: 'dense',
      values: uniform(POINTS * jet.directions * jet.order * width),
    });
    const cotangent = memory.createFrom('bench cotangent', uniform(layerElements(shape, width)));
    const gradient = memory.create(
      'bench gradient',
      parameterLayout(architecture.widths).count * 4,
    );
    const matmulShape = { rows: POINTS * V, inputs: width, outputs: width };
    const a = memory.createFrom('bench a', uniform(matmulShape.rows * width));
    const c = memory.create('bench c', matmulShape.rows * width * 4);
    // Ā = Z̄·W has the forward product's shape (W is square), so the same matmul stands in.
    const matmul = await MatmulBaseline.create(memory, matmulShape, { a, w: parameters, c });
    // dW = Z̄ᵀ·A as C = A'·W'ᵀ with A' = Z̄ᵀ and W' = Aᵀ, both h × N·V: the plain matmul gets its
    // operands pre-transposed, the fused kernel reads the row layout as stored.
    const weightShape = { rows: width, inputs: POINTS * V, outputs: width };
    const zBarT = memory.createFrom('bench Z̄ᵀ', uniform(width * POINTS * V));
    const inputT = memory.createFrom('bench Aᵀ', uniform(width * POINTS * V));
    const weightGradient = memory.create('bench dW', width * width * 4);
    const weightMatmul = await MatmulBaseline.create(memory, weightShape, {
      a: zBarT,
      w: inputT,
      c: weightGradient,
    });
    return {
      shape,
      layers,
      kernels: [
        (encoder) => forward.encode(encoder),
        (encoder) => {
          for (let l = 0; l < layers; l++) matmul.encode(encoder);
        },
        (encoder) =>
          backward.encode(encoder, {
            forward: forward.buffers,
            params: parameters,
            cotangent,
            gradient,
          }),
        (encoder) => {
          for (let l = 0; l < layers; l++) weightMatmul.encode(encoder);
          for (let l = 1; l < layers; l++) matmul.encode(encoder);
        },
      ],
      destroy: () => {
        weightMatmul.destroy();
        matmul.destroy();
        backward.destroy();
        forward.destroy();
        for (const buffer of [
          a,
          c,
          zBarT,
          inputT,
          weightGradient,
          cotangent,
          gradient,
          parameters,
        ]) {
          memory.destroy(buffer);
        }
      },
    };
  }

  function resultRow(width: number, jet: KernelJet, setup: Setup, times: number[][]): Row {
    const { shape, layers } = setup;
    const V = rowsPerPoint(shape);
    const forwardMatmulFlops = 2 * POINTS * V * width * width * layers;
    return {
      jet: jet.label,
      order: jet.order,
      directions: jet.directions,
      structure: shape.structure,
      width,
      points: POINTS,
      rowsPerPoint: V,
      repetitions: times[0].length,
      forward: passResult(times[0], times[1], jetFlops(shape, width, layers), forwardMatmulFlops),
      backward: passResult(
        times[2],
        times[3],
        backwardJetFlops(shape, width, layers),
        (forwardMatmulFlops * (2 * layers - 1)) / layers,
      ),
    };
  }

  const started = performance.now();
  const budgetMs = plan.budgetSeconds === undefined ? Infinity : plan.budgetSeconds * 1000;
  const rows: Row[] = [];
  const notRun: { width: number; jet: string; reason: string }[] = [];
  const pairs = plan.widths.flatMap((width) => plan.jets.map((jet) => ({ width, jet })));
  /** Per jet, its last width's build time and time per repetition (all eight kernels). */
  const lastPair = new Map<string, { width: number; setupMs: number; repMs: number }>();
  /** The results file and report of what has run so far. */
  function assemble(): KernelRun {
    const runSeconds = (performance.now() - started) / 1000;

    const adapter = gpu.adapter;
    const date = new Date().toISOString();

    /** Standard time / collapsed time of a collapsed row's configuration; null for standard rows. */
    function collapsedSpeedups(row: Row): Speedups | null {
      if (row.structure !== 'collapsed') return null;
      const standard = rows.find(
        (r) => r.structure === 'standard' && r.width === row.width && r.jet === row.jet,
      );
      if (!standard) return null;
      const f = (r: Row): number => r.forward.jetMs.median;
      const b = (r: Row): number => r.backward.jetMs.median;
      return {
        forward: f(standard) / f(row),
        backward: b(standard) / b(row),
        total: (f(standard) + b(standard)) / (f(row) + b(row)),
      };
    }

    const describeRow = (r: Row | undefined): string =>
      r ? `h=${r.width} ${r.jet} ${r.structure}` : 'none';
    const range = (s: Spread): string => `${s.min.toFixed(1)}–${s.max.toFixed(1)}`;

    function passTable(
      title: string,
      pass: (r: Row) => PassResult,
      speedup: keyof Speedups,
    ): string[] {
      return [
        title,
        '',
        '| h | jet | structure | V | jet ms | matmul ms | jet GFLOP/s | matmul GFLOP/s | time ratio | collapsed speedup | jet ms min–max | matmul ms min–max |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|',
        ...rows.map((r) => {
          const p = pass(r);
          const s = collapsedSpeedups(r);
          return (
            `| ${r.width} | ${r.jet} (K=${r.order}, R=${r.directions}) | ${r.structure} | ${r.rowsPerPoint} | ` +
            `${p.jetMs.median.toFixed(1)} | ${p.matmulMs.median.toFixed(1)} | ${p.jetGflops.toFixed(2)} | ` +
            `${p.matmulGflops.toFixed(2)} | ${p.timeRatio.toFixed(2)} | ` +
            `${s ? `${s[speedup].toFixed(2)}×` : ''} | ${range(p.jetMs)} | ${range(p.matmulMs)} |`
          );
        }),
        '',
      ];
    }

    /** Target 1: every fused pass within MAX_TIME_RATIO of its plain matmul work. */
    function throughputCheck(name: string, pass: (r: Row) => PassResult) {
      const ratios = rows.map((r) => pass(r).timeRatio);
      const worst = rows[ratios.indexOf(Math.max(...ratios))];
      return {
        pass: name,
        within: ratios.filter((x) => x <= MAX_TIME_RATIO).length,
        of: rows.length,
        minRatio: Math.min(...ratios),
        maxRatio: Math.max(...ratios),
        worst: describeRow(worst),
      };
    }
    const throughput = [
      throughputCheck('forward', (r) => r.forward),
      throughputCheck('backward', (r) => r.backward),
    ];
    const throughputMet = throughput.every((t) => t.within === t.of);

    /** Target 2: the R = 16 Laplacian's collapsed speedups, per width and pass. */
    const laplacian = rows
      .filter((r) => r.directions === SPEEDUP_DIRECTIONS)
      .flatMap((r) => {
        const s = collapsedSpeedups(r);
        return s ? [{ width: r.width, ...s }] : [];
      });
    const speedupPasses: (keyof Speedups)[] = ['forward', 'backward', 'total'];
    const speedupsMet = laplacian.flatMap((s) => speedupPasses.map((p) => s[p] >= SPEEDUP_TARGET));
    const speedupMet = speedupsMet.every((met) => met);
    const verdict = (met: boolean): string => (met ? '**met**' : '**not met**');
    const passNames: Record<keyof Speedups, string> = {
      forward: 'forward',
      backward: 'backward',
      total: 'forward+backward',
    };

    const summary = [
      'Targets:',
      '',
      `- Fused jet kernels within ${THROUGHPUT_TARGET * 100} % of the plain matmul's throughput ` +
        `(time ratio ≤ 1/${THROUGHPUT_TARGET} = ${MAX_TIME_RATIO.toFixed(2)}): ${verdict(throughputMet)}. ` +
        throughput
          .map(
            (t) =>
              `${t.pass}: ${t.within}/${t.of} configurations within, ratios ` +
              `${t.minRatio.toFixed(2)}–${t.maxRatio.toFixed(2)} (worst ${t.worst})`,
          )
          .join('; ') +
        '.',
      `- Collapsed ≥ ${SPEEDUP_TARGET}× faster than standard at R = ${SPEEDUP_DIRECTIONS} ` +
        `(h = ${laplacian.map((s) => s.width).join(' / ')}): ${verdict(speedupMet)}, ` +
        `${speedupsMet.filter((met) => met).length}/${speedupsMet.length} reach it. ` +
        speedupPasses
          .map((p) => `${passNames[p]} ${laplacian.map((s) => `${s[p].toFixed(2)}×`).join(' / ')}`)
          .join('; ') +
        '.',
      '',
    ];

    const markdown = [
      `Fused forward and backward jet kernels vs. plain tiled matmuls doing the same matrix work on ${adapterSummary(adapter)}.`,
      `Measured ${date} with Node ${process.version}; the run took ${runSeconds.toFixed(0)} s.`,
      '',
      `MLP [h, h, h, h], tanh, dense input tangents, no boundary factor, N = ${POINTS} points, V rows per point.`,
      'FLOPs are counted from the math, not from what the kernels happen to execute:',
      '- forward jet: 2·N·V·h² per layer (3 layers), bias N·h per layer, the tanh Taylor rule per hidden',
      "  unit and direction, the collapsed first layer's top-row sums; plain matmul: 3 × 2·N·V·h².",
      '- backward jet: dW = Z̄ᵀ·A, 2·N·V·h² per layer (3), db N·h per layer, Ā = Z̄·W, 2·N·V·h² for the',
      '  two upper layers (the input layer needs no input cotangent), the transposed tanh Taylor rule per',
      '  hidden unit and direction, the collapsed top-row sums; plain matmul: the same 5 × 2·N·V·h²',
      '  (3 products (h × N·V)·(N·V × h), operands pre-transposed, and 2 products (N·V × h)·(h × h)).',
      `Times are medians of ${plan.minReps}–${plan.maxReps} repetitions after ${plan.warmup} warm-up rounds, with the`,
      'min–max spread; the eight kernels of both structures of an h and jet alternate within each',
      'repetition. Time ratio = jet time / plain matmul time (1.00 = everything beyond the matmuls is',
      'free). Collapsed speedup = standard jet time / collapsed jet time of the same h and jet. On a',
      'software adapter only the ratios mean anything.',
      ...(plan.gpuTimestamps
        ? ['Times are GPU times from timestamps written before and after each kernel.']
        : []),
      '',
      ...passTable('Forward:', (r) => r.forward, 'forward'),
      ...passTable('Backward:', (r) => r.backward, 'backward'),
      ...summary,
      ...(notRun.length > 0
        ? ['Not run:', '', ...notRun.map((n) => `- h = ${n.width}, ${n.jet}: ${n.reason}`), '']
        : []),
    ].join('\n');

    const json: Record<string, unknown> = {
      adapter: {
        summary: adapterSummary(adapter),
        vendor: adapter.vendor,
        architecture: adapter.architecture,
        description: adapter.description,
        isSoftware: adapter.isSoftware,
      },
      date,
      node: process.version,
      runSeconds,
      settings: {
        points: POINTS,
        warmup: plan.warmup,
        minReps: plan.minReps,
        maxReps: plan.maxReps,
        targetMs: plan.targetMs,
        ...(plan.budgetSeconds !== undefined ? { budgetSeconds: plan.budgetSeconds } : {}),
        ...(plan.gpuTimestamps ? { timing: 'gpu timestamps' } : {}),
      },
      targets: {
        throughput: {
          minFraction: THROUGHPUT_TARGET,
          maxTimeRatio: MAX_TIME_RATIO,
          met: throughputMet,
          passes: throughput,
        },
        collapsedSpeedup: {
          directions: SPEEDUP_DIRECTIONS,
          minSpeedup: SPEEDUP_TARGET,
          met: speedupMet,
          byWidth: laplacian,
        },
      },
      results: rows,
      ...(notRun.length > 0 ? { notRun } : {}),
    };
    return { json, markdown };
  }

  for (const [index, { width, jet }] of pairs.entries()) {
    const leftMs = budgetMs - (performance.now() - started);
    // The last width of this jet, scaled by h² (the matmul work), predicts this one's least time:
    // its build, the warm-up rounds and the minimum repetitions.
    const last = lastPair.get(jet.label);
    const predictedMs = last
      ? (last.setupMs + last.repMs * (plan.warmup + plan.minReps)) * (width / last.width) ** 2
      : 0;
    if (leftMs <= 0 || predictedMs > leftMs) {
      const reason =
        leftMs <= 0
          ? `the run's time budget of ${plan.budgetSeconds} s was spent`
          : `predicted ${(predictedMs / 1000).toFixed(0)} s (from h = ${last?.width}, cost ∝ h²), ` +
            `more than the ${(leftMs / 1000).toFixed(0)} s left of the ${plan.budgetSeconds} s budget`;
      notRun.push({ width, jet: jet.label, reason });
      log(`h=${width} ${jet.label}: not run (${reason})`);
      continue;
    }
    const pairStart = performance.now();
    // A budget shares what is left among the widths and jets still to come.
    const targetMs = Math.min(plan.targetMs, leftMs / (pairs.length - index) / 2);
    // Both structures of a jet are timed in the same repetitions, so a change in background load
    // cannot masquerade as a collapsed speedup.
    const setups: Setup[] = [];
    try {
      for (const structure of STRUCTURES) setups.push(await setUp(width, jet, structure));
      const setupMs = performance.now() - pairStart;
      const kernels = setups.flatMap((s) => s.kernels);
      for (let i = 0; i < plan.warmup; i++) for (const kernel of kernels) await timeOnce(kernel);
      const times: number[][] = kernels.map(() => []);
      let elapsed = 0;
      const repsStart = performance.now();
      while (
        times[0].length < plan.maxReps &&
        (times[0].length < plan.minReps || elapsed < targetMs)
      ) {
        for (const [i, kernel] of kernels.entries()) {
          const ms = await timeOnce(kernel);
          times[i].push(ms);
          elapsed += ms;
        }
      }
      const repMs = (performance.now() - repsStart) / times[0].length;
      lastPair.set(jet.label, { width, setupMs, repMs });
      setups.forEach((setup, s) => {
        const count = setup.kernels.length;
        const row = resultRow(width, jet, setup, times.slice(s * count, (s + 1) * count));
        rows.push(row);
        const describe = (name: string, pass: PassResult): string =>
          `${name} jet ${pass.jetMs.median.toFixed(1)} ms (${pass.jetGflops.toFixed(2)} GFLOP/s), ` +
          `matmul ${pass.matmulMs.median.toFixed(1)} ms (${pass.matmulGflops.toFixed(2)} GFLOP/s), ` +
          `ratio ${pass.timeRatio.toFixed(2)}`;
        log(
          `h=${width} ${jet.label} (K=${jet.order}, R=${jet.directions}) ${row.structure}, ` +
            `${row.repetitions} reps: ${describe('forward', row.forward)}; ` +
            `${describe('backward', row.backward)}`,
        );
      });
    } finally {
      for (const setup of setups) setup.destroy();
    }
    plan.onProgress?.(assemble().json);
  }
  timer.destroy();
  return assemble();
}
