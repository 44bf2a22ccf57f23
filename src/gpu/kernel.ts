import { ResourceType, WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { FunctionInfo, VariableInfo } from 'wgsl_reflect';
import { BindingError, LimitError, ShaderCompileError, type ShaderDiagnostic } from './errors.ts';
import { dispatchGrid } from './dispatch.ts';
import { structViewOf, type StructView } from './structView.ts';

/** A WGSL file: its name (for messages) and its text. */
export interface ShaderSource {
  name: string;
  code: string;
}

export type BindingKind = 'uniform' | 'storage' | 'read-only-storage';

/** One resource of a kernel, as reflected from its WGSL. */
export interface ReflectedBinding {
  name: string;
  group: number;
  binding: number;
  kind: BindingKind;
  /** Smallest legal binding size: the fixed part, plus one element for a runtime-sized array. */
  minBytes: number;
  /** Element stride of a runtime-sized array, 0 for fixed-size types. */
  runtimeStride: number;
}

export type BufferBinding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

export interface KernelOptions {
  /** Defaults to the only @compute entry point of the file. */
  entryPoint?: string;
  /** Values for `override` declarations. */
  constants?: Record<string, number>;
}

function bindingKind(v: VariableInfo): BindingKind {
  if (v.resourceType === ResourceType.Uniform) return 'uniform';
  if (v.resourceType === ResourceType.Storage) {
    return v.access === 'read' ? 'read-only-storage' : 'storage';
  }
  throw new Error(`binding ${v.name}: only buffer bindings are supported by compute kernels`);
}

function reflectBinding(v: VariableInfo): ReflectedBinding {
  const runtimeStride = v.isArray && v.count === 0 ? v.stride : 0;
  // A runtime-sized array reflects size 0; a struct ending in one reflects its fixed prefix.
  const fixed = v.size;
  return {
    name: v.name,
    group: v.group,
    binding: v.binding,
    kind: bindingKind(v),
    minBytes: Math.max(fixed + runtimeStride, 4),
    runtimeStride,
  };
}

/** Reads the line/column diagnostics of a failed compilation (WGSL lines are 1-based). */
async function compileDiagnostics(
  module: GPUShaderModule,
  code: string,
): Promise<ShaderDiagnostic[]> {
  const info = await module.getCompilationInfo();
  const lines = code.split('\n');
  return info.messages
    .filter((m) => m.type === 'error')
    .map((m) => ({
      line: m.lineNum,
      column: m.linePos,
      message: m.message,
      sourceLine: lines[m.lineNum - 1] ?? '',
    }));
}

/** Evaluates @workgroup_size with the overrides actually used for this pipeline. */
function workgroupSizeOf(
  fn: FunctionInfo,
  reflect: WgslReflect,
  constants: Record<string, number>,
): [number, number, number] {
  const reflected = fn.workgroupSize ?? [1, 1, 1];
  const attribute = fn.attributes?.find((a) => a.name === 'workgroup_size');
  const args = attribute?.value;
  const exprs = Array.isArray(args) ? args : args ? [args] : [];
  const size: [number, number, number] = [reflected[0], reflected[1], reflected[2]];
  exprs.forEach((expr, i) => {
    if (typeof expr === 'string' && expr in constants && reflect.getOverrideInfo(expr)) {
      size[i] = constants[expr];
    }
  });
  return size;
}

/**
 * A compute pipeline built from reflected WGSL. Its bind group layout lists every buffer the
 * module declares (unlike layout: 'auto', which silently drops unused ones), and every bind and
 * dispatch is checked against the reflection and the device limits before WebGPU sees it.
 */
export class ComputeKernel {
  readonly name: string;
  readonly bindings: readonly ReflectedBinding[];
  readonly workgroupSize: readonly [number, number, number];
  private readonly device: GPUDevice;
  private readonly pipeline: GPUComputePipeline;
  private readonly layout: GPUBindGroupLayout;
  private readonly variables: ReadonlyMap<string, VariableInfo>;
  private readonly views = new Map<string, StructView>();

  constructor(
    device: GPUDevice,
    name: string,
    pipeline: GPUComputePipeline,
    layout: GPUBindGroupLayout,
    bindings: ReflectedBinding[],
    workgroupSize: [number, number, number],
    variables: readonly VariableInfo[],
  ) {
    this.device = device;
    this.name = name;
    this.pipeline = pipeline;
    this.layout = layout;
    this.bindings = bindings;
    this.workgroupSize = workgroupSize;
    this.variables = new Map(variables.map((v) => [v.name, v]));
  }

  /**
   * The struct view of a fixed-size binding (a uniform, or a small storage struct): the only way
   * its bytes are written (`pack`) or read back (`unpack`), by field name, as the WGSL lays it out.
   */
  struct(binding: string): StructView {
    let view = this.views.get(binding);
    if (!view) {
      const variable = this.variables.get(binding);
      if (!variable) {
        throw new BindingError(
          `${this.name}: no binding named '${binding}' (bindings: ${[...this.variables.keys()].join(', ')})`,
        );
      }
      view = structViewOf(this.name, variable);
      this.views.set(binding, view);
    }
    return view;
  }

  /** Makes a bind group from buffers given by binding *name*; sizes and usages are checked. */
  bind(resources: Record<string, BufferBinding>): GPUBindGroup {
    const limits = this.device.limits;
    for (const name of Object.keys(resources)) {
      if (!this.bindings.some((b) => b.name === name)) {
        throw new BindingError(
          `${this.name}: no binding named '${name}' (bindings: ${this.bindings.map((b) => b.name).join(', ')})`,
        );
      }
    }
    const entries = this.bindings.map((b): GPUBindGroupEntry => {
      const resource = resources[b.name];
      if (!resource) throw new BindingError(`${this.name}: binding '${b.name}' was not given`);
      const buffer = resource instanceof GPUBuffer ? resource : resource.buffer;
      const offset = resource instanceof GPUBuffer ? 0 : (resource.offset ?? 0);
      const size =
        resource instanceof GPUBuffer ? buffer.size : (resource.size ?? buffer.size - offset);
      const where = `${this.name}: binding '${b.name}' (@group(${b.group}) @binding(${b.binding}))`;
      const usage = b.kind === 'uniform' ? GPUBufferUsage.UNIFORM : GPUBufferUsage.STORAGE;
      if ((buffer.usage & usage) === 0) {
        throw new BindingError(
          `${where} needs a buffer with ${b.kind === 'uniform' ? 'UNIFORM' : 'STORAGE'} usage`,
        );
      }
      if (size < b.minBytes) {
        throw new BindingError(`${where} needs at least ${b.minBytes} bytes, got ${size}`);
      }
      if (b.runtimeStride > 0 && (size - (b.minBytes - b.runtimeStride)) % b.runtimeStride !== 0) {
        throw new BindingError(
          `${where}: size ${size} bytes is not a whole number of ${b.runtimeStride}-byte elements`,
        );
      }
      const max =
        b.kind === 'uniform'
          ? limits.maxUniformBufferBindingSize
          : limits.maxStorageBufferBindingSize;
      if (size > max) {
        throw new LimitError(
          `${where}: ${size} bytes exceeds the device limit of ${max} bytes per ${b.kind === 'uniform' ? 'uniform' : 'storage'} binding`,
        );
      }
      return { binding: b.binding, resource: { buffer, offset, size } };
    });
    return this.device.createBindGroup({ label: this.name, layout: this.layout, entries });
  }

  /** Number of workgroups needed to cover `invocations` along x. */
  workgroupsFor(invocations: number): number {
    return Math.ceil(invocations / this.workgroupSize[0]);
  }

  /**
   * Records `workgroups` workgroups folded into the device's dispatch grid (dispatchGrid): the
   * kernel numbers them y·num_workgroups.x + x and lets the surplus of the last row return.
   */
  dispatchFolded(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, workgroups: number): void {
    this.dispatch(pass, bindGroup, ...dispatchGrid(workgroups, this.device.limits));
  }

  /** Records one dispatch into an open compute pass; workgroup counts are checked first. */
  dispatch(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, x: number, y = 1, z = 1): void {
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    for (const [axis, count] of [
      ['x', x],
      ['y', y],
      ['z', z],
    ] as const) {
      if (!Number.isInteger(count) || count < 0 || count > max) {
        throw new LimitError(
          `${this.name}: ${count} workgroups along ${axis} (limit ${max} per dimension)`,
        );
      }
    }
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
  }
}

/** Compiles a WGSL file into a ComputeKernel, reporting WGSL line numbers on failure. */
export async function createKernel(
  device: GPUDevice,
  source: ShaderSource,
  options: KernelOptions = {},
): Promise<ComputeKernel> {
  const reflect = new WgslReflect(source.code);
  const computeEntries = reflect.entry.compute;
  const fn = options.entryPoint
    ? computeEntries.find((f) => f.name === options.entryPoint)
    : computeEntries.length === 1
      ? computeEntries[0]
      : undefined;
  if (!fn) {
    throw new BindingError(
      `${source.name}: entry point ${options.entryPoint ?? '(default)'} not found among ` +
        `[${computeEntries.map((f) => f.name).join(', ')}]; name one with entryPoint`,
    );
  }
  const groups = reflect.getBindGroups();
  if (groups.length > 1) {
    throw new BindingError(`${source.name}: kernels use @group(0) only`);
  }
  const variables = (groups[0] ?? []).filter((v) => v !== undefined);
  const bindings = variables.map(reflectBinding);
  const constants = options.constants ?? {};
  const kernelName = `${source.name}:${fn.name}`;

  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: source.name, code: source.code });
  const moduleError = await device.popErrorScope();
  const diagnostics = await compileDiagnostics(module, source.code);
  if (diagnostics.length > 0) throw new ShaderCompileError(source.name, diagnostics);
  if (moduleError)
    throw new ShaderCompileError(source.name, [
      { line: 0, column: 0, message: moduleError.message, sourceLine: '' },
    ]);

  const layout = device.createBindGroupLayout({
    label: kernelName,
    entries: bindings.map((b) => ({
      binding: b.binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: b.kind },
    })),
  });
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await device.createComputePipelineAsync({
      label: kernelName,
      layout: device.createPipelineLayout({ label: kernelName, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: fn.name, constants },
    });
  } catch (error) {
    throw new ShaderCompileError(source.name, [
      {
        line: fn.startLine,
        column: 0,
        message: `pipeline creation failed: ${String(error)}`,
        sourceLine: '',
      },
    ]);
  }
  return new ComputeKernel(
    device,
    kernelName,
    pipeline,
    layout,
    bindings,
    workgroupSizeOf(fn, reflect, constants),
    variables,
  );
}
