/**
 * Random directions in parameter space for backprop-free training (shaders/zerothOrder.wgsl): a
 * direction z_j of step s is a pure function of (seed, s, j) (and, for the subspace variant, of the
 * subspace period), so the perturbation, the restore and the gradient write each regenerate it
 * instead of storing it. This class binds the kernels of one direction family to one parameter
 * buffer and hands out bound dispatches.
 */
import randomCode from '../../shaders/random.wgsl?raw';
import zerothOrderCode from '../../shaders/zerothOrder.wgsl?raw';
import { parameterLayout } from '../engine/jetLayout.ts';
import type { GpuBuffers } from '../gpu/buffers.ts';
import { dispatchGrid } from '../gpu/dispatch.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
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
const PARAMS_BYTES = 48;

export type DirectionFamily = { kind: 'full' } | { kind: 'subspace'; rank: number; period: number };

export interface DirectionConfig {
  widths: readonly number[];
  seed: number;
  stream: number;
  family: DirectionFamily;
}

export type DirectionEntry = 'perturb' | 'combine' | 'direction' | 'scale' | 'summarize';

/** The buffers one dispatch binds (zerothOrder.wgsl bindings 2–5). */
export interface DirectionIo {
  stepCounter: GPUBuffer;
  parameters: GPUBuffer;
  losses: GPUBuffer;
  destination: GPUBuffer;
}

export interface BoundDirectionDispatch {
  record(pass: GPUComputePassEncoder): void;
}

export class ParameterDirections {
  readonly count: number;
  private readonly owned: GPUBuffer[] = [];

  private constructor(
    private readonly buffers: GpuBuffers,
    private readonly config: DirectionConfig,
    private readonly kernels: Record<DirectionEntry, ComputeKernel>,
    private readonly layerTable: GPUBuffer,
  ) {
    this.count = parameterLayout(config.widths).count;
  }

  static async create(buffers: GpuBuffers, config: DirectionConfig): Promise<ParameterDirections> {
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
    const parts = [
      { name: 'random.wgsl', code: randomCode },
      { name: 'zerothOrder.wgsl', code: zerothOrderCode },
    ];
    const entries: DirectionEntry[] = ['perturb', 'combine', 'direction', 'scale', 'summarize'];
    const compiled = await Promise.all(
      entries.map((entryPoint) =>
        cachedKernel(buffers.device, parts, {
          entryPoint,
          constants:
            entryPoint === 'summarize'
              ? { SUBSPACE: 0 }
              : { WORKGROUP_SIZE, SUBSPACE: family.kind === 'subspace' ? 1 : 0 },
        }),
      ),
    );
    const kernels = Object.fromEntries(entries.map((e, i) => [e, compiled[i]])) as Record<
      DirectionEntry,
      ComputeKernel
    >;
    const table = new Uint32Array(MAX_LAYERS * 4);
    layout.layers.forEach((slice, l) =>
      table.set([slice.weightOffset, slice.biasOffset, slice.inputs, slice.outputs], 4 * l),
    );
    const layerTable = buffers.createFrom('direction layer table', table, 'uniform');
    return new ParameterDirections(buffers, config, kernels, layerTable);
  }

  /**
   * A dispatch of `entry` with its own uniforms: `direction` j and `scale` (perturb), the
   * direction count q and ε (combine, summarize). Bound once, recorded every step.
   */
  bind(
    entry: DirectionEntry,
    io: DirectionIo,
    values: { direction?: number; directions?: number; epsilon?: number; scale?: number } = {},
  ): BoundDirectionDispatch {
    const bytes = new ArrayBuffer(PARAMS_BYTES);
    const words = new Uint32Array(bytes);
    const floats = new Float32Array(bytes);
    const family = this.config.family;
    words.set([
      this.count,
      this.config.seed,
      this.config.stream,
      DirectionStream.subspace,
      family.kind === 'subspace' ? family.rank : 0,
      family.kind === 'subspace' ? family.period : 1,
      parameterLayout(this.config.widths).layers.length,
      values.directions ?? 1,
      values.direction ?? 0,
    ]);
    floats[9] = values.epsilon ?? 0;
    floats[10] = values.scale ?? 0;
    const params = this.buffers.createFrom(`direction ${entry} params`, words, 'uniform');
    this.owned.push(params);
    const kernel = this.kernels[entry];
    const bindGroup = kernel.bind({ params, layers: this.layerTable, ...io });
    const grid: [number, number] =
      entry === 'summarize'
        ? [1, 1]
        : dispatchGrid(
            kernel.workgroupsFor(this.count),
            this.buffers.device.limits.maxComputeWorkgroupsPerDimension,
          );
    return { record: (pass) => kernel.dispatch(pass, bindGroup, ...grid) };
  }

  destroy(): void {
    for (const buffer of this.owned) this.buffers.destroy(buffer);
    this.owned.length = 0;
    this.buffers.destroy(this.layerTable);
  }
}
