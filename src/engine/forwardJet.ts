import boundaryCode from '../../shaders/jetBoundary.wgsl?raw';
import forwardCode from '../../shaders/jetForward.wgsl?raw';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { readFloat32 } from '../gpu/gpuMemory.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { boundaryCost, boundaryNormsCost, forwardLayerCost } from './forwardJetCost.ts';
import type { KernelCost, StageEncoder } from './kernelCost.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import { dispatchGrid, type GridLimits } from '../gpu/dispatch.ts';
import type { Activation } from '../jet/activations.ts';
import { boundaryPower, type MlpArchitecture, validateArchitecture } from '../jet/mlp.ts';
import {
  type JetShape,
  layerElements,
  parameterLayout,
  type ParameterSlice,
  rowsPerPoint,
  type TangentInput,
} from './jetLayout.ts';
import {
  drawnNorms,
  type PointSource,
  pointElements,
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
} from './tangentSource.ts';
import {
  type BlockedTensor,
  firstLayerRows,
  type ParameterBlocks,
  sameBlocks,
  singleBlock,
} from './parameterBlocks.ts';
import {
  buildFromPlan,
  type PlannedAllocation,
  type PlannedUniform,
  plannedView,
  planUniform,
} from './planning.ts';

/** Highest jet order the kernels are compiled for (their per-unit series are fixed-size arrays). */
export const MAX_JET_ORDER = 8;

export type TangentKind = TangentInput['kind'];

/**
 * Everything the forward pass stores, in the jetLayout row structure; the backward pass reads it.
 * For boundary 'none' there is no factor: `boundary` is null and `output` is `mlpOutput` itself.
 */
export interface ForwardJetBuffers {
  shape: JetShape;
  dim: number;
  tangentKind: TangentKind;
  /** Where x is: stored in `x`, or redrawn from the ball draw's partials bound as `x`. */
  points: PointSource;
  /** N·d input points, or the ball draw's partials (pointSource.ts pointElements). */
  x: GPUBuffer;
  /** Where dense tangents are: stored in `tangents`, or redrawn from their draw's counters. */
  tangentSource: TangentSource;
  /** Word 0: the step of the draw; regenerated points or tangents only. */
  stepCounter: GPUBuffer | null;
  /** The ball draw's partials holding ‖x‖² (points of a draw only: PointSource.draw). */
  pointNorms: GPUBuffer | null;
  /**
   * dense: N·R·K·d normalized coefficients (a 4-byte stand-in when they are regenerated); oneHot:
   * N·R·K coefficients.
   */
  tangents: GPUBuffer;
  /** oneHot: N·R·K i32 indices (−1 = zero tangent). */
  tangentIndex: GPUBuffer | null;
  /** Hidden layer l: z jets, layerElements(shape, widths[l + 1]). */
  preActivations: GPUBuffer[];
  /** Hidden layer l: σ(z) jets, same size. */
  activations: GPUBuffer[];
  /** Jet of the last (linear) layer, layerElements(shape, out). */
  mlpOutput: GPUBuffer;
  /** Jet of b(g(t)) per point in the row structure: layerElements(shape, 1). */
  boundary: GPUBuffer | null;
  /** u = b·m, layerElements(shape, out). */
  output: GPUBuffer;
}

export interface ForwardJetConfig {
  architecture: MlpArchitecture;
  shape: JetShape;
  tangentKind: TangentKind;
  /**
   * 'stored' (default): every hidden layer keeps its z and σ(z) jets, which the backward pass
   * reads. 'reused': one z buffer and two σ(z) buffers alternate between layers (a forward-only
   * loss, e.g. zeroth-order training); `preActivations`/`activations` then alias those buffers and
   * only the output is meaningful after the pass.
   */
  layerStorage?: 'stored' | 'reused';
  /**
   * Inputs per K block of the first layer's split product (jetForward.wgsl partialProducts and
   * sumPartials, rounded up to a multiple of the layer's TILE_INNER; jetForwardTangent.wgsl
   * partialAffine, for the forward-gradient pass, as given); 0 never splits. By default
   * the plan chooses from the shape alone (firstLayerSplit), so it is as reproducible as a fixed
   * value. It sets the summation order: runs compared bit for bit must use the same value.
   */
  firstLayerBlockInner?: number;
  /**
   * Coordinates per block of the boundary factor's sums over d with dense tangents
   * (jetBoundary.wgsl denseNormBlocks); 0 never splits. By default BOUNDARY_BLOCK where d passes
   * it (boundaryBlocks). It sets the summation order: runs compared bit for bit must use the
   * same value.
   */
  boundaryBlock?: number;
  /**
   * Where the first layer and the boundary factor read x (pointSource.ts; default stored). With
   * regenerated points the pass binds the ball draw's partials and the step counter as external
   * inputs and has no x to upload.
   */
  points?: PointSource;
  /**
   * Where the first layer and the boundary factor read dense tangents (tangentSource.ts; default
   * stored). Regenerated ones are redrawn from their draw where they are read: the pass binds the
   * step counter as an external input and no tangent buffer.
   */
  tangentSource?: TangentSource;
  /**
   * How the parameters the pass binds are split into buffers (parameterBlocks.ts); one block by
   * default. With several, the first layer runs once per block over the rows of W₁ it holds and
   * the later layers read the last block: the same arithmetic per output unit, so the same bits.
   */
  parameterBlocks?: ParameterBlocks;
  /**
   * Read every weight and bias as the zeroth-order trial value θ + scale·z_j of the full direction
   * family (jetForward.wgsl PERTURBED), with the direction, scale and step the `perturbation`
   * uniform holds (ForwardJet.perturbation, perturbationView; its writer sets it before each
   * pass): a trial point's loss without a trial buffer. Default false.
   */
  perturbed?: boolean;
  /**
   * The forward-gradient pass only (forwardGradientJet.ts): draw its direction v where it is
   * read, the full family's direction 0 at key (seed, directionStream) (jetForwardTangent.wgsl
   * DRAWN_TANGENT), instead of binding a v tensor; the step is copied from the step counter
   * (ExternalJetInputs.stepCounter) before each pass. Absent: v is bound.
   */
  drawnTangent?: { seed: number; directionStream: number };
}

/**
 * Input buffers written by other kernels (the trainer's point sampler and random-jet draw), bound
 * in place of the forward jet's own: at d = 10^6 a copy of x alone would move 400 MB per step.
 * Sizes as in ForwardJetBuffers; the forward jet never frees them.
 */
export interface ExternalJetInputs {
  x: GPUBuffer;
  /** null with regenerated dense tangents (ForwardJetConfig.tangentSource), which have none. */
  tangents: GPUBuffer | null;
  tangentIndex: GPUBuffer | null;
  /** Word 0 is the step; needed with regenerated points or tangents (ForwardJetConfig). */
  stepCounter?: GPUBuffer | null;
  /** The ball draw's partials with ‖x‖²; needed for points of a draw (PointSource.draw). */
  pointNorms?: GPUBuffer | null;
}

/** A batch, architecture or input that the forward jet kernels cannot take. */
export class JetShapeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'JetShapeError';
  }
}

/** ACTIVATION override of jetForward.wgsl; 0 is the linear output layer. */
const activationIds: Record<Activation, number> = { tanh: 1, sin: 2, softplus: 3, identity: 4 };
const LINEAR = 0;
/** INPUT override of jetForward.wgsl. */
const inputIds = { rows: 0, dense: 1, oneHot: 2 } as const;

/** Each invocation of jetForward.wgsl accumulates a 4 × 4 block of (row, output) pairs. */
const MICRO_TILE = 4;
const forwardParts = [
  lib.accurateMath,
  lib.grid,
  lib.series,
  lib.jetRows,
  lib.tangentSlots,
  lib.denseTangents,
  lib.activations,
  lib.layerInput,
  lib.random,
  lib.twoPoint,
  lib.ballPoints,
  { name: 'jetForward.wgsl', code: forwardCode },
];

/**
 * The Perturbation uniform of a perturbed pass (jetForward.wgsl): seed, directionStream,
 * direction, scale and trainStep of the trial point θ + scale·z_j it reads.
 */
export const perturbationView = plannedView(forwardParts, 'perturbation');
/** jetBoundary.wgsl and its library parts (compileBoundary: the forward-gradient pass's too). */
const boundaryParts = [
  lib.grid,
  lib.series,
  lib.jetRows,
  lib.tangentSlots,
  lib.denseTangents,
  lib.random,
  lib.ballPoints,
  { name: 'jetBoundary.wgsl', code: boundaryCode },
];
const LAYER_WORKGROUP = 64;
const BOUNDARY_WORKGROUP = 64;

/** How one layer's matmul is tiled; every field is a pipeline override or derived from one. */
export interface LayerTiling {
  workgroupSize: number;
  threadsOuts: number;
  tileInner: number;
  tileRows: number;
  tileOuts: number;
}

/**
 * Workgroup memory the two tiles may use, in floats. Dawn zero-fills workgroup memory, and on
 * SwiftShader the pipeline compile time grows with its size (measured: ~0.2 s for 512 floats,
 * ~1.2 s for 2 048, ~2.5 s for 4 096); 1 024 floats kept the same throughput there as 2 048.
 */
export const TILE_FLOATS = 1024;

/**
 * Narrow layers (the output layer is usually 1 wide) get narrow output tiles so invocations are not
 * spent on outputs that do not exist; the depth of the staged slice of the inner dimension is the
 * largest power of two ≤ 32 whose two tiles fit `tileFloats` (and the device limit).
 */
export function layerTiling(
  outputs: number,
  workgroupStorageBytes: number,
  tileFloats = TILE_FLOATS,
): LayerTiling {
  const threadsOuts = outputs >= 32 ? 8 : outputs >= 16 ? 4 : outputs >= 8 ? 2 : 1;
  const tileRows = (LAYER_WORKGROUP / threadsOuts) * MICRO_TILE;
  const tileOuts = threadsOuts * MICRO_TILE;
  const budget = Math.min(tileFloats, workgroupStorageBytes / 4);
  let tileInner = 32;
  while (tileInner > 1 && tileInner * (tileRows + tileOuts) > budget) tileInner /= 2;
  return { workgroupSize: LAYER_WORKGROUP, threadsOuts, tileInner, tileRows, tileOuts };
}

/** Padding of the last row chunk we accept before trying more points per workgroup. */
const ACCEPTABLE_PADDING = 1 / 16;
const MAX_CHUNKS_PER_WORKGROUP = 16;

/**
 * Points per workgroup. A workgroup owns whole points (phase 2 needs every row of a point) and runs
 * their `rowsPerUnit`·count matmul rows in chunks of `tileRows`; the padding of its last chunk is
 * wasted work (V = 33 rows with 32-row chunks and one point per workgroup wastes 48 %). Take the
 * fewest points that fill at least one chunk with at most 1/16 padding, else the least padded count
 * of up to 16 chunks; fewer points per workgroup means more workgroups to spread over the GPU.
 */
export function pointsPerWorkgroup(rowsPerUnit: number, tileRows: number, points: number): number {
  const most = Math.max(
    1,
    Math.min(points, Math.floor((MAX_CHUNKS_PER_WORKGROUP * tileRows) / rowsPerUnit)),
  );
  let best = most;
  let bestPadding = Infinity;
  for (let count = 1; count <= most; count++) {
    const rows = count * rowsPerUnit;
    const padding = (Math.ceil(rows / tileRows) * tileRows - rows) / rows;
    if (rows >= tileRows && padding <= ACCEPTABLE_PADDING) return count;
    if (padding < bestPadding) {
      best = count;
      bestPadding = padding;
    }
  }
  return best;
}

function requirePositiveInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new JetShapeError(`${what} must be a positive integer, got ${value}`);
  }
}

function validateConfig(config: ForwardJetConfig): void {
  validateArchitecture(config.architecture);
  const { points, directions, order, structure } = config.shape;
  requirePositiveInteger(points, 'the number of points N');
  requirePositiveInteger(directions, 'the number of directions R');
  if (!Number.isInteger(order) || order < 1 || order > MAX_JET_ORDER) {
    throw new JetShapeError(
      `the jet order K must be an integer in 1..${MAX_JET_ORDER} (the kernels' fixed series size), got ${order}`,
    );
  }
  if (structure !== 'standard' && structure !== 'collapsed') {
    throw new JetShapeError(
      `the channel structure must be 'standard' or 'collapsed', got '${String(structure)}'`,
    );
  }
  const storage = config.layerStorage ?? 'stored';
  if (storage !== 'stored' && storage !== 'reused') {
    throw new JetShapeError(
      `the layer storage must be 'stored' or 'reused', got '${String(config.layerStorage)}'`,
    );
  }
  if (config.tangentKind !== 'dense' && config.tangentKind !== 'oneHot') {
    throw new JetShapeError(
      `the tangent kind must be 'dense' or 'oneHot', got '${String(config.tangentKind)}'`,
    );
  }
  if (tangentSourceOf(config).storage === 'regenerated' && config.tangentKind !== 'dense') {
    throw new JetShapeError('only dense tangents are regenerated: one-hot ones hold N·R·K words');
  }
}

/** Where a config's dense tangents are; stored unless it says otherwise. */
export function tangentSourceOf(config: ForwardJetConfig): TangentSource {
  return config.tangentSource ?? storedTangents;
}

/**
 * The hidden layers' z and σ(z) jet buffers. Stored: one pair per layer. Reused: layer l reads
 * σ(z) of layer l − 1 while it writes its own, so two σ(z) buffers alternate; z is read back only
 * by the workgroup that wrote it (jetForward.wgsl phase 2), so one z buffer serves every layer.
 */
function hiddenLayerBuffers(
  storage: 'stored' | 'reused',
  hiddenWidths: readonly number[],
  shape: JetShape,
  buffer: (label: string, elements: number) => PlannedBuffer,
): { preActivations: PlannedBuffer[]; activations: PlannedBuffer[] } {
  if (storage === 'stored') {
    return {
      preActivations: hiddenWidths.map((h, l) => buffer(`z${l}`, layerElements(shape, h))),
      activations: hiddenWidths.map((h, l) => buffer(`s${l}`, layerElements(shape, h))),
    };
  }
  if (hiddenWidths.length === 0) return { preActivations: [], activations: [] };
  const widest = layerElements(shape, Math.max(...hiddenWidths));
  const z = buffer('z (reused by every layer)', widest);
  const s = [buffer('s (even layers)', widest)];
  if (hiddenWidths.length > 1) s.push(buffer('s (odd layers)', widest));
  return {
    preActivations: hiddenWidths.map(() => z),
    activations: hiddenWidths.map((_, l) => s[l % 2]),
  };
}

/** The device limits a forward jet's plan depends on (GPUSupportedLimits has them). */
export type ForwardJetLimits = Pick<
  GPUSupportedLimits,
  'maxComputeWorkgroupStorageSize' | 'maxComputeWorkgroupsPerDimension'
>;

/** One planned dispatch: its pipeline overrides, its uniform and its workgroup grid. */
export interface PlannedDispatch {
  constants: Record<string, number>;
  params: PlannedUniform;
  grid: [number, number, number];
}

/** The entry points of jetForward.wgsl (its header): fused, or the two steps of a split layer. */
export type LayerEntryPoint = 'layer' | 'partialProducts' | 'sumPartials';

/** A dispatch of jetForward.wgsl. */
export interface LayerDispatch extends PlannedDispatch {
  entryPoint: LayerEntryPoint;
}

/** Enough workgroups to fill a large GPU; the backward pass's split-K aims at the same. */
const TARGET_WORKGROUPS = 512;
/**
 * A first layer with fewer inputs keeps the fused kernel: one workgroup's product is short there,
 * and every run at smaller d keeps the bits it had before the split existed.
 */
export const SPLIT_MIN_INPUTS = 4096;
/** A K block shorter than this spends more on its partials than it gains in parallelism. */
const MIN_BLOCK_INNER = 128;
/** Cap on the partial buffer (16 MiB), as the backward pass caps its split slices. */
const MAX_PARTIAL_ELEMENTS = 1 << 22;

/** How the first layer's product is split over its inputs. */
export interface InnerSplit {
  /** Inputs per K block, a multiple of the layer's TILE_INNER. */
  blockInner: number;
  /** K blocks S = ⌈inputs / blockInner⌉, at least 2. */
  splits: number;
  /** f32 elements of the partial buffer: S × (multiplied rows) × outputs. */
  partialElements: number;
}

/**
 * The split of a first layer with `inputs` inputs, `rows` multiplied rows (N for one-hot tangents,
 * N·V for dense) and `outputs` outputs, whose fused dispatch has `workgroups` workgroups; null
 * keeps it fused. By default only a layer of at least SPLIT_MIN_INPUTS inputs with fewer than
 * TARGET_WORKGROUPS workgroups splits, into enough blocks of at least MIN_BLOCK_INNER inputs to
 * reach that many (blocks rounded down to whole tiles, so S only grows). `forced` sets the block
 * instead (0: never split). A function of the shape only, hence deterministic.
 */
export function firstLayerSplit(
  inputs: number,
  rows: number,
  outputs: number,
  workgroups: number,
  tileInner: number,
  forced?: number,
): InnerSplit | null {
  let blockInner: number;
  if (forced !== undefined) {
    if (!Number.isSafeInteger(forced) || forced < 0) {
      throw new JetShapeError(
        `the first layer's block of inputs must be a non-negative integer, got ${forced}`,
      );
    }
    if (forced === 0) return null;
    blockInner = Math.ceil(forced / tileInner) * tileInner;
  } else {
    if (inputs < SPLIT_MIN_INPUTS || workgroups >= TARGET_WORKGROUPS) return null;
    const wanted = Math.min(
      Math.ceil(TARGET_WORKGROUPS / workgroups),
      Math.floor(MAX_PARTIAL_ELEMENTS / (rows * outputs)),
    );
    if (wanted < 2) return null;
    const block = Math.floor(inputs / wanted / tileInner) * tileInner;
    blockInner = Math.max(MIN_BLOCK_INNER, block);
  }
  const splits = Math.ceil(inputs / blockInner);
  if (splits < 2) return null;
  return { blockInner, splits, partialElements: splits * rows * outputs };
}

/** The first layer split over its inputs: partialProducts is layers[0], then `sum`. */
export interface FirstLayerSplitPlan extends InnerSplit {
  /** sumPartials: layer 0's overrides and its uniform (one buffer for both dispatches). */
  sum: LayerDispatch;
  /**
   * Where the bias b₁ is copied in the partial buffer, behind the partial sums (jetForward.wgsl
   * reads it there): the buffer holds partialElements + outputs floats.
   */
  biasAt: number;
}

/**
 * The first layer's dispatches over one parameter block after the first (layers[0] and split.sum
 * cover block 0): its rows of W₁ only (ForwardJetConfig.parameterBlocks).
 */
export interface FirstLayerBlockDispatch {
  /** Index of the parameter block it binds. */
  block: number;
  /** The fused layer, or partialProducts of a split one. */
  product: LayerDispatch;
  /** sumPartials of a split first layer; null when fused. */
  sum: LayerDispatch | null;
}

/** The batch's own input buffers, planned when no ExternalJetInputs are bound instead. */
export interface PlannedJetInputs {
  x: PlannedBuffer;
  tangents: PlannedBuffer;
  /** oneHot tangents only. */
  tangentIndex: PlannedBuffer | null;
}

/** Where each buffer of ForwardJetBuffers (and the two stand-ins) comes from. */
export interface ForwardJetStorage {
  /** null: the build binds ExternalJetInputs. */
  inputs: PlannedJetInputs | null;
  /** One per hidden layer; with reused storage several layers name the same buffer. */
  preActivations: PlannedBuffer[];
  activations: PlannedBuffer[];
  mlpOutput: PlannedBuffer;
  boundary: PlannedBuffer | null;
  /** u = b·m; null without a boundary factor, where the output is the mlp output itself. */
  output: PlannedBuffer | null;
  /** Bound as the tangent index for dense tangents (every declared binding must be bound). */
  unusedIndex: PlannedBuffer | null;
  /** Bound as the tangents when they are regenerated (nothing stores them). */
  unusedTangents: PlannedBuffer | null;
  /** Bound as the output layer's σ(z), which it does not write. */
  unusedOutput: PlannedBuffer;
  /** The split first layer's partial sums (FirstLayerSplitPlan.partialElements); null unsplit. */
  partials: PlannedBuffer | null;
}

export interface ForwardJetPlan {
  dim: number;
  /** f32 elements each input holds (what external inputs must hold at least). */
  inputElements: { x: number; tangents: number; tangentIndex: number };
  /** One dispatch per layer; a split first layer's is partialProducts, followed by split.sum. */
  layers: LayerDispatch[];
  /** The first layer's split over its inputs; null: every layer is one fused dispatch. */
  split: FirstLayerSplitPlan | null;
  /** The parameter blocks the pass binds (one unless split, parameterBlocks.ts). */
  parameterBlocks: ParameterBlocks;
  /** The first layer over parameter blocks 1, 2, …: empty for one block. */
  moreBlocks: FirstLayerBlockDispatch[];
  boundary: BoundaryDispatch | null;
  storage: ForwardJetStorage;
  /** The trial point's uniform of a perturbed pass (ForwardJetConfig.perturbed); else null. */
  perturbation: PlannedUniform | null;
  /** Every buffer the build allocates, each once: storage, then the uniforms. */
  buffers: PlannedBuffer[];
}

export interface ForwardJetPlanOptions {
  /** The build binds ExternalJetInputs, so it allocates no x, tangents or tangent index. */
  externalInputs?: boolean;
}

interface PlannedLayers {
  layers: LayerDispatch[];
  split: FirstLayerSplitPlan | null;
  moreBlocks: FirstLayerBlockDispatch[];
}

/** The planned parameter blocks of a config: one unless it names a split. */
export function blocksOf(config: ForwardJetConfig): ParameterBlocks {
  const count = parameterLayout(config.architecture.widths).count;
  const blocks = config.parameterBlocks ?? singleBlock(count);
  if (blocks.count !== count) {
    throw new JetShapeError(
      `the parameter blocks hold ${blocks.count} parameters; widths ` +
        `${JSON.stringify(config.architecture.widths)} have ${count}`,
    );
  }
  return blocks;
}

/** What every dispatch of one layer shares: its overrides, tiling, point groups and split. */
interface LayerSetting {
  l: number;
  slice: ParameterSlice;
  constants: Record<string, number>;
  tiling: LayerTiling;
  perGroup: number;
  pointGroups: number;
  /** The first layer's split over its inputs; null fused. */
  inner: InnerSplit | null;
}

function layerSetting(
  config: ForwardJetConfig,
  limits: ForwardJetLimits,
  slice: ParameterSlice,
  l: number,
): LayerSetting {
  const { architecture, shape, tangentKind } = config;
  const hidden = l < architecture.widths.length - 2;
  const input = l > 0 ? 'rows' : tangentKind;
  const tiling = layerTiling(slice.outputs, limits.maxComputeWorkgroupStorageSize);
  const rowsPerUnit = input === 'oneHot' ? 1 : rowsPerPoint(shape);
  const perGroup = pointsPerWorkgroup(rowsPerUnit, tiling.tileRows, shape.points);
  const pointGroups = Math.ceil(shape.points / perGroup);
  const constants = {
    ORDER: shape.order,
    COLLAPSED: shape.structure === 'collapsed' ? 1 : 0,
    ACTIVATION: hidden ? activationIds[architecture.activation] : LINEAR,
    INPUT: inputIds[input],
    POINTS: l === 0 ? pointsOverride(config.points ?? storedPoints) : 0,
    // Only a first layer that redraws its tangents names it: every other keeps its key.
    ...(l === 0 ? tangentConstants(tangentSourceOf(config)) : {}),
    WORKGROUP_SIZE: tiling.workgroupSize,
    THREADS_OUTS: tiling.threadsOuts,
    TILE_INNER: tiling.tileInner,
    // Only a perturbed pass names it: every other pipeline keeps its key and code.
    ...(config.perturbed ? { PERTURBED: 1 } : {}),
  };
  // Only the first layer's inner dimension (d) grows with the problem; hidden layers are fused.
  // The split is chosen for the whole layer, so every parameter block sums in the same order.
  const inner =
    l === 0
      ? firstLayerSplit(
          slice.inputs,
          shape.points * rowsPerUnit,
          slice.outputs,
          Math.ceil(slice.outputs / tiling.tileOuts) * pointGroups,
          tiling.tileInner,
          config.firstLayerBlockInner,
        )
      : null;
  return { l, slice, constants, tiling, perGroup, pointGroups, inner };
}

/**
 * The uniform of a dispatch over output units firstOutput … firstOutput + blockOutputs − 1 of the
 * layer, bound to the parameter block that starts at flat index `start`; b and the later layers
 * are in the block starting at `restStart`.
 */
function layerUniform(
  config: ForwardJetConfig,
  setting: LayerSetting,
  label: string,
  units: { firstOutput: number; blockOutputs: number },
  start: number,
  restStart: number,
): PlannedUniform {
  const { shape } = config;
  const { l, slice, inner } = setting;
  return planUniform(label, plannedView(forwardParts, 'params'), {
    points: shape.points,
    directions: shape.directions,
    rowsPerPoint: rowsPerPoint(shape),
    inputs: slice.inputs,
    outputs: slice.outputs,
    weightOffset: slice.weightOffset + units.firstOutput * slice.inputs - start,
    // A split layer reads b₁ from its copy behind the partial sums.
    biasOffset: inner ? inner.partialElements : slice.biasOffset - restStart,
    weightFlat: slice.weightOffset + units.firstOutput * slice.inputs,
    ...units,
    pointsPerGroup: setting.perGroup,
    pointGroups: setting.pointGroups,
    pointSource: pointSourceWords(l === 0 ? (config.points ?? storedPoints) : storedPoints),
    tangentDraw: tangentDrawValue(l === 0 ? tangentSourceOf(config) : storedTangents),
  });
}

/** A layer's dispatches over `blockOutputs` units: fused, or the two steps of a split. */
function layerDispatches(
  setting: LayerSetting,
  params: PlannedUniform,
  blockOutputs: number,
  points: number,
  limits: ForwardJetLimits,
): { product: LayerDispatch; sum: LayerDispatch | null } {
  const { constants, tiling, pointGroups, inner } = setting;
  const outputTiles = Math.ceil(blockOutputs / tiling.tileOuts);
  if (inner) {
    const splitConstants = { ...constants, BLOCK_INNER: inner.blockInner };
    // partialProducts numbers (point group, K block) like `layer` numbers point groups;
    // sumPartials numbers units id.x + id.y·(num_workgroups.x·WORKGROUP_SIZE).
    const [y, z] = dispatchGrid(pointGroups * inner.splits, limits);
    return {
      product: {
        entryPoint: 'partialProducts',
        constants: splitConstants,
        params,
        grid: [outputTiles, y, z],
      },
      sum: {
        entryPoint: 'sumPartials',
        constants: splitConstants,
        params,
        grid: dispatchGrid(Math.ceil((points * blockOutputs) / tiling.workgroupSize), limits),
      },
    };
  }
  // x takes the output tiles; jetForward.wgsl numbers point groups
  // workgroup_id.y + workgroup_id.z·num_workgroups.y, so the folded grid goes on y and z.
  const [y, z] = dispatchGrid(pointGroups, limits);
  return {
    product: { entryPoint: 'layer', constants, params, grid: [outputTiles, y, z] },
    sum: null,
  };
}

function planLayers(config: ForwardJetConfig, limits: ForwardJetLimits): PlannedLayers {
  const points = config.shape.points;
  const blocks = blocksOf(config).blocks;
  // Everything after W₁ is in the last block (parameterBlocks.ts): b₁ and the hidden layers.
  const restStart = blocks[blocks.length - 1].start;
  const [first, ...hidden] = parameterLayout(config.architecture.widths).layers.map((slice, l) =>
    layerSetting(config, limits, slice, l),
  );
  // The first layer runs once per parameter block holding rows of W₁, over those rows.
  const { inputs, outputs } = first.slice;
  const [head, ...moreBlocks] = blocks
    .map((block, k) => ({ block, k, ...firstLayerRows(block, inputs, outputs) }))
    .filter(({ rows }) => rows > 0)
    .map(({ block, k, firstRow, rows }): FirstLayerBlockDispatch => {
      const label =
        blocks.length > 1 ? `forward jet layer 0 block ${k} params` : 'forward jet layer 0 params';
      const units = { firstOutput: firstRow, blockOutputs: rows };
      const params = layerUniform(config, first, label, units, block.start, restStart);
      return { block: k, ...layerDispatches(first, params, rows, points, limits) };
    });
  const later = hidden.map((setting) => {
    const units = { firstOutput: 0, blockOutputs: setting.slice.outputs };
    const label = `forward jet layer ${setting.l} params`;
    const params = layerUniform(config, setting, label, units, restStart, restStart);
    return layerDispatches(setting, params, units.blockOutputs, points, limits).product;
  });
  const split =
    first.inner && head.sum
      ? { ...first.inner, sum: head.sum, biasAt: first.inner.partialElements }
      : null;
  return { layers: [head.product, ...later], split, moreBlocks };
}

/**
 * Coordinates per block of a dense boundary factor's sums over d (jetBoundary.wgsl
 * denseNormBlocks): at d = 10⁵, 100 points and 16 jets, 25 blocks give 40 000 workgroups where
 * one invocation per point walked 1.6M coordinate terms each. A multiple of the workgroup size.
 */
export const BOUNDARY_BLOCK = 4096;

/**
 * The blocks S a dense boundary factor sums over, and their size: S = 0 (one sum in coordinate
 * order, the kernel's sum before the split existed, so runs at such d keep their bits) for
 * one-hot tangents, at d ≤ one block, or with config.boundaryBlock 0.
 */
export function boundaryBlocks(config: ForwardJetConfig): { blocks: number; block: number } {
  const d = config.architecture.widths[0];
  const block = config.boundaryBlock ?? BOUNDARY_BLOCK;
  if (config.tangentKind !== 'dense' || block === 0 || d <= block) return { blocks: 0, block: 0 };
  return { blocks: Math.ceil(d / block), block };
}

/**
 * The boundary factor's dispatch, applyBoundary; where the dense sums over d are split
 * (boundaryBlocks), denseNormBlocks first, with the same overrides and uniform, into its share
 * buffer (N·R·S·K floats).
 */
export interface BoundaryDispatch extends PlannedDispatch {
  normBlocks: { grid: [number, number, number]; shares: PlannedBuffer } | null;
}

/** The boundary factor's kernels: applyBoundary, and denseNormBlocks where its sums are split. */
export async function compileBoundary(
  device: GPUDevice,
  boundary: BoundaryDispatch,
): Promise<{ apply: ComputeKernel; norms: ComputeKernel | null }> {
  const compile = (entryPoint: string) =>
    cachedKernel(device, boundaryParts, { entryPoint, constants: boundary.constants });
  return {
    apply: await compile('applyBoundary'),
    norms: boundary.normBlocks ? await compile('denseNormBlocks') : null,
  };
}

/** The boundary-factor dispatches of a forward pass (shared with the forward-gradient pass). */
export function planBoundary(
  config: ForwardJetConfig,
  limits: GridLimits,
  label = 'forward jet boundary params',
): BoundaryDispatch | null {
  const { architecture, shape, tangentKind } = config;
  if (architecture.boundary === 'none') return null;
  const { widths } = architecture;
  const points = config.points ?? storedPoints;
  const tangents = tangentSourceOf(config);
  const { blocks, block } = boundaryBlocks(config);
  const shares = shape.points * shape.directions * blocks * shape.order;
  return {
    constants: {
      ORDER: shape.order,
      COLLAPSED: shape.structure === 'collapsed' ? 1 : 0,
      ONE_HOT: tangentKind === 'oneHot' ? 1 : 0,
      POWER: boundaryPower(architecture.boundary),
      POINTS: pointsOverride(points),
      DRAWN_NORMS: drawnNorms(points) ? 1 : 0,
      ...tangentConstants(tangents),
      WORKGROUP_SIZE: BOUNDARY_WORKGROUP,
    },
    params: planUniform(label, plannedView(boundaryParts, 'params'), {
      points: shape.points,
      directions: shape.directions,
      rowsPerPoint: rowsPerPoint(shape),
      dim: widths[0],
      outputs: widths[widths.length - 1],
      blocks,
      block,
      pointSource: pointSourceWords(points),
      tangentDraw: tangentDrawValue(tangents),
    }),
    // jetBoundary.wgsl numbers points id.x + id.y·(num_workgroups.x·WORKGROUP_SIZE), and
    // denseNormBlocks' workgroups x + y·(num_workgroups.x).
    grid: dispatchGrid(Math.ceil(shape.points / BOUNDARY_WORKGROUP), limits),
    normBlocks: blocks
      ? {
          grid: dispatchGrid(shape.points * shape.directions * blocks, limits),
          shares: storageBuffer(label.replace(/ params$/, ' shares'), shares * 4),
        }
      : null,
  };
}

function planStorage(
  config: ForwardJetConfig,
  inputElements: ForwardJetPlan['inputElements'],
  externalInputs: boolean,
  split: InnerSplit | null,
): ForwardJetStorage {
  const { architecture, shape, tangentKind } = config;
  const { widths } = architecture;
  const out = widths[widths.length - 1];
  const buffer = (label: string, elements: number): PlannedBuffer =>
    storageBuffer(`forward jet ${label}`, elements * 4);
  const boundary =
    architecture.boundary === 'none' ? null : buffer('boundary', layerElements(shape, 1));
  return {
    inputs: externalInputs
      ? null
      : {
          x: buffer('x', inputElements.x),
          tangents: buffer('tangents', inputElements.tangents),
          tangentIndex:
            tangentKind === 'oneHot' ? buffer('tangent index', inputElements.tangentIndex) : null,
        },
    ...hiddenLayerBuffers(config.layerStorage ?? 'stored', widths.slice(1, -1), shape, buffer),
    mlpOutput: buffer('mlp output', layerElements(shape, out)),
    boundary,
    output: boundary ? buffer('output', layerElements(shape, out)) : null,
    unusedIndex: tangentKind === 'dense' ? buffer('unused index', 1) : null,
    unusedTangents:
      tangentSourceOf(config).storage === 'regenerated' ? buffer('unused tangents', 1) : null,
    unusedOutput: buffer('unused output', 1),
    // The partial sums, then the copy of b₁ (FirstLayerSplitPlan.biasAt).
    partials: split ? buffer('first-layer partials', split.partialElements + widths[1]) : null,
  };
}

/** Each planned storage buffer once (reused layer storage names a buffer per layer). */
function storageBuffers(storage: ForwardJetStorage): PlannedBuffer[] {
  const { inputs } = storage;
  const named = [
    inputs?.x,
    inputs?.tangents,
    inputs?.tangentIndex,
    ...storage.preActivations,
    ...storage.activations,
    storage.mlpOutput,
    storage.boundary,
    storage.output,
    storage.unusedIndex,
    storage.unusedTangents,
    storage.unusedOutput,
    storage.partials,
  ];
  return [...new Set(named.filter((b): b is PlannedBuffer => !!b))];
}

/**
 * The forward jet of `config` on a device with `limits`: layer tilings, uniforms, grids and every
 * buffer ForwardJet.create allocates. Pure; throws JetShapeError for a config the kernels cannot
 * take.
 */
export function planForwardJet(
  config: ForwardJetConfig,
  limits: ForwardJetLimits,
  options: ForwardJetPlanOptions = {},
): ForwardJetPlan {
  validateConfig(config);
  const { widths } = config.architecture;
  const { points, directions, order } = config.shape;
  const dim = widths[0];
  const slots = points * directions * order;
  const source = config.points ?? storedPoints;
  if (source.storage === 'regenerated' && !options.externalInputs) {
    throw new JetShapeError(
      "regenerated points are the ball draw's: bind its partials and step counter as external inputs",
    );
  }
  const tangentSource = tangentSourceOf(config);
  if (tangentSource.storage === 'regenerated' && !options.externalInputs) {
    throw new JetShapeError(
      'regenerated tangents are drawn at the step counter: bind it as an external input',
    );
  }
  const inputElements = {
    x: pointElements(source, points, dim),
    tangents:
      config.tangentKind === 'dense' ? denseTangentElements(tangentSource, slots, dim) : slots,
    tangentIndex: config.tangentKind === 'oneHot' ? slots : 0,
  };
  const { layers, split, moreBlocks } = planLayers(config, limits);
  const boundary = planBoundary(config, limits);
  const storage = planStorage(config, inputElements, options.externalInputs ?? false, split);
  // Zero until its writer sets the step's trial point: a scale of 0 reads θ itself.
  const perturbation = config.perturbed
    ? planUniform('forward jet perturbation', perturbationView, {
        seed: 0,
        directionStream: 0,
        direction: 0,
        scale: 0,
        trainStep: 0,
      })
    : null;
  return {
    dim,
    inputElements,
    layers,
    split,
    parameterBlocks: blocksOf(config),
    moreBlocks,
    boundary,
    storage,
    perturbation,
    buffers: [
      ...storageBuffers(storage),
      ...layers.map((layer) => layer.params.buffer),
      ...moreBlocks.map((block) => block.product.params.buffer),
      ...(boundary ? [boundary.params.buffer] : []),
      ...(boundary?.normBlocks ? [boundary.normBlocks.shares] : []),
      ...(perturbation ? [perturbation.buffer] : []),
    ],
  };
}

function checkExternalInputs(
  plan: ForwardJetPlan,
  config: ForwardJetConfig,
  inputs: ExternalJetInputs,
): void {
  const { tangentKind } = config;
  const source = config.points ?? storedPoints;
  const regeneratedTangents = tangentSourceOf(config).storage === 'regenerated';
  const needed: [string, GPUBuffer | null, number][] = [
    ['x', inputs.x, plan.inputElements.x],
    ['tangents', inputs.tangents, plan.inputElements.tangents],
    [
      'tangentIndex',
      tangentKind === 'oneHot' ? inputs.tangentIndex : null,
      plan.inputElements.tangentIndex,
    ],
  ];
  for (const [name, buffer, elements] of needed) {
    if (buffer && buffer.size < elements * 4) {
      throw new JetShapeError(
        `external ${name} buffer holds ${buffer.size} bytes, the batch needs ${elements * 4}`,
      );
    }
  }
  if (tangentKind === 'oneHot' && !inputs.tangentIndex) {
    throw new JetShapeError('external one-hot inputs need a tangentIndex buffer');
  }
  if (source.storage === 'regenerated' && !inputs.stepCounter) {
    throw new JetShapeError('regenerated points need the step counter among the external inputs');
  }
  if (regeneratedTangents && !inputs.stepCounter) {
    throw new JetShapeError('regenerated tangents need the step counter among the external inputs');
  }
  if (!regeneratedTangents && !inputs.tangents) {
    throw new JetShapeError('external inputs need a tangents buffer unless they are regenerated');
  }
  if (source.draw) {
    const needed = (source.draw.normsAt + Number(plan.layers[0].params.values.points)) * 4;
    if (!inputs.pointNorms || inputs.pointNorms.size < needed) {
      throw new JetShapeError(
        `the points of a ball draw need its partials (${needed} bytes, with ‖x‖²) among the ` +
          'external inputs',
      );
    }
  }
}

/** denseNormBlocks of a split dense boundary sum, on the uniform of its applyBoundary step. */
function boundaryNormsStep(
  allocation: PlannedAllocation,
  boundary: BoundaryDispatch | null,
  kernel: ComputeKernel | null,
  apply: Dispatch | null,
): { step: Dispatch; shares: GPUBuffer } | null {
  if (!boundary?.normBlocks || !kernel || !apply) return null;
  return {
    // One uniform for both steps, as a split layer's.
    step: {
      kernel,
      uniforms: apply.uniforms,
      bindGroup: null,
      grid: boundary.normBlocks.grid,
      cost: boundaryNormsCost(boundary),
    },
    shares: allocation.storage(boundary.normBlocks.shares),
  };
}

/** A buffer the plan promises for this build; its absence is a plan/build mismatch. */
function planned<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) {
    throw new Error(`forward jet: the plan has no ${what} for this build`);
  }
  return value;
}

/** ForwardJetBuffers from the plan's storage, with external inputs bound where given. */
function allocateJetBuffers(
  allocation: PlannedAllocation,
  config: ForwardJetConfig,
  plan: ForwardJetPlan,
  external: ExternalJetInputs | undefined,
): ForwardJetBuffers {
  const s = plan.storage;
  const own = (buffer: PlannedBuffer): GPUBuffer => allocation.storage(buffer);
  const inputs: ExternalJetInputs = s.inputs
    ? {
        x: own(s.inputs.x),
        tangents: own(s.inputs.tangents),
        tangentIndex: s.inputs.tangentIndex && own(s.inputs.tangentIndex),
      }
    : planned(external, 'external inputs');
  const mlpOutput = own(s.mlpOutput);
  return {
    shape: { ...config.shape },
    dim: plan.dim,
    tangentKind: config.tangentKind,
    points: config.points ?? storedPoints,
    x: inputs.x,
    tangentSource: tangentSourceOf(config),
    stepCounter: inputs.stepCounter ?? null,
    pointNorms: inputs.pointNorms ?? null,
    tangents: inputs.tangents ?? own(planned(s.unusedTangents, 'tangent stand-in')),
    tangentIndex: config.tangentKind === 'oneHot' ? inputs.tangentIndex : null,
    preActivations: s.preActivations.map(own),
    activations: s.activations.map(own),
    mlpOutput,
    boundary: s.boundary && own(s.boundary),
    output: s.output ? own(s.output) : mlpOutput,
  };
}

interface Dispatch {
  kernel: ComputeKernel;
  uniforms: GPUBuffer;
  bindGroup: GPUBindGroup | null;
  grid: [number, number, number];
  /** What it computes and moves (forwardJetCost.ts), the stage cost of encodeStages. */
  cost: KernelCost;
}

/** A first layer's dispatches over one parameter block after the first (FirstLayerBlockDispatch). */
interface BlockDispatch {
  block: number;
  product: Dispatch;
  sum: Dispatch | null;
}

/** The parameters a pass reads: one flat buffer, or a tensor of parameter blocks. */
export type ParameterSource = GPUBuffer | BlockedTensor;

/** `parameters` as a tensor: a flat buffer is one block of `count` elements. */
export function asTensor(parameters: ParameterSource, count: number): BlockedTensor {
  // Unchecked: checkedParameters says which buffer is too small, with the layout's numbers.
  return 'buffers' in parameters
    ? parameters
    : { blocks: singleBlock(count), buffers: [parameters] };
}

/**
 * The forward pass of an MLP on a batch of Taylor jets: one fused dispatch per layer (affine map
 * of every row plus the activation's Taylor rule; a first layer with many inputs and few
 * workgroups is split over its inputs into two, FirstLayerSplitPlan), then one for the boundary
 * factor. Create it for an architecture, a JetShape and a tangent kind; give it the flat parameter
 * buffer (jetLayout.parameterLayout), or the parameter blocks its config names; `upload` points
 * and tangents; `encode` records the pass without any readback, `run` is the convenience that also
 * reads the output back.
 */
export class ForwardJet {
  readonly config: ForwardJetConfig;
  readonly buffers: ForwardJetBuffers;
  private readonly memory: GpuMemory;
  private readonly layers: Dispatch[];
  /** sumPartials of a split first layer (layers[0] is then its partialProducts). */
  private readonly sumStep: Dispatch | null;
  /** The first layer over parameter blocks 1, 2, … (empty for one block). */
  private readonly moreBlocks: BlockDispatch[];
  /** The split first layer's partial sums, then a copy of b₁ at `biasAt`. */
  private readonly partials: GPUBuffer | null;
  private readonly biasAt: number;
  private readonly boundaryStep: Dispatch | null;
  /** denseNormBlocks, which applyBoundary reads its q_k shares from (null: not split). */
  private readonly boundaryNorms: { step: Dispatch; shares: GPUBuffer } | null;
  /**
   * Every binding a kernel declares must be bound (jetForward.wgsl): the index binding is a
   * 4-byte stand-in for dense tangents, and the output layer's unused σ binding gets its own.
   */
  private readonly indexBinding: GPUBuffer;
  private readonly unusedOutput: GPUBuffer;
  /**
   * The Perturbation uniform (perturbationView) of a perturbed pass, which its writer fills before
   * each pass; null for a pass that reads θ (it binds each dispatch's own uniform there instead).
   */
  readonly perturbation: GPUBuffer | null;
  private parameters: BlockedTensor;
  /** Every buffer this forward jet allocated: not the parameters, not external inputs. */
  private readonly owned: GPUBuffer[];

  private constructor(
    memory: GpuMemory,
    config: ForwardJetConfig,
    buffers: ForwardJetBuffers,
    built: {
      layers: Dispatch[];
      sumStep: Dispatch | null;
      moreBlocks: BlockDispatch[];
      partials: GPUBuffer | null;
      biasAt: number;
      boundaryStep: Dispatch | null;
      boundaryNorms: { step: Dispatch; shares: GPUBuffer } | null;
      indexBinding: GPUBuffer;
      unusedOutput: GPUBuffer;
      perturbation: GPUBuffer | null;
      owned: GPUBuffer[];
    },
    parameters: ParameterSource,
  ) {
    this.memory = memory;
    this.config = config;
    this.buffers = buffers;
    this.layers = built.layers;
    this.sumStep = built.sumStep;
    this.moreBlocks = built.moreBlocks;
    this.partials = built.partials;
    this.biasAt = built.biasAt;
    this.boundaryStep = built.boundaryStep;
    this.boundaryNorms = built.boundaryNorms;
    this.indexBinding = built.indexBinding;
    this.unusedOutput = built.unusedOutput;
    this.perturbation = built.perturbation;
    this.owned = built.owned;
    this.parameters = this.checkedParameters(parameters);
    this.bindAll();
  }

  /**
   * Compiles (or reuses) the kernels and allocates every buffer of the pass (planForwardJet)
   * through `memory`. `parameters` is the flat parameter buffer of `config.architecture`, or its
   * blocks when the config names parameter blocks.
   */
  static async create(
    memory: GpuMemory,
    config: ForwardJetConfig,
    parameters: ParameterSource,
    inputs?: ExternalJetInputs,
  ): Promise<ForwardJet> {
    const device = memory.device;
    const plan = planForwardJet(config, device.limits, { externalInputs: inputs !== undefined });
    if (inputs) checkExternalInputs(plan, config, inputs);
    const layerKernel = (step: LayerDispatch): Promise<ComputeKernel> =>
      cachedKernel(device, forwardParts, {
        entryPoint: step.entryPoint,
        constants: step.constants,
      });
    const kernels = await Promise.all(plan.layers.map(layerKernel));
    const sumKernel = plan.split && (await layerKernel(plan.split.sum));
    const boundaryKernels = plan.boundary && (await compileBoundary(device, plan.boundary));
    return buildFromPlan(memory, plan.buffers, (allocation) => {
      const buffers = allocateJetBuffers(allocation, config, plan, inputs);
      const dispatch = (
        step: PlannedDispatch,
        kernel: ComputeKernel,
        cost: KernelCost,
      ): Dispatch => ({
        kernel,
        uniforms: allocation.uniform(step.params, kernel.struct('params')),
        bindGroup: null,
        grid: step.grid,
        cost,
      });
      const { unusedIndex, unusedOutput, partials } = plan.storage;
      const layers = plan.layers.map((layer, l) =>
        dispatch(layer, kernels[l], forwardLayerCost(layer)),
      );
      // A split step reads the uniform of its product step (one planned buffer for both).
      const sumOf = (product: Dispatch, sum: LayerDispatch | null): Dispatch | null =>
        sum && sumKernel
          ? {
              kernel: sumKernel,
              uniforms: product.uniforms,
              bindGroup: null,
              grid: sum.grid,
              cost: forwardLayerCost(sum),
            }
          : null;
      const boundaryStep =
        plan.boundary && boundaryKernels
          ? dispatch(plan.boundary, boundaryKernels.apply, boundaryCost(plan.boundary))
          : null;
      const built = {
        layers,
        sumStep: sumOf(layers[0], plan.split?.sum ?? null),
        // Every block's product is the kernel of block 0's (same entry point and overrides).
        moreBlocks: plan.moreBlocks.map((more): BlockDispatch => {
          const product = dispatch(more.product, kernels[0], forwardLayerCost(more.product));
          return { block: more.block, product, sum: sumOf(product, more.sum) };
        }),
        partials: partials && allocation.storage(partials),
        biasAt: plan.split?.biasAt ?? 0,
        boundaryStep,
        boundaryNorms: boundaryNormsStep(
          allocation,
          plan.boundary,
          boundaryKernels?.norms ?? null,
          boundaryStep,
        ),
        indexBinding: unusedIndex
          ? allocation.storage(unusedIndex)
          : planned(buffers.tangentIndex, 'tangent index'),
        unusedOutput: allocation.storage(unusedOutput),
        perturbation: plan.perturbation && allocation.uniform(plan.perturbation, perturbationView),
        owned: allocation.owned,
      };
      return new ForwardJet(memory, config, buffers, built, parameters);
    });
  }

  /** Points to other parameters (same layout and blocks), e.g. a zeroth-order trial point. */
  setParameters(parameters: ParameterSource): void {
    this.parameters = this.checkedParameters(parameters);
    this.bindAll();
  }

  private checkedParameters(parameters: ParameterSource): BlockedTensor {
    const planned = blocksOf(this.config);
    const tensor = asTensor(parameters, planned.count);
    const blocks = tensor.blocks.blocks;
    if (!sameBlocks(tensor.blocks, planned)) {
      throw new JetShapeError(
        `the parameters come in ${blocks.length} blocks; this forward jet was planned for ` +
          `${planned.blocks.length} (ForwardJetConfig.parameterBlocks)`,
      );
    }
    tensor.buffers.forEach((buffer, k) => {
      if (buffer.size < blocks[k].count * 4) {
        throw new JetShapeError(
          `the parameter buffer holds ${buffer.size} bytes; widths ` +
            `${JSON.stringify(this.config.architecture.widths)} need ${blocks[k].count * 4}` +
            (blocks.length > 1 ? ` in block ${k}` : ''),
        );
      }
    });
    return tensor;
  }

  private bindAll(): void {
    const b = this.buffers;
    const tangentIndex = this.indexBinding;
    const last = this.layers.length - 1;
    const blocks = this.parameters.buffers;
    // b₁ and every later layer live in the last block (parameterBlocks.ts).
    const rest = blocks[blocks.length - 1];
    const bindLayer = (
      step: Dispatch,
      l: number,
      writes: 'z' | 'partials',
      parameters: GPUBuffer,
    ): void => {
      const z = l === last ? b.mlpOutput : b.preActivations[l];
      // sumPartials reads the bias behind the partial sums; partialProducts, which writes them,
      // reads no bias and binds a read-only stand-in there.
      const sums = this.partials !== null && l === 0 && writes === 'z';
      step.bindGroup = step.kernel.bind({
        params: step.uniforms,
        parameters,
        inputJet: l === 0 ? b.x : b.activations[l - 1],
        tangents: b.tangents,
        tangentIndex,
        // partialProducts writes the partial sums where `layer` writes z (jetForward.wgsl).
        preActivation: writes === 'partials' ? planned(this.partials, 'partial buffer') : z,
        activation: l === last ? this.unusedOutput : b.activations[l],
        // The bias: behind the partial sums for a split layer, else in its parameter block.
        partials: sums ? planned(this.partials, 'partial buffer') : rest,
        // Read with regenerated points only; stored ones bind a read-only stand-in.
        stepCounter: b.stepCounter ?? b.tangents,
        // Read by a perturbed pass only; another binds the dispatch's own uniform in its place.
        perturbation: this.perturbation ?? step.uniforms,
      });
    };
    const firstWrites = this.sumStep ? 'partials' : 'z';
    this.layers.forEach((step, l) =>
      bindLayer(step, l, l === 0 ? firstWrites : 'z', l === 0 ? blocks[0] : rest),
    );
    if (this.sumStep) bindLayer(this.sumStep, 0, 'z', blocks[0]);
    for (const more of this.moreBlocks) {
      bindLayer(more.product, 0, firstWrites, blocks[more.block]);
      if (more.sum) bindLayer(more.sum, 0, 'z', blocks[more.block]);
    }
    this.bindBoundary();
  }

  /**
   * The boundary factor: applyBoundary writes b and u, reading q_k's shares through the
   * tangentIndex binding where denseNormBlocks wrote them (through `boundary`) first.
   */
  private bindBoundary(): void {
    const b = this.buffers;
    if (!this.boundaryStep || !b.boundary) return;
    const resources = {
      params: this.boundaryStep.uniforms,
      x: b.x,
      tangents: b.tangents,
      tangentIndex: this.indexBinding,
      mlpOutput: b.mlpOutput,
      boundary: b.boundary,
      output: b.output,
      stepCounter: b.stepCounter ?? b.tangents,
      pointNorms: b.pointNorms ?? b.tangents,
    };
    const norms = this.boundaryNorms;
    if (norms) {
      norms.step.bindGroup = norms.step.kernel.bind({ ...resources, boundary: norms.shares });
    }
    this.boundaryStep.bindGroup = this.boundaryStep.kernel.bind({
      ...resources,
      tangentIndex: norms?.shares ?? this.indexBinding,
    });
  }

  /**
   * Writes the points (N·d, row-major) and normalized input tangents (jetLayout.TangentInput) of the
   * batch into the GPU buffers (queued: the next submitted pass sees them).
   */
  upload(x: Float32Array, tangents: TangentInput): void {
    const { shape, dim, tangentKind } = this.buffers;
    if (this.buffers.points.storage === 'regenerated') {
      throw new JetShapeError('a pass with regenerated points has no x to upload');
    }
    if (this.buffers.tangentSource.storage === 'regenerated') {
      throw new JetShapeError('a pass with regenerated tangents has no tangents to upload');
    }
    const slots = shape.points * shape.directions * shape.order;
    const slotsText = `N·R·K = ${shape.points}·${shape.directions}·${shape.order} = ${slots}`;
    if (x.length !== shape.points * dim) {
      throw new JetShapeError(
        `x must hold N·d = ${shape.points}·${dim} = ${shape.points * dim} values, got ${x.length}`,
      );
    }
    if (tangents.kind !== tangentKind) {
      throw new JetShapeError(
        `this forward jet was built for ${tangentKind} tangents, got ${tangents.kind}`,
      );
    }
    if (tangents.kind === 'dense') {
      if (tangents.values.length !== slots * dim) {
        throw new JetShapeError(
          `dense tangents must hold ${slotsText} vectors of d = ${dim}, ${slots * dim} values, got ${tangents.values.length}`,
        );
      }
      this.memory.write(this.buffers.tangents, tangents.values);
    } else {
      const { index, coefficient } = tangents;
      if (index.length !== slots || coefficient.length !== slots) {
        throw new JetShapeError(
          `one-hot tangents need ${slotsText} indices and coefficients, got ${index.length} and ${coefficient.length}`,
        );
      }
      for (let s = 0; s < slots; s++) {
        if (index[s] < -1 || index[s] >= dim) {
          throw new JetShapeError(
            `one-hot tangent slot ${s} has index ${index[s]}; indices must be in −1..${dim - 1} (−1 = zero tangent)`,
          );
        }
      }
      this.memory.write(this.buffers.tangents, coefficient);
      if (this.buffers.tangentIndex) this.memory.write(this.buffers.tangentIndex, index);
    }
    this.memory.write(this.buffers.x, x);
  }

  /**
   * The dispatches in order: the first layer over each parameter block (a split layer's partial
   * products of every block, then their sums), the later layers, the boundary.
   */
  private get dispatches(): Dispatch[] {
    const sums = this.sumStep ? [this.sumStep, ...this.moreBlocks.map((m) => m.sum)] : [];
    return [
      ...this.layers.slice(0, 1),
      ...this.moreBlocks.map((more) => more.product),
      ...sums.filter((sum): sum is Dispatch => sum !== null),
      ...this.layers.slice(1),
      ...(this.boundaryNorms ? [this.boundaryNorms.step] : []),
      ...(this.boundaryStep ? [this.boundaryStep] : []),
    ];
  }

  private record(pass: GPUComputePassEncoder, step: Dispatch): void {
    if (!step.bindGroup) throw new Error(`${step.kernel.name}: not bound`);
    step.kernel.dispatch(pass, step.bindGroup, ...step.grid);
  }

  /** A split first layer reads b₁ behind its partial sums: copied from the parameters' block. */
  private copyBias(encoder: GPUCommandEncoder): void {
    if (!this.partials) return;
    const { widths } = this.config.architecture;
    const first = parameterLayout(widths).layers[0];
    const blocks = this.parameters.blocks.blocks;
    const rest = blocks.length - 1;
    encoder.copyBufferToBuffer(
      this.parameters.buffers[rest],
      4 * (first.biasOffset - blocks[rest].start),
      this.partials,
      4 * this.biasAt,
      4 * first.outputs,
    );
  }

  /** Records the whole forward pass (every layer, then the boundary factor) into `encoder`. */
  encode(encoder: GPUCommandEncoder): void {
    this.copyBias(encoder);
    const pass = encoder.beginComputePass({ label: 'forward jet' });
    for (const step of this.dispatches) this.record(pass, step);
    pass.end();
  }

  /**
   * The same dispatches, each a stage of its own (a pass each, announced with its cost), so that
   * a bounded submit may fall between any two: at a large d the first layer alone is most of the
   * pass. The same work in the same order: the bits of `encode`.
   */
  encodeStages(steps: StageEncoder): void {
    this.dispatches.forEach((step, k) => {
      steps.beginStage(step.cost);
      if (k === 0) this.copyBias(steps.encoder);
      const pass = steps.encoder.beginComputePass({ label: `forward jet: ${step.kernel.name}` });
      this.record(pass, step);
      pass.end();
    });
  }

  /** Uploads, runs and reads back u = b·m (layerElements(shape, out) values). Tests and tools only. */
  async run(x: Float32Array, tangents: TangentInput): Promise<Float32Array> {
    this.upload(x, tangents);
    const device = this.memory.device;
    const encoder = device.createCommandEncoder({ label: 'forward jet' });
    this.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const out = this.config.architecture.widths[this.config.architecture.widths.length - 1];
    return readFloat32(device, this.buffers.output, layerElements(this.buffers.shape, out));
  }

  /** Frees every buffer this forward jet allocated (not the parameter buffer). */
  destroy(): void {
    for (const buffer of this.owned) this.memory.destroy(buffer);
    this.owned.length = 0;
  }
}
