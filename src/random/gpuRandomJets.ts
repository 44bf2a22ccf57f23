/**
 * Random jets on the GPU: fills the tangent buffers of a batch (jetLayout.ts's TangentInput, as
 * GPU buffers) for one (seed, step) with shaders/randomJets.wgsl. The CPU mirror is jetDraws.ts.
 */
import randomCode from '../../shaders/random.wgsl?raw';
import randomJetsCode from '../../shaders/randomJets.wgsl?raw';
import type { GpuBuffers } from '../gpu/buffers.ts';
import { createComposedKernel } from '../gpu/composeShader.ts';
import { LimitError } from '../gpu/errors.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { RandomStream, requireU32 } from './counterRandom.ts';
import { dispatchGrid } from '../gpu/dispatch.ts';
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
  rademacher: 'denseRademacher',
  gaussian: 'denseGaussian',
};

/** Params of randomJets.wgsl: ten 4-byte words, padded to a multiple of 16 bytes. */
const PARAMS_BYTES = 48;

/** The jets of one batch shape, redrawn by every `record` for the step in the step counter. */
export class RandomJetDraw {
  readonly tangents: GpuTangentInput;

  constructor(
    private readonly buffers: GpuBuffers,
    private readonly kernel: ComputeKernel,
    private readonly bindGroup: GPUBindGroup,
    private readonly grid: [number, number],
    private readonly owned: GPUBuffer[],
    tangents: GpuTangentInput,
  ) {
    this.tangents = tangents;
  }

  /** Records the draw into an open compute pass (no readback, no upload). */
  record(pass: GPUComputePassEncoder): void {
    this.kernel.dispatch(pass, this.bindGroup, this.grid[0], this.grid[1]);
  }

  destroy(): void {
    for (const buffer of this.owned) this.buffers.destroy(buffer);
  }
}

export class GpuRandomJets {
  private constructor(
    private readonly device: GPUDevice,
    private readonly kernels: Record<JetDrawKind, ComputeKernel>,
  ) {}

  static async create(device: GPUDevice): Promise<GpuRandomJets> {
    const parts = [
      { name: 'random.wgsl', code: randomCode },
      { name: 'randomJets.wgsl', code: randomJetsCode },
    ];
    const kinds = Object.keys(ENTRY_POINTS) as JetDrawKind[];
    const compiled = await Promise.all(
      kinds.map((kind) => createComposedKernel(device, parts, { entryPoint: ENTRY_POINTS[kind] })),
    );
    const kernels = Object.fromEntries(kinds.map((kind, i) => [kind, compiled[i]])) as Record<
      JetDrawKind,
      ComputeKernel
    >;
    return new GpuRandomJets(device, kernels);
  }

  /**
   * Allocates the tangent buffers for `points` points drawn as `spec` says, keyed by (seed,
   * stream) and the step in word 0 of `stepCounter` (see GpuStepCounter).
   */
  prepare(
    buffers: GpuBuffers,
    spec: JetDrawSpec,
    points: number,
    key: { seed: number; stream?: number },
    stepCounter: GPUBuffer,
  ): RandomJetDraw {
    validateDrawSpec(spec);
    requireU32(points, 'points');
    const seed = requireU32(key.seed, 'seed');
    const stream = requireU32(key.stream ?? RandomStream.jets, 'stream');
    const { kind, directions: R, order: K, dimension: d, range, extra } = spec;
    const slots = points * R * K;
    const dense = kind === 'rademacher' || kind === 'gaussian';
    const written = dense ? slots * d : slots;
    if (written >= 2 ** 32) {
      throw new LimitError(
        `${kind} jets: ${written} tangent values exceed the kernel's 32-bit indexing`,
      );
    }
    // One invocation per dense value, per point (sparse: Floyd is sequential), or per jet (exact).
    const invocations = dense ? written : kind === 'sparse' ? points : points * R;

    const params = new ArrayBuffer(PARAMS_BYTES);
    const words = new Uint32Array(params);
    words.set([seed, stream, points, R, K, d, range, extra?.order ?? 0, extra?.index ?? 0]);
    new Float32Array(params)[9] = extra ? extraCoefficient(extra) : 0;

    const label = `${kind} jets`;
    const paramsBuffer = buffers.createFrom(`${label} params`, words, 'uniform');
    const placeholder = (name: string) => buffers.create(`${label} ${name} (unused)`, 4);
    const index = dense ? placeholder('index') : buffers.create(`${label} index`, slots * 4);
    const coefficient = dense
      ? placeholder('coefficient')
      : buffers.create(`${label} coefficient`, slots * 4);
    const values = dense ? buffers.create(`${label} values`, slots * d * 4) : placeholder('values');

    const kernel = this.kernels[kind];
    const bindGroup = kernel.bind({
      params: paramsBuffer,
      stepCounter,
      index,
      coefficient,
      values,
    });
    const grid = dispatchGrid(
      kernel.workgroupsFor(invocations),
      this.device.limits.maxComputeWorkgroupsPerDimension,
    );
    const tangents: GpuTangentInput = dense
      ? { kind: 'dense', values }
      : { kind: 'oneHot', index, coefficient };
    return new RandomJetDraw(
      buffers,
      kernel,
      bindGroup,
      grid,
      [paramsBuffer, index, coefficient, values],
      tangents,
    );
  }
}
