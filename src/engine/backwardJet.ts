/**
 * The backward pass of a jet batch on the GPU: the gradient of a loss given on the output
 * coefficients (its cotangent dL/du, in the row layout of jetLayout.ts) with respect to every
 * weight and bias, by reverse mode through the layer jets the forward pass stored.
 *
 * Per batch, all in one compute pass and without a CPU round trip:
 *   m̄ = transpose of the boundary product u = b·m           (jetBackward.wgsl, boundaryTranspose)
 *   for each layer l from the last:
 *     dW_l = Σ_rows Z̄_lᵀ·A_l                             (jetBackwardWeights.wgsl, split-K)
 *     db_l = Σ_value rows Z̄_l, in the same chunks        (jetBackwardBias.wgsl)
 *     the chunks' slices added in order                  (jetBackwardReduce.wgsl)
 *     first layer with one-hot tangents: scatter of the tangent rows (jetBackwardScatter.wgsl)
 *     hidden input: Ā = Z̄_l·W_l                             (jetBackwardInput.wgsl)
 *                   Z̄_{l−1} = transpose of Faà di Bruno     (jetBackward.wgsl, activationTranspose)
 * Every sum runs in an order fixed by the shape (no float atomics), so the gradient is the same
 * bits on every run on one device (DESIGN.md §2, §6).
 *
 * θ and g may be split into parameter blocks (src/engine/parameterBlocks.ts, BackwardJetOptions
 * parameterBlocks): then the first layer's weight gradient, its split slices' reduction and the
 * one-hot scatter run once per block over the rows of W₁ it holds, into that block's gradient,
 * and the bias sums give db₁ (in the last block, with everything after W₁: the layers above the
 * first read θ and write g there). Each element sums the same terms in the same order as in one
 * buffer, so the gradient is the one block's bits.
 */
import backwardCode from '../../shaders/jetBackward.wgsl?raw';
import biasCode from '../../shaders/jetBackwardBias.wgsl?raw';
import inputCode from '../../shaders/jetBackwardInput.wgsl?raw';
import reduceCode from '../../shaders/jetBackwardReduce.wgsl?raw';
import scatterCode from '../../shaders/jetBackwardScatter.wgsl?raw';
import weightsCode from '../../shaders/jetBackwardWeights.wgsl?raw';
import type { Activation } from '../jet/activations.ts';
import { type MlpArchitecture, validateArchitecture } from '../jet/mlp.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import {
  pointElements,
  type PointSource,
  pointsOverride,
  pointSourceWords,
  storedPoints,
} from './pointSource.ts';
import {
  denseTangentElements,
  storedTangents,
  tangentDrawValue,
  type TangentSource,
  tangentConstants,
  tangentsOverride,
} from './tangentSource.ts';
import { BindingError } from '../gpu/errors.ts';
import type { StructValue } from '../gpu/structView.ts';
import type { ComputeKernel, ShaderSource } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import { dispatchGrid, type GridLimits } from '../gpu/dispatch.ts';
import {
  type JetShape,
  layerElements,
  parameterLayout,
  type ParameterLayout,
  type ParameterSlice,
  rowsPerPoint,
  type TangentInput,
} from './jetLayout.ts';
import { buildFromPlan, type PlannedUniform, plannedView, planUniform } from './planning.ts';
import { backwardStepCost } from './backwardJetCost.ts';
import { type KernelCost, type StageEncoder, sumCosts } from './kernelCost.ts';
import type { ParameterSource } from './forwardJet.ts';
import {
  type BlockedTensor,
  createBlockedTensor,
  destroyBlockedTensor,
  firstLayerRows,
  ParameterBlockError,
  type ParameterBlocks,
  readBlockedTensor,
  sameBlocks,
  singleBlock,
} from './parameterBlocks.ts';

type TangentKind = TangentInput['kind'];

/**
 * The buffers of a forward pass that the backward pass reads: the fields of the forward engine's
 * ForwardJetBuffers it needs, so any object with those fields (that one included) can be passed.
 */
export interface StoredForwardJet {
  shape: JetShape;
  dim: number;
  tangentKind: TangentKind;
  /** N·d input points, or the ball draw's partials with regenerated points. */
  x: GPUBuffer;
  /** Where x is (pointSource.ts); absent: stored. */
  points?: PointSource;
  /** Word 0: the draw's step; regenerated points or tangents only. */
  stepCounter?: GPUBuffer | null;
  /** Where dense tangents are (tangentSource.ts); absent: stored. */
  tangentSource?: TangentSource;
  /**
   * dense: N·R·K·d normalized coefficients (a stand-in when regenerated); oneHot: N·R·K
   * coefficients.
   */
  tangents: GPUBuffer;
  /** oneHot: N·R·K i32 indices (−1 = zero tangent); null for dense. */
  tangentIndex: GPUBuffer | null;
  /** Hidden layer l: the pre-activation jets z, layerElements(shape, widths[l + 1]). */
  preActivations: readonly GPUBuffer[];
  /** Hidden layer l: σ(z), the input jets of layer l + 1. */
  activations: readonly GPUBuffer[];
  /** Jet of the boundary factor b, layerElements(shape, 1); null for boundary 'none'. */
  boundary: GPUBuffer | null;
}

export interface BackwardJetInputs {
  forward: StoredForwardJet;
  /**
   * Parameters in parameterLayout(widths): the flat buffer, or a tensor of the blocks the pass
   * was planned for (BackwardJetOptions.parameterBlocks).
   */
  params: ParameterSource;
  /** dL/du in the layout of the forward output, layerElements(shape, out) values. */
  cotangent: GPUBuffer;
  /** Receives dL/dθ in parameterLayout(widths), in θ's blocks; every element is overwritten. */
  gradient: ParameterSource;
}

/** BackwardJetInputs with θ and g as tensors of the planned blocks (one for a flat buffer). */
interface BoundInputs extends Omit<BackwardJetInputs, 'params' | 'gradient'> {
  params: BlockedTensor;
  gradient: BlockedTensor;
}

export interface BackwardJetOptions {
  /**
   * Rows per chunk of the split weight-gradient reduction (rounded up to a multiple of 16). By
   * default it follows from the shape alone (about 512 workgroups per layer, chunks of at least
   * 256 rows), so it is as reproducible as a fixed value. It sets the summation order: runs
   * compared bit for bit must use the same value.
   */
  splitRows?: number;
  /**
   * Where the first layer's weight gradient reads x (pointSource.ts; default stored): the forward
   * pass's own source, whose buffers (ForwardJetBuffers x and stepCounter) it binds.
   */
  points?: PointSource;
  /**
   * Where the first layer's weight gradient reads dense tangents (tangentSource.ts; default
   * stored): the forward pass's own source; regenerated ones are redrawn at its step counter.
   */
  tangentSource?: TangentSource;
  /**
   * How θ and g are held (src/engine/parameterBlocks.ts, planParameterBlocks): default one
   * block, the flat buffers. The pass's params and gradient must come in these blocks.
   */
  parameterBlocks?: ParameterBlocks;
}

/** Highest jet order the kernels' function-scope arrays hold (MAX_ORDER in jetBackward.wgsl). */
export const maxBackwardOrder = 16;

/** ACTIVATION override of jetBackward.wgsl. */
const activationCodes: Record<Activation, number> = { tanh: 1, sin: 2, softplus: 3, identity: 4 };
/** INPUT override of jetBackwardWeights.wgsl: where a layer's input jets come from. */
const inputCodes = { hidden: 0, dense: 1, points: 2 } as const;

/** Output tile edge and reduction step of the tiled kernels (TILE, STEP in the WGSL). */
const tile = 64;
const step = 16;
/** Enough workgroups to fill a large GPU; split-K only tops a layer up to this many. */
const targetWorkgroups = 512;
/** A chunk shorter than this spends more on the extra pass than it gains in parallelism. */
const minimumChunk = 256;
/** Cap on the split slices of one layer (16 MiB), so split-K never dominates memory. */
const maxPartialElements = 1 << 22;
/** Workgroup size of the one-invocation-per-element kernels. */
const lineSize = 64;

/**
 * Invocations along y of the weight-gradient kernel for a layer with `outputs` units: its tile
 * covers 4 outputs per invocation row, so narrow layers (the scalar output above all) get a
 * short tile instead of 64 rows of zeros.
 */
export function weightGradientRowThreads(outputs: number): number {
  let threads = 1;
  while (threads < 16 && 4 * threads < outputs) threads *= 2;
  return threads;
}

export interface SplitPlan {
  splits: number;
  /** Rows per split, a multiple of 16. */
  chunk: number;
}

/**
 * How the reduction over `reduction` rows of a weight gradient with `outputs`×(`inputs` + 1)
 * results is split. A function of the shape only, hence deterministic.
 */
export function weightGradientSplit(
  reduction: number,
  outputs: number,
  inputs: number,
  splitRows?: number,
): SplitPlan {
  const rounded = (rows: number): number => Math.max(step, Math.ceil(rows / step) * step);
  let chunk: number;
  if (splitRows !== undefined) {
    if (!Number.isInteger(splitRows) || splitRows < 1) {
      throw new RangeError(`splitRows must be a positive integer, got ${splitRows}`);
    }
    chunk = rounded(splitRows);
  } else {
    const rowTile = 4 * weightGradientRowThreads(outputs);
    // The tiles of [W | b], as when the product also summed the bias: kept, so that the chunks,
    // and with them seeded runs, keep their bits.
    const tiles = Math.ceil(outputs / rowTile) * Math.ceil((inputs + 1) / tile);
    const slice = outputs * (inputs + 1);
    const wanted = Math.min(
      Math.ceil(targetWorkgroups / tiles),
      Math.floor(reduction / minimumChunk),
      Math.floor(maxPartialElements / slice),
    );
    chunk = rounded(reduction / Math.max(1, wanted));
  }
  return { splits: Math.max(1, Math.ceil(reduction / chunk)), chunk };
}

/** One recorded dispatch, its bind group made per set of buffers. */
interface Step {
  kernel: ComputeKernel;
  grid: [number, number, number];
  bind: (io: BoundInputs, scratch: ScratchBuffers) => GPUBindGroup;
  /** What it computes and moves (backwardJetCost.ts), the stage cost of encodeStages. */
  cost: KernelCost;
}

interface ScratchBuffers {
  /** m̄ when there is a boundary factor (the cotangent itself stays untouched). */
  outputBar: GPUBuffer | null;
  /** Ping-pong cotangents of the hidden layers. */
  hidden: GPUBuffer[];
  partials: GPUBuffer | null;
}

/** Pipelines are shared by every BackwardJet of a device with the same specialization. */
const backwardSource = [
  lib.accurateMath,
  lib.grid,
  lib.jetRows,
  lib.activations,
  { name: 'jetBackward.wgsl', code: backwardCode },
];

/** The dispatches of the backward pass, each named by its entry point. */
export type BackwardStepKind =
  | 'boundaryTranspose'
  | 'weightGradient'
  | 'biasGradient'
  | 'reduceSplits'
  | 'scatterTangents'
  | 'inputCotangent'
  | 'activationTranspose';

/** The WGSL files each entry point is compiled from. */
const stepSources: Record<BackwardStepKind, readonly ShaderSource[]> = {
  boundaryTranspose: backwardSource,
  weightGradient: [
    lib.grid,
    lib.jetRows,
    lib.tangentSlots,
    lib.layerInput,
    lib.productTiles,
    lib.random,
    lib.ballPoints,
    lib.denseTangents,
    { name: 'jetBackwardWeights.wgsl', code: weightsCode },
  ],
  biasGradient: [lib.grid, { name: 'jetBackwardBias.wgsl', code: biasCode }],
  reduceSplits: [lib.grid, { name: 'jetBackwardReduce.wgsl', code: reduceCode }],
  scatterTangents: [
    lib.grid,
    lib.jetRows,
    lib.tangentSlots,
    { name: 'jetBackwardScatter.wgsl', code: scatterCode },
  ],
  inputCotangent: [lib.grid, lib.productTiles, { name: 'jetBackwardInput.wgsl', code: inputCode }],
  activationTranspose: backwardSource,
};

export interface BackwardJetConfig extends BackwardJetOptions {
  architecture: MlpArchitecture;
  shape: JetShape;
  tangentKind: TangentKind;
}

/** One planned dispatch of the backward pass. */
export interface BackwardStepPlan {
  /** The entry point; stepSources names its files. */
  kind: BackwardStepKind;
  /**
   * The layer l being differentiated. Its inputCotangent and activationTranspose steps write the
   * cotangent of layer l − 1's output.
   */
  layer: number;
  constants: Record<string, number>;
  params: PlannedUniform;
  grid: [number, number, number];
  /**
   * weightGradient, biasGradient: writes split slices (reduced by the next steps), not the
   * gradient itself.
   */
  split: boolean;
  /**
   * The parameter block of θ (inputCotangent) or g (weightGradient and biasGradient into the
   * gradient, reduceSplits, scatterTangents) the step binds; the steps that bind neither name the
   * last.
   */
  block: number;
}

export interface BackwardJetPlan {
  /** Every dispatch, in the order the pass records them. */
  steps: BackwardStepPlan[];
  scratch: {
    outputBar: PlannedBuffer | null;
    hidden: PlannedBuffer[];
    partials: PlannedBuffer | null;
  };
  /** How θ and g are held: BackwardJetOptions.parameterBlocks, or one block. */
  parameterBlocks: ParameterBlocks;
  /** Every buffer the build allocates: the scratch buffers, then one uniform per step. */
  buffers: PlannedBuffer[];
}

function validateBackwardConfig(config: BackwardJetConfig): void {
  const { architecture, shape, tangentKind } = config;
  validateArchitecture(architecture);
  const { points: N, directions: R, order: K } = shape;
  for (const [name, value, min] of [
    ['points', N, 1],
    ['directions', R, 1],
    ['order', K, 0],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`backward jet: ${name} must be an integer ≥ ${min}, got ${value}`);
    }
  }
  if (K > maxBackwardOrder) {
    throw new RangeError(
      `backward jet: order ${K} exceeds the kernels' maximum of ${maxBackwardOrder}`,
    );
  }
  if (shape.structure !== 'standard' && shape.structure !== 'collapsed') {
    throw new RangeError(`backward jet: unknown structure '${String(shape.structure)}'`);
  }
  if (tangentKind !== 'dense' && tangentKind !== 'oneHot') {
    throw new RangeError(`backward jet: unknown tangent kind '${String(tangentKind)}'`);
  }
}

function jetConstantsOf(shape: JetShape): Record<string, number> {
  const K = shape.order;
  // K = 0 has no direction rows, so there is nothing to collapse.
  const collapsed = shape.structure === 'collapsed' && K > 0 ? 1 : 0;
  return { ORDER: K, COLLAPSED: collapsed };
}

/**
 * The parameter blocks of `config` (one unless it names a split), checked to be the cut of
 * planParameterBlocks that the kernels rely on: ranges following each other from 0, each
 * starting at a row of W₁, every block but the last whole rows of W₁.
 */
function blocksOf(config: BackwardJetConfig): ParameterBlocks {
  const widths = config.architecture.widths;
  const layout = parameterLayout(widths);
  const planned = config.parameterBlocks ?? singleBlock(layout.count);
  const { inputs, outputs } = layout.layers[0];
  const fail = (message: string): never => {
    throw new ParameterBlockError(`backward jet: ${message}`);
  };
  if (planned.count !== layout.count) {
    fail(
      `the parameter blocks hold ${planned.count} parameters; widths ${JSON.stringify(widths)} ` +
        `have ${layout.count}`,
    );
  }
  let next = 0;
  planned.blocks.forEach((block, k) => {
    const end = block.start + block.count;
    const last = k === planned.blocks.length - 1;
    const rows = end % inputs === 0 && end <= inputs * outputs;
    if (block.start !== next || block.start % inputs !== 0 || block.count < 1 || !(last || rows)) {
      fail(
        `parameter block ${k} holds [${block.start}, ${end}): blocks follow each other from 0, ` +
          `each but the last whole rows of W₁ (${inputs} inputs), the last from a row of W₁ on`,
      );
    }
    next = end;
  });
  if (next !== layout.count) {
    fail(`the parameter blocks end at ${next}, the parameters at ${layout.count}`);
  }
  return planned;
}

function planStep(
  kind: BackwardStepKind,
  layer: number,
  label: string,
  dispatch: Pick<BackwardStepPlan, 'constants' | 'grid' | 'block'> & { values: StructValue },
  split = false,
): BackwardStepPlan {
  const view = plannedView(stepSources[kind], 'params');
  const params = planUniform(`backward ${label} params`, view, dispatch.values);
  const { constants, grid, block } = dispatch;
  return { kind, layer, constants, params, grid, split, block };
}

/** Output units firstRow … firstRow + rows − 1 of a layer, whose gradient is in one block. */
interface LayerRange {
  block: number;
  /** Flat index of the block's first element. */
  start: number;
  firstRow: number;
  rows: number;
}

/**
 * Where layer l's gradient goes: for the first layer, the rows of W₁ of every block holding any
 * (firstLayerRows) and the last block, which holds b₁ even with no row; a later layer is whole
 * in the last block, with everything after W₁. One range: the layer is written as one buffer.
 */
function layerRanges(blocks: ParameterBlocks, slice: ParameterSlice, l: number): LayerRange[] {
  const list = blocks.blocks;
  const last = list.length - 1;
  if (l > 0) return [{ block: last, start: list[last].start, firstRow: 0, rows: slice.outputs }];
  return list
    .map((block, k) => ({
      block: k,
      start: block.start,
      ...firstLayerRows(block, slice.inputs, slice.outputs),
    }))
    .filter((range) => range.rows > 0 || range.block === last);
}

/** What every weight-gradient dispatch of layer l shares. */
interface WeightSetting {
  l: number;
  slice: ParameterSlice;
  plan: SplitPlan;
  rowThreads: number;
  constants: Record<string, number>;
  /** The uniform fields that do not depend on the dispatch's units and columns. */
  values: StructValue;
}

function weightSetting(config: BackwardJetConfig, l: number): WeightSetting {
  const { shape, tangentKind } = config;
  const V = rowsPerPoint(shape);
  const slice = parameterLayout(config.architecture.widths).layers[l];
  const { inputs, outputs } = slice;
  const input =
    l > 0 ? inputCodes.hidden : tangentKind === 'dense' ? inputCodes.dense : inputCodes.points;
  // One-hot first layer: only the value rows go through the product, the rest is scattered.
  const reduction = input === inputCodes.points ? shape.points : shape.points * V;
  // Chosen for the whole layer, so every parameter block's rows sum the same chunks.
  const plan = weightGradientSplit(reduction, outputs, inputs, config.splitRows);
  const rowThreads = weightGradientRowThreads(outputs);
  const points = l === 0 ? (config.points ?? storedPoints) : storedPoints;
  const tangents = l === 0 ? (config.tangentSource ?? storedTangents) : storedTangents;
  return {
    l,
    slice,
    plan,
    rowThreads,
    constants: {
      INPUT: input,
      ...jetConstantsOf(shape),
      POINTS: pointsOverride(points),
      // Only a first layer that redraws its tangents names it: every other keeps its key.
      ...tangentConstants(tangents),
      ROW_THREADS: rowThreads,
    },
    values: {
      reduction,
      inputs,
      outputs,
      rowsPerPoint: V,
      directions: shape.directions,
      chunk: plan.chunk,
      splitStride: outputs * (inputs + 1),
      pointSource: pointSourceWords(points),
      tangentDraw: tangentDrawValue(tangents),
    },
  };
}

/**
 * The weight-gradient dispatch over `range`'s units and columns [from, to) of W. Row tiles
 * on x; the (column tile, split) items, column tiles fastest, folded over y and z
 * (jetBackwardWeights.wgsl's Dispatch): the first layer's ⌈d/64⌉ column tiles pass the
 * 65 535 workgroups of one dimension from d ≈ 4.19M on. The fold moves no element to another
 * lane, tile or chunk, so the bits are the same on every device limit.
 */
function weightStep(
  setting: WeightSetting,
  label: string,
  range: LayerRange,
  [firstColumn, endColumn]: [number, number],
  limits: GridLimits,
): BackwardStepPlan {
  const { l, slice, plan, rowThreads } = setting;
  const split = plan.splits > 1;
  // The split slices hold the layer's [W | b] from its first weight; the gradient, the block.
  const start = split ? slice.weightOffset : range.start;
  const columnTiles = Math.ceil(endColumn / tile) - Math.floor(firstColumn / tile);
  const values = {
    ...setting.values,
    firstOutput: range.firstRow,
    blockOutputs: range.rows,
    firstColumn,
    endColumn,
    destinationOffset: slice.weightOffset + range.firstRow * slice.inputs - start,
    columnTiles,
    splits: plan.splits,
  };
  const [y, z] = dispatchGrid(columnTiles * plan.splits, limits);
  const grid: [number, number, number] = [Math.ceil(range.rows / (4 * rowThreads)), y, z];
  return planStep(
    'weightGradient',
    l,
    label,
    { constants: setting.constants, values, grid, block: range.block },
    split,
  );
}

/**
 * db_l over the layer's units, in the weight product's chunks (jetBackwardBias.wgsl), into the
 * last block, which holds b (or the split slices).
 */
function biasStep(setting: WeightSetting, range: LayerRange, limits: GridLimits): BackwardStepPlan {
  const { l, slice, plan } = setting;
  const split = plan.splits > 1;
  const start = split ? slice.weightOffset : range.start;
  const V = setting.values.rowsPerPoint as number;
  // One-hot first layer: the reduction runs over points, point p's value row being row p·V.
  const oneHot = setting.constants.INPUT === inputCodes.points;
  const values = {
    reduction: setting.values.reduction,
    outputs: slice.outputs,
    chunk: plan.chunk,
    splits: plan.splits,
    valueStride: oneHot ? 1 : V,
    rowScale: oneHot ? V : 1,
    biasOffset: slice.biasOffset - start,
    splitStride: setting.values.splitStride,
  };
  return planStep(
    'biasGradient',
    l,
    `layer ${l} bias gradient`,
    {
      constants: { WORKGROUP_SIZE: lineSize },
      values,
      grid: dispatchGrid(Math.ceil((slice.outputs * plan.splits) / lineSize), limits),
      block: range.block,
    },
    split,
  );
}

/**
 * dW_l, db_l: the split-K product, the bias sums over its chunks and, when split, the reduction
 * of the slices. In one buffer, one dispatch of each; over blocks (the first layer only), one
 * product per block over its W₁ rows, the bias sums into the last block (which holds b₁), then
 * one reduction per block.
 */
function planWeightSteps(
  config: BackwardJetConfig,
  l: number,
  blocks: ParameterBlocks,
  limits: GridLimits,
): { steps: BackwardStepPlan[]; partialElements: number } {
  const setting = weightSetting(config, l);
  const { slice, plan } = setting;
  const { inputs, outputs } = slice;
  const ranges = layerRanges(blocks, slice, l);
  const whole = ranges.length === 1;
  const lastRange = ranges[ranges.length - 1];
  const label = (range: LayerRange, what: string): string =>
    whole ? `layer ${l} ${what}` : `layer ${l} block ${range.block} ${what}`;
  const weights = [
    ...ranges
      .filter((range) => range.rows > 0)
      .map((range) =>
        weightStep(setting, label(range, 'weight gradient'), range, [0, inputs], limits),
      ),
    biasStep(setting, lastRange, limits),
  ];
  if (plan.splits === 1) return { steps: weights, partialElements: 0 };
  const sliceElements = outputs * (inputs + 1);
  const reduces = ranges.map((range) => {
    // The last range runs on through b, which follows W in the slices as in the flat layout.
    const from = range.firstRow * inputs;
    const to = range === lastRange ? sliceElements : (range.firstRow + range.rows) * inputs;
    return planStep('reduceSplits', l, label(range, 'reduce'), {
      constants: { WORKGROUP_SIZE: lineSize },
      values: {
        count: to - from,
        splits: plan.splits,
        offset: slice.weightOffset + from - range.start,
        sliceOffset: from,
        sliceStride: sliceElements,
      },
      grid: dispatchGrid(Math.ceil((to - from) / lineSize), limits),
      block: range.block,
    });
  });
  return { steps: [...weights, ...reduces], partialElements: plan.splits * sliceElements };
}

/**
 * The first layer with one-hot tangents: the gradient of the tangent rows, scattered, once per
 * parameter block holding rows of W₁.
 */
function planScatterSteps(config: BackwardJetConfig, blocks: ParameterBlocks): BackwardStepPlan[] {
  const { shape } = config;
  const slice = parameterLayout(config.architecture.widths).layers[0];
  const ranges = layerRanges(blocks, slice, 0);
  return ranges
    .filter((range) => range.rows > 0)
    .map((range) =>
      planStep(
        'scatterTangents',
        0,
        ranges.length === 1 ? 'one-hot scatter' : `one-hot scatter block ${range.block}`,
        {
          constants: { ...jetConstantsOf(shape), WORKGROUP_SIZE: lineSize },
          values: {
            points: shape.points,
            directions: shape.directions,
            outputs: slice.outputs,
            inputs: slice.inputs,
            rowsPerPoint: rowsPerPoint(shape),
            firstOutput: range.firstRow,
            blockOutputs: range.rows,
            weightOffset: slice.weightOffset + range.firstRow * slice.inputs - range.start,
          },
          grid: [Math.ceil(range.rows / lineSize), 1, 1],
          block: range.block,
        },
      ),
    );
}

/**
 * Ā = Z̄_l·W_l, then Z̄_{l−1} through the transpose of layer l − 1's activation. W_l (l ≥ 1) is
 * in the last parameter block, `last` (its index and the flat index of its first element).
 */
function planInputSteps(
  config: BackwardJetConfig,
  l: number,
  last: { block: number; start: number },
  limits: GridLimits,
): BackwardStepPlan[] {
  const { architecture, shape } = config;
  const { points: N, directions: R } = shape;
  const { inputs, outputs, weightOffset } = parameterLayout(architecture.widths).layers[l];
  const rows = N * rowsPerPoint(shape);
  // jetBackwardInput.wgsl numbers row tiles workgroup_id.y + workgroup_id.z·num_workgroups.y.
  const [rowTilesY, rowTilesZ] = dispatchGrid(Math.ceil(rows / tile), limits);
  return [
    planStep('inputCotangent', l, `layer ${l} input cotangent`, {
      constants: {},
      values: { rows, inputs, outputs, weightOffset: weightOffset - last.start },
      grid: [Math.ceil(inputs / tile), rowTilesY, rowTilesZ],
      block: last.block,
    }),
    planStep('activationTranspose', l, `layer ${l - 1} activation`, {
      constants: {
        ...jetConstantsOf(shape),
        ACTIVATION: activationCodes[architecture.activation],
        WORKGROUP_SIZE: lineSize,
      },
      values: { points: N, width: inputs, directions: R },
      grid: dispatchGrid(Math.ceil((N * inputs) / lineSize), limits),
      block: last.block,
    }),
  ];
}

/**
 * The backward pass of `config` on a device with `limits`: every dispatch in recording order
 * (kernel specialization, uniform values, grid) and every buffer BackwardJet.create allocates.
 * Pure; throws RangeError for a config the kernels cannot take (ParameterBlockError for blocks
 * that are not planParameterBlocks' cut of its widths).
 */
export function planBackwardJet(config: BackwardJetConfig, limits: GridLimits): BackwardJetPlan {
  validateBackwardConfig(config);
  const { architecture, shape, tangentKind } = config;
  const widths = architecture.widths;
  const L = widths.length - 1;
  const out = widths[L];
  const parameterBlocks = blocksOf(config);
  const lastIndex = parameterBlocks.blocks.length - 1;
  const last = { block: lastIndex, start: parameterBlocks.blocks[lastIndex].start };
  const steps: BackwardStepPlan[] = [];
  if (architecture.boundary !== 'none') {
    steps.push(
      planStep('boundaryTranspose', L - 1, 'boundary', {
        constants: { ...jetConstantsOf(shape), WORKGROUP_SIZE: lineSize },
        values: { points: shape.points, width: out, directions: shape.directions },
        grid: dispatchGrid(Math.ceil((shape.points * out) / lineSize), limits),
        block: last.block,
      }),
    );
  }
  let partialElements = 0;
  for (let l = L - 1; l >= 0; l--) {
    const weights = planWeightSteps(config, l, parameterBlocks, limits);
    steps.push(...weights.steps);
    partialElements = Math.max(partialElements, weights.partialElements);
    if (l === 0 && tangentKind === 'oneHot' && shape.order > 0) {
      steps.push(...planScatterSteps(config, parameterBlocks));
    }
    if (l > 0) steps.push(...planInputSteps(config, l, last, limits));
  }
  const hiddenBytes = layerElements(shape, Math.max(0, ...widths.slice(1, L))) * 4;
  const scratch = {
    outputBar:
      architecture.boundary === 'none'
        ? null
        : storageBuffer('backward m̄', layerElements(shape, out) * 4),
    hidden:
      L > 1
        ? [
            storageBuffer('backward hidden cotangent A', hiddenBytes),
            storageBuffer('backward hidden cotangent B', hiddenBytes),
          ]
        : [],
    partials:
      partialElements > 0 ? storageBuffer('backward split slices', partialElements * 4) : null,
  };
  const scratchList = [scratch.outputBar, ...scratch.hidden, scratch.partials];
  return {
    steps,
    scratch,
    parameterBlocks,
    buffers: [
      ...scratchList.filter((b): b is PlannedBuffer => b !== null),
      ...steps.map((step) => step.params.buffer),
    ],
  };
}

function outputBarOf(scratch: ScratchBuffers): GPUBuffer {
  if (!scratch.outputBar) throw new Error('backward jet: m̄ was never allocated');
  return scratch.outputBar;
}

function partialsOf(scratch: ScratchBuffers): GPUBuffer {
  if (!scratch.partials) throw new Error('backward jet: split slices were never allocated');
  return scratch.partials;
}

/** The cotangent of hidden layer l's output: two scratch buffers in alternation from the top. */
function hiddenCotangent(scratch: ScratchBuffers, L: number, l: number): GPUBuffer {
  return scratch.hidden[(L - 2 - l) % 2];
}

/**
 * Z̄ of layer l (its output cotangent): for the last layer m̄ (the boundary scratch, or the
 * caller's cotangent when there is no factor), below it the hidden cotangents.
 */
function layerCotangent(io: BoundInputs, scratch: ScratchBuffers, L: number, l: number): GPUBuffer {
  return l === L - 1 ? (scratch.outputBar ?? io.cotangent) : hiddenCotangent(scratch, L, l);
}

/** How a planned step binds the buffers of one call (see BackwardJetInputs): θ and g in blocks. */
function stepBinder(
  step: BackwardStepPlan,
  kernel: ComputeKernel,
  params: GPUBuffer,
  L: number,
): Step['bind'] {
  const l = step.layer;
  switch (step.kind) {
    case 'boundaryTranspose':
      return (io, s) => {
        if (!io.forward.boundary) throw new BindingError('backward jet: no boundary jet');
        return kernel.bind({ params, jet: io.forward.boundary, cotangent: outputBarOf(s) });
      };
    case 'weightGradient':
      return (io, s) => {
        const layerInput = l === 0 ? io.forward.x : io.forward.activations[l - 1];
        const source = io.forward.points ?? storedPoints;
        if (l === 0 && pointsOverride(source) !== step.constants.POINTS) {
          throw new BindingError(
            `backward jet: planned for ${step.constants.POINTS ? 'regenerated' : 'stored'} ` +
              `points, the forward pass has ${source.storage} ones`,
          );
        }
        const tangents = io.forward.tangentSource ?? storedTangents;
        if (l === 0 && tangentsOverride(tangents) !== (step.constants.TANGENTS ?? 0)) {
          throw new BindingError(
            `backward jet: planned for ${step.constants.TANGENTS ? 'regenerated' : 'stored'} ` +
              `tangents, the forward pass has ${tangents.storage} ones`,
          );
        }
        return kernel.bind({
          params,
          cotangent: layerCotangent(io, s, L, l),
          layerInput,
          tangents: l === 0 ? io.forward.tangents : layerInput,
          destination: step.split ? partialsOf(s) : io.gradient.buffers[step.block],
          // Read with regenerated points or tangents only; else a read-only stand-in.
          stepCounter: io.forward.stepCounter ?? io.forward.tangents,
        });
      };
    case 'biasGradient':
      return (io, s) =>
        kernel.bind({
          params,
          cotangent: layerCotangent(io, s, L, l),
          destination: step.split ? partialsOf(s) : io.gradient.buffers[step.block],
        });
    case 'reduceSplits':
      return (io, s) =>
        kernel.bind({ params, partials: partialsOf(s), gradient: io.gradient.buffers[step.block] });
    case 'scatterTangents':
      return (io, s) => {
        if (!io.forward.tangentIndex) {
          throw new BindingError('backward jet: one-hot tangents need tangentIndex');
        }
        return kernel.bind({
          params,
          cotangent: layerCotangent(io, s, L, 0),
          tangentIndex: io.forward.tangentIndex,
          tangents: io.forward.tangents,
          gradient: io.gradient.buffers[step.block],
        });
      };
    case 'inputCotangent':
      return (io, s) =>
        kernel.bind({
          params,
          cotangent: layerCotangent(io, s, L, l),
          parameters: io.params.buffers[step.block],
          result: hiddenCotangent(s, L, l - 1),
        });
    case 'activationTranspose':
      return (io, s) =>
        kernel.bind({
          params,
          jet: io.forward.preActivations[l - 1],
          cotangent: hiddenCotangent(s, L, l - 1),
        });
  }
}

function describeShape(shape: JetShape): string {
  return `{points: ${shape.points}, directions: ${shape.directions}, order: ${shape.order}, structure: ${shape.structure}}`;
}

/**
 * θ or g (`name`) as a tensor of the `planned` blocks, a flat buffer being one block; throws a
 * BindingError when it comes in other blocks or a buffer is too small for its block.
 */
function plannedTensor(
  name: 'params' | 'gradient',
  source: ParameterSource,
  planned: ParameterBlocks,
): BlockedTensor {
  const tensor: BlockedTensor =
    'buffers' in source ? source : { blocks: singleBlock(planned.count), buffers: [source] };
  const { blocks } = tensor.blocks;
  if (tensor.buffers.length !== planned.blocks.length || !sameBlocks(tensor.blocks, planned)) {
    throw new BindingError(
      `backward jet: ${name} come in ${blocks.length} blocks; this pass was planned for ` +
        `${planned.blocks.length} (BackwardJetOptions.parameterBlocks)`,
    );
  }
  tensor.buffers.forEach((buffer, k) => {
    const elements = blocks[k].count;
    if (buffer.size < elements * 4) {
      throw new BindingError(
        `backward jet: ${name}${blocks.length > 1 ? ` block ${k}` : ''} needs ${elements} f32 ` +
          `values (${elements * 4} bytes), its buffer has ${buffer.size} bytes`,
      );
    }
  });
  return tensor;
}

/**
 * The backward kernels of one architecture, batch shape and tangent kind, with their scratch
 * buffers and uniforms. `encode` records the whole backward pass into a command encoder.
 */
export class BackwardJet {
  readonly architecture: MlpArchitecture;
  readonly shape: JetShape;
  readonly tangentKind: TangentKind;
  readonly layout: ParameterLayout;
  /** The blocks θ and g come in (BackwardJetOptions.parameterBlocks; one by default). */
  readonly parameterBlocks: ParameterBlocks;
  private readonly memory: GpuMemory;
  private readonly owned: GPUBuffer[];
  private readonly scratch: ScratchBuffers;
  /** Every dispatch of the pass, in order. */
  private readonly steps: Step[];
  private cached: { key: GPUBuffer[]; groups: GPUBindGroup[] } | null = null;

  private constructor(
    memory: GpuMemory,
    architecture: MlpArchitecture,
    shape: JetShape,
    tangentKind: TangentKind,
    built: {
      owned: GPUBuffer[];
      scratch: ScratchBuffers;
      steps: Step[];
      parameterBlocks: ParameterBlocks;
    },
  ) {
    this.memory = memory;
    this.architecture = architecture;
    this.shape = shape;
    this.tangentKind = tangentKind;
    this.layout = parameterLayout(architecture.widths);
    this.parameterBlocks = built.parameterBlocks;
    this.owned = built.owned;
    this.scratch = built.scratch;
    this.steps = built.steps;
  }

  /**
   * Compiles (or reuses) the kernels and allocates every buffer of planBackwardJet. `limits`
   * plans the grids (default the device's); a smaller maxComputeWorkgroupsPerDimension than the
   * device's folds them sooner, which lets a test compare a folded pass with an unfolded one at
   * a small size. It may not exceed the device's: the dispatches check against that.
   */
  static async create(
    memory: GpuMemory,
    architecture: MlpArchitecture,
    shape: JetShape,
    tangentKind: TangentKind,
    options: BackwardJetOptions = {},
    limits: GridLimits = memory.device.limits,
  ): Promise<BackwardJet> {
    const device = memory.device;
    const plan = planBackwardJet({ architecture, shape, tangentKind, ...options }, limits);
    const kernels = await Promise.all(
      plan.steps.map((step) =>
        cachedKernel(device, stepSources[step.kind], {
          entryPoint: step.kind,
          constants: step.constants,
        }),
      ),
    );
    return buildFromPlan(memory, plan.buffers, (allocation) => {
      const scratch: ScratchBuffers = {
        outputBar: plan.scratch.outputBar && allocation.storage(plan.scratch.outputBar),
        hidden: plan.scratch.hidden.map((b) => allocation.storage(b)),
        partials: plan.scratch.partials && allocation.storage(plan.scratch.partials),
      };
      const L = architecture.widths.length - 1;
      const steps = plan.steps.map((step, i): Step => {
        const params = allocation.uniform(step.params, kernels[i].struct('params'));
        return {
          kernel: kernels[i],
          grid: step.grid,
          bind: stepBinder(step, kernels[i], params, L),
          cost: backwardStepCost(step),
        };
      });
      return new BackwardJet(memory, architecture, shape, tangentKind, {
        owned: allocation.owned,
        scratch,
        steps,
        parameterBlocks: plan.parameterBlocks,
      });
    });
  }

  /**
   * Checks every buffer against the shape and θ and g against the planned blocks before anything
   * is recorded; returns the inputs with θ and g as tensors.
   */
  private validate(io: BackwardJetInputs): BoundInputs {
    const { forward } = io;
    const { shape, architecture } = this;
    const widths = architecture.widths;
    const L = widths.length - 1;
    const fail = (message: string): never => {
      throw new BindingError(`backward jet: ${message}`);
    };
    const s = forward.shape;
    if (
      s.points !== shape.points ||
      s.directions !== shape.directions ||
      s.order !== shape.order ||
      s.structure !== shape.structure
    ) {
      fail(
        `the forward batch has shape ${describeShape(s)}, this pass was built for ${describeShape(shape)}`,
      );
    }
    if (forward.dim !== widths[0]) {
      fail(`the forward batch has dimension ${forward.dim}, the network takes ${widths[0]}`);
    }
    if (forward.tangentKind !== this.tangentKind) {
      fail(
        `the forward batch has ${forward.tangentKind} tangents, this pass was built for ${this.tangentKind}`,
      );
    }
    if (forward.preActivations.length !== L - 1 || forward.activations.length !== L - 1) {
      fail(
        `${L - 1} hidden layers need ${L - 1} pre-activation and activation buffers, got ` +
          `${forward.preActivations.length} and ${forward.activations.length}`,
      );
    }
    if ((forward.boundary === null) !== (architecture.boundary === 'none')) {
      fail(
        architecture.boundary === 'none'
          ? 'a boundary jet was given, but the architecture has no boundary factor'
          : `boundary factor '${architecture.boundary}' needs the forward pass's boundary jet`,
      );
    }
    if (this.tangentKind === 'oneHot' && forward.tangentIndex === null) {
      fail('one-hot tangents need tangentIndex');
    }
    const { points: N, directions: R, order: K } = shape;
    const slots = N * R * K;
    const need = (name: string, buffer: GPUBuffer | null, elements: number): void => {
      if (buffer && buffer.size < elements * 4) {
        fail(
          `${name} needs ${elements} f32 values (${elements * 4} bytes), its buffer has ${buffer.size} bytes`,
        );
      }
    };
    const source = forward.points ?? storedPoints;
    need('x', forward.x, pointElements(source, N, widths[0]));
    if (source.storage === 'regenerated' && !forward.stepCounter) {
      fail('regenerated points need the step counter of their draw');
    }
    const tangents = forward.tangentSource ?? storedTangents;
    if (tangents.storage === 'regenerated' && !forward.stepCounter) {
      fail('regenerated tangents need the step counter of their draw');
    }
    need(
      'tangents',
      forward.tangents,
      this.tangentKind === 'dense' ? denseTangentElements(tangents, slots, widths[0]) : slots,
    );
    need('tangentIndex', forward.tangentIndex, this.tangentKind === 'oneHot' ? slots : 0);
    for (let l = 0; l < L - 1; l++) {
      need(`preActivations[${l}]`, forward.preActivations[l], layerElements(shape, widths[l + 1]));
      need(`activations[${l}]`, forward.activations[l], layerElements(shape, widths[l + 1]));
    }
    need('boundary', forward.boundary, layerElements(shape, 1));
    need('cotangent', io.cotangent, layerElements(shape, widths[L]));
    const params = plannedTensor('params', io.params, this.parameterBlocks);
    const gradient = plannedTensor('gradient', io.gradient, this.parameterBlocks);
    if (gradient.buffers.some((b) => b === io.cotangent || params.buffers.includes(b))) {
      fail('the gradient buffer must not be the parameter or cotangent buffer');
    }
    return { ...io, params, gradient };
  }

  /** Bind groups for these buffers; reused while a training loop passes the same ones. */
  private bindGroups(io: BoundInputs): GPUBindGroup[] {
    const f = io.forward;
    const key = [
      ...io.params.buffers,
      io.cotangent,
      ...io.gradient.buffers,
      f.x,
      f.tangents,
      ...(f.tangentIndex ? [f.tangentIndex] : []),
      ...(f.boundary ? [f.boundary] : []),
      ...f.preActivations,
      ...f.activations,
    ];
    const cached = this.cached;
    if (cached && cached.key.length === key.length && cached.key.every((b, i) => b === key[i])) {
      return cached.groups;
    }
    const groups = this.steps.map((step) => step.bind(io, this.scratch));
    this.cached = { key, groups };
    return groups;
  }

  /** Records the backward pass; `io.gradient` receives dL/dθ once the commands run. */
  encode(encoder: GPUCommandEncoder, io: BackwardJetInputs): void {
    const groups = this.prepare(encoder, io);
    const pass = encoder.beginComputePass({ label: 'backward jet' });
    this.steps.forEach((step, i) => step.kernel.dispatch(pass, groups[i], ...step.grid));
    pass.end();
  }

  /**
   * The same commands, each dispatch a stage of its own (a pass each, announced with its cost;
   * the m̄ copy goes with the first), so that a bounded submit may fall between any two. The
   * same work in the same order: the bits of `encode`.
   */
  encodeStages(steps: StageEncoder, io: BackwardJetInputs): void {
    const copyBytes = this.scratch.outputBar
      ? layerElements(this.shape, this.architecture.widths.at(-1) ?? 0) * 4
      : 0;
    const copy = { flops: 0, bytesRead: copyBytes, bytesWritten: copyBytes };
    let groups: GPUBindGroup[] = [];
    this.steps.forEach((step, i) => {
      steps.beginStage(i === 0 ? sumCosts([copy, step.cost]) : step.cost);
      if (i === 0) groups = this.prepare(steps.encoder, io);
      const pass = steps.encoder.beginComputePass({ label: `backward jet: ${step.kernel.name}` });
      step.kernel.dispatch(pass, groups[i], ...step.grid);
      pass.end();
    });
  }

  /** Checks the buffers, records the m̄ copy and returns the bind groups. */
  private prepare(encoder: GPUCommandEncoder, io: BackwardJetInputs): GPUBindGroup[] {
    const groups = this.bindGroups(this.validate(io));
    const { outputBar } = this.scratch;
    if (outputBar) {
      const bytes = layerElements(this.shape, this.architecture.widths.at(-1) ?? 0) * 4;
      encoder.copyBufferToBuffer(io.cotangent, 0, outputBar, 0, bytes);
    }
    return groups;
  }

  /**
   * Runs the backward pass into a temporary gradient (in the planned blocks) and reads it back in
   * flat order. Awaited round trips: for tests, checkpoints and tools, not for the training step
   * (DESIGN.md §7).
   */
  async readGradient(io: Omit<BackwardJetInputs, 'gradient'>): Promise<Float32Array> {
    const device = this.memory.device;
    const label = 'backward gradient readback';
    const gradient = createBlockedTensor(this.memory, label, this.parameterBlocks);
    try {
      const encoder = device.createCommandEncoder({ label: 'backward jet' });
      this.encode(encoder, { ...io, gradient });
      device.queue.submit([encoder.finish()]);
      return await readBlockedTensor(device, gradient);
    } finally {
      this.cached = null;
      destroyBlockedTensor(this.memory, gradient);
    }
  }

  destroy(): void {
    for (const buffer of this.owned) this.memory.destroy(buffer);
    this.owned.length = 0;
    this.cached = null;
  }
}
