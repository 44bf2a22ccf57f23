/**
 * The two-point zeroth-order (SPSA) gradient estimate of SDZE (DESIGN.md §6), all on the GPU:
 * for each of q directions z_j, the loss at θ + εz_j and at θ − εz_j, then
 *   g = (1/q)·Σ_j (L(θ + εz_j) − L(θ − εz_j))/(2ε)·z_j.
 * Both losses of a pair are evaluated by the same graph at the same step, so they see identical
 * collocation points and random jets (common random numbers) and the spatial estimator's noise
 * cancels instead of growing like 1/ε². z_j is regenerated from (seed, step, j) for each trial
 * point and for the gradient write, never stored. The trial point θ ± εz_j is written into a
 * separate buffer (the trainer lends its gradient buffer, dead until the final write), so θ
 * itself is never perturbed and needs no restore: it stays bit-exact.
 */
import { type KernelCost, wordCost } from '../engine/kernelCost.ts';
import { reductionResultBytes, reductionWord } from '../engine/reductions.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import {
  bindBuffer,
  type BoundDirectionDispatch,
  type DirectionFamily,
  type DirectionPlan,
  DirectionStream,
  ParameterDirections,
  planParameterDirections,
} from './parameterDirections.ts';
import type { StepEncoder } from './boundedSubmits.ts';

/** A loss the estimator can evaluate at its trial point (ProblemGraph.encodeLoss, or a test's). */
export interface LossProbe {
  /** 32-byte reduction result holding the loss after encodeLoss. */
  readonly lossStats: GPUBuffer;
  /** The word of lossStats that is the loss (reductionWord); the mean when absent. */
  readonly lossWord?: number;
  /** Records the loss at the trial buffer's parameters with the current step's draws. */
  encodeLoss(steps: StepEncoder): void;
}

export interface ZerothOrderConfig {
  widths: readonly number[];
  seed: number;
  /** ε. */
  epsilon: number;
  /** q. */
  directions: number;
  family: DirectionFamily;
}

export interface ZerothOrderIo {
  /** θ (read only). */
  parameters: GPUBuffer;
  /** Where θ ± εz_j is written; the probe's loss pass must read this buffer. */
  trial: GPUBuffer;
  /** The estimate is written here (may be the trial buffer: it is written last). */
  gradient: GPUBuffer;
  /** Word 0: the step (random/stepCounter.ts). */
  stepCounter: GPUBuffer;
}

/** What a ZerothOrderEstimator allocates: the directions' table, the 2q losses, their summary. */
export interface ZerothOrderPlan {
  readonly directions: DirectionPlan;
  readonly named: { readonly losses: PlannedBuffer; readonly lossStats: PlannedBuffer };
  /** In order; the 2q trial-point dispatches, combine and summarize have a uniform each. */
  readonly buffers: readonly PlannedBuffer[];
}

export function planZerothOrder(config: ZerothOrderConfig): ZerothOrderPlan {
  const { epsilon, directions: q } = config;
  if (!(Number.isFinite(epsilon) && epsilon > 0)) {
    throw new RangeError(`the perturbation scale ε must be a positive number, got ${epsilon}`);
  }
  if (!Number.isInteger(q) || q < 1) {
    throw new RangeError(`the number of directions q must be a positive integer, got ${q}`);
  }
  const directions = planParameterDirections(directionConfig(config));
  const named = {
    losses: storageBuffer('two-point losses', 2 * q * 4),
    lossStats: storageBuffer('two-point loss statistics', reductionResultBytes),
  };
  return {
    directions,
    named,
    buffers: [
      ...directions.buffers,
      named.losses,
      named.lossStats,
      ...Array.from({ length: 2 * q }, () => bindBuffer('perturb')),
      bindBuffer('combine'),
      bindBuffer('summarize'),
    ],
  };
}

function directionConfig(config: ZerothOrderConfig) {
  return {
    widths: config.widths,
    seed: config.seed,
    stream: DirectionStream.perturbation,
    family: config.family,
  };
}

export class ZerothOrderEstimator {
  /**
   * Reduction result of the 2q losses (reductions.ts layout): its mean, L(θ) + O(ε²), is the
   * step's loss for logs and for the divergence guard.
   */
  readonly lossStats: GPUBuffer;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly directions: ParameterDirections,
    private readonly probe: LossProbe,
    private readonly losses: GPUBuffer,
    private readonly trials: BoundDirectionDispatch[],
    private readonly finish: BoundDirectionDispatch[],
    private readonly costs: { trial: KernelCost; finish: KernelCost },
    lossStats: GPUBuffer,
  ) {
    this.lossStats = lossStats;
  }

  static async create(
    memory: GpuMemory,
    config: ZerothOrderConfig,
    io: ZerothOrderIo,
    probe: LossProbe,
  ): Promise<ZerothOrderEstimator> {
    const { epsilon, directions: q } = config;
    const plan = planZerothOrder(config);
    if (io.parameters === io.trial) {
      throw new RangeError('the trial point needs its own buffer: θ is never perturbed in place');
    }
    const directions = await ParameterDirections.create(memory, directionConfig(config));
    const { named } = plan;
    const losses = memory.create(named.losses.label, named.losses.bytes);
    const lossStats = memory.create(named.lossStats.label, named.lossStats.bytes);
    const base = { stepCounter: io.stepCounter, parameters: io.parameters, losses };
    const trials: BoundDirectionDispatch[] = [];
    for (let j = 0; j < q; j++) {
      for (const sign of [1, -1]) {
        trials.push(
          directions.bind(
            'perturb',
            { ...base, destination: io.trial },
            { direction: j, scale: sign * epsilon },
          ),
        );
      }
    }
    const finish = [
      directions.bind('combine', { ...base, destination: io.gradient }, { directions: q, epsilon }),
      directions.bind('summarize', { ...base, destination: lossStats }, { directions: q }),
    ];
    // Stage costs for bounded submits (boundedSubmits.ts): the words of θ read and θ ± εz or g
    // written per parameter (combine reads the 2q losses per parameter too); the directions'
    // arithmetic is not counted (a normal's Box–Muller share, 3.5 FLOPs; a subspace direction's
    // r-term sums), so these passes' predictions are low by that.
    const count = plan.directions.count;
    const costs = { trial: wordCost(0, count, count), finish: wordCost(0, 2 * q * count, count) };
    return new ZerothOrderEstimator(
      memory,
      directions,
      probe,
      losses,
      trials,
      finish,
      costs,
      lossStats,
    );
  }

  /**
   * Records the 2q loss passes and the gradient write (the step counter is already written), each
   * trial point and the gradient write a stage of its own, and the probe's stages within.
   */
  encodeGradient(steps: StepEncoder): void {
    this.trials.forEach((trial, k) => {
      steps.beginStage(this.costs.trial);
      const pass = steps.encoder.beginComputePass({ label: `trial point ${k}` });
      trial.record(pass);
      pass.end();
      this.probe.encodeLoss(steps);
      steps.encoder.copyBufferToBuffer(
        this.probe.lossStats,
        4 * (this.probe.lossWord ?? reductionWord.mean),
        this.losses,
        4 * k,
        4,
      );
    });
    steps.beginStage(this.costs.finish);
    const pass = steps.encoder.beginComputePass({ label: 'zeroth-order gradient' });
    for (const step of this.finish) step.record(pass);
    pass.end();
  }

  destroy(): void {
    this.directions.destroy();
    this.memory.destroy(this.losses);
    this.memory.destroy(this.lossStats);
  }
}
