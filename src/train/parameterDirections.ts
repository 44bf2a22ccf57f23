/**
 * Random directions in parameter space for backprop-free training (shaders/zerothOrder.wgsl): a
 * direction z_j of step s is a pure function of (seed, s, j) (and, for the subspace variant, of the
 * subspace period), so the perturbation, the restore and the gradient write each regenerate it
 * instead of storing it. This class binds the kernels of one direction family to parameter
 * buffers and hands out bound dispatches, one per parameter block (engine/parameterBlocks.ts) where
 * a tensor is split: each draws z at the flat index, so the blocks hold the whole tensor's bits.
 */
import zerothOrderCode from '../../shaders/zerothOrder.wgsl?raw';
import { parameterLayout } from '../engine/jetLayout.ts';
import type { ParameterBlock } from '../engine/parameterBlocks.ts';
import { type PlannedBuffer, uniformBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { composeShader } from '../gpu/composeShader.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { reflectStructView, type StructValue, type StructView } from '../gpu/structView.ts';
import { requireU32 } from '../random/counterRandom.ts';

/**
 * Philox streams of the parameter directions, apart from the collocation draws' streams
 * (random/counterRandom.ts RandomStream: 1–3) so a direction never reuses a point's or a jet's words.
 */
export const DirectionStream = {
  /** z of the two-point estimate, full or the small factors Z, ζ of the subspace variant. */
  perturbation: 0x7a01,
  /** The subspace factors U, V, redrawn every T₀ steps. */
  subspace: 0x7a02,
  /** v of the forward gradient. */
  tangent: 0x7a03,
} as const;

/** Layers the shader's uniform table holds: depth ≤ 32 hidden layers plus the output layer. */
const MAX_LAYERS = 33;
const WORKGROUP_SIZE = 64;

const DIRECTION_PARTS = [
  lib.random,
  lib.twoPoint,
  lib.grid,
  lib.finiteBits,
  { name: 'zerothOrder.wgsl', code: zerothOrderCode },
];

const views = new Map<'params' | 'layers', StructView>();
/** zerothOrder.wgsl's `params` and `layers` layouts (reflected once, without a device). */
function directionView(binding: 'params' | 'layers'): StructView {
  let view = views.get(binding);
  if (!view) {
    view = reflectStructView(composeShader(DIRECTION_PARTS), binding);
    views.set(binding, view);
  }
  return view;
}

export type DirectionFamily = { kind: 'full' } | { kind: 'subspace'; rank: number; period: number };

export interface DirectionConfig {
  widths: readonly number[];
  seed: number;
  stream: number;
  family: DirectionFamily;
}

export type DirectionEntry = 'perturb' | 'combine' | 'direction' | 'scale' | 'summarize';

/**
 * The buffers one dispatch binds (zerothOrder.wgsl bindings 2–5); `parameters` and `destination`
 * of a per-parameter entry are the bound block's buffers.
 */
export interface DirectionIo {
  stepCounter: GPUBuffer;
  parameters: GPUBuffer;
  losses: GPUBuffer;
  destination: GPUBuffer;
}

export interface BoundDirectionDispatch {
  record(pass: GPUComputePassEncoder): void;
}

const ENTRIES: readonly DirectionEntry[] = [
  'perturb',
  'combine',
  'direction',
  'scale',
  'summarize',
];

/** The uniforms of one bound dispatch (ParameterDirections.bind). */
export interface DirectionValues {
  direction?: number;
  directions?: number;
  epsilon?: number;
  scale?: number;
}

/** What a ParameterDirections compiles and allocates, from its config alone. */
export interface DirectionPlan {
  readonly count: number;
  readonly layerCount: number;
  readonly constants: Record<DirectionEntry, Record<string, number>>;
  /** The layer table (zerothOrder.wgsl `layers`), by layer. */
  readonly layers: readonly (readonly number[])[];
  /**
   * Workgroups of every entry but summarize (one workgroup) over the whole vector; a dispatch
   * bound to a block covers that block's count.
   */
  readonly workgroups: number;
  readonly named: { readonly layerTable: PlannedBuffer };
  /** What `create` allocates; every `bind` adds one `bindBuffer(entry)`. */
  readonly buffers: readonly PlannedBuffer[];
}

export function planParameterDirections(config: DirectionConfig): DirectionPlan {
  requireU32(config.seed, 'seed');
  requireU32(config.stream, 'stream');
  const layout = parameterLayout(config.widths);
  if (layout.layers.length > MAX_LAYERS) {
    throw new RangeError(
      `parameter directions: ${layout.layers.length} layers, the kernel's table holds ${MAX_LAYERS}`,
    );
  }
  const family = config.family;
  if (family.kind === 'subspace') {
    if (!Number.isInteger(family.rank) || family.rank < 1 || family.rank > 64) {
      throw new RangeError(`subspace rank must be an integer in 1..64, got ${family.rank}`);
    }
    if (!Number.isInteger(family.period) || family.period < 1) {
      throw new RangeError(`subspace period must be a positive integer, got ${family.period}`);
    }
  }
  const subspace = family.kind === 'subspace' ? 1 : 0;
  const constants = Object.fromEntries(
    ENTRIES.map((entryPoint): [DirectionEntry, Record<string, number>] => [
      entryPoint,
      entryPoint === 'summarize' ? { SUBSPACE: 0 } : { WORKGROUP_SIZE, SUBSPACE: subspace },
    ]),
  ) as Record<DirectionEntry, Record<string, number>>;
  const layerTable = uniformBuffer('direction layer table', directionView('layers').size);
  return {
    count: layout.count,
    layerCount: layout.layers.length,
    constants,
    layers: layout.layers.map((slice) => [
      slice.weightOffset,
      slice.biasOffset,
      slice.inputs,
      slice.outputs,
    ]),
    workgroups: Math.ceil(layout.count / WORKGROUP_SIZE),
    named: { layerTable },
    buffers: [layerTable],
  };
}

/** The uniform buffer each `bind(entry, …)` allocates. */
export function bindBuffer(entry: DirectionEntry): PlannedBuffer {
  return uniformBuffer(`direction ${entry} params`, directionView('params').size);
}

/** The whole vector as one block: what a dispatch without a block covers. */
function wholeBlock(plan: DirectionPlan): ParameterBlock {
  return { start: 0, count: plan.count };
}

/**
 * zerothOrder.wgsl's Params of one bound dispatch, by field name: over `block` of the flat vector
 * (the whole vector when absent).
 */
export function directionParams(
  config: DirectionConfig,
  plan: DirectionPlan,
  values: DirectionValues,
  block: ParameterBlock = wholeBlock(plan),
): StructValue {
  const family = config.family;
  return {
    count: block.count,
    start: block.start,
    seed: config.seed,
    directionStream: config.stream,
    subspaceStream: DirectionStream.subspace,
    rank: family.kind === 'subspace' ? family.rank : 0,
    period: family.kind === 'subspace' ? family.period : 1,
    layerCount: plan.layerCount,
    directions: values.directions ?? 1,
    direction: values.direction ?? 0,
    epsilon: values.epsilon ?? 0,
    scale: values.scale ?? 0,
  };
}

export class ParameterDirections {
  readonly count: number;
  private readonly owned: GPUBuffer[] = [];

  private constructor(
    private readonly memory: GpuMemory,
    private readonly config: DirectionConfig,
    private readonly plan: DirectionPlan,
    private readonly kernels: Record<DirectionEntry, ComputeKernel>,
    private readonly layerTable: GPUBuffer,
  ) {
    this.count = plan.count;
  }

  static async create(memory: GpuMemory, config: DirectionConfig): Promise<ParameterDirections> {
    const plan = planParameterDirections(config);
    const compiled = await Promise.all(
      ENTRIES.map((entryPoint) =>
        cachedKernel(memory.device, DIRECTION_PARTS, {
          entryPoint,
          constants: plan.constants[entryPoint],
        }),
      ),
    );
    const kernels = Object.fromEntries(ENTRIES.map((e, i) => [e, compiled[i]])) as Record<
      DirectionEntry,
      ComputeKernel
    >;
    const layerTable = memory.createUniform(
      plan.named.layerTable.label,
      kernels.perturb.struct('layers'),
      plan.layers,
    );
    return new ParameterDirections(memory, config, plan, kernels, layerTable);
  }

  /**
   * A dispatch of `entry` with its own uniforms: `direction` j and `scale` (perturb), the
   * direction count q and ε (combine, summarize). Over `block` of the flat vector, whose buffers
   * `io` binds (the whole vector when absent; summarize ignores it). Bound once, recorded every
   * step.
   */
  bind(
    entry: DirectionEntry,
    io: DirectionIo,
    values: DirectionValues = {},
    block: ParameterBlock = wholeBlock(this.plan),
  ): BoundDirectionDispatch {
    const { start, count } = block;
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(count) ||
      start < 0 ||
      count < 1 ||
      start + count > this.plan.count
    ) {
      throw new RangeError(
        `direction ${entry}: block [${start}, ${start + count}) is not a non-empty range of the ` +
          `${this.plan.count} parameters`,
      );
    }
    const kernel = this.kernels[entry];
    const params = this.memory.createUniform(
      bindBuffer(entry).label,
      kernel.struct('params'),
      directionParams(this.config, this.plan, values, block),
    );
    this.owned.push(params);
    const bindGroup = kernel.bind({ params, layers: this.layerTable, ...io });
    const workgroups = entry === 'summarize' ? 1 : Math.ceil(count / WORKGROUP_SIZE);
    return { record: (pass) => kernel.dispatchFolded(pass, bindGroup, workgroups) };
  }

  destroy(): void {
    for (const buffer of this.owned) this.memory.destroy(buffer);
    this.owned.length = 0;
    this.memory.destroy(this.layerTable);
  }
}
