import { describe, expect, it } from 'vitest';
import { dispatchGrid } from '../../../src/gpu/dispatch.ts';
import { BindingError, ShaderCompileError } from '../../../src/gpu/errors.ts';
import { reflectStructView } from '../../../src/gpu/structView.ts';

const kernel = (structBody: string) => ({
  name: 'test.wgsl',
  code: `struct Params {\n${structBody}\n}
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(1) fn main() { out[0] = f32(params.points); }`,
});

function words(bytes: Uint8Array): number[] {
  return [...new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)];
}

describe('StructView', () => {
  it('writes each field at the offset the WGSL gives it, whatever the order of the values', () => {
    const view = reflectStructView(kernel('points: u32, dimension: u32, law: u32,'), 'params');
    expect(view.size).toBe(12);
    expect(words(view.pack({ law: 7, points: 3, dimension: 5 }))).toEqual([3, 5, 7]);
  });

  it('reports WGSL the parser refuses as a broken shader, naming it', () => {
    const broken = { name: 'broken.wgsl', code: kernel('points: u32,').code.replace(')', '') };
    expect(() => reflectStructView(broken, 'params')).toThrow(ShaderCompileError);
    expect(() => reflectStructView(broken, 'params')).toThrow(/broken\.wgsl/);
  });

  it('follows a reordered struct field in the WGSL', () => {
    const before = reflectStructView(kernel('points: u32, dimension: u32, law: u32,'), 'params');
    const after = reflectStructView(kernel('law: u32, points: u32, dimension: u32,'), 'params');
    const values = { points: 3, dimension: 5, law: 7 };
    expect(words(before.pack(values))).toEqual([3, 5, 7]);
    expect(words(after.pack(values))).toEqual([7, 3, 5]);
    expect(after.offsetOf('law')).toBe(0);
    expect(before.offsetOf('law')).toBe(8);
  });

  it('applies WGSL alignment: a vec4 starts on 16 bytes, the struct rounds to its alignment', () => {
    const view = reflectStructView(kernel('points: u32, scale: f32, axis: vec4<f32>,'), 'params');
    expect(view.offsetOf('axis')).toBe(16);
    expect(view.size).toBe(32);
    const bytes = view.pack({ points: 1, scale: 0.1, axis: [1, 2, 3, 4] });
    const floats = new Float32Array(bytes.buffer);
    expect(floats[1]).toBe(Math.fround(0.1));
    expect([...floats.slice(4, 8)]).toEqual([1, 2, 3, 4]);
    expect(words(bytes)[2]).toBe(0); // padding stays zero
  });

  it('refuses an unknown field with the kernel, struct and field named', () => {
    const view = reflectStructView(kernel('points: u32, dimension: u32,'), 'params');
    expect(() => view.pack({ points: 1, dimension: 2, dimensions: 3 })).toThrow(BindingError);
    expect(() => view.pack({ points: 1, dimension: 2, dimensions: 3 })).toThrow(
      /test\.wgsl params: struct Params, field 'Params\.dimensions': Params has no such field/,
    );
  });

  it('refuses a missing field, but lets padding members default to zero', () => {
    const view = reflectStructView(kernel('points: u32, dimension: u32, _pad: u32,'), 'params');
    expect(() => view.pack({ points: 1 })).toThrow(/field 'Params\.dimension': missing/);
    expect(words(view.pack({ points: 1, dimension: 2 }))).toEqual([1, 2, 0]);
  });

  it('refuses ill-typed values: fractions, negatives and overflow for u32, arrays for scalars', () => {
    const view = reflectStructView(kernel('points: u32, offset: i32, scale: f32,'), 'params');
    const ok = { points: 1, offset: -2, scale: 0.5 };
    expect(() => view.pack({ ...ok, points: 1.5 })).toThrow(/'Params\.points': 1\.5 is not a u32/);
    expect(() => view.pack({ ...ok, points: -1 })).toThrow(/is not a u32/);
    expect(() => view.pack({ ...ok, points: 2 ** 32 })).toThrow(/is not a u32/);
    expect(() => view.pack({ ...ok, offset: 2 ** 31 })).toThrow(/is not a i32/);
    expect(() => view.pack({ ...ok, scale: [1] })).toThrow(/expected a number \(f32\)/);
    expect(new Int32Array(view.pack(ok).buffer)[1]).toBe(-2);
  });

  it('reads a fixed array of vectors (a uniform array binding) and decodes what it wrote', () => {
    const code = `const MAX: u32 = 3u;
@group(0) @binding(0) var<uniform> layers: array<vec4<u32>, MAX>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(1) fn main() { out[0] = layers[0].x; }`;
    const view = reflectStructView({ name: 'layers.wgsl', code }, 'layers');
    expect(view.size).toBe(48);
    const bytes = view.pack([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    expect(words(bytes)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]);
    expect(view.unpack(bytes)).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [0, 0, 0, 0],
    ]);
    expect(() => view.pack([[1, 2, 3, 4], [], [], []])).toThrow(/at most 3 elements/);
  });

  it('names the binding when it does not exist', () => {
    expect(() => reflectStructView(kernel('points: u32,'), 'param')).toThrow(
      /test\.wgsl: no binding named 'param'/,
    );
  });
});

describe('dispatchGrid', () => {
  const limits = { maxComputeWorkgroupsPerDimension: 65535 };
  it('uses one dimension while it suffices and folds into y past the device limit', () => {
    expect(dispatchGrid(1, limits)).toEqual([1, 1, 1]);
    expect(dispatchGrid(65535, limits)).toEqual([65535, 1, 1]);
    expect(dispatchGrid(65536, limits)).toEqual([65535, 2, 1]);
    expect(dispatchGrid(500_000, limits)).toEqual([65535, 8, 1]);
    expect(dispatchGrid(10, { maxComputeWorkgroupsPerDimension: 4 })).toEqual([4, 3, 1]);
  });
  it('refuses more workgroups than the square grid holds', () => {
    expect(() => dispatchGrid(17, { maxComputeWorkgroupsPerDimension: 4 })).toThrow(/4×4/);
  });
});
