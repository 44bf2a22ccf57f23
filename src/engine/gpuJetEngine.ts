/**
 * The GPU engine behind the JetEngine interface: the flat parameter, gradient and Adam buffers
 * live on the device; a batch runs through ForwardJet (fused layer kernels) and BackwardJet; Adam
 * updates in place. Buffers hide behind the interface, so the tests written for the float64
 * reference run unchanged here.
 */
import { GpuMemory, readFloat32 } from '../gpu/gpuMemory.ts';
import {
  type AnyMlpParameters,
  type MlpArchitecture,
  type MlpParameters,
  validateArchitecture,
  validateParameters,
} from '../jet/mlp.ts';
import { BackwardJet } from './backwardJet.ts';
import { ForwardJet } from './forwardJet.ts';
import {
  defaultAdamOptions,
  type AdamOptions,
  type JetBatch,
  type JetEngine,
  outputElements,
  validateJetBatch,
} from './jetEngine.ts';
import { packParameters, parameterLayout, unpackParameters, type JetShape } from './jetLayout.ts';
import { GpuAdam } from './optimizers.ts';
import { type BlockedTensor, wholeTensor } from './parameterBlocks.ts';

interface BatchPasses {
  key: string;
  forward: ForwardJet;
  backward: BackwardJet | null;
  cotangent: GPUBuffer | null;
}

function batchKey(shape: JetShape, dim: number, kind: string): string {
  return `${shape.points}/${shape.directions}/${shape.order}/${shape.structure}/${dim}/${kind}`;
}

export class GpuJetEngine implements JetEngine {
  readonly architecture: MlpArchitecture;
  readonly memory: GpuMemory;
  private readonly params: GPUBuffer;
  private readonly gradientBuffer: GPUBuffer;
  private readonly adam: GpuAdam;
  private readonly parameterCount: number;
  /** θ and g as the optimizer takes them: the engine's parameters fit one buffer. */
  private readonly paramsTensor: BlockedTensor;
  private readonly gradientTensor: BlockedTensor;
  /** The passes of the last batch shape; a new shape replaces them (their memory is freed). */
  private passes: BatchPasses | null = null;
  private hasGradient = false;

  private constructor(
    architecture: MlpArchitecture,
    memory: GpuMemory,
    params: GPUBuffer,
    gradient: GPUBuffer,
    adam: GpuAdam,
  ) {
    this.architecture = architecture;
    this.memory = memory;
    this.params = params;
    this.gradientBuffer = gradient;
    this.adam = adam;
    this.parameterCount = parameterLayout(architecture.widths).count;
    this.paramsTensor = wholeTensor(params, this.parameterCount);
    this.gradientTensor = wholeTensor(gradient, this.parameterCount);
  }

  static async create(
    device: GPUDevice,
    architecture: MlpArchitecture,
    params: AnyMlpParameters,
    adam: Partial<AdamOptions> = {},
  ): Promise<GpuJetEngine> {
    validateArchitecture(architecture);
    validateParameters(architecture, params);
    const memory = new GpuMemory(device);
    const flat = packParameters(architecture.widths, params);
    const paramsBuffer = memory.createFrom('parameters', flat);
    const gradient = memory.create('gradient', flat.byteLength);
    const optimizer = await GpuAdam.create(memory, flat.length, { ...defaultAdamOptions, ...adam });
    return new GpuJetEngine(architecture, memory, paramsBuffer, gradient, optimizer);
  }

  setParameters(params: AnyMlpParameters): void {
    validateParameters(this.architecture, params);
    this.memory.write(this.params, packParameters(this.architecture.widths, params));
  }

  async getParameters(): Promise<MlpParameters<Float64Array>> {
    const flat = await readFloat32(this.memory.device, this.params, this.parameterCount);
    return unpackParameters(this.architecture.widths, flat);
  }

  /** The forward (and, on demand, backward) passes for this batch's shape, built once per shape. */
  private async passesFor(batch: JetBatch, withBackward: boolean): Promise<BatchPasses> {
    validateJetBatch(this.architecture, batch);
    const key = batchKey(batch.shape, batch.dim, batch.tangents.kind);
    if (this.passes?.key !== key) {
      this.releasePasses();
      const forward = await ForwardJet.create(
        this.memory,
        { architecture: this.architecture, shape: batch.shape, tangentKind: batch.tangents.kind },
        this.params,
      );
      this.passes = { key, forward, backward: null, cotangent: null };
    }
    const passes = this.passes;
    if (withBackward && !passes.backward) {
      passes.backward = await BackwardJet.create(
        this.memory,
        this.architecture,
        batch.shape,
        batch.tangents.kind,
      );
      passes.cotangent = this.memory.create(
        'cotangent',
        outputElements(this.architecture, batch.shape) * 4,
      );
    }
    passes.forward.upload(Float32Array.from(batch.x), batch.tangents);
    return passes;
  }

  async forward(batch: JetBatch): Promise<Float64Array> {
    const { forward } = await this.passesFor(batch, false);
    const device = this.memory.device;
    const encoder = device.createCommandEncoder({ label: 'jet engine forward' });
    forward.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const out = await readFloat32(
      device,
      forward.buffers.output,
      outputElements(this.architecture, batch.shape),
    );
    return Float64Array.from(out);
  }

  async gradient(
    batch: JetBatch,
    cotangent: Float64Array | Float32Array,
  ): Promise<MlpParameters<Float64Array>> {
    const expected = outputElements(this.architecture, batch.shape);
    if (cotangent.length !== expected) {
      throw new RangeError(`the cotangent must have ${expected} values, has ${cotangent.length}`);
    }
    const passes = await this.passesFor(batch, true);
    this.memory.write(passes.cotangent!, Float32Array.from(cotangent));
    const device = this.memory.device;
    const encoder = device.createCommandEncoder({ label: 'jet engine gradient' });
    passes.forward.encode(encoder);
    passes.backward!.encode(encoder, {
      forward: passes.forward.buffers,
      params: this.params,
      cotangent: passes.cotangent!,
      gradient: this.gradientBuffer,
    });
    device.queue.submit([encoder.finish()]);
    this.hasGradient = true;
    const flat = await readFloat32(device, this.gradientBuffer, this.parameterCount);
    return unpackParameters(this.architecture.widths, flat);
  }

  async adamStep(learningRate: number, step: number): Promise<void> {
    if (!this.hasGradient) throw new Error('adamStep needs a gradient() first');
    const device = this.memory.device;
    const encoder = device.createCommandEncoder({ label: 'jet engine adam' });
    this.adam.encodeStep(encoder, {
      params: this.paramsTensor,
      gradient: this.gradientTensor,
      learningRate,
      step,
    });
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  }

  private releasePasses(): void {
    if (!this.passes) return;
    this.passes.forward.destroy();
    this.passes.backward?.destroy();
    if (this.passes.cotangent) this.memory.destroy(this.passes.cotangent);
    this.passes = null;
  }

  dispose(): void {
    this.releasePasses();
    this.adam.destroy();
    this.memory.destroyAll();
  }
}
