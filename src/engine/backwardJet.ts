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
import { type GpuBuffers, readFloat32 } from '../gpu/buffers.ts';
import { BindingError } from '../gpu/errors.ts';
import accurateMathCode from '../../shaders/accurateMath.wgsl?raw';
import type { ComputeKernel, ShaderSource } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import {
  type JetShape,
  layerElements,
  parameterLayout,
  type ParameterLayout,
  rowsPerPoint,
  type TangentInput,
} from './jetLayout.ts';

type TangentKind = TangentInput['kind'];

/**
 * The buffers of a forward pass that the backward pass reads: the fields of the forward engine's
 * ForwardJetBuffers it needs, so any object with those fields (that one included) can be passed.
 */
export interface StoredForwardJet {
  shape: JetShape;
  dim: number;
  tangentKind: TangentKind;
  /** N·d input points. */
  x: GPUBuffer;
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
}

/** Highest jet order the kernels' function-scope arrays hold (MAX_ORDER in jetBackward.wgsl). */
export const maxBackwardOrder = 16;

/** ACTIVATION override of jetBackward.wgsl. */
const activationCodes: Record<Activation, number> = { tanh: 0, sin: 1, softplus: 2, identity: 3 };
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
const maxWorkgroupsPerDimension = 65535;
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

/** Workgroup counts for `count` workgroups, folded into y past the per-dimension limit. */
function foldedGrid(count: number): [number, number, number] {
  const x = Math.min(count, maxWorkgroupsPerDimension);
  return [x, Math.ceil(count / Math.max(x, 1)), 1];
}

/** One recorded dispatch, its bind group made per set of buffers. */
interface Step {
  kernel: ComputeKernel;
  grid: [number, number, number];
  bind: (io: BackwardJetInputs, scratch: ScratchBuffers) => GPUBindGroup;
}

interface ScratchBuffers {
  /** m̄ when there is a boundary factor (the cotangent itself stays untouched). */
  outputBar: GPUBuffer | null;
  /** Ping-pong cotangents of the hidden layers. */
  hidden: GPUBuffer[];
  partials: GPUBuffer | null;
}

/** Pipelines are shared by every BackwardJet of a device with the same specialization. */
const accurateMath: ShaderSource = { name: 'accurateMath.wgsl', code: accurateMathCode };

function specializedKernel(
  device: GPUDevice,
  parts: readonly ShaderSource[],
  entryPoint: string,
  constants: Record<string, number>,
): Promise<ComputeKernel> {
  return cachedKernel(device, parts, { entryPoint, constants });
}

function partialsOf(scratch: ScratchBuffers): GPUBuffer {
  if (!scratch.partials) throw new Error('backward jet: split slices were never allocated');
  return scratch.partials;
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
  private readonly buffers: GpuBuffers;
  private readonly owned: GPUBuffer[];
  private readonly scratch: ScratchBuffers;
  /** Every dispatch of the pass, in order. */
  private readonly steps: Step[];
  private cached: { key: GPUBuffer[]; groups: GPUBindGroup[] } | null = null;

  private constructor(
    buffers: GpuBuffers,
    architecture: MlpArchitecture,
    shape: JetShape,
    tangentKind: TangentKind,
    built: { owned: GPUBuffer[]; scratch: ScratchBuffers; steps: Step[] },
  ) {
    this.buffers = buffers;
    this.architecture = architecture;
    this.shape = shape;
    this.tangentKind = tangentKind;
    this.layout = parameterLayout(architecture.widths);
    this.owned = built.owned;
    this.scratch = built.scratch;
    this.steps = built.steps;
  }

  static async create(
    buffers: GpuBuffers,
    architecture: MlpArchitecture,
    shape: JetShape,
    tangentKind: TangentKind,
    options: BackwardJetOptions = {},
  ): Promise<BackwardJet> {
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
    const device = buffers.device;
    const widths = architecture.widths;
    const L = widths.length - 1;
    const V = rowsPerPoint(shape);
    const out = widths[L];
    const layout = parameterLayout(widths);
    // K = 0 has no direction rows, so there is nothing to collapse.
    const collapsed = shape.structure === 'collapsed' && K > 0 ? 1 : 0;
    const jetConstants = { ORDER: K, COLLAPSED: collapsed };
    const owned: GPUBuffer[] = [];
    const uniform = (label: string, values: number[]): GPUBuffer => {
      // Uniform structs are 16-byte aligned; pad so every binding size is legal.
      const data = new Uint32Array(Math.ceil(values.length / 4) * 4);
      data.set(values);
      const buffer = buffers.createFrom(`backward ${label} params`, data, 'uniform');
      owned.push(buffer);
      return buffer;
    };
    const source = (name: string, code: string): ShaderSource[] => [{ name, code }];
    const backwardSource = [accurateMath, { name: 'jetBackward.wgsl', code: backwardCode }];

    try {
      const hiddenWidth = Math.max(0, ...widths.slice(1, L));
      const scratch: ScratchBuffers = {
        outputBar:
          architecture.boundary === 'none'
            ? null
            : buffers.create('backward m̄', layerElements(shape, out) * 4),
        hidden:
          L > 1
            ? [
                buffers.create(
                  'backward hidden cotangent A',
                  layerElements(shape, hiddenWidth) * 4,
                ),
                buffers.create(
                  'backward hidden cotangent B',
                  layerElements(shape, hiddenWidth) * 4,
                ),
              ]
            : [],
        partials: null,
      };
      for (const b of [scratch.outputBar, ...scratch.hidden]) if (b) owned.push(b);

      const steps: Step[] = [];
      if (scratch.outputBar) {
        const kernel = await specializedKernel(device, backwardSource, 'boundaryTranspose', {
          ...jetConstants,
          WORKGROUP_SIZE: lineSize,
        });
        const params = uniform('boundary', [N, out, R]);
        const outputBar = scratch.outputBar;
        steps.push({
          kernel,
          grid: foldedGrid(Math.ceil((N * out) / lineSize)),
          bind: (io) => {
            if (!io.forward.boundary) throw new BindingError('backward jet: no boundary jet');
            return kernel.bind({ params, jet: io.forward.boundary, cotangent: outputBar });
          },
        });
      }

      // Z̄ of layer l (its output cotangent): for the last layer m̄ (the boundary scratch, or the
      // caller's cotangent when there is no factor), below it two buffers in alternation.
      const hiddenBuffer = (l: number, s: ScratchBuffers): GPUBuffer => s.hidden[(L - 2 - l) % 2];
      const zBar = (l: number, io: BackwardJetInputs, s: ScratchBuffers): GPUBuffer =>
        l === L - 1 ? (s.outputBar ?? io.cotangent) : hiddenBuffer(l, s);

      let partialElements = 0;
      for (let l = L - 1; l >= 0; l--) {
        const { inputs, outputs, weightOffset } = layout.layers[l];
        const first = l === 0;
        const input = !first
          ? inputCodes.hidden
          : tangentKind === 'dense'
            ? inputCodes.dense
            : inputCodes.points;
        // One-hot first layer: only the value rows go through the product, the rest is scattered.
        const reduction = input === inputCodes.points ? N : N * V;
        const plan = weightGradientSplit(reduction, outputs, inputs, options.splitRows);
        const slice = outputs * (inputs + 1);
        const split = plan.splits > 1;
        const rowThreads = weightGradientRowThreads(outputs);
        if (split) partialElements = Math.max(partialElements, plan.splits * slice);
        const weightKernel = await specializedKernel(
          device,
          source('jetBackwardWeights.wgsl', weightsCode),
          'weightGradient',
          { INPUT: input, ...jetConstants, ROW_THREADS: rowThreads },
        );
        const weightParams = uniform(`layer ${l} weight gradient`, [
          reduction,
          inputs,
          outputs,
          V,
          R,
          plan.chunk,
          split ? 0 : weightOffset,
          slice,
        ]);
        steps.push({
          kernel: weightKernel,
          grid: [
            Math.ceil((inputs + 1) / tile),
            Math.ceil(outputs / (4 * rowThreads)),
            plan.splits,
          ],
          bind: (io, s) => {
            const layerInput = first ? io.forward.x : io.forward.activations[l - 1];
            return weightKernel.bind({
              params: weightParams,
              cotangent: zBar(l, io, s),
              layerInput,
              tangents: first ? io.forward.tangents : layerInput,
              destination: split ? partialsOf(s) : io.gradient,
            });
          },
        });
        if (split) {
          const kernel = await specializedKernel(
            device,
            source('jetBackwardReduce.wgsl', reduceCode),
            'reduceSplits',
            { WORKGROUP_SIZE: lineSize },
          );
          const params = uniform(`layer ${l} reduce`, [slice, plan.splits, weightOffset]);
          steps.push({
            kernel,
            grid: foldedGrid(Math.ceil(slice / lineSize)),
            bind: (io, s) =>
              kernel.bind({ params, partials: partialsOf(s), gradient: io.gradient }),
          });
        }
        if (first && tangentKind === 'oneHot' && K > 0) {
          const kernel = await specializedKernel(
            device,
            source('jetBackwardScatter.wgsl', scatterCode),
            'scatterTangents',
            { ...jetConstants, WORKGROUP_SIZE: lineSize },
          );
          const params = uniform('one-hot scatter', [N, R, outputs, inputs, V, weightOffset]);
          steps.push({
            kernel,
            grid: [Math.ceil(outputs / lineSize), 1, 1],
            bind: (io, s) => {
              if (!io.forward.tangentIndex) {
                throw new BindingError('backward jet: one-hot tangents need tangentIndex');
              }
              return kernel.bind({
                params,
                cotangent: zBar(0, io, s),
                tangentIndex: io.forward.tangentIndex,
                tangents: io.forward.tangents,
                gradient: io.gradient,
              });
            },
          });
        }
        if (!first) {
          const rows = N * V;
          const rowTiles = Math.ceil(rows / tile);
          const rowTilesY = Math.min(rowTiles, maxWorkgroupsPerDimension);
          const matmul = await specializedKernel(
            device,
            source('jetBackwardInput.wgsl', inputCode),
            'inputCotangent',
            {},
          );
          const matmulParams = uniform(`layer ${l} input cotangent`, [
            rows,
            inputs,
            outputs,
            weightOffset,
          ]);
          steps.push({
            kernel: matmul,
            grid: [Math.ceil(inputs / tile), rowTilesY, Math.ceil(rowTiles / rowTilesY)],
            bind: (io, s) =>
              matmul.bind({
                params: matmulParams,
                cotangent: zBar(l, io, s),
                parameters: io.params,
                result: hiddenBuffer(l - 1, s),
              }),
          });
          const transpose = await specializedKernel(device, backwardSource, 'activationTranspose', {
            ...jetConstants,
            ACTIVATION: activationCodes[architecture.activation],
            WORKGROUP_SIZE: lineSize,
          });
          const transposeParams = uniform(`layer ${l - 1} activation`, [N, inputs, R]);
          steps.push({
            kernel: transpose,
            grid: foldedGrid(Math.ceil((N * inputs) / lineSize)),
            bind: (io, s) =>
              transpose.bind({
                params: transposeParams,
                jet: io.forward.preActivations[l - 1],
                cotangent: hiddenBuffer(l - 1, s),
              }),
          });
        }
      }
      if (partialElements > 0) {
        scratch.partials = buffers.create('backward split slices', partialElements * 4);
        owned.push(scratch.partials);
      }
      return new BackwardJet(buffers, architecture, shape, tangentKind, {
        owned,
        scratch,
        steps,
      });
    } catch (error) {
      for (const buffer of owned) buffers.destroy(buffer);
      throw error;
    }
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
    need('x', forward.x, N * widths[0]);
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
    this.validate(io);
    const groups = this.bindGroups(io);
    const { outputBar } = this.scratch;
    if (outputBar) {
      const bytes = layerElements(this.shape, this.architecture.widths.at(-1) ?? 0) * 4;
      encoder.copyBufferToBuffer(io.cotangent, 0, outputBar, 0, bytes);
    }
    const pass = encoder.beginComputePass({ label: 'backward jet' });
    this.steps.forEach((step, i) => step.kernel.dispatch(pass, groups[i], ...step.grid));
    pass.end();
  }

  /**
   * Runs the backward pass into a temporary gradient buffer and reads it back. One awaited round
   * trip: for tests, checkpoints and tools, not for the training step (DESIGN.md §7).
   */
  async readGradient(io: Omit<BackwardJetInputs, 'gradient'>): Promise<Float32Array> {
    const device = this.buffers.device;
    const gradient = this.buffers.create('backward gradient readback', this.layout.count * 4);
    try {
      const encoder = device.createCommandEncoder({ label: 'backward jet' });
      this.encode(encoder, { ...io, gradient });
      device.queue.submit([encoder.finish()]);
      return await readFloat32(device, gradient, this.layout.count);
    } finally {
      this.cached = null;
      this.buffers.destroy(gradient);
    }
  }

  destroy(): void {
    for (const buffer of this.owned) this.buffers.destroy(buffer);
    this.owned.length = 0;
    this.cached = null;
  }
}
