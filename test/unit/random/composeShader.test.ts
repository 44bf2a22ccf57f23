import { describe, expect, it } from 'vitest';
import { composeShader } from '../../../src/gpu/composeShader.ts';

describe('composeShader', () => {
  it('concatenates files on fresh lines and maps composed lines back to file lines', () => {
    const shader = composeShader([
      { name: 'lib.wgsl', code: 'fn a() {}\nfn b() {}\n' },
      { name: 'no-newline.wgsl', code: 'const c = 1;' },
      { name: 'kernel.wgsl', code: '\n// kernel\nfn main() {}\n' },
    ]);
    expect(shader.name).toBe('lib.wgsl + no-newline.wgsl + kernel.wgsl');
    expect(shader.code).toBe('fn a() {}\nfn b() {}\nconst c = 1;\n\n// kernel\nfn main() {}\n');
    const lines = shader.code.split('\n');
    expect(lines[5 - 1]).toBe('// kernel');
    expect(shader.locate(1)).toEqual({ file: 'lib.wgsl', line: 1 });
    expect(shader.locate(2)).toEqual({ file: 'lib.wgsl', line: 2 });
    expect(shader.locate(3)).toEqual({ file: 'no-newline.wgsl', line: 1 });
    expect(shader.locate(5)).toEqual({ file: 'kernel.wgsl', line: 2 });
    expect(shader.locate(6)).toEqual({ file: 'kernel.wgsl', line: 3 });
    expect(shader.locate(0)).toEqual({ file: shader.name, line: 0 });
  });

  it('refuses an empty list', () => {
    expect(() => composeShader([])).toThrow(RangeError);
  });
});
