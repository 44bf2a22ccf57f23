/**
 * WGSL has no #include: a kernel that uses a function library (shaders/lib/random.wgsl) is compiled
 * from the concatenation of the files. This module builds that concatenation and keeps the line
 * map, so a compile error points at the file and line a person edits, not at line 212 of a text
 * that exists nowhere on disk.
 */
import { ShaderCompileError, type ShaderDiagnostic } from './errors.ts';
import {
  createKernel,
  type ComputeKernel,
  type KernelOptions,
  type ShaderSource,
} from './kernel.ts';

/** A line of one of the composed files. */
export interface SourceLocation {
  file: string;
  line: number;
}

export interface ComposedShader extends ShaderSource {
  /** The files in order, each with the composed line its first line landed on (1-based). */
  readonly parts: readonly { name: string; firstLine: number; lines: number }[];
  /** Where line `line` (1-based) of the composed code came from; line 0 (unknown) stays 0. */
  locate(line: number): SourceLocation;
}

/** A line count that treats a missing final newline as if it were there. */
function lineCount(code: string): number {
  const newlines = code.split('\n').length - 1;
  return code.endsWith('\n') ? newlines : newlines + 1;
}

/**
 * Concatenates WGSL files in order (libraries first). Each file ends with a newline in the
 * result, so every file starts on a fresh line and the map is exact.
 */
export function composeShader(parts: readonly ShaderSource[]): ComposedShader {
  if (parts.length === 0) throw new RangeError('composeShader needs at least one file');
  const map: { name: string; firstLine: number; lines: number }[] = [];
  let firstLine = 1;
  for (const part of parts) {
    const lines = lineCount(part.code);
    map.push({ name: part.name, firstLine, lines });
    firstLine += lines;
  }
  const code = parts.map((p) => (p.code.endsWith('\n') ? p.code : `${p.code}\n`)).join('');
  const name = parts.map((p) => p.name).join(' + ');
  return {
    name,
    code,
    parts: map,
    locate(line: number): SourceLocation {
      const part = map.find((p) => line >= p.firstLine && line < p.firstLine + p.lines);
      return part ? { file: part.name, line: line - part.firstLine + 1 } : { file: name, line };
    },
  };
}

export interface LocatedDiagnostic extends ShaderDiagnostic {
  /** The file the line number refers to. */
  file: string;
}

/** A compile error of a composed shader, each diagnostic mapped back to its own file and line. */
export class ComposedShaderCompileError extends ShaderCompileError {
  declare readonly diagnostics: LocatedDiagnostic[];

  constructor(shader: string, diagnostics: LocatedDiagnostic[]) {
    super(shader, diagnostics);
    this.name = 'ComposedShaderCompileError';
    // The base message prefixes every line with the composed name; name each line's own file.
    const lines = diagnostics.map(
      (d) => `  ${d.file}:${d.line}:${d.column}: ${d.message}\n    ${d.sourceLine.trim()}`,
    );
    this.message = `WGSL compilation failed in ${shader}:\n${lines.join('\n')}`;
  }
}

/** wgsl_reflect reports a parse error as "… Line: N" in the composed text. */
const REFLECTION_LINE = /Line: (\d+)/;

/**
 * createKernel for a concatenation of files: bindings and entry points are reflected from the
 * whole text. A ShaderCompileError, and a reflection parse error (which names a line of the
 * composed text), come back as a ComposedShaderCompileError with file-relative line numbers.
 */
export async function createComposedKernel(
  device: GPUDevice,
  parts: readonly ShaderSource[],
  options: KernelOptions = {},
): Promise<ComputeKernel> {
  const shader = composeShader(parts);
  const lines = shader.code.split('\n');
  const located = (d: ShaderDiagnostic): LocatedDiagnostic => ({ ...d, ...shader.locate(d.line) });
  try {
    return await createKernel(device, shader, options);
  } catch (error) {
    if (error instanceof ShaderCompileError) {
      throw new ComposedShaderCompileError(shader.name, error.diagnostics.map(located));
    }
    const line = error instanceof Error ? REFLECTION_LINE.exec(error.message) : null;
    if (!line) throw error;
    const composedLine = Number(line[1]);
    throw new ComposedShaderCompileError(shader.name, [
      located({
        line: composedLine,
        column: 0,
        message: `WGSL reflection failed: ${(error as Error).message}`,
        sourceLine: lines[composedLine - 1] ?? '',
      }),
    ]);
  }
}
