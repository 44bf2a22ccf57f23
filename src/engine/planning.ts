/**
 * What the engine's plans and builds share. A plan (planForwardJet, planBackwardJet, …) is a pure
 * function of a configuration and the device limits it needs: sizes, dispatch grids, uniform field
 * values and the list of buffers the build will allocate. The build compiles the kernels,
 * allocates exactly the planned buffers and binds them, so the bytes a plan lists are the bytes a
 * build takes (test/gpu/enginePlans.test.ts checks it).
 */
import { LimitError } from '../gpu/errors.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { type PlannedBuffer, uniformBuffer } from '../gpu/bufferPlan.ts';
import { composeShader } from '../gpu/composeShader.ts';
import type { ShaderSource } from '../gpu/kernel.ts';
import { reflectStructView, type StructValue, type StructView } from '../gpu/structView.ts';

const views = new Map<string, StructView>();

/**
 * The view of binding `binding` that a kernel compiled from `source` reflects (the build packs
 * with the kernel's own `struct()`), read without a device so a plan can size its uniforms.
 * Reflection parses the whole WGSL text, so views are kept by file names, as cachedKernel keeps
 * kernels: a name stands for one text.
 */
export function plannedView(
  source: ShaderSource | readonly ShaderSource[],
  binding: string,
): StructView {
  const parts: readonly ShaderSource[] = 'code' in source ? [source] : source;
  const key = JSON.stringify([parts.map((p) => p.name), binding]);
  let view = views.get(key);
  if (!view) {
    view = reflectStructView(composeShader(parts), binding);
    views.set(key, view);
  }
  return view;
}

/** Throws LimitError unless `size` invocations fit one one-dimensional workgroup on the device. */
export function validateWorkgroupSize(
  name: string,
  size: number,
  limits: Pick<
    GPUSupportedLimits,
    'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX'
  >,
): void {
  if (
    !Number.isInteger(size) ||
    size < 1 ||
    size > limits.maxComputeInvocationsPerWorkgroup ||
    size > limits.maxComputeWorkgroupSizeX
  ) {
    throw new LimitError(
      `${name}: workgroupSize ${size} is outside [1, ${limits.maxComputeInvocationsPerWorkgroup}]`,
    );
  }
}

/** A uniform buffer of one struct and the field values the build writes into it. */
export interface PlannedUniform {
  readonly buffer: PlannedBuffer;
  readonly values: StructValue;
}

/**
 * Plans a uniform holding `values`. They are packed once here, so a field the WGSL lacks (or one
 * it has and the plan forgot) fails in the plan, on the CPU, before anything is compiled.
 */
export function planUniform(label: string, view: StructView, values: StructValue): PlannedUniform {
  view.pack(values);
  return { buffer: uniformBuffer(label, view.size), values };
}

/**
 * The buffers of one build, allocated from its plan's list: every storage buffer up front, each
 * uniform when its kernel (whose reflected view packs it) is compiled. A planned buffer several
 * roles share (reused layer storage) is one buffer.
 */
export class PlannedAllocation {
  /** Every buffer allocated, in order: what the built object owns and frees. */
  readonly owned: GPUBuffer[] = [];
  private readonly made = new Map<PlannedBuffer, GPUBuffer>();

  constructor(
    private readonly memory: GpuMemory,
    private readonly planned: readonly PlannedBuffer[],
  ) {}

  /** Allocates every planned storage buffer (zero-filled, as WebGPU creates buffers). */
  allocateStorage(): void {
    for (const b of this.planned) {
      if (b.role === 'storage') this.add(b, this.memory.create(b.label, b.bytes, b.role));
    }
  }

  /** The GPU buffer of a planned storage buffer. */
  storage(planned: PlannedBuffer): GPUBuffer {
    const buffer = this.made.get(planned);
    if (!buffer) throw new Error(`${planned.label}: not a planned storage buffer of this build`);
    return buffer;
  }

  /** The planned uniform, filled with its values as the compiled kernel's `view` lays them out. */
  uniform(planned: PlannedUniform, view: StructView): GPUBuffer {
    const { label, bytes } = planned.buffer;
    if (!this.planned.includes(planned.buffer) || this.made.has(planned.buffer)) {
      throw new Error(`${label}: not a planned uniform of this build, or allocated twice`);
    }
    // The plan reflected the same WGSL; a different size means plan and build compiled apart.
    if (view.size !== bytes) {
      throw new Error(
        `${label}: planned ${bytes} bytes, the kernel's ${view.typeName} has ${view.size}`,
      );
    }
    return this.add(planned.buffer, this.memory.createUniform(label, view, planned.values));
  }

  /** Throws unless every planned buffer was allocated: the plan lists what the build takes. */
  checkComplete(): void {
    const missing = this.planned.filter((b) => !this.made.has(b));
    if (missing.length > 0) {
      throw new Error(`planned but never allocated: ${missing.map((b) => b.label).join(', ')}`);
    }
  }

  release(): void {
    for (const buffer of this.owned) this.memory.destroy(buffer);
    this.owned.length = 0;
    this.made.clear();
  }

  private add(planned: PlannedBuffer, buffer: GPUBuffer): GPUBuffer {
    this.made.set(planned, buffer);
    this.owned.push(buffer);
    return buffer;
  }
}

/**
 * Allocates the `planned` buffers and runs `build` on them; every planned buffer must end up
 * allocated. If anything throws, every buffer allocated so far is freed.
 */
export async function buildFromPlan<T>(
  memory: GpuMemory,
  planned: readonly PlannedBuffer[],
  build: (allocation: PlannedAllocation) => T | Promise<T>,
): Promise<T> {
  const allocation = new PlannedAllocation(memory, planned);
  try {
    allocation.allocateStorage();
    const built = await build(allocation);
    allocation.checkComplete();
    return built;
  } catch (error) {
    allocation.release();
    throw error;
  }
}
