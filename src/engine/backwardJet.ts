/**
 * The backward pass of a jet batch on the GPU: the gradient of a loss given on the output
 * coefficients (its cotangent dL/du, in the row layout of jetLayout.ts) with respect to every
 * weight and bias, by reverse mode through the layer jets the forward pass stored.
 *
 * Per batch, all in one compute pass and without a CPU round trip:
 *   m̄ = transpose of the boundary product u = b·m           (jetBackward.wgsl, boundaryTranspose)
 *   for each layer l from the last:
 *     dW_l, db_l = Σ_rows Z̄_lᵀ·[A_l | 1_value]            (jetBackwardWeights.wgsl, split-K,
 *                                                            jetBackwardReduce.wgsl)
 *     first layer with one-hot tangents: scatter of the tangent rows (jetBackwardScatter.wgsl)
 *     hidden input: Ā = Z̄_l·W_l                             (jetBackwardInput.wgsl)
 *                   Z̄_{l−1} = transpose of Faà di Bruno     (jetBackward.wgsl, activationTranspose)
 * Every sum runs in an order fixed by the shape (no float atomics), so the gradient is the same
 * bits on every run on one device (DESIGN.md §2, §6).
 */
import backwardCode from '../../shaders/jetBackward.wgsl?raw';
import inputCode from '../../shaders/jetBackwardInput.wgsl?raw';
import reduceCode from '../../shaders/jetBackwardReduce.wgsl?raw';
import scatterCode from '../../shaders/jetBackwardScatter.wgsl?raw';
import weightsCode from '../../shaders/jetBackwardWeights.wgsl?raw';
import type { Activation } from '../jet/activations.ts';
import { type MlpArchitecture, validateArchitecture } from '../jet/mlp.ts';
import { type GpuMemory, readFloat32 } from '../gpu/gpuMemory.ts';
import {
  pointElements,
  type PointSource,
  pointsOverride,
  pointSourceWords,
  storedPoints,
} from './pointSource.ts';
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
  rowsPerPoint,
  type TangentInput,
} from './jetLayout.ts';
import { buildFromPlan, type PlannedUniform, plannedView, planUniform } from './planning.ts';
import { backwardStepCost } from './backwardJetCost.ts';
import { type KernelCost, type StageEncoder, sumCosts } from './kernelCost.ts';

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
  /** Word 0: the draw's step; regenerated points only. */
  stepCounter?: GPUBuffer | null;
  /** dense: N·R·K·d normalized coefficients; oneHot: N·R·K coefficients. */
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
  /** Flat parameters in parameterLayout(widths). */
  params: GPUBuffer;
  /** dL/du in the layout of the forward output, layerElements(shape, out) values. */
  cotangent: GPUBuffer;
  /** Receives dL/dθ in parameterLayout(widths); every element is overwritten. */
  gradient: GPUBuffer;
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
  bind: (io: BackwardJetInputs, scratch: ScratchBuffers) => GPUBindGroup;
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
  | 'reduceSplits'
  | 'scatterTangents'
  | 'inputCotangent'
  | 'activationTranspose';

/** The WGSL files each entry point is compiled from. */
const stepSources: Record<BackwardStepKind, readonly ShaderSource[]> = {
  boundaryTranspose: backwardSource,
  weightGradient: [
    lib.jetRows,
    lib.tangentSlots,
    lib.layerInput,
    lib.productTiles,
    lib.random,
    lib.ballPoints,
    { name: 'jetBackwardWeights.wgsl', code: weightsCode },
  ],
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
  /** weightGradient: writes split slices (reduced by the next step), not the gradient itself. */
  split: boolean;
}

export interface BackwardJetPlan {
  /** Every dispatch, in the order the pass records them. */
  steps: BackwardStepPlan[];
  scratch: {
    outputBar: PlannedBuffer | null;
    hidden: PlannedBuffer[];
    partials: PlannedBuffer | null;
  };
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

function planStep(
  kind: BackwardStepKind,
  layer: number,
  label: string,
  dispatch: Pick<BackwardStepPlan, 'constants' | 'grid'> & { values: StructValue },
  split = false,
): BackwardStepPlan {
  const view = plannedView(stepSources[kind], 'params');
  const params = planUniform(`backward ${label} params`, view, dispatch.values);
  return { kind, layer, constants: dispatch.constants, params, grid: dispatch.grid, split };
}

/** dW_l, db_l: the split-K product and, when split, the reduction of its slices. */
function planWeightSteps(
  config: BackwardJetConfig,
  l: number,
  limits: GridLimits,
): { steps: BackwardStepPlan[]; partialElements: number } {
  const { shape, tangentKind } = config;
  const { points: N, directions: R } = shape;
  const V = rowsPerPoint(shape);
  const { inputs, outputs, weightOffset } = parameterLayout(config.architecture.widths).layers[l];
  const input =
    l > 0 ? inputCodes.hidden : tangentKind === 'dense' ? inputCodes.dense : inputCodes.points;
  // One-hot first layer: only the value rows go through the product, the rest is scattered.
  const reduction = input === inputCodes.points ? N : N * V;
  const plan = weightGradientSplit(reduction, outputs, inputs, config.splitRows);
  const slice = outputs * (inputs + 1);
  const split = plan.splits > 1;
  const rowThreads = weightGradientRowThreads(outputs);
  const points = l === 0 ? (config.points ?? storedPoints) : storedPoints;
  const weights = planStep(
    'weightGradient',
    l,
    `layer ${l} weight gradient`,
    {
      constants: {
        INPUT: input,
        ...jetConstantsOf(shape),
        POINTS: pointsOverride(points),
        ROW_THREADS: rowThreads,
      },
      values: {
        reduction,
        inputs,
        outputs,
        rowsPerPoint: V,
        directions: R,
        chunk: plan.chunk,
        destinationOffset: split ? 0 : weightOffset,
        splitStride: slice,
        pointSource: pointSourceWords(points),
      },
      grid: [Math.ceil((inputs + 1) / tile), Math.ceil(outputs / (4 * rowThreads)), plan.splits],
    },
    split,
  );
  if (!split) return { steps: [weights], partialElements: 0 };
  const reduce = planStep('reduceSplits', l, `layer ${l} reduce`, {
    constants: { WORKGROUP_SIZE: lineSize },
    values: { count: slice, splits: plan.splits, offset: weightOffset },
    grid: dispatchGrid(Math.ceil(slice / lineSize), limits),
  });
  return { steps: [weights, reduce], partialElements: plan.splits * slice };
}

/** The first layer with one-hot tangents: the gradient of the tangent rows, scattered. */
function planScatterStep(config: BackwardJetConfig): BackwardStepPlan {
  const { shape } = config;
  const { inputs, outputs, weightOffset } = parameterLayout(config.architecture.widths).layers[0];
  return planStep('scatterTangents', 0, 'one-hot scatter', {
    constants: { ...jetConstantsOf(shape), WORKGROUP_SIZE: lineSize },
    values: {
      points: shape.points,
      directions: shape.directions,
      outputs,
      inputs,
      rowsPerPoint: rowsPerPoint(shape),
      weightOffset,
    },
    grid: [Math.ceil(outputs / lineSize), 1, 1],
  });
}

/** Ā = Z̄_l·W_l, then Z̄_{l−1} through the transpose of layer l − 1's activation. */
function planInputSteps(
  config: BackwardJetConfig,
  l: number,
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
      values: { rows, inputs, outputs, weightOffset },
      grid: [Math.ceil(inputs / tile), rowTilesY, rowTilesZ],
    }),
    planStep('activationTranspose', l, `layer ${l - 1} activation`, {
      constants: {
        ...jetConstantsOf(shape),
        ACTIVATION: activationCodes[architecture.activation],
        WORKGROUP_SIZE: lineSize,
      },
      values: { points: N, width: inputs, directions: R },
      grid: dispatchGrid(Math.ceil((N * inputs) / lineSize), limits),
    }),
  ];
}

/**
 * The backward pass of `config` on a device with `limits`: every dispatch in recording order
 * (kernel specialization, uniform values, grid) and every buffer BackwardJet.create allocates.
 * Pure; throws RangeError for a config the kernels cannot take.
 */
export function planBackwardJet(config: BackwardJetConfig, limits: GridLimits): BackwardJetPlan {
  validateBackwardConfig(config);
  const { architecture, shape, tangentKind } = config;
  const widths = architecture.widths;
  const L = widths.length - 1;
  const out = widths[L];
  const steps: BackwardStepPlan[] = [];
  if (architecture.boundary !== 'none') {
    steps.push(
      planStep('boundaryTranspose', L - 1, 'boundary', {
        constants: { ...jetConstantsOf(shape), WORKGROUP_SIZE: lineSize },
        values: { points: shape.points, width: out, directions: shape.directions },
        grid: dispatchGrid(Math.ceil((shape.points * out) / lineSize), limits),
      }),
    );
  }
  let partialElements = 0;
  for (let l = L - 1; l >= 0; l--) {
    const weights = planWeightSteps(config, l, limits);
    steps.push(...weights.steps);
    partialElements = Math.max(partialElements, weights.partialElements);
    if (l === 0 && tangentKind === 'oneHot' && shape.order > 0) steps.push(planScatterStep(config));
    if (l > 0) steps.push(...planInputSteps(config, l, limits));
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
function layerCotangent(
  io: BackwardJetInputs,
  scratch: ScratchBuffers,
  L: number,
  l: number,
): GPUBuffer {
  return l === L - 1 ? (scratch.outputBar ?? io.cotangent) : hiddenCotangent(scratch, L, l);
}

/** How a planned step binds the buffers of one call (see BackwardJetInputs). */
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
        return kernel.bind({
          params,
          cotangent: layerCotangent(io, s, L, l),
          layerInput,
          tangents: l === 0 ? io.forward.tangents : layerInput,
          destination: step.split ? partialsOf(s) : io.gradient,
          // Read with regenerated points only; stored ones bind a read-only stand-in.
          stepCounter: io.forward.stepCounter ?? io.forward.tangents,
        });
      };
    case 'reduceSplits':
      return (io, s) => kernel.bind({ params, partials: partialsOf(s), gradient: io.gradient });
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
          gradient: io.gradient,
        });
      };
    case 'inputCotangent':
      return (io, s) =>
        kernel.bind({
          params,
          cotangent: layerCotangent(io, s, L, l),
          parameters: io.params,
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
 * The backward kernels of one architecture, batch shape and tangent kind, with their scratch
 * buffers and uniforms. `encode` records the whole backward pass into a command encoder.
 */
export class BackwardJet {
  readonly architecture: MlpArchitecture;
  readonly shape: JetShape;
  readonly tangentKind: TangentKind;
  readonly layout: ParameterLayout;
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
    built: { owned: GPUBuffer[]; scratch: ScratchBuffers; steps: Step[] },
  ) {
    this.memory = memory;
    this.architecture = architecture;
    this.shape = shape;
    this.tangentKind = tangentKind;
    this.layout = parameterLayout(architecture.widths);
    this.owned = built.owned;
    this.scratch = built.scratch;
    this.steps = built.steps;
  }

  /** Compiles (or reuses) the kernels and allocates every buffer of planBackwardJet. */
  static async create(
    memory: GpuMemory,
    architecture: MlpArchitecture,
    shape: JetShape,
    tangentKind: TangentKind,
    options: BackwardJetOptions = {},
  ): Promise<BackwardJet> {
    const device = memory.device;
    const plan = planBackwardJet({ architecture, shape, tangentKind, ...options }, device.limits);
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
      });
    });
  }

  /** Checks every buffer against the shape before anything is recorded. */
  private validate(io: BackwardJetInputs): void {
    const { forward } = io;
    const { shape, architecture, layout } = this;
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
    need('tangents', forward.tangents, this.tangentKind === 'dense' ? slots * widths[0] : slots);
    need('tangentIndex', forward.tangentIndex, this.tangentKind === 'oneHot' ? slots : 0);
    for (let l = 0; l < L - 1; l++) {
      need(`preActivations[${l}]`, forward.preActivations[l], layerElements(shape, widths[l + 1]));
      need(`activations[${l}]`, forward.activations[l], layerElements(shape, widths[l + 1]));
    }
    need('boundary', forward.boundary, layerElements(shape, 1));
    need('params', io.params, layout.count);
    need('cotangent', io.cotangent, layerElements(shape, widths[L]));
    need('gradient', io.gradient, layout.count);
    if (io.gradient === io.params || io.gradient === io.cotangent) {
      fail('the gradient buffer must not be the parameter or cotangent buffer');
    }
  }

  /** Bind groups for these buffers; reused while a training loop passes the same ones. */
  private bindGroups(io: BackwardJetInputs): GPUBindGroup[] {
    const f = io.forward;
    const key = [
      io.params,
      io.cotangent,
      io.gradient,
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
    this.steps.forEach((step, i) => {
      steps.beginStage(i === 0 ? sumCosts([copy, step.cost]) : step.cost);
      const groups = i === 0 ? this.prepare(steps.encoder, io) : this.bindGroups(io);
      const pass = steps.encoder.beginComputePass({ label: `backward jet: ${step.kernel.name}` });
      step.kernel.dispatch(pass, groups[i], ...step.grid);
      pass.end();
    });
  }

  /** Checks the buffers, records the m̄ copy and returns the bind groups. */
  private prepare(encoder: GPUCommandEncoder, io: BackwardJetInputs): GPUBindGroup[] {
    this.validate(io);
    const groups = this.bindGroups(io);
    const { outputBar } = this.scratch;
    if (outputBar) {
      const bytes = layerElements(this.shape, this.architecture.widths.at(-1) ?? 0) * 4;
      encoder.copyBufferToBuffer(io.cotangent, 0, outputBar, 0, bytes);
    }
    return groups;
  }

  /**
   * Runs the backward pass into a temporary gradient buffer and reads it back. One awaited round
   * trip: for tests, checkpoints and tools, not for the training step (DESIGN.md §7).
   */
  async readGradient(io: Omit<BackwardJetInputs, 'gradient'>): Promise<Float32Array> {
    const device = this.memory.device;
    const gradient = this.memory.create('backward gradient readback', this.layout.count * 4);
    try {
      const encoder = device.createCommandEncoder({ label: 'backward jet' });
      this.encode(encoder, { ...io, gradient });
      device.queue.submit([encoder.finish()]);
      return await readFloat32(device, gradient, this.layout.count);
    } finally {
      this.cached = null;
      this.memory.destroy(gradient);
    }
  }

  destroy(): void {
    for (const buffer of this.owned) this.memory.destroy(buffer);
    this.owned.length = 0;
    this.cached = null;
  }
}
