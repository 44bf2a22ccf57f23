/**
 * The forward jet pass with one extra parameter-tangent channel (shaders/jetForwardTangent.wgsl):
 * for parameters θ and a direction v over them it produces the output jets u and their directional
 * derivatives u̇ = ∂u/∂θ·v, layer by layer, keeping only the current layer's jets. With the loss's
 * cotangent ∂L/∂u this gives ∇_θL·v without a backward pass: the forward gradient (DESIGN.md §6).
 * The hard boundary factor b is independent of θ, so u̇ = b·ṁ is jetBoundary.wgsl applied to ṁ.
 */
import tangentCode from '../../shaders/jetForwardTangent.wgsl?raw';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import { dispatchGrid, type GridLimits } from '../gpu/dispatch.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import type { Activation } from '../jet/activations.ts';
import { validateArchitecture } from '../jet/mlp.ts';
import {
  asTensor,
  blocksOf,
  type BoundaryDispatch,
  compileBoundary,
  type ExternalJetInputs,
  firstLayerSplit,
  type ForwardJetConfig,
  type InnerSplit,
  JetShapeError,
  MAX_JET_ORDER,
  planBoundary,
  type ParameterSource,
  type PlannedDispatch,
  tangentSourceOf,
} from './forwardJet.ts';
import {
  type BlockedTensor,
  firstLayerRows,
  type ParameterBlocks,
  validateTensor,
} from './parameterBlocks.ts';
import { type PointSource, pointSourceWords, pointsOverride, storedPoints } from './pointSource.ts';
import {
  storedTangents,
  tangentDrawValue,
  type TangentSource,
  tangentConstants,
  tangentsOverride,
} from './tangentSource.ts';
import { layerElements, type ParameterSlice, parameterLayout, rowsPerPoint } from './jetLayout.ts';
import {
  buildFromPlan,
  type PlannedAllocation,
  type PlannedUniform,
  plannedView,
  planUniform,
} from './planning.ts';

/** ACTIVATION and INPUT overrides of jetForwardTangent.wgsl (the same ids as jetForward.wgsl). */
const activationIds: Record<Activation, number> = { tanh: 1, sin: 2, softplus: 3, identity: 4 };
const LINEAR = 0;
const inputIds = { rows: 0, dense: 1, oneHot: 2 } as const;
const WORKGROUP_SIZE = 64;

const tangentParts = [
  lib.accurateMath,
  lib.grid,
  lib.series,
  lib.jetRows,
  lib.tangentSlots,
  lib.activations,
  lib.layerInput,
  lib.random,
  lib.twoPoint,
  lib.ballPoints,
  lib.denseTangents,
  { name: 'jetForwardTangent.wgsl', code: tangentCode },
];

/**
 * The PassDraws uniform of a pass that draws v, its points or its dense tangents itself
 * (jetForwardTangent.wgsl DRAWN_TANGENT, POINTS, TANGENTS).
 */
const drawsView = plannedView(tangentParts, 'draws');

/** Whether the first layer redraws its points (jetForwardTangent.wgsl POINTS = 1). */
function redrawsPoints(config: ForwardJetConfig): boolean {
  return pointsOverride(config.points ?? storedPoints) === 1;
}

/** Whether the first layer redraws its dense tangents (jetForwardTangent.wgsl TANGENTS = 1). */
function redrawsTangents(config: ForwardJetConfig): boolean {
  return tangentsOverride(tangentSourceOf(config)) === 1;
}

/** A dispatch of jetForwardTangent.wgsl: the layer, or the first step of a split first layer. */
export interface TangentLayerDispatch extends PlannedDispatch {
  entryPoint: 'layer' | 'partialAffine';
}

/** The first layer split over its inputs (jetForwardTangent.wgsl's header). */
export interface TangentLayerSplit extends InnerSplit {
  /** partialAffine, dispatched before layer 0 with layer 0's overrides and uniform. */
  partial: TangentLayerDispatch;
}

/**
 * The first layer's dispatches over one parameter block after the first (layers[0] and
 * split.partial cover block 0): its rows of W₁ only (ForwardJetConfig.parameterBlocks).
 */
export interface TangentBlockDispatch {
  /** Index of the parameter block it binds. */
  block: number;
  layer: TangentLayerDispatch;
  /** partialAffine of a split first layer; null unsplit. */
  partial: TangentLayerDispatch | null;
}

/** The buffers of the pass; the inputs are always external (the trainer's draws). */
export interface ForwardGradientStorage {
  /** σ(z) jets of the hidden layers, two in alternation. */
  jets: [PlannedBuffer, PlannedBuffer];
  /** Their tangents ṡ, likewise. */
  jetTangents: [PlannedBuffer, PlannedBuffer];
  mlpOutput: PlannedBuffer;
  mlpTangent: PlannedBuffer;
  /** Bound where a layer declares a binding it does not read (the first layer's input tangent). */
  placeholder: PlannedBuffer;
  /**
   * A split first layer's partial (z, ż): 2·partialElements floats, then the copied (b₁, ḃ₁) of
   * split parameters (biasCopy); null unsplit.
   */
  partials: PlannedBuffer | null;
  /** The copied (b₁, ḃ₁) of split parameters when the first layer is not split over its inputs. */
  bias: PlannedBuffer | null;
  /** The boundary jet b and u = b·m, u̇ = b·ṁ; null without a boundary factor. */
  boundary: PlannedBuffer | null;
  output: PlannedBuffer | null;
  outputTangent: PlannedBuffer | null;
}

export interface ForwardGradientJetPlan {
  /** One dispatch per layer; the first is over parameter block 0's rows of W₁. */
  layers: TangentLayerDispatch[];
  /** The first layer's split over its inputs; null: every layer is one dispatch. */
  split: TangentLayerSplit | null;
  /** The parameter blocks θ and v come in (one unless split, parameterBlocks.ts). */
  parameterBlocks: ParameterBlocks;
  /** The first layer over parameter blocks 1, 2, …: empty for one block. */
  moreBlocks: TangentBlockDispatch[];
  /**
   * With split parameters the first layer's blocks cannot all bind the last block, which holds
   * b₁: the pass copies b₁ to element `at` and ḃ₁ behind it into the buffer the first layer
   * binds as inputTangent (storage.partials or storage.bias). null: one block, no copy.
   */
  biasCopy: { at: number } | null;
  /**
   * The PassDraws uniform of a pass that draws v (ForwardJetConfig.drawnTangent) or redraws its
   * points or dense tangents (ForwardJetConfig.points, tangentSource regenerated), its trainStep
   * copied from the step counter before each pass; null when v, the points and tangents are bound.
   */
  draws: PlannedUniform | null;
  /** The boundary factor, dispatched twice with the same uniform: on m (→ u), on ṁ (→ u̇). */
  boundary: BoundaryDispatch | null;
  storage: ForwardGradientStorage;
  /** Bytes θ and v must each hold, over all their blocks. */
  parameterBytes: number;
  /** Every buffer the build allocates. */
  buffers: PlannedBuffer[];
}

function validateGradientConfig(config: ForwardJetConfig): void {
  validateArchitecture(config.architecture);
  const { order } = config.shape;
  if (!Number.isInteger(order) || order < 1 || order > MAX_JET_ORDER) {
    throw new JetShapeError(
      `the jet order K must be an integer in 1..${MAX_JET_ORDER}, got ${order}`,
    );
  }
  if (redrawsTangents(config) && config.tangentKind !== 'dense') {
    throw new JetShapeError('only dense tangents are regenerated: one-hot ones hold N·R·K words');
  }
}

interface PlannedTangentLayers {
  layers: TangentLayerDispatch[];
  split: TangentLayerSplit | null;
  moreBlocks: TangentBlockDispatch[];
  biasCopy: { at: number } | null;
}

/** A layer's overrides, its split over the inputs (first layer only) and the uniform's fields. */
interface TangentLayerSetting {
  slice: ParameterSlice;
  /** Where the layer reads x: the config's points for the first layer; none later. */
  points: PointSource;
  /** Where it reads dense tangents: the config's for the first layer; none later. */
  tangents: TangentSource;
  constants: Record<string, number>;
  inner: InnerSplit | null;
  /** The first layer's tile (INPUT_TILES or split); null otherwise. */
  tile: InputTileShape | null;
}

/**
 * The most inputs whose row of a drawn v a workgroup keeps (jetForwardTangent.wgsl's
 * CACHED_INPUTS): 1 KiB of workgroup memory; every hidden layer the page's width slider offers
 * (4–256, src/ui/controls.ts). A wider dense or hidden layer stays exact, drawing v at every read.
 */
const DRAWN_ROW_INPUTS = 256;

/** A tile of the first layer's products (jetForwardTangent.wgsl INPUT_TILES, partialAffine). */
export interface InputTileShape {
  /** Output units a workgroup (TILE_UNITS); WORKGROUP_SIZE / units multiplied rows. */
  units: number;
  rows: number;
  /** Inputs a step (TILE_INPUTS): each drawn tile holds at most DRAWN_ROW_INPUTS floats. */
  inputs: number;
  /** The rows' inputs are drawn (regenerated points or dense tangents): a tile shares them. */
  sharedInputs: boolean;
}

/**
 * The tile of a first layer whose inputs are drawn where read (`drawnInputs`) and whose v is
 * (`drawnTangent`): a draw is shared by the tile's other side. v alone: one unit by 64 rows, so
 * each v is drawn ⌈N·M / 64⌉ times a pass (x read where stored). Otherwise 8 × 8: a drawn x_i
 * width/8 times and a drawn v N·M/8 times (the fewest draws in all for 64 invocations when
 * both are drawn); nothing drawn, the square wastes fewest lanes on a short last tile.
 */
export function inputTileShape(drawnInputs: boolean, drawnTangent: boolean): InputTileShape {
  const units = drawnTangent && !drawnInputs ? 1 : 8;
  const rows = WORKGROUP_SIZE / units;
  const widest = Math.max(drawnInputs ? rows : 1, drawnTangent ? units : 1);
  return { units, rows, inputs: DRAWN_ROW_INPUTS / widest, sharedInputs: drawnInputs };
}

function tangentLayerSetting(
  config: ForwardJetConfig,
  slice: ParameterSlice,
  l: number,
  copiedBias: boolean,
): TangentLayerSetting {
  const { architecture, shape, tangentKind } = config;
  const last = architecture.widths.length - 2;
  const N = shape.points;
  // Only the first layer's inner dimension (d) grows with the problem. Blocks need no tile
  // alignment here (plain loops), hence a tile of 1. The split is chosen for the whole layer, so
  // every parameter block sums in the same order.
  const multiplied = tangentKind === 'oneHot' ? 1 : rowsPerPoint(shape);
  const inner =
    l === 0
      ? firstLayerSplit(
          slice.inputs,
          N * multiplied,
          slice.outputs,
          Math.ceil((N * slice.outputs) / WORKGROUP_SIZE),
          1,
          config.firstLayerBlockInner,
        )
      : null;
  // The first layer's products over x (and dense tangents) go in tiles of rows by units
  // (jetForwardTangent.wgsl): split, and unsplit with one-hot tangents past CACHED_INPUTS
  // inputs, whose value row is the one it multiplies. Else a drawn v's row is drawn once a
  // workgroup for a narrow layer.
  const drawn = config.drawnTangent !== undefined;
  const inputTiles =
    l === 0 && tangentKind === 'oneHot' && !inner && slice.inputs > DRAWN_ROW_INPUTS;
  const tile =
    l === 0 && (inputTiles || inner !== null)
      ? inputTileShape(
          redrawsPoints(config) || (tangentKind === 'dense' && redrawsTangents(config)),
          drawn,
        )
      : null;
  const constants = {
    ORDER: shape.order,
    COLLAPSED: shape.structure === 'collapsed' ? 1 : 0,
    ACTIVATION: l < last ? activationIds[architecture.activation] : LINEAR,
    INPUT: inputIds[l === 0 ? tangentKind : 'rows'],
    WORKGROUP_SIZE,
    // Only split parameters, regenerated points or tangents and a drawn v name theirs: every
    // other pipeline keeps its key.
    ...(l === 0 && copiedBias ? { COPIED_BIAS: 1 } : {}),
    ...(l === 0 && redrawsPoints(config) ? { POINTS: 1 } : {}),
    ...(l === 0 ? tangentConstants(tangentSourceOf(config)) : {}),
    ...(drawn ? { DRAWN_TANGENT: 1, CACHED_INPUTS: DRAWN_ROW_INPUTS } : {}),
    ...(drawn && slice.inputs <= DRAWN_ROW_INPUTS ? { TANGENT_ROW: 1 } : {}),
    ...(inputTiles ? { INPUT_TILES: 1 } : {}),
    ...(tile ? { TILE_UNITS: tile.units, TILE_INPUTS: tile.inputs } : {}),
    ...(tile?.sharedInputs ? { SHARED_INPUTS: 1 } : {}),
  };
  return {
    slice,
    points: l === 0 ? (config.points ?? storedPoints) : storedPoints,
    tangents: l === 0 ? tangentSourceOf(config) : storedTangents,
    constants: inner ? { ...constants, BLOCK_INNER: inner.blockInner } : constants,
    inner,
    tile,
  };
}

/**
 * A layer's dispatches over output units firstOutput … firstOutput + blockOutputs − 1, bound to
 * the parameter block starting at flat index `start` (b in the block at `restStart`, or copied).
 */
function tangentDispatches(
  config: ForwardJetConfig,
  setting: TangentLayerSetting,
  label: string,
  units: { firstOutput: number; blockOutputs: number; start: number; restStart: number },
  biasCopy: { at: number } | null,
  limits: GridLimits,
): { layer: TangentLayerDispatch; partial: TangentLayerDispatch | null } {
  const { shape } = config;
  const { slice, constants, inner, tile } = setting;
  const N = shape.points;
  const params = planUniform(label, plannedView(tangentParts, 'params'), {
    points: N,
    directions: shape.directions,
    rowsPerPoint: rowsPerPoint(shape),
    inputs: slice.inputs,
    outputs: slice.outputs,
    weightOffset: slice.weightOffset + units.firstOutput * slice.inputs - units.start,
    biasOffset: biasCopy ? biasCopy.at : slice.biasOffset - units.restStart,
    firstOutput: units.firstOutput,
    blockOutputs: units.blockOutputs,
    weightFlat: slice.weightOffset + units.firstOutput * slice.inputs,
    pointSource: pointSourceWords(setting.points),
    tangentDraw: tangentDrawValue(setting.tangents),
  });
  // One invocation per (point, output); jetForwardTangent.wgsl folds x and y. Tiles of points by
  // units, or a drawn v's row kept: one output a workgroup, whose points share that row (the
  // shader's header).
  const unitTiles = tile ? Math.ceil(units.blockOutputs / tile.units) : 0;
  const workgroups =
    tile && constants.INPUT_TILES
      ? Math.ceil(N / tile.rows) * unitTiles
      : constants.TANGENT_ROW
        ? units.blockOutputs * Math.ceil(N / WORKGROUP_SIZE)
        : Math.ceil((N * units.blockOutputs) / WORKGROUP_SIZE);
  const layer = {
    entryPoint: 'layer' as const,
    constants,
    params,
    grid: dispatchGrid(workgroups, limits),
  };
  if (!inner || !tile) return { layer, partial: null };
  // S K blocks of N·M multiplied rows (M a point) by the dispatch's units, in tiles.
  const blockRows = inner.partialElements / slice.outputs / inner.splits;
  const partialWorkgroups = inner.splits * Math.ceil(blockRows / tile.rows) * unitTiles;
  return {
    layer,
    partial: {
      entryPoint: 'partialAffine',
      constants,
      params,
      grid: dispatchGrid(partialWorkgroups, limits),
    },
  };
}

function planGradientLayers(config: ForwardJetConfig, limits: GridLimits): PlannedTangentLayers {
  const blocks = blocksOf(config).blocks;
  // Everything after W₁ is in the last block (parameterBlocks.ts): b₁ and the hidden layers.
  const restStart = blocks[blocks.length - 1].start;
  const copied = blocks.length > 1;
  const [first, ...hidden] = parameterLayout(config.architecture.widths).layers.map((slice, l) =>
    tangentLayerSetting(config, slice, l, copied),
  );
  const { inputs, outputs } = first.slice;
  // Behind a split layer's partial (z, ż), or alone in a buffer of its own.
  const biasCopy = copied ? { at: first.inner ? 2 * first.inner.partialElements : 0 } : null;
  const [head, ...moreBlocks] = blocks
    .map((block, k) => ({ block, k, ...firstLayerRows(block, inputs, outputs) }))
    .filter(({ rows }) => rows > 0)
    .map(({ block, k, firstRow, rows }): TangentBlockDispatch => {
      const label = copied
        ? `forward gradient layer 0 block ${k} params`
        : 'forward gradient layer 0 params';
      const units = { firstOutput: firstRow, blockOutputs: rows, start: block.start, restStart };
      return { block: k, ...tangentDispatches(config, first, label, units, biasCopy, limits) };
    });
  const later = hidden.map((setting, h) => {
    const units = {
      firstOutput: 0,
      blockOutputs: setting.slice.outputs,
      start: restStart,
      restStart,
    };
    const label = `forward gradient layer ${h + 1} params`;
    return tangentDispatches(config, setting, label, units, null, limits).layer;
  });
  const split = first.inner && head.partial ? { ...first.inner, partial: head.partial } : null;
  return { layers: [head.layer, ...later], split, moreBlocks, biasCopy };
}

function planGradientStorage(
  config: ForwardJetConfig,
  split: InnerSplit | null,
  biasCopy: { at: number } | null,
): ForwardGradientStorage {
  const { architecture, shape } = config;
  const { widths } = architecture;
  const buffer = (label: string, elements: number): PlannedBuffer =>
    storageBuffer(`forward gradient ${label}`, elements * 4);
  const hidden = widths.slice(1, -1);
  const widest = hidden.length > 0 ? layerElements(shape, Math.max(...hidden)) : 1;
  const outElements = layerElements(shape, widths[widths.length - 1]);
  const boundary = architecture.boundary !== 'none';
  const copiedBias = biasCopy ? 2 * widths[1] : 0;
  return {
    // Layer l reads the jets of layer l − 1 while writing its own: two buffers alternate.
    jets: [buffer('s (even layers)', widest), buffer('s (odd layers)', widest)],
    jetTangents: [buffer('ṡ (even layers)', widest), buffer('ṡ (odd layers)', widest)],
    mlpOutput: buffer('mlp output', outElements),
    mlpTangent: buffer('mlp output tangent', outElements),
    placeholder: buffer('unused binding', 1),
    partials: split
      ? buffer('first-layer partials (z, ż)', 2 * split.partialElements + copiedBias)
      : null,
    bias: biasCopy && !split ? buffer('first-layer bias copy (b, ḃ)', copiedBias) : null,
    boundary: boundary ? buffer('boundary', layerElements(shape, 1)) : null,
    output: boundary ? buffer('output', outElements) : null,
    outputTangent: boundary ? buffer('output tangent', outElements) : null,
  };
}

/**
 * The forward gradient pass of `config` on a device with `limits`: uniforms, grids and every
 * buffer ForwardGradientJet.create allocates. Pure; throws JetShapeError for a config the
 * kernels cannot take.
 */
export function planForwardGradientJet(
  config: ForwardJetConfig,
  limits: GridLimits,
): ForwardGradientJetPlan {
  validateGradientConfig(config);
  const { layers, split, moreBlocks, biasCopy } = planGradientLayers(config, limits);
  const boundary = planBoundary(config, limits, 'forward gradient boundary params');
  const storage = planGradientStorage(config, split, biasCopy);
  const drawn = config.drawnTangent ?? { seed: 0, directionStream: 0 };
  const draws =
    config.drawnTangent || redrawsPoints(config) || redrawsTangents(config)
      ? planUniform('forward gradient draws', drawsView, { ...drawn, trainStep: 0 })
      : null;
  const s = storage;
  const buffers = [
    ...s.jets,
    ...s.jetTangents,
    s.mlpOutput,
    s.mlpTangent,
    s.placeholder,
    s.partials,
    s.bias,
    s.boundary,
    s.output,
    s.outputTangent,
    ...layers.map((layer) => layer.params.buffer),
    ...moreBlocks.map((more) => more.layer.params.buffer),
    ...(boundary ? [boundary.params.buffer] : []),
    ...(boundary?.normBlocks ? [boundary.normBlocks.shares] : []),
    ...(draws ? [draws.buffer] : []),
  ];
  return {
    layers,
    split,
    parameterBlocks: blocksOf(config),
    moreBlocks,
    biasCopy,
    draws,
    boundary,
    storage,
    parameterBytes: parameterLayout(config.architecture.widths).count * 4,
    buffers: buffers.filter((b): b is PlannedBuffer => b !== null),
  };
}

interface BoundStep {
  kernel: ComputeKernel;
  bindGroup: GPUBindGroup;
  grid: [number, number, number];
}

/**
 * A dispatch and its buffers; a layer step gets block `block` of θ and of v added by `bind`
 * (null: the boundary factor, which reads neither).
 */
interface UnboundStep {
  kernel: ComputeKernel;
  resources: Record<string, GPUBuffer>;
  grid: [number, number, number];
  block: number | null;
}

/**
 * The layer dispatches in order, their jets alternating between the planned pairs of buffers: a
 * split first layer's partialAffine over every parameter block goes first, writing the partials
 * through outputJet, which the first layer's `layer` dispatches then read through inputTangent
 * (jetForwardTangent.wgsl's header); then the first layer over every block, the later layers.
 */
function layerSteps(
  allocation: PlannedAllocation,
  plan: ForwardGradientJetPlan,
  kernels: { layers: ComputeKernel[]; partial: ComputeKernel | null },
  inputs: ExternalJetInputs,
  draws: GPUBuffer | null,
): UnboundStep[] {
  const s = plan.storage;
  const own = (buffer: PlannedBuffer): GPUBuffer => allocation.storage(buffer);
  const placeholder = own(s.placeholder);
  const last = plan.layers.length - 1;
  const restBlock = plan.parameterBlocks.blocks.length - 1;
  const firstInputTangent = s.partials ? own(s.partials) : s.bias ? own(s.bias) : placeholder;
  const layerBuffers = (l: number): Record<string, GPUBuffer> => ({
    inputJet: l === 0 ? inputs.x : own(s.jets[(l - 1) % 2]),
    inputTangent: l === 0 ? firstInputTangent : own(s.jetTangents[(l - 1) % 2]),
    tangents: inputs.tangents ?? placeholder,
    tangentIndex: inputs.tangentIndex ?? placeholder,
    outputJet: l === last ? own(s.mlpOutput) : own(s.jets[l % 2]),
    outputTangent: l === last ? own(s.mlpTangent) : own(s.jetTangents[l % 2]),
  });
  const resourcesOf = (l: number, dispatch: TangentLayerDispatch): Record<string, GPUBuffer> => {
    const params = allocation.uniform(dispatch.params, kernels.layers[l].struct('params'));
    return {
      params,
      // Read by a pass that draws v, points or tangents only; another binds its own uniform there.
      draws: draws ?? params,
      ...layerBuffers(l),
    };
  };
  const [head, ...later] = plan.layers;
  const firstLayer = [
    { block: 0, layer: head, partial: plan.split?.partial ?? null },
    ...plan.moreBlocks,
  ].map((more) => ({ ...more, resources: resourcesOf(0, more.layer) }));
  const partials = firstLayer.flatMap(({ block, partial, resources }): UnboundStep[] =>
    partial && s.partials && kernels.partial
      ? [
          {
            kernel: kernels.partial,
            resources: { ...resources, inputTangent: placeholder, outputJet: own(s.partials) },
            grid: partial.grid,
            block,
          },
        ]
      : [],
  );
  return [
    ...partials,
    ...firstLayer.map(({ block, layer, resources }) => ({
      kernel: kernels.layers[0],
      resources,
      grid: layer.grid,
      block,
    })),
    ...later.map((layer, h) => ({
      kernel: kernels.layers[h + 1],
      resources: resourcesOf(h + 1, layer),
      grid: layer.grid,
      block: restBlock,
    })),
  ];
}

/**
 * u = b·m is linear in m, so the same kernel maps ṁ to u̇ (b is rewritten identically); a split
 * dense sum's shares (denseNormBlocks) are computed once, before both.
 */
function boundarySteps(
  allocation: PlannedAllocation,
  dispatch: BoundaryDispatch,
  kernels: { apply: ComputeKernel; norms: ComputeKernel | null },
  storage: ForwardGradientStorage,
  inputs: ExternalJetInputs,
): { steps: UnboundStep[]; output: GPUBuffer; outputTangent: GPUBuffer } {
  const own = (buffer: PlannedBuffer | null, what: string): GPUBuffer => {
    if (!buffer) throw new Error(`forward gradient: the plan has no ${what}`);
    return allocation.storage(buffer);
  };
  const params = allocation.uniform(dispatch.params, kernels.apply.struct('params'));
  const boundary = own(storage.boundary, 'boundary jet');
  const output = own(storage.output, 'output');
  const outputTangent = own(storage.outputTangent, 'output tangent');
  const placeholder = own(storage.placeholder, 'placeholder');
  const shares = dispatch.normBlocks && allocation.storage(dispatch.normBlocks.shares);
  const resources = (m: GPUBuffer, u: GPUBuffer) => ({
    params,
    x: inputs.x,
    tangents: inputs.tangents ?? placeholder,
    tangentIndex: inputs.tangentIndex ?? placeholder,
    mlpOutput: m,
    boundary,
    output: u,
    // Read with regenerated points or tangents only; stored ones bind a read-only stand-in.
    stepCounter: inputs.stepCounter ?? placeholder,
    pointNorms: inputs.pointNorms ?? placeholder,
  });
  const mlpOutput = own(storage.mlpOutput, 'mlp output');
  const norms: UnboundStep[] =
    shares && dispatch.normBlocks && kernels.norms
      ? [
          {
            kernel: kernels.norms,
            // denseNormBlocks writes its shares through `boundary` (jetBoundary.wgsl).
            resources: { ...resources(mlpOutput, output), boundary: shares },
            grid: dispatch.normBlocks.grid,
            block: null,
          },
        ]
      : [];
  const applies = [
    [mlpOutput, output],
    [own(storage.mlpTangent, 'mlp output tangent'), outputTangent],
  ].map(([m, u]) => ({
    kernel: kernels.apply,
    // applyBoundary reads the shares through tangentIndex, which dense tangents leave free.
    resources: { ...resources(m, u), ...(shares ? { tangentIndex: shares } : {}) },
    grid: dispatch.grid,
    block: null,
  }));
  return { steps: [...norms, ...applies], output, outputTangent };
}

export class ForwardGradientJet {
  /** u jets, layerElements(shape, out). */
  readonly output: GPUBuffer;
  /** u̇ = ∂u/∂θ·v, same layout. */
  readonly outputTangent: GPUBuffer;

  private steps: BoundStep[] = [];
  private parameters: BlockedTensor | null = null;
  private tangentParameters: BlockedTensor | null = null;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly plan: ForwardGradientJetPlan,
    private readonly widths: readonly number[],
    private readonly unbound: UnboundStep[],
    private readonly owned: GPUBuffer[],
    outputs: { output: GPUBuffer; outputTangent: GPUBuffer },
    /** The buffer the first layer reads the copied (b₁, ḃ₁) from; null without a copy. */
    private readonly biasTarget: GPUBuffer | null,
    /** A pass that draws v: its TangentDirection uniform and the step counter it copies from. */
    private readonly draws: { buffer: GPUBuffer; stepCounter: GPUBuffer } | null,
  ) {
    this.output = outputs.output;
    this.outputTangent = outputs.outputTangent;
  }

  /** `source` as a tensor of the planned blocks; RangeError unless it is held in them. */
  private checked(name: string, source: ParameterSource): BlockedTensor {
    const planned = this.plan.parameterBlocks;
    const tensor = asTensor(source, planned.count);
    validateTensor(`forward gradient ${name}`, tensor, planned);
    return tensor;
  }

  /**
   * (Re)binds every dispatch to `parameters` (θ) and `tangentParameters` (v, the same flat
   * layout and blocks), e.g. once the trainer's gradient buffer is known to carry v. A pass that
   * draws v reads no tangentParameters: bind θ there.
   */
  bind(parameters: ParameterSource, tangentParameters: ParameterSource): void {
    const theta = this.checked('parameters', parameters);
    const tangent = this.checked('tangentParameters', tangentParameters);
    this.steps = this.unbound.map((step) => ({
      kernel: step.kernel,
      grid: step.grid,
      bindGroup: step.kernel.bind(
        step.block === null
          ? step.resources
          : {
              ...step.resources,
              parameters: theta.buffers[step.block],
              tangentParameters: tangent.buffers[step.block],
            },
      ),
    }));
    this.parameters = theta;
    this.tangentParameters = tangent;
  }

  /**
   * Binds the pass to `parameters` (θ) and `tangentParameters` (v, the same flat layout: one
   * buffer, or the blocks the config names) and to inputs written by other kernels (points and
   * input tangents, as ForwardJet's ExternalJetInputs). Allocates the buffers of
   * planForwardGradientJet.
   */
  static async create(
    memory: GpuMemory,
    config: ForwardJetConfig,
    parameters: ParameterSource,
    tangentParameters: ParameterSource,
    inputs: ExternalJetInputs,
  ): Promise<ForwardGradientJet> {
    const device = memory.device;
    const plan = planForwardGradientJet(config, device.limits);
    if (config.tangentKind === 'oneHot' && !inputs.tangentIndex) {
      throw new JetShapeError('one-hot inputs need a tangentIndex buffer');
    }
    if (!inputs.tangents && !redrawsTangents(config)) {
      throw new JetShapeError('the inputs need a tangents buffer unless they are regenerated');
    }
    const stepCounter = inputs.stepCounter;
    if (plan.draws && !stepCounter) {
      throw new JetShapeError(
        'a pass that draws v, its points or its tangents needs the step counter as an input',
      );
    }
    const compile = (dispatch: TangentLayerDispatch) =>
      cachedKernel(device, tangentParts, {
        constants: dispatch.constants,
        entryPoint: dispatch.entryPoint,
      });
    const kernels = {
      layers: await Promise.all(plan.layers.map(compile)),
      partial: plan.split && (await compile(plan.split.partial)),
    };
    const boundaryKernels = plan.boundary && (await compileBoundary(device, plan.boundary));
    return buildFromPlan(memory, plan.buffers, (allocation) => {
      const draws = plan.draws && allocation.uniform(plan.draws, drawsView);
      const steps = layerSteps(allocation, plan, kernels, inputs, draws);
      let outputs = {
        output: allocation.storage(plan.storage.mlpOutput),
        outputTangent: allocation.storage(plan.storage.mlpTangent),
      };
      if (plan.boundary && boundaryKernels) {
        const factor = boundarySteps(
          allocation,
          plan.boundary,
          boundaryKernels,
          plan.storage,
          inputs,
        );
        steps.push(...factor.steps);
        outputs = factor;
      }
      const copyTarget = plan.storage.partials ?? plan.storage.bias;
      const jet = new ForwardGradientJet(
        memory,
        plan,
        config.architecture.widths,
        steps,
        allocation.owned,
        outputs,
        plan.biasCopy && copyTarget ? allocation.storage(copyTarget) : null,
        draws && stepCounter ? { buffer: draws, stepCounter } : null,
      );
      jet.bind(parameters, tangentParameters);
      return jet;
    });
  }

  /**
   * Split parameters: b₁ and ḃ₁ from the last blocks of θ and v to where the first layer reads
   * them (b₁ alone when v is drawn).
   */
  private copyBias(encoder: GPUCommandEncoder): void {
    const at = this.plan.biasCopy?.at;
    if (at === undefined || !this.biasTarget || !this.parameters || !this.tangentParameters) {
      return;
    }
    const first = parameterLayout(this.widths).layers[0];
    const blocks = this.plan.parameterBlocks.blocks;
    const rest = blocks.length - 1;
    const from = 4 * (first.biasOffset - blocks[rest].start);
    const drawn = this.plan.layers[0].constants.DRAWN_TANGENT === 1;
    const copied = drawn ? [this.parameters] : [this.parameters, this.tangentParameters];
    copied.forEach((tensor, k) =>
      encoder.copyBufferToBuffer(
        tensor.buffers[rest],
        from,
        this.biasTarget as GPUBuffer,
        4 * (at + k * first.outputs),
        4 * first.outputs,
      ),
    );
  }

  /**
   * Records the pass (every layer, then the boundary factor on u and on u̇), after the copies it
   * reads: the split first layer's bias and, when v, the points or the tangents are drawn, the
   * step they are drawn at.
   */
  encode(encoder: GPUCommandEncoder): void {
    this.copyBias(encoder);
    if (this.draws) {
      const at = drawsView.offsetOf('trainStep');
      encoder.copyBufferToBuffer(this.draws.stepCounter, 0, this.draws.buffer, at, 4);
    }
    const pass = encoder.beginComputePass({ label: 'forward jet with parameter tangent' });
    for (const step of this.steps) step.kernel.dispatch(pass, step.bindGroup, ...step.grid);
    pass.end();
  }

  destroy(): void {
    for (const buffer of this.owned) this.memory.destroy(buffer);
    this.owned.length = 0;
  }
}
