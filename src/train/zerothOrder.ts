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
 *
 * Inline (ZerothOrderConfig.inline, the full family): neither the trial point nor the gradient is
 * stored. The loss pass reads θ + εz_j itself (a perturbed forward jet, jetForward.wgsl PERTURBED),
 * told the direction and scale of each trial point through its perturbation uniform, which this
 * estimator fills from a table before each pass; the optimizer sums g from the 2q losses as it
 * updates θ (optimizersChecked.wgsl's inline entries, InlineGradient). The same draws and the
 * same f32 arithmetic (lib/twoPoint.wgsl), so the same bits as the stored estimate and update,
 * with the parameters held once: at d = 10⁷ that is 5 GB of trial point or gradient less.
 *
 * θ, the trial point and the gradient may each be split into parameter blocks
 * (engine/parameterBlocks.ts), all three the same way: every perturb and the combine run once per
 * block over that block's buffers, drawing z at the flat index, so a split estimate writes the
 * bits of the whole one.
 */
import { type KernelCost, wordCost } from '../engine/kernelCost.ts';
import {
  type BlockedTensor,
  type ParameterBlocks,
  sameBlocks,
  singleBlock,
} from '../engine/parameterBlocks.ts';
import { reductionResultBytes, reductionWord } from '../engine/reductions.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import {
  bindBuffer,
  type BoundDirectionDispatch,
  type DirectionFamily,
  type DirectionPlan,
  type DirectionValues,
  DirectionStream,
  ParameterDirections,
  planParameterDirections,
} from './parameterDirections.ts';
import type { StepEncoder } from './boundedSubmits.ts';
import { perturbationView } from '../engine/forwardJet.ts';
import type { InlineGradient } from '../engine/optimizers.ts';

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
  /**
   * How θ, the trial point and the gradient are split (planParameterBlocks of `widths`); one
   * block when absent.
   */
  blocks?: ParameterBlocks;
  /**
   * Trial point read inline by the loss pass and gradient summed inline by the update, neither
   * stored (the header; the full family only). Default false.
   */
  inline?: boolean;
}

/** The perturbation uniform of a loss pass that reads the trial point inline (ForwardJet's). */
export interface InlineTrial {
  perturbation: GPUBuffer;
}

export interface ZerothOrderIo {
  /** θ (read only). */
  parameters: BlockedTensor;
  /**
   * Where θ ± εz_j is written, which the probe's loss pass must read; inline, the perturbation
   * uniform of the probe's pass, which reads θ.
   */
  trial: BlockedTensor | InlineTrial;
  /** The estimate is written here (may be the trial tensor: it is written last); null inline. */
  gradient: BlockedTensor | null;
  /** Word 0: the step (random/stepCounter.ts). */
  stepCounter: GPUBuffer;
}

/**
 * What a ZerothOrderEstimator allocates: the directions' table, the 2q losses, their summary, and
 * inline the table of the 2q trial points' perturbation uniforms.
 */
export interface ZerothOrderPlan {
  readonly directions: DirectionPlan;
  /** The parameter blocks every perturb and the combine run over. */
  readonly blocks: ParameterBlocks;
  readonly inline: boolean;
  readonly named: {
    readonly losses: PlannedBuffer;
    readonly lossStats: PlannedBuffer;
    /** Inline only: 2q packed Perturbation structs (perturbationView), trial point k at k·size. */
    readonly trialTable: PlannedBuffer | null;
  };
  /**
   * In order; stored, each of the 2q trial points has a perturb uniform per block and the combine
   * one per block; summarize one.
   */
  readonly buffers: readonly PlannedBuffer[];
}

function describeBlocks(plan: ParameterBlocks): string {
  const shown = plan.blocks.slice(0, 6).map((b) => `[${b.start}, ${b.start + b.count})`);
  const more = plan.blocks.length > shown.length ? ` and ${plan.blocks.length - 6} more` : '';
  return `${plan.count} parameters in ${plan.blocks.length} block(s) ${shown.join(' ')}${more}`;
}

/** Blocks that tile 0..count − 1 in order, each non-empty; throws a RangeError naming them. */
function checkBlocks(plan: ParameterBlocks, count: number): void {
  let next = 0;
  for (const block of plan.blocks) {
    if (block.start !== next || !Number.isSafeInteger(block.count) || block.count < 1) break;
    next += block.count;
  }
  if (plan.count !== count || next !== count || plan.blocks.length === 0) {
    throw new RangeError(
      `zeroth-order estimate: the parameter blocks (${describeBlocks(plan)}) do not tile the ` +
        `network's ${count} parameters in order`,
    );
  }
}

export function planZerothOrder(config: ZerothOrderConfig): ZerothOrderPlan {
  const { epsilon, directions: q } = config;
  if (!(Number.isFinite(epsilon) && epsilon > 0)) {
    throw new RangeError(`the perturbation scale ε must be a positive number, got ${epsilon}`);
  }
  if (!Number.isInteger(q) || q < 1) {
    throw new RangeError(`the number of directions q must be a positive integer, got ${q}`);
  }
  const inline = config.inline ?? false;
  if (inline && config.family.kind !== 'full') {
    throw new RangeError(
      'the inline two-point estimate draws the full direction family only, not the subspace one',
    );
  }
  const directions = planParameterDirections(directionConfig(config));
  const blocks = config.blocks ?? singleBlock(directions.count);
  checkBlocks(blocks, directions.count);
  const perBlock = (entry: 'perturb' | 'combine') =>
    inline ? [] : blocks.blocks.map(() => bindBuffer(entry));
  const named = {
    losses: storageBuffer('two-point losses', 2 * q * 4),
    lossStats: storageBuffer('two-point loss statistics', reductionResultBytes),
    trialTable: inline
      ? storageBuffer('two-point trial points', 2 * q * perturbationView.size)
      : null,
  };
  return {
    directions,
    blocks,
    inline,
    named,
    buffers: [
      ...directions.buffers,
      named.losses,
      named.lossStats,
      ...(named.trialTable ? [named.trialTable] : []),
      ...Array.from({ length: 2 * q }, () => perBlock('perturb')).flat(),
      ...perBlock('combine'),
      bindBuffer('summarize'),
    ],
  };
}

/**
 * The perturbation uniforms of the 2q trial points, packed one after another: trial point 2j is
 * θ + εz_j, 2j + 1 is θ − εz_j; trainStep is 0, overwritten from the step counter before a pass.
 */
export function packTrialTable(config: ZerothOrderConfig): Uint8Array {
  const view = perturbationView;
  const table = new Uint8Array(2 * config.directions * view.size);
  for (let j = 0; j < config.directions; j++) {
    [1, -1].forEach((sign, k) => {
      const entry = view.pack({
        seed: config.seed,
        directionStream: DirectionStream.perturbation,
        direction: j,
        scale: sign * config.epsilon,
        trainStep: 0,
      });
      table.set(entry, (2 * j + k) * view.size);
    });
  }
  return table;
}

function directionConfig(config: ZerothOrderConfig) {
  return {
    widths: config.widths,
    seed: config.seed,
    stream: DirectionStream.perturbation,
    family: config.family,
  };
}

/** The io's trial point and gradient by kind; throws unless `inline` matches the io's kind. */
function ioOfKind(
  inline: boolean,
  io: ZerothOrderIo,
):
  | { kind: 'stored'; trial: BlockedTensor; gradient: BlockedTensor }
  | { kind: 'inline'; trial: InlineTrial } {
  const { trial, gradient } = io;
  if (inline && 'perturbation' in trial && gradient === null) return { kind: 'inline', trial };
  if (!inline && !('perturbation' in trial) && gradient !== null) {
    return { kind: 'stored', trial, gradient };
  }
  throw new RangeError(
    inline
      ? 'the inline zeroth-order estimate takes a perturbation uniform and no gradient tensor'
      : 'the stored zeroth-order estimate takes a trial tensor and a gradient tensor',
  );
}

/**
 * The blocks θ is split into, after checking that the trial point and the gradient (when stored)
 * are split the same way (and as the config's plan, when it has one), into buffers that hold
 * them, and that the trial point has buffers of its own. Throws a RangeError before anything is
 * allocated.
 */
function checkIo(config: ZerothOrderConfig, io: ZerothOrderIo): ParameterBlocks {
  const blocks = io.parameters.blocks;
  if (config.blocks && !sameBlocks(config.blocks, blocks)) {
    throw new RangeError(
      `zeroth-order estimate: θ is split into ${describeBlocks(blocks)}, the config's plan ` +
        `into ${describeBlocks(config.blocks)}`,
    );
  }
  const kinds = ioOfKind(config.inline ?? false, io);
  const stored = kinds.kind === 'stored' ? kinds : null;
  const tensors: [string, BlockedTensor][] = [
    ['θ', io.parameters],
    ...(stored
      ? ([
          ['the trial point', stored.trial],
          ['the gradient', stored.gradient],
        ] as [string, BlockedTensor][])
      : []),
  ];
  for (const [name, tensor] of tensors) {
    // One z per flat index and step: a tensor split another way would need its own dispatch
    // grid, and the trial point's block k is written from θ's block k element by element.
    if (!sameBlocks(tensor.blocks, blocks)) {
      throw new RangeError(
        `zeroth-order estimate: θ, the trial point and the gradient must be split into the ` +
          `same parameter blocks; θ has ${describeBlocks(blocks)}, ${name} ` +
          `${describeBlocks(tensor.blocks)}`,
      );
    }
    if (tensor.buffers.length !== blocks.blocks.length) {
      throw new RangeError(
        `zeroth-order estimate: ${name} has ${tensor.buffers.length} buffers for ` +
          `${blocks.blocks.length} parameter blocks`,
      );
    }
    blocks.blocks.forEach((block, k) => {
      if (tensor.buffers[k].size < 4 * block.count) {
        throw new RangeError(
          `zeroth-order estimate: ${name}'s block ${k} buffer holds ${tensor.buffers[k].size} ` +
            `bytes, fewer than its ${block.count} floats`,
        );
      }
    });
  }
  if (stored?.trial.buffers.some((buffer) => io.parameters.buffers.includes(buffer))) {
    throw new RangeError('the trial point needs its own buffers: θ is never perturbed in place');
  }
  return blocks;
}

/**
 * How trial point k reaches the loss pass: its perturb dispatches write the trial tensor, or
 * (inline) its table entry and the step are copied into the pass's perturbation uniform.
 */
type TrialWrite = (encoder: GPUCommandEncoder, k: number) => void;

function storedTrials(trials: BoundDirectionDispatch[][]): TrialWrite {
  return (encoder, k) => {
    const pass = encoder.beginComputePass({ label: `trial point ${k}` });
    for (const block of trials[k]) block.record(pass);
    pass.end();
  };
}

function inlineTrials(table: GPUBuffer, trial: InlineTrial, stepCounter: GPUBuffer): TrialWrite {
  const size = perturbationView.size;
  return (encoder, k) => {
    encoder.copyBufferToBuffer(table, k * size, trial.perturbation, 0, size);
    const at = perturbationView.offsetOf('trainStep');
    encoder.copyBufferToBuffer(stepCounter, 0, trial.perturbation, at, 4);
  };
}

export class ZerothOrderEstimator {
  /**
   * Reduction result of the 2q losses (reductions.ts layout): its mean, L(θ) + O(ε²), is the
   * step's loss for logs and for the divergence guard.
   */
  readonly lossStats: GPUBuffer;
  /** The 2q losses L(θ + εz_j), L(θ − εz_j), j = 0 … q − 1, after encodeGradient. */
  readonly losses: GPUBuffer;
  /**
   * Inline: the gradient of step `trainStep` as the two-point update sums it from `losses`
   * (optimizers.ts InlineGradient); null for an estimate written to the gradient tensor.
   */
  readonly inlineGradient: ((trainStep: number) => InlineGradient) | null;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly config: ZerothOrderConfig,
    private readonly directions: ParameterDirections,
    private readonly probe: LossProbe,
    private readonly writeTrial: TrialWrite,
    /** Inline: the trial points' perturbation uniforms; null stored. */
    private readonly trialTable: GPUBuffer | null,
    private readonly finish: BoundDirectionDispatch[],
    private readonly costs: { trial: KernelCost; finish: KernelCost },
    buffers: { losses: GPUBuffer; lossStats: GPUBuffer },
  ) {
    this.losses = buffers.losses;
    this.lossStats = buffers.lossStats;
    const { seed, directions: q, epsilon } = config;
    this.inlineGradient = trialTable
      ? (trainStep) => ({
          kind: 'inline',
          estimate: 'two-point',
          losses: this.losses,
          seed,
          directionStream: DirectionStream.perturbation,
          directions: q,
          epsilon,
          trainStep,
        })
      : null;
  }

  static async create(
    memory: GpuMemory,
    config: ZerothOrderConfig,
    io: ZerothOrderIo,
    probe: LossProbe,
  ): Promise<ZerothOrderEstimator> {
    const { epsilon, directions: q } = config;
    const blocks = checkIo(config, io);
    const plan = planZerothOrder({ ...config, blocks });
    const kinds = ioOfKind(plan.inline, io);
    const directions = await ParameterDirections.create(memory, directionConfig(config));
    const { named } = plan;
    const losses = memory.create(named.losses.label, named.losses.bytes);
    const lossStats = memory.create(named.lossStats.label, named.lossStats.bytes);
    const perBlock = (
      entry: 'perturb' | 'combine',
      destination: BlockedTensor,
      values: DirectionValues,
    ): BoundDirectionDispatch[] =>
      blocks.blocks.map((block, k) =>
        directions.bind(
          entry,
          {
            stepCounter: io.stepCounter,
            parameters: io.parameters.buffers[k],
            losses,
            destination: destination.buffers[k],
          },
          values,
          block,
        ),
      );
    // Trial point 2j is θ + εz_j, 2j + 1 is θ − εz_j (packTrialTable's order).
    let trialTable: GPUBuffer | null = null;
    let writeTrial: TrialWrite;
    if (kinds.kind === 'stored') {
      const perturb = (k: number) =>
        perBlock('perturb', kinds.trial, {
          direction: k >> 1,
          scale: (k % 2 === 0 ? 1 : -1) * epsilon,
        });
      writeTrial = storedTrials(Array.from({ length: 2 * q }, (_, k) => perturb(k)));
    } else {
      if (!named.trialTable) throw new Error('zeroth-order estimate: an inline plan has a table');
      trialTable = memory.createFrom(named.trialTable.label, packTrialTable(config));
      writeTrial = inlineTrials(trialTable, kinds.trial, io.stepCounter);
    }
    // summarize reads only the losses; θ's first block fills the binding it does not read.
    const finish = [
      ...(kinds.kind === 'stored'
        ? perBlock('combine', kinds.gradient, { directions: q, epsilon })
        : []),
      directions.bind(
        'summarize',
        {
          stepCounter: io.stepCounter,
          parameters: io.parameters.buffers[0],
          losses,
          destination: lossStats,
        },
        { directions: q },
      ),
    ];
    // Stage costs for bounded submits (boundedSubmits.ts), over all blocks: the words of θ read and
    // θ ± εz or g written per parameter (combine reads the 2q losses per parameter too); the directions'
    // arithmetic is not counted (a normal's Box–Muller share, 3.5 FLOPs; a subspace direction's
    // r-term sums), so these passes' predictions are low by that. Inline, both are the update's
    // and the loss pass's.
    const count = plan.directions.count;
    const costs =
      kinds.kind === 'stored'
        ? { trial: wordCost(0, count, count), finish: wordCost(0, 2 * q * count, count) }
        : { trial: wordCost(0, 0, 0), finish: wordCost(0, 2 * q, 8) };
    return new ZerothOrderEstimator(
      memory,
      config,
      directions,
      probe,
      writeTrial,
      trialTable,
      finish,
      costs,
      { losses, lossStats },
    );
  }

  /**
   * Records the 2q loss passes and the gradient write (the step counter is already written), each
   * trial point (all its blocks) and the gradient write a stage of its own, and the probe's stages
   * within. Inline there is no gradient write: the last stage summarizes the losses.
   */
  encodeGradient(steps: StepEncoder): void {
    for (let k = 0; k < 2 * this.config.directions; k++) {
      steps.beginStage(this.costs.trial);
      this.writeTrial(steps.encoder, k);
      this.probe.encodeLoss(steps);
      steps.encoder.copyBufferToBuffer(
        this.probe.lossStats,
        4 * (this.probe.lossWord ?? reductionWord.mean),
        this.losses,
        4 * k,
        4,
      );
    }
    steps.beginStage(this.costs.finish);
    const pass = steps.encoder.beginComputePass({ label: 'zeroth-order gradient' });
    for (const step of this.finish) step.record(pass);
    pass.end();
  }

  destroy(): void {
    this.directions.destroy();
    this.memory.destroy(this.losses);
    this.memory.destroy(this.lossStats);
    if (this.trialTable) this.memory.destroy(this.trialTable);
  }
}
