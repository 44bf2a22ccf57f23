/**
 * Typed, readable errors for everything the GPU layer can refuse. Callers (trainer, dashboard,
 * CLI) switch on `kind` instead of parsing messages.
 */
export type GpuErrorKind =
  | 'unavailable'
  | 'device-lost'
  | 'validation'
  | 'out-of-memory'
  | 'internal'
  | 'shader-compile'
  | 'binding'
  | 'limits';

export class GpuError extends Error {
  readonly kind: GpuErrorKind;
  constructor(kind: GpuErrorKind, message: string) {
    super(message);
    this.name = 'GpuError';
    this.kind = kind;
  }
}

/** No WebGPU implementation or no adapter: the message says what to install or enable. */
export class GpuUnavailableError extends GpuError {
  constructor(message: string) {
    super('unavailable', message);
    this.name = 'GpuUnavailableError';
  }
}

export class GpuDeviceLostError extends GpuError {
  readonly reason: string;
  constructor(reason: string, detail: string) {
    super('device-lost', `The GPU device was lost (${reason})${detail ? `: ${detail}` : ''}.`);
    this.name = 'GpuDeviceLostError';
    this.reason = reason;
  }
}

/** An error WebGPU raised asynchronously (validation, out-of-memory, internal). */
export class GpuRuntimeError extends GpuError {
  constructor(kind: 'validation' | 'out-of-memory' | 'internal', message: string) {
    super(kind, `WebGPU ${kind} error: ${message}`);
    this.name = 'GpuRuntimeError';
  }
}

export interface ShaderDiagnostic {
  line: number;
  column: number;
  message: string;
  sourceLine: string;
}

export class ShaderCompileError extends GpuError {
  readonly shader: string;
  readonly diagnostics: ShaderDiagnostic[];
  constructor(shader: string, diagnostics: ShaderDiagnostic[]) {
    const lines = diagnostics.map(
      (d) => `  ${shader}:${d.line}:${d.column}: ${d.message}\n    ${d.sourceLine.trim()}`,
    );
    super('shader-compile', `WGSL compilation failed in ${shader}:\n${lines.join('\n')}`);
    this.name = 'ShaderCompileError';
    this.shader = shader;
    this.diagnostics = diagnostics;
  }
}

/** A buffer does not fit a reflected binding, or a binding is missing. */
export class BindingError extends GpuError {
  constructor(message: string) {
    super('binding', message);
    this.name = 'BindingError';
  }
}

/** A request exceeds a device limit (buffer size, workgroups, ...). Raised before allocating. */
export class LimitError extends GpuError {
  constructor(message: string) {
    super('limits', message);
    this.name = 'LimitError';
  }
}
