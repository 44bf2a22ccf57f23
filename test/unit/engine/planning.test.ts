/**
 * The plans' shared pieces: a uniform's fields are checked against the WGSL in the plan (on the
 * CPU, before anything is compiled), and a uniform ring takes one aligned slot per step.
 */
import { describe, expect, it } from 'vitest';
import { BindingError } from '../../../src/gpu/errors.ts';
import { plannedView, planUniform } from '../../../src/engine/planning.ts';
import { planUniformRing } from '../../../src/gpu/dispatch.ts';

const source = {
  name: 'params.wgsl',
  code: `struct Params { points: u32, scale: f32, }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(1) fn main() { out[0] = params.scale * f32(params.points); }`,
};

describe('planUniform', () => {
  it('sizes the uniform from the reflected struct and keeps the values for the build', () => {
    const planned = planUniform('test params', plannedView(source, 'params'), {
      points: 3,
      scale: 0.5,
    });
    expect(planned.buffer).toEqual({ label: 'test params', bytes: 8, role: 'uniform' });
    expect(planned.values).toEqual({ points: 3, scale: 0.5 });
  });

  it('refuses a field the WGSL lacks, naming the file, struct and field', () => {
    const view = plannedView(source, 'params');
    expect(() => planUniform('test params', view, { points: 3, scales: 0.5 })).toThrow(
      BindingError,
    );
    expect(() => planUniform('test params', view, { points: 3, scales: 0.5 })).toThrow(
      /params\.wgsl params: struct Params, field 'Params\.scales'/,
    );
  });

  it('reflects each file and binding once', () => {
    expect(plannedView(source, 'params')).toBe(plannedView([source], 'params'));
  });
});

describe('planUniformRing', () => {
  it('gives every slot a whole multiple of the uniform offset alignment', () => {
    const view = plannedView(source, 'params');
    const ring = planUniformRing('ring', view, 3, { minUniformBufferOffsetAlignment: 256 });
    expect(ring).toEqual({ label: 'ring', bytes: 768, role: 'uniform' });
    expect(() =>
      planUniformRing('ring', view, 0, { minUniformBufferOffsetAlignment: 256 }),
    ).toThrow(/ring: uniformSlots must be a positive integer, got 0/);
  });
});
