// samplers.wgsl: collocation points drawn on the GPU for one (seed, step). Composes
// (src/gpu/composeShader.ts, in front of this file): lib/random.wgsl (Philox), lib/grid.wgsl. The
// CPU mirror is src/random/pointSamplers.ts.
//
// Entry points:
//   ball       points in the unit ball B^d, N·d floats, point p at p·d. Direction z/‖z‖ with
//              z_i = normalAt(seed, stream; step, p, 0, i) (the Gaussian is rotation invariant, so
//              the direction is uniform on the sphere), radius from u = uniformAt(…; step, p, 1, 0):
//                law 0, volume-uniform: r = (1 − u)^(1/d), so P(r ≤ s) = s^d, the volume fraction
//                law 1, radius-uniform: r = u, |x| ~ U[0, 1) (the STDE code's sampler, which puts
//                       more points near the centre than volume-uniform sampling does)
//              One workgroup per point: the invocations stride over the coordinates, the squared
//              norm is summed in a fixed tree (deterministic), then the normals are regenerated
//              rather than stored and scaled. If every z_i is 0 (probability ≤ 2^-24) the point
//              is (r, 0, …, 0).
//   parabolic  (x, t) points for the terminal-value parabolic PDEs, N·(d+1) floats, point p at
//              p·(d+1), t last: t = horizon·uniformAt(…; step, p, 1, 0) (law 0, interior) or
//              t = horizon (law 1, terminal); x_i = sqrt(2t)·normalAt(…; step, p, 0, i), i.e.
//              x ~ N(0, 2t·I). One invocation per output float.
//   box        points of a box Π_i [boxLow_i, boxHigh_i] (at most 4 variables), N·width floats,
//              point p at p·width: x_i = boxLow_i + (boxHigh_i − boxLow_i)·uniformAt(…; step, p, 0, i).
//              Points p ≥ interior are data points, put on a face of the box: face
//              f = (p − interior) mod faces; face 0 is the initial face, x_timeIndex = boxLow;
//              face f ≥ 1 is the spatial variable s = (f − 1)/2 (the variables other than
//              timeIndex, in order) at its low (f odd) or high (f even) end. Data points cycle
//              through the faces, so each face gets (N − interior)/faces of them. One invocation
//              per output float.
// The step is read from stepCounter[0], so a trainer can keep it on the GPU.
//
// Bindings (@group(0)):
//   0 params      : uniform Params below
//   1 stepCounter : storage, read        array<u32>, word 0 = step
//   2 points      : storage, read_write  array<f32>, N·d (ball) or N·(d+1) (parabolic)
// Workgroup: (WORKGROUP_SIZE, 1, 1), WORKGROUP_SIZE (lib/grid.wgsl) a power of two (default 64).
// Dispatch: ball: N workgroups; parabolic, box: ceil(N·width / WORKGROUP_SIZE). Laid out in x and y when
//   there are more than 65 535 (lib/grid.wgsl workgroupIndex and invocationIndex; surplus ones
//   return).

struct Params {
  seed: u32,
  stream: u32,
  points: u32,
  dimension: u32,
  law: u32,
  horizon: f32,
  // box only (the other entries leave them 0): the box, and which points lie on faces.
  interior: u32,
  faces: u32,
  timeIndex: u32,
  boxLow: vec4f,
  boxHigh: vec4f,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> stepCounter: array<u32>;
@group(0) @binding(2) var<storage, read_write> points: array<f32>;

var<workgroup> partialSquares: array<f32, WORKGROUP_SIZE>;

fn key() -> vec2<u32> {
  return vec2<u32>(params.seed, params.stream);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn ball(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let p = workgroupIndex(grid);
  // Workgroup-uniform: a surplus workgroup of a 2-D grid leaves before any barrier.
  if (p >= params.points) {
    return;
  }
  let d = params.dimension;
  let trainStep = stepCounter[0];
  // The loop bound is the same for every invocation, so the barriers below stay in uniform
  // control flow.
  var squares = 0.0;
  for (var base = 0u; base < d; base += WORKGROUP_SIZE) {
    let i = base + lid;
    if (i < d) {
      let z = normalAt(key(), trainStep, p, 0u, i);
      squares += z * z;
    }
  }
  partialSquares[lid] = squares;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partialSquares[lid] += partialSquares[lid + stride];
    }
    workgroupBarrier();
  }
  let normSquared = partialSquares[0];

  let u = uniformAt(key(), trainStep, p, 1u, 0u);
  let radius = select(u, pow(1.0 - u, 1.0 / f32(d)), params.law == 0u);
  // The max keeps the unused branch of select finite (WGSL may assume no infinities).
  let scale = select(0.0, radius / sqrt(max(normSquared, 1e-30)), normSquared > 0.0);
  for (var base = 0u; base < d; base += WORKGROUP_SIZE) {
    let i = base + lid;
    if (i < d) {
      let degenerate = select(0.0, radius, i == 0u && normSquared == 0.0);
      points[p * d + i] = scale * normalAt(key(), trainStep, p, 0u, i) + degenerate;
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn parabolic(grid: GridInvocation) {
  let element = invocationIndex(grid);
  let width = params.dimension + 1u;
  if (element >= params.points * width) {
    return;
  }
  let p = element / width;
  let i = element % width;
  let trainStep = stepCounter[0];
  let t = select(params.horizon * uniformAt(key(), trainStep, p, 1u, 0u), params.horizon, params.law == 1u);
  if (i == params.dimension) {
    points[element] = t;
  } else {
    points[element] = sqrt(2.0 * t) * normalAt(key(), trainStep, p, 0u, i);
  }
}

/** The variable a box face fixes and the value it fixes it to (see the header). */
fn boxFace(face: u32) -> vec2f {
  if (face == 0u) {
    return vec2f(f32(params.timeIndex), params.boxLow[params.timeIndex]);
  }
  let s = (face - 1u) / 2u;
  let variable = select(s, s + 1u, s >= params.timeIndex);
  let bound = select(params.boxHigh[variable], params.boxLow[variable], (face - 1u) % 2u == 0u);
  return vec2f(f32(variable), bound);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn box(grid: GridInvocation) {
  let element = invocationIndex(grid);
  let width = params.dimension;
  if (element >= params.points * width) {
    return;
  }
  let p = element / width;
  let i = element % width;
  let u = uniformAt(key(), stepCounter[0], p, 0u, i);
  var x = params.boxLow[i] + (params.boxHigh[i] - params.boxLow[i]) * u;
  if (p >= params.interior) {
    let face = boxFace((p - params.interior) % params.faces);
    x = select(x, face.y, u32(face.x) == i);
  }
  points[element] = x;
}
