// cotangentDot.wgsl: per-point terms of a directional derivative from a cotangent and a tangent,
//   terms[p] = Σ_{e < valuesPerPoint} cotangent[p·E + e]·tangent[p·E + e],   E = valuesPerPoint,
// e.g. ∂L/∂u[p, v] (pinnResidual.wgsl) against u̇[p, v] (jetForwardTangent.wgsl), so that the
// deterministic sum of the terms (reduce.wgsl) is ∇_θL·v. Each point's sum runs in a fixed order.
//
// Bindings (@group(0)):
//   0 params    : uniform { points, valuesPerPoint }
//   1 cotangent : storage, read        points·E values
//   2 tangent   : storage, read        points·E values
//   3 terms     : storage, read_write  points values
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl.
// Workgroup: (WORKGROUP_SIZE, 1, 1), one invocation per point (lib/grid.wgsl: WORKGROUP_SIZE,
// default 64, and invocationIndex); dispatch x·y workgroups,
// p = id.x + id.y·num_workgroups.x·WORKGROUP_SIZE.

struct Params {
  points: u32,
  valuesPerPoint: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cotangent: array<f32>;
@group(0) @binding(2) var<storage, read> tangent: array<f32>;
@group(0) @binding(3) var<storage, read_write> terms: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn pointTerms(grid: GridInvocation) {
  let p = invocationIndex(grid);
  if (p >= params.points) {
    return;
  }
  let E = params.valuesPerPoint;
  var sum = 0.0;
  for (var e = 0u; e < E; e++) {
    sum += cotangent[p * E + e] * tangent[p * E + e];
  }
  terms[p] = sum;
}
