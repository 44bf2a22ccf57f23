/**
 * Random jets on the GPU: fills the tangent buffers of a batch (jetLayout.ts's TangentInput, as
 * GPU buffers) for one (seed, step) with shaders/randomJets.wgsl. The CPU mirror is jetDraws.ts.
 * `planRandomJets` says what a draw allocates and dispatches without a device.
 */
import randomJetsCode from '../../shaders/randomJets.wgsl?raw';
import { type PlannedBuffer, storageBuffer, uniformBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { composeShader } from '../gpu/composeShader.ts';
import { LimitError } from '../gpu/errors.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { reflectStructView, type StructValue, type StructView } from '../gpu/structView.ts';
import type { DenseTangentDraw } from '../engine/tangentSource.ts';
import { BOX_MULLER_FLOPS, type KernelCost, wordCost } from '../engine/kernelCost.ts';
import { RandomStream, requireU32 } from './counterRandom.ts';
import {
  extraCoefficient,
  type JetDrawKind,
  type JetDrawSpec,
  validateDrawSpec,
} from './jetDraws.ts';

/** TangentInput on the GPU: i32 indices and f32 coefficients, or f32 dense values. */
export type GpuTangentInput =
  | { kind: 'oneHot'; index: GPUBuffer; coefficient: GPUBuffer }
  | { kind: 'dense'; values: GPUBuffer };

const ENTRY_POINTS: Record<JetDrawKind, string> = {
  sparse: 'sparseOneHot',
  exact: 'exactOneHot',
  rademacher: 'denseValues',
  gaussian: 'denseValues',
};

const RANDOM_JETS_PARTS = [
  lib.random,
  lib.grid,
  lib.tangentSlots,
  lib.denseTangents,
  { name: 'randomJets.wgsl', code: randomJetsCode },
];
/** The WORKGROUP_SIZE override's default (shaders/lib/grid.wgsl), given explicitly so plans know the grid. */
const WORKGROUP_SIZE = 64;

let paramsView: StructView | undefined;
/** The layout of randomJets.wgsl's `params` (reflected once, without a device). */
export function randomJetsParamsView(): StructView {
  return (paramsView ??= reflectStructView(composeShader(RANDOM_JETS_PARTS), 'params'));
}

/** Everything one jet draw allocates and dispatches, from its spec alone. */
export interface RandomJetsPlan {
  readonly kind: JetDrawKind;
  readonly dense: boolean;
  /** randomJets.wgsl's Params, by field name. */
  readonly params: StructValue;
  /** Workgroups of the dispatch (folded into the device grid when recorded). */
  readonly workgroups: number;
  /** The kind of output a draw does not write is a 4-byte placeholder. */
  readonly named: {
    readonly params: PlannedBuffer;
    readonly index: PlannedBuffer;
    readonly coefficient: PlannedBuffer;
    readonly values: PlannedBuffer;
  };
  /** What `build` allocates, in order. */
  readonly buffers: readonly PlannedBuffer[];
}

/** randomJets.wgsl's Params of a draw of `points` points, validated, with the draw's sizes. */
function randomJetsParams(
  spec: JetDrawSpec,
  points: number,
  key: { seed: number; stream?: number },
): { params: StructValue; dense: boolean; slots: number } {
  validateDrawSpec(spec);
  requireU32(points, 'points');
  const seed = requireU32(key.seed, 'seed');
  const stream = requireU32(key.stream ?? RandomStream.jets, 'stream');
  const { kind, directions: R, order: K, dimension: d, range, extra } = spec;
  const slots = points * R * K;
  // Every kernel names a tangent by its u32 slot (lib/tangentSlots.wgsl), stored or redrawn.
  if (slots >= 2 ** 32) {
    throw new LimitError(
      `${kind} jets: ${slots} tangent slots exceed the kernels' 32-bit indexing`,
    );
  }
  return {
    dense: kind === 'rademacher' || kind === 'gaussian',
    slots,
    params: {
      seed,
      stream,
      points,
      directions: R,
      order: K,
      dimension: d,
      range,
      extraOrder: extra?.order ?? 0,
      extraIndex: extra?.index ?? 0,
      extraCoefficient: extra ? extraCoefficient(extra) : 0,
      subsets: spec.subsets ?? 1,
      sampledOrder: spec.sampledOrder ?? 1,
      pointOrder: spec.pointTangent?.order ?? 0,
    },
  };
}

/**
 * The tangent buffers for `points` points drawn as `spec` says, keyed by (seed, stream) and the
 * step in word 0 of the step counter (see GpuStepCounter).
 */
export function planRandomJets(
  spec: JetDrawSpec,
  points: number,
  key: { seed: number; stream?: number },
): RandomJetsPlan {
  const { params, dense, slots } = randomJetsParams(spec, points, key);
  const { kind, dimension: d } = spec;
  // A stored dense draw indexes its N·R·K·d values flat (slot·d + i).
  const written = dense ? slots * d : slots;
  if (written >= 2 ** 32) {
    throw new LimitError(
      `${kind} jets: ${written} tangent values exceed the kernel's 32-bit indexing`,
    );
  }
  // One invocation per dense value, per point (sparse: Floyd is sequential), or per jet (exact).
  const invocations = dense ? written : kind === 'sparse' ? points : points * spec.directions;
  const label = `${kind} jets`;
  const placeholder = (name: string) => storageBuffer(`${label} ${name} (unused)`, 4);
  const named = {
    params: uniformBuffer(`${label} params`, randomJetsParamsView().size),
    index: dense ? placeholder('index') : storageBuffer(`${label} index`, slots * 4),
    coefficient: dense
      ? placeholder('coefficient')
      : storageBuffer(`${label} coefficient`, slots * 4),
    values: dense ? storageBuffer(`${label} values`, slots * d * 4) : placeholder('values'),
  };
  return {
    kind,
    dense,
    params,
    workgroups: Math.ceil(invocations / WORKGROUP_SIZE),
    named,
    buffers: [named.params, named.index, named.coefficient, named.values],
  };
}

/**
 * The dense draw of `points` points as the kernels that redraw its tangents where they read them
 * take it (tangentSource.ts): the key, range and fixed tangent of planRandomJets' draw, so they
 * read the bits its `build` writes. Nothing is stored, so only the slots bound it: Rademacher,
 * 100 points × 16 jets × 2 orders at d = 1.4·10⁶ (past 2³² stored values) is drawn.
 */
export function regeneratedTangentDraw(
  spec: JetDrawSpec,
  points: number,
  key: { seed: number; stream?: number },
): DenseTangentDraw {
  if (spec.kind !== 'rademacher' && spec.kind !== 'gaussian') {
    throw new RangeError(`${spec.kind} jets are one-hot: only dense tangents are redrawn`);
  }
  const p = randomJetsParams(spec, points, key).params as Record<string, number>;
  return {
    seed: p.seed,
    stream: p.stream,
    range: p.range,
    distribution: spec.kind,
    extraOrder: p.extraOrder,
    extraIndex: p.extraIndex,
    extraCoefficient: p.extraCoefficient,
  };
}

/**
 * What one draw of `plan` computes and moves (kernelCost.ts's rules): it writes every slot (index
 * and coefficient, one-hot) or every value (dense) and reads only the step counter. One-hot
 * indices are integer work; a dense value is a Rademacher sign (1 − 2·bit: 2) or a normal.
 */
export function randomJetsCost(plan: RandomJetsPlan): KernelCost {
  const { points, directions, order, dimension } = plan.params as Record<string, number>;
  const slots = points * directions * order;
  if (!plan.dense) return wordCost(0, 1, 2 * slots);
  const values = slots * dimension;
  return wordCost(values * (plan.kind === 'rademacher' ? 2 : BOX_MULLER_FLOPS), 1, values);
}

/** The jets of one batch shape, redrawn by every `record` for the step in the step counter. */
export class RandomJetDraw {
  readonly tangents: GpuTangentInput;

  constructor(
    private readonly memory: GpuMemory,
    private readonly kernel: ComputeKernel,
    private readonly bindGroup: GPUBindGroup,
    private readonly workgroups: number,
    private readonly owned: GPUBuffer[],
    tangents: GpuTangentInput,
  ) {
    this.tangents = tangents;
  }

  /** Records the draw into an open compute pass (no readback, no upload). */
  record(pass: GPUComputePassEncoder): void {
    this.kernel.dispatchFolded(pass, this.bindGroup, this.workgroups);
  }

  destroy(): void {
    for (const buffer of this.owned) this.memory.destroy(buffer);
  }
}

export class GpuRandomJets {
  private constructor(private readonly kernels: Record<JetDrawKind, ComputeKernel>) {}

  static async create(device: GPUDevice): Promise<GpuRandomJets> {
    const kinds = Object.keys(ENTRY_POINTS) as JetDrawKind[];
    const compiled = await Promise.all(
      kinds.map((kind) =>
        cachedKernel(device, RANDOM_JETS_PARTS, {
          entryPoint: ENTRY_POINTS[kind],
          // The normals' pipeline draws nothing else (lib/denseTangents.wgsl).
          constants: { WORKGROUP_SIZE, ...(kind === 'gaussian' ? { GAUSSIAN_TANGENTS: 1 } : {}) },
        }),
      ),
    );
    const kernels = Object.fromEntries(kinds.map((kind, i) => [kind, compiled[i]])) as Record<
      JetDrawKind,
      ComputeKernel
    >;
    return new GpuRandomJets(kernels);
  }

  /**
   * Allocates the tangent buffers for `points` points drawn as `spec` says, keyed by (seed,
   * stream) and the step in word 0 of `stepCounter` (see GpuStepCounter).
   */
  prepare(
    memory: GpuMemory,
    spec: JetDrawSpec,
    points: number,
    key: { seed: number; stream?: number },
    stepCounter: GPUBuffer,
  ): RandomJetDraw {
    return this.build(memory, planRandomJets(spec, points, key), stepCounter);
  }

  /** Allocates and binds a planned draw. */
  build(memory: GpuMemory, plan: RandomJetsPlan, stepCounter: GPUBuffer): RandomJetDraw {
    const kernel = this.kernels[plan.kind];
    const planned = plan.named;
    const params = memory.createUniform(planned.params.label, kernel.struct('params'), plan.params);
    const [index, coefficient, values] = [planned.index, planned.coefficient, planned.values].map(
      (b) => memory.create(b.label, b.bytes),
    );
    const bindGroup = kernel.bind({ params, stepCounter, index, coefficient, values });
    const tangents: GpuTangentInput = plan.dense
      ? { kind: 'dense', values }
      : { kind: 'oneHot', index, coefficient };
    return new RandomJetDraw(
      memory,
      kernel,
      bindGroup,
      plan.workgroups,
      [params, index, coefficient, values],
      tangents,
    );
  }
}
