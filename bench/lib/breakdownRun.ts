/**
 * The step breakdown as a function (bench/stepBreakdown.ts is its command line, the GPU kit
 * another caller): the stages of a Trainer step of two-body Allen–Cahn (sparse B jets, collapsed),
 * each submitted and timed on its own, at every d of a plan. With `gpuTimestamps` (a device that
 * has the `timestamp-query` feature) each stage is also timed on the GPU: an empty compute pass
 * writes a timestamp before the stage and another after it, in the same command buffer, so the
 * difference is the stage's GPU time without the submit and the wait.
 */
import { BackwardJet, planBackwardJet } from '../../src/engine/backwardJet.ts';
import { backwardJetCost } from '../../src/engine/backwardJetCost.ts';
import {
  DivergenceGuard,
  gradientScanCost,
  planDivergenceGuard,
} from '../../src/engine/divergenceGuard.ts';
import { ForwardJet, planForwardJet } from '../../src/engine/forwardJet.ts';
import { forwardJetCost } from '../../src/engine/forwardJetCost.ts';
import { layerElements, packParameters, parameterLayout } from '../../src/engine/jetLayout.ts';
import type { KernelCost } from '../../src/engine/kernelCost.ts';
import { GpuAdam, optimizerCost, planOptimizer } from '../../src/engine/optimizers.ts';
import { wholeTensor } from '../../src/engine/parameterBlocks.ts';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { GpuMemory } from '../../src/gpu/gpuMemory.ts';
import { initParameters } from '../../src/jet/mlp.ts';
import { laplacianOperator } from '../../src/operators/laplacian.ts';
import { type BallPdeEntry, findPde } from '../../src/pdes/index.ts';
import { RandomStream } from '../../src/random/counterRandom.ts';
import {
  BALL_BLOCK,
  GpuPointSamplers,
  planBallDraw,
  pointDrawCost,
} from '../../src/random/gpuPointSamplers.ts';
import { GpuRandomJets, planRandomJets, randomJetsCost } from '../../src/random/gpuRandomJets.ts';
import { GpuStepCounter } from '../../src/random/stepCounter.ts';
import { architectureOf, resolveTrainingOptions } from '../../src/train/options.ts';
import { BallExactAtPoints, exactAtPointsCost } from '../../src/train/ballExactAtPoints.ts';
import type { BreakdownResults, BreakdownRow, BreakdownStage } from './breakdownTypes.ts';
import { adapterRecord, finishMachineRecord, machineRecord } from './machine.ts';
import { GpuTimer } from './gpuTimer.ts';
import { achievedThroughput, type DeviceRates, predictedTime } from './roofline.ts';
import { type Spread, spreadOf } from './stats.ts';

export interface BreakdownPlan {
  dimensions: number[];
  setup: { points: number; width: number; depth: number; jets: number };
  repetitions: number;
  /** Also time every stage with GPU timestamps (the device must have `timestamp-query`). */
  gpuTimestamps: boolean;
  /** Add each stage's roofline time on this GPU (--bandwidth, --fp32): predicted, not measured. */
  predictFor?: DeviceRates;
  /**
   * Wall-clock budget, s (none for `npm run bench:breakdown`): a d whose rounds would not fit in
   * what is left (predicted from the previous d's build and rounds, at least as long) is listed as
   * not run.
   */
  budgetSeconds?: number;
  command: string;
  log?: (line: string) => void;
  /** The results so far, after every d (the kit writes them as it goes). */
  onProgress?: (partial: BreakdownResults) => void;
}

export const defaultBreakdownPlan: BreakdownPlan = {
  dimensions: [100, 10_000, 100_000],
  setup: { points: 32, width: 32, depth: 3, jets: 16 },
  repetitions: 3,
  gpuTimestamps: false,
  command: 'npm run bench:breakdown',
};

type Encode = (encoder: GPUCommandEncoder) => void;

export async function runBreakdown(
  gpu: GpuContext,
  plan: BreakdownPlan,
): Promise<BreakdownResults> {
  const log = plan.log ?? console.log;
  const machine = machineRecord();
  const device = gpu.device;
  const { setup } = plan;
  const started = performance.now();
  const budgetMs = plan.budgetSeconds === undefined ? Infinity : plan.budgetSeconds * 1000;
  const timer = new GpuTimer(device, plan.gpuTimestamps);
  const rows: BreakdownRow[] = [];
  const notRun: { dimension: number; reason: string }[] = [];
  let previousMs = 0;
  const assemble = (): BreakdownResults => ({
    benchmark: 'stepBreakdown',
    date: new Date().toISOString(),
    runSeconds: (performance.now() - started) / 1000,
    machine: finishMachineRecord(machine),
    adapter: adapterRecord(gpu.adapter),
    command: plan.command,
    setup: { ...setup, pde: 'allen-cahn-two-body', estimator: 'sparse', structure: 'collapsed' },
    repetitions: plan.repetitions,
    rows,
    ...(plan.gpuTimestamps ? { gpuTimestamps: true } : {}),
    ...(plan.predictFor ? { predictedFor: plan.predictFor } : {}),
    ...(notRun.length > 0 ? { notRun } : {}),
  });
  try {
    for (const d of plan.dimensions) {
      const leftMs = budgetMs - (performance.now() - started);
      if (leftMs <= 0 || previousMs > leftMs) {
        const reason =
          leftMs <= 0
            ? `the run's time budget of ${plan.budgetSeconds} s was spent`
            : `the previous d took ${(previousMs / 1000).toFixed(1)} s, more than the ${(leftMs / 1000).toFixed(0)} s left of the ${plan.budgetSeconds} s budget`;
        notRun.push({ dimension: d, reason });
        log(`d=${d}: not run (${reason})`);
        plan.onProgress?.(assemble());
        continue;
      }
      const dStart = performance.now();
      const options = resolveTrainingOptions({
        dimension: d,
        points: setup.points,
        width: setup.width,
        depth: setup.depth,
        jetsPerPoint: setup.jets,
        testPoints: setup.points,
      });
      const pde = findPde(options.pde) as BallPdeEntry;
      const architecture = architectureOf(options);
      const memory = new GpuMemory(device);
      const N = setup.points;
      const operator = laplacianOperator({ dimension: d, method: 'sparse', samples: setup.jets });
      const shape = operator.shape(N, 'collapsed');
      const count = parameterLayout(architecture.widths).count;
      const params = memory.createFrom(
        'parameters',
        packParameters(architecture.widths, initParameters(architecture, 0)),
      );
      const gradient = memory.create('gradient', count * 4);
      const counter = new GpuStepCounter(memory);
      counter.set(1);
      // The trainer's draw (ballProblemGraph.ts): stored points with their ‖x‖², which the
      // boundary factor reads.
      const pointDrawPlan = planBallDraw(
        d,
        options.sampler,
        N,
        { seed: 0 },
        BALL_BLOCK,
        'stored',
        true,
      );
      const pointDraw = (await GpuPointSamplers.create(device, ['ball', 'ballNorms'])).prepare(
        memory,
        counter.buffer,
        pointDrawPlan,
      );
      const draw = operator.draw;
      if (draw.kind !== 'random') throw new Error('the sparse Laplacian draws random jets');
      const jetDraw = (await GpuRandomJets.create(device)).prepare(
        memory,
        draw.spec,
        N,
        { seed: 0, stream: RandomStream.jets },
        counter.buffer,
      );
      if (jetDraw.tangents.kind !== 'oneHot') throw new Error('sparse jets are one-hot');
      const exact = await BallExactAtPoints.create(memory, pde, d, 0, {
        buffer: pointDraw.points,
        count: N,
        label: 'collocation',
      });
      const forward = await ForwardJet.create(
        memory,
        { architecture, shape, tangentKind: 'oneHot', points: pointDraw.source },
        params,
        {
          x: pointDraw.points,
          pointNorms: pointDraw.partials,
          tangents: jetDraw.tangents.coefficient,
          tangentIndex: jetDraw.tangents.index,
        },
      );
      const cotangent = memory.createFrom(
        'cotangent',
        new Float32Array(layerElements(shape, 1)).fill(1 / N),
      );
      const backward = await BackwardJet.create(memory, architecture, shape, 'oneHot');
      const guard = await DivergenceGuard.create(memory, count);
      const adam = await GpuAdam.create(memory, count);
      // The optimizer and the guard take θ and g as blocked tensors: here one buffer each.
      const paramsTensor = wholeTensor(params, count);
      const gradientTensor = wholeTensor(gradient, count);
      let step = 0;
      const inPass =
        (record: (pass: GPUComputePassEncoder) => void): Encode =>
        (e) => {
          const pass = e.beginComputePass();
          record(pass);
          pass.end();
        };
      // Each stage's cost from the plans of the very configurations built above.
      const limits = device.limits;
      const jetConfig = {
        architecture,
        shape,
        tangentKind: 'oneHot' as const,
        points: pointDraw.source,
      };
      const stages: { stage: string; encode: Encode; cost: KernelCost }[] = [
        {
          stage: 'point draw',
          encode: inPass((pass) => pointDraw.record(pass)),
          cost: pointDrawCost(pointDrawPlan),
        },
        {
          stage: 'jet draw',
          encode: inPass((pass) => jetDraw.record(pass)),
          cost: randomJetsCost(planRandomJets(draw.spec, N, { seed: 0 })),
        },
        {
          stage: 'exact source f at the points',
          encode: inPass((pass) => exact.record(pass)),
          cost: exactAtPointsCost(pde.solution.id, d, N),
        },
        {
          stage: 'forward jets',
          encode: (e) => forward.encode(e),
          cost: forwardJetCost(planForwardJet(jetConfig, limits, { externalInputs: true })),
        },
        {
          stage: 'backward jets',
          encode: (e) =>
            backward.encode(e, { forward: forward.buffers, params, cotangent, gradient }),
          cost: backwardJetCost(planBackwardJet(jetConfig, limits)),
        },
        {
          // What a step that does not log runs (trainer.ts): the scan, not the norm's reduction.
          stage: 'divergence check',
          encode: (e) => guard.encodeScan(e, { gradient: gradientTensor, step: ++step }),
          cost: gradientScanCost(planDivergenceGuard({ gradientCount: count }, limits)),
        },
        {
          stage: 'Adam',
          encode: (e) =>
            adam.encodeStep(e, {
              params: paramsTensor,
              gradient: gradientTensor,
              learningRate: 1e-3,
              guard,
              step: ++step,
            }),
          cost: optimizerCost(planOptimizer({ kind: 'adam', parameterCount: count }, limits)),
        },
      ];
      // One untimed round, then rounds of every stage in turn (background load hits all alike).
      for (const s of stages) await timer.time(s.encode);
      const times = stages.map(() => [] as number[]);
      const gpuTimes = stages.map(() => [] as number[]);
      for (let r = 0; r < plan.repetitions; r++) {
        for (const [i, s] of stages.entries()) {
          const { ms, gpuMs } = await timer.time(s.encode);
          times[i].push(ms);
          if (gpuMs !== null) gpuTimes[i].push(gpuMs);
        }
      }
      const row: BreakdownRow = {
        dimension: d,
        parameters: count,
        stages: stages.map((s, i) =>
          stageRecord(
            s.stage,
            s.cost,
            spreadOf(times[i]),
            gpuTimes[i].length > 0 ? spreadOf(gpuTimes[i]) : undefined,
            plan.predictFor,
          ),
        ),
      };
      rows.push(row);
      log(
        `d=${d}: ${row.stages
          .map(
            (s) =>
              `${s.stage} ${s.ms.median.toFixed(1)} ms` +
              (s.gpuMs ? ` (GPU ${s.gpuMs.median.toFixed(2)} ms)` : ''),
          )
          .join(', ')}`,
      );
      forward.destroy();
      backward.destroy();
      guard.destroy();
      adam.destroy();
      exact.destroy();
      jetDraw.destroy();
      memory.destroyAll();
      previousMs = performance.now() - dStart;
      plan.onProgress?.(assemble());
    }
  } finally {
    timer.destroy();
  }

  return assemble();
}

/** A stage's times with its cost, the throughput they imply and, for `rates`, its roofline time. */
function stageRecord(
  stage: string,
  cost: KernelCost,
  ms: Spread,
  gpuMs: Spread | undefined,
  rates: DeviceRates | undefined,
): BreakdownStage {
  return {
    stage,
    ms,
    ...(gpuMs ? { gpuMs } : {}),
    cost,
    achieved: achievedThroughput(cost, (gpuMs ?? ms).median),
    ...(rates ? { predicted: predictedTime(cost, rates) } : {}),
  };
}
