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
  boundaryParts,
  type ExternalJetInputs,
  firstLayerSplit,
  type ForwardJetConfig,
  type InnerSplit,
  JetShapeError,
  MAX_JET_ORDER,
  planBoundary,
  type PlannedDispatch,
} from './forwardJet.ts';
import { layerElements, parameterLayout, rowsPerPoint } from './jetLayout.ts';
import { buildFromPlan, type PlannedAllocation, plannedView, planUniform } from './planning.ts';

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
  { name: 'jetForwardTangent.wgsl', code: tangentCode },
];

/** A dispatch of jetForwardTangent.wgsl: the layer, or the first step of a split first layer. */
export interface TangentLayerDispatch extends PlannedDispatch {
  entryPoint: 'layer' | 'partialAffine';
}

/** The first layer split over its inputs (jetForwardTangent.wgsl's header). */
export interface TangentLayerSplit extends InnerSplit {
  /** partialAffine, dispatched before layer 0 with layer 0's overrides and uniform. */
  partial: TangentLayerDispatch;
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
  /** A split first layer's partial (z, ż): 2·partialElements floats; null unsplit. */
  partials: PlannedBuffer | null;
  /** The boundary jet b and u = b·m, u̇ = b·ṁ; null without a boundary factor. */
  boundary: PlannedBuffer | null;
  output: PlannedBuffer | null;
  outputTangent: PlannedBuffer | null;
}

export interface ForwardGradientJetPlan {
  layers: TangentLayerDispatch[];
  /** The first layer's split over its inputs; null: every layer is one dispatch. */
  split: TangentLayerSplit | null;
  /** The boundary factor, dispatched twice with the same uniform: on m (→ u), on ṁ (→ u̇). */
  boundary: PlannedDispatch | null;
  storage: ForwardGradientStorage;
  /** Bytes θ and v must each hold. */
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
}

function planGradientLayers(
  config: ForwardJetConfig,
  limits: GridLimits,
): { layers: TangentLayerDispatch[]; split: TangentLayerSplit | null } {
  const { architecture, shape, tangentKind } = config;
  const layout = parameterLayout(architecture.widths);
  const last = layout.layers.length - 1;
  const view = plannedView(tangentParts, 'params');
  const N = shape.points;
  let split: TangentLayerSplit | null = null;
  const layers = layout.layers.map((slice, l): TangentLayerDispatch => {
    const constants = {
      ORDER: shape.order,
      COLLAPSED: shape.structure === 'collapsed' ? 1 : 0,
      ACTIVATION: l < last ? activationIds[architecture.activation] : LINEAR,
      INPUT: inputIds[l === 0 ? tangentKind : 'rows'],
      WORKGROUP_SIZE,
    };
    const params = planUniform(`forward gradient layer ${l} params`, view, {
      points: N,
      directions: shape.directions,
      rowsPerPoint: rowsPerPoint(shape),
      inputs: slice.inputs,
      outputs: slice.outputs,
      weightOffset: slice.weightOffset,
      biasOffset: slice.biasOffset,
    });
    // One invocation per (point, output); jetForwardTangent.wgsl folds x and y.
    const workgroups = Math.ceil((N * slice.outputs) / WORKGROUP_SIZE);
    const layer = { entryPoint: 'layer' as const, constants, params };
    // Only the first layer's inner dimension (d) grows with the problem. Blocks need no tile
    // alignment here (plain loops), hence a tile of 1.
    const multiplied = tangentKind === 'oneHot' ? 1 : rowsPerPoint(shape);
    const inner =
      l === 0
        ? firstLayerSplit(
            slice.inputs,
            N * multiplied,
            slice.outputs,
            workgroups,
            1,
            config.firstLayerBlockInner,
          )
        : null;
    if (!inner) return { ...layer, grid: dispatchGrid(workgroups, limits) };
    const splitConstants = { ...constants, BLOCK_INNER: inner.blockInner };
    split = {
      ...inner,
      partial: {
        entryPoint: 'partialAffine',
        constants: splitConstants,
        params,
        grid: dispatchGrid(Math.ceil(inner.partialElements / WORKGROUP_SIZE), limits),
      },
    };
    return { ...layer, constants: splitConstants, grid: dispatchGrid(workgroups, limits) };
  });
  return { layers, split };
}

function planGradientStorage(
  config: ForwardJetConfig,
  split: InnerSplit | null,
): ForwardGradientStorage {
  const { architecture, shape } = config;
  const { widths } = architecture;
  const buffer = (label: string, elements: number): PlannedBuffer =>
    storageBuffer(`forward gradient ${label}`, elements * 4);
  const hidden = widths.slice(1, -1);
  const widest = hidden.length > 0 ? layerElements(shape, Math.max(...hidden)) : 1;
  const outElements = layerElements(shape, widths[widths.length - 1]);
  const boundary = architecture.boundary !== 'none';
  return {
    // Layer l reads the jets of layer l − 1 while writing its own: two buffers alternate.
    jets: [buffer('s (even layers)', widest), buffer('s (odd layers)', widest)],
    jetTangents: [buffer('ṡ (even layers)', widest), buffer('ṡ (odd layers)', widest)],
    mlpOutput: buffer('mlp output', outElements),
    mlpTangent: buffer('mlp output tangent', outElements),
    placeholder: buffer('unused binding', 1),
    partials: split ? buffer('first-layer partials (z, ż)', 2 * split.partialElements) : null,
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
  const { layers, split } = planGradientLayers(config, limits);
  const boundary = planBoundary(config, limits, 'forward gradient boundary params');
  const storage = planGradientStorage(config, split);
  const s = storage;
  const buffers = [
    ...s.jets,
    ...s.jetTangents,
    s.mlpOutput,
    s.mlpTangent,
    s.placeholder,
    s.partials,
    s.boundary,
    s.output,
    s.outputTangent,
    ...layers.map((layer) => layer.params.buffer),
    ...(boundary ? [boundary.params.buffer] : []),
  ];
  return {
    layers,
    split,
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

/** A dispatch and its buffers; layer steps get θ and v added by `bind`. */
interface UnboundStep {
  kernel: ComputeKernel;
  resources: Record<string, GPUBuffer>;
  grid: [number, number, number];
  layer: boolean;
}

/**
 * The layer dispatches, their jets alternating between the planned pairs of buffers; a split first
 * layer's partialAffine goes first, writing the partials through outputJet, which layer 0 then
 * reads through inputTangent (jetForwardTangent.wgsl's header).
 */
function layerSteps(
  allocation: PlannedAllocation,
  plan: ForwardGradientJetPlan,
  kernels: { layers: ComputeKernel[]; partial: ComputeKernel | null },
  inputs: ExternalJetInputs,
): UnboundStep[] {
  const s = plan.storage;
  const own = (buffer: PlannedBuffer): GPUBuffer => allocation.storage(buffer);
  const placeholder = own(s.placeholder);
  const last = plan.layers.length - 1;
  const steps = plan.layers.map((layer, l) => ({
    kernel: kernels.layers[l],
    resources: {
      params: allocation.uniform(layer.params, kernels.layers[l].struct('params')),
      inputJet: l === 0 ? inputs.x : own(s.jets[(l - 1) % 2]),
      inputTangent:
        l === 0 ? (s.partials ? own(s.partials) : placeholder) : own(s.jetTangents[(l - 1) % 2]),
      tangents: inputs.tangents,
      tangentIndex: inputs.tangentIndex ?? placeholder,
      outputJet: l === last ? own(s.mlpOutput) : own(s.jets[l % 2]),
      outputTangent: l === last ? own(s.mlpTangent) : own(s.jetTangents[l % 2]),
    },
    grid: layer.grid,
    layer: true,
  }));
  if (plan.split && s.partials && kernels.partial) {
    const first = steps[0];
    steps.unshift({
      kernel: kernels.partial,
      resources: { ...first.resources, inputTangent: placeholder, outputJet: own(s.partials) },
      grid: plan.split.partial.grid,
      layer: true,
    });
  }
  return steps;
}

/** u = b·m is linear in m, so the same kernel maps ṁ to u̇ (b is rewritten identically). */
function boundarySteps(
  allocation: PlannedAllocation,
  dispatch: PlannedDispatch,
  kernel: ComputeKernel,
  storage: ForwardGradientStorage,
  inputs: ExternalJetInputs,
): { steps: UnboundStep[]; output: GPUBuffer; outputTangent: GPUBuffer } {
  const own = (buffer: PlannedBuffer | null, what: string): GPUBuffer => {
    if (!buffer) throw new Error(`forward gradient: the plan has no ${what}`);
    return allocation.storage(buffer);
  };
  const params = allocation.uniform(dispatch.params, kernel.struct('params'));
  const boundary = own(storage.boundary, 'boundary jet');
  const output = own(storage.output, 'output');
  const outputTangent = own(storage.outputTangent, 'output tangent');
  const steps = [
    [own(storage.mlpOutput, 'mlp output'), output],
    [own(storage.mlpTangent, 'mlp output tangent'), outputTangent],
  ].map(([m, u]) => ({
    kernel,
    resources: {
      params,
      x: inputs.x,
      tangents: inputs.tangents,
      tangentIndex: inputs.tangentIndex ?? own(storage.placeholder, 'placeholder'),
      mlpOutput: m,
      boundary,
      output: u,
      // Unread: the forward-gradient pass reads stored points (jetBoundary.wgsl POINTS = 0).
      stepCounter: inputs.tangents,
      pointNorms: inputs.pointNorms ?? inputs.tangents,
    },
    grid: dispatch.grid,
    layer: false,
  }));
  return { steps, output, outputTangent };
}

export class ForwardGradientJet {
  /** u jets, layerElements(shape, out). */
  readonly output: GPUBuffer;
  /** u̇ = ∂u/∂θ·v, same layout. */
  readonly outputTangent: GPUBuffer;

  private steps: BoundStep[] = [];

  private constructor(
    private readonly memory: GpuMemory,
    private readonly unbound: UnboundStep[],
    private readonly owned: GPUBuffer[],
    outputs: { output: GPUBuffer; outputTangent: GPUBuffer },
    private readonly parameterBytes: number,
  ) {
    this.output = outputs.output;
    this.outputTangent = outputs.outputTangent;
  }

  /**
   * (Re)binds every dispatch to `parameters` (θ) and `tangentParameters` (v, the same flat
   * layout), e.g. once the trainer's gradient buffer is known to carry v.
   */
  bind(parameters: GPUBuffer, tangentParameters: GPUBuffer): void {
    const needed = this.parameterBytes;
    for (const [name, buffer] of [
      ['parameters', parameters],
      ['tangentParameters', tangentParameters],
    ] as const) {
      if (buffer.size < needed) {
        throw new JetShapeError(
          `the ${name} buffer holds ${buffer.size} bytes, the network needs ${needed}`,
        );
      }
    }
    this.steps = this.unbound.map((step) => ({
      kernel: step.kernel,
      grid: step.grid,
      bindGroup: step.kernel.bind(
        step.layer ? { ...step.resources, parameters, tangentParameters } : step.resources,
      ),
    }));
  }

  /**
   * Binds the pass to `parameters` (θ) and `tangentParameters` (v, the same flat layout) and to
   * inputs written by other kernels (points and input tangents, as ForwardJet's ExternalJetInputs).
   * Allocates the buffers of planForwardGradientJet.
   */
  static async create(
    memory: GpuMemory,
    config: ForwardJetConfig,
    parameters: GPUBuffer,
    tangentParameters: GPUBuffer,
    inputs: ExternalJetInputs,
  ): Promise<ForwardGradientJet> {
    const device = memory.device;
    const plan = planForwardGradientJet(config, device.limits);
    if (config.tangentKind === 'oneHot' && !inputs.tangentIndex) {
      throw new JetShapeError('one-hot inputs need a tangentIndex buffer');
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
    const boundaryKernel =
      plan.boundary &&
      (await cachedKernel(device, boundaryParts, { constants: plan.boundary.constants }));
    return buildFromPlan(memory, plan.buffers, (allocation) => {
      const steps = layerSteps(allocation, plan, kernels, inputs);
      let outputs = {
        output: allocation.storage(plan.storage.mlpOutput),
        outputTangent: allocation.storage(plan.storage.mlpTangent),
      };
      if (plan.boundary && boundaryKernel) {
        const factor = boundarySteps(
          allocation,
          plan.boundary,
          boundaryKernel,
          plan.storage,
          inputs,
        );
        steps.push(...factor.steps);
        outputs = factor;
      }
      const jet = new ForwardGradientJet(
        memory,
        steps,
        allocation.owned,
        outputs,
        plan.parameterBytes,
      );
      jet.bind(parameters, tangentParameters);
      return jet;
    });
  }

  /** Records the pass (every layer, then the boundary factor on u and on u̇). */
  encode(encoder: GPUCommandEncoder): void {
    const pass = encoder.beginComputePass({ label: 'forward jet with parameter tangent' });
    for (const step of this.steps) step.kernel.dispatch(pass, step.bindGroup, ...step.grid);
    pass.end();
  }

  destroy(): void {
    for (const buffer of this.owned) this.memory.destroy(buffer);
    this.owned.length = 0;
  }
}
