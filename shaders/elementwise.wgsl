// elementwise.wgsl: y ← a·x + y over n floats (SAXPY).
//
// The first kernel dispatched through the device layer; the GPU test checks it against float64
// arithmetic, so CI exercises shader loading, reflection, binding checks and readback.
//
// Bindings (@group(0)):
//   0 params : uniform { n: u32, a: f32 }  element count and scale
//   1 x      : storage, read        array<f32>, at least n elements
//   2 y      : storage, read_write  array<f32>, at least n elements, updated in place
// Workgroup: (WORKGROUP_SIZE, 1, 1), one invocation per element; override WORKGROUP_SIZE (default 64).
// Dispatch: ceil(n / WORKGROUP_SIZE) workgroups along x.

struct Params {
  n: u32,
  a: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn saxpy(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i < params.n) {
    y[i] = params.a * x[i] + y[i];
  }
}
