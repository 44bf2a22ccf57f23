/**
 * Uniform (and other small struct) buffers written and read by field *name*, with offsets,
 * alignment and padding taken from the WGSL through wgsl_reflect, never from the host. If a
 * field is reordered, added or retyped in a `.wgsl` file the bytes follow the WGSL, and a host
 * that names a field the struct lacks, forgets one, or gives a value of the wrong kind is told
 * which kernel, struct and field, instead of a kernel computing with shifted numbers.
 *
 * Supported member types are what the kernels use: u32, i32 and f32 scalars, vectors of them,
 * fixed-size arrays of scalars or vectors, and nested structs. A fixed-size array is a capacity:
 * it may be given fewer elements than its count, and the rest is written as zeros.
 */
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { MemberInfo, TypeInfo, VariableInfo } from 'wgsl_reflect';
import { BindingError, ShaderCompileError } from './errors.ts';

export type ScalarType = 'u32' | 'i32' | 'f32';

/** A value for one field: a number, a vector or array of numbers, an array of vectors, a struct. */
export type FieldValue = number | readonly number[] | readonly (readonly number[])[] | StructValue;
export interface StructValue {
  readonly [field: string]: FieldValue;
}

/** How one reflected type is laid out in bytes. */
export type FieldLayout =
  | { kind: 'scalar'; scalar: ScalarType }
  | { kind: 'vector'; scalar: ScalarType; components: number }
  | { kind: 'array'; element: FieldLayout; count: number; stride: number; elementBytes: number }
  | { kind: 'struct'; name: string; members: readonly MemberLayout[] };

export interface MemberLayout {
  name: string;
  offset: number;
  layout: FieldLayout;
}

const SCALARS = new Set<string>(['u32', 'i32', 'f32']);
/** WGSL's predeclared vector aliases (vec4f, vec2u, …). */
const VECTOR_ALIAS = /^vec([234])([fiu])$/;
const ALIAS_SCALAR: Record<string, ScalarType> = { f: 'f32', i: 'i32', u: 'u32' };

function layoutOf(type: TypeInfo, where: string): FieldLayout {
  if (SCALARS.has(type.name)) return { kind: 'scalar', scalar: type.name as ScalarType };
  const alias = VECTOR_ALIAS.exec(type.name);
  if (alias) {
    return { kind: 'vector', scalar: ALIAS_SCALAR[alias[2]], components: Number(alias[1]) };
  }
  const format = (type as { format?: TypeInfo | null }).format ?? null;
  if (/^vec[234]$/.test(type.name) && format && SCALARS.has(format.name)) {
    return {
      kind: 'vector',
      scalar: format.name as ScalarType,
      components: Number(type.name.slice(3)),
    };
  }
  if (type.isArray && format) {
    const { count, stride } = type as unknown as { count: number; stride: number };
    if (!count) throw new BindingError(`${where}: a runtime-sized array has no struct view`);
    return {
      kind: 'array',
      element: layoutOf(format, `${where}[]`),
      count,
      stride,
      elementBytes: format.size,
    };
  }
  if (type.isStruct) {
    const members = (type as unknown as { members: MemberInfo[] }).members;
    return {
      kind: 'struct',
      name: type.name,
      members: members.map((m) => ({
        name: m.name,
        offset: m.offset,
        layout: layoutOf(m.type, `${where}.${m.name}`),
      })),
    };
  }
  throw new BindingError(`${where}: type ${type.getTypeName()} has no struct view`);
}

/** Padding members (named `_…` or `pad…`) may be left out; they are written as 0. */
function isPadding(name: string): boolean {
  return name.startsWith('_') || /^pad\d*$/i.test(name);
}

/**
 * The byte layout of one buffer binding of a WGSL module, and the only way hosts fill or read
 * such a buffer: `pack({ points, dimension })` or `write(buffers, buffer, values)`.
 */
export class StructView {
  /** Bytes of the binding's type (a whole number of its alignment, as WGSL sizes structs). */
  readonly size: number;

  constructor(
    /** Kernel (or file) and binding, e.g. "jetForward.wgsl:main params", for messages. */
    readonly owner: string,
    /** The WGSL type name, e.g. "LayerParams". */
    readonly typeName: string,
    readonly layout: FieldLayout,
    size: number,
  ) {
    this.size = size;
  }

  /** Field names in the WGSL's order (top-level members of a struct; empty for an array). */
  get fields(): string[] {
    return this.layout.kind === 'struct' ? this.layout.members.map((m) => m.name) : [];
  }

  /** Byte offset of a top-level field. */
  offsetOf(field: string): number {
    const member =
      this.layout.kind === 'struct' ? this.layout.members.find((m) => m.name === field) : undefined;
    if (!member) throw this.error(field, 'no such field');
    return member.offset;
  }

  /** The struct's bytes for `values`: every non-padding field must be given, and nothing else. */
  pack(values: FieldValue): Uint8Array<ArrayBuffer> {
    const bytes = new ArrayBuffer(this.size);
    this.encode(new DataView(bytes), 0, this.layout, values, this.typeName);
    return new Uint8Array(bytes);
  }

  /** Decodes the struct from bytes read back (a struct of numbers, arrays and nested structs). */
  unpack(bytes: ArrayBufferView | ArrayBuffer): FieldValue {
    const view =
      bytes instanceof ArrayBuffer
        ? new DataView(bytes)
        : new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.byteLength < this.size) {
      throw new BindingError(
        `${this.owner}: ${this.typeName} needs ${this.size} bytes to decode, got ${view.byteLength}`,
      );
    }
    return this.decode(view, 0, this.layout);
  }

  private error(path: string, problem: string): BindingError {
    return new BindingError(`${this.owner}: struct ${this.typeName}, field '${path}': ${problem}`);
  }

  private encode(
    view: DataView,
    offset: number,
    layout: FieldLayout,
    value: FieldValue | undefined,
    path: string,
  ): void {
    switch (layout.kind) {
      case 'scalar':
        return this.encodeScalar(view, offset, layout.scalar, value, path);
      case 'vector': {
        if (!Array.isArray(value) || value.length !== layout.components) {
          throw this.error(path, `expected ${layout.components} numbers, got ${describe(value)}`);
        }
        value.forEach((v: FieldValue, i: number) =>
          this.encodeScalar(view, offset + 4 * i, layout.scalar, v, `${path}[${i}]`),
        );
        return;
      }
      case 'array': {
        if (!Array.isArray(value) || value.length > layout.count) {
          throw this.error(
            path,
            `expected at most ${layout.count} elements, got ${describe(value)}`,
          );
        }
        value.forEach((v: FieldValue, i: number) =>
          this.encode(view, offset + i * layout.stride, layout.element, v, `${path}[${i}]`),
        );
        return;
      }
      case 'struct':
        return this.encodeStruct(view, offset, layout, value, path);
    }
  }

  private encodeStruct(
    view: DataView,
    offset: number,
    layout: Extract<FieldLayout, { kind: 'struct' }>,
    value: FieldValue | undefined,
    path: string,
  ): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.error(path, `expected a struct ${layout.name}, got ${describe(value)}`);
    }
    const fields = value as StructValue;
    const known = new Set(layout.members.map((m) => m.name));
    for (const name of Object.keys(fields)) {
      if (!known.has(name)) {
        throw this.error(
          `${path}.${name}`,
          `${layout.name} has no such field (fields: ${[...known].join(', ')})`,
        );
      }
    }
    for (const member of layout.members) {
      const given = Object.hasOwn(fields, member.name) ? fields[member.name] : undefined;
      if (given === undefined) {
        if (isPadding(member.name)) continue;
        throw this.error(`${path}.${member.name}`, 'missing');
      }
      this.encode(view, offset + member.offset, member.layout, given, `${path}.${member.name}`);
    }
  }

  private encodeScalar(
    view: DataView,
    offset: number,
    scalar: ScalarType,
    value: FieldValue | undefined,
    path: string,
  ): void {
    if (typeof value !== 'number') {
      throw this.error(path, `expected a number (${scalar}), got ${describe(value)}`);
    }
    if (scalar === 'f32') {
      view.setFloat32(offset, value, true);
      return;
    }
    const [min, max] = scalar === 'u32' ? [0, 2 ** 32 - 1] : [-(2 ** 31), 2 ** 31 - 1];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw this.error(path, `${value} is not a ${scalar}`);
    }
    if (scalar === 'u32') view.setUint32(offset, value, true);
    else view.setInt32(offset, value, true);
  }

  private decode(view: DataView, offset: number, layout: FieldLayout): FieldValue {
    switch (layout.kind) {
      case 'scalar':
        return decodeScalar(view, offset, layout.scalar);
      case 'vector':
        return Array.from({ length: layout.components }, (_, i) =>
          decodeScalar(view, offset + 4 * i, layout.scalar),
        );
      case 'array':
        return Array.from(
          { length: layout.count },
          (_, i) => this.decode(view, offset + i * layout.stride, layout.element) as number,
        );
      case 'struct':
        return Object.fromEntries(
          layout.members.map((m) => [m.name, this.decode(view, offset + m.offset, m.layout)]),
        );
    }
  }
}

function decodeScalar(view: DataView, offset: number, scalar: ScalarType): number {
  if (scalar === 'f32') return view.getFloat32(offset, true);
  return scalar === 'u32' ? view.getUint32(offset, true) : view.getInt32(offset, true);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}

/** The struct view of a reflected buffer binding (fixed-size types only). */
export function structViewOf(owner: string, variable: VariableInfo): StructView {
  const where = `${owner} ${variable.name}`;
  return new StructView(
    where,
    variable.type.getTypeName(),
    layoutOf(variable.type, where),
    variable.type.size,
  );
}

/**
 * Parses WGSL for reflection. A text the parser refuses is a broken shader, reported as one: plans
 * reflect their uniforms from WGSL, and the memory check must not read such a failure as a run too
 * large for its kernels.
 */
function parseWgsl(source: { name: string; code: string }): WgslReflect {
  try {
    return new WgslReflect(source.code);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ShaderCompileError(source.name, [{ line: 0, column: 0, message, sourceLine: '' }]);
  }
}

/**
 * The view of binding `binding` in WGSL `code` without a device, for plans, CPU tests and
 * decoding buffers read back. A kernel's own views come from `ComputeKernel.struct()`.
 */
export function reflectStructView(
  source: { name: string; code: string },
  binding: string,
): StructView {
  const variable = parseWgsl(source)
    .getBindGroups()
    .flat()
    .find((v) => v?.name === binding);
  if (!variable) throw new BindingError(`${source.name}: no binding named '${binding}'`);
  return structViewOf(source.name, variable);
}
