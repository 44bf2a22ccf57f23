// pdeTerminal.wgsl: terminal data g(x) and ∇g(x) of the parabolic problems of the PDE zoo, for the
// terminal loss mean|u − g|² + 0.05·mean‖∇u − ∇g‖² (src/pdes/parabolic.ts holds the float64 versions).
//
//   rational:  g = scale·5/(10 + 2ρ),  ∇g = −20·scale·x/(10 + 2ρ)²,  ρ = ‖x‖²
//              (scale = 1: semilinear heat; scale = d: the scaled sine-Gordon problem)
//   arctanMax: g = arctan(x_k),  ∇g = e_k/(1 + x_k²),  k = argmax_j x_j, the lowest index on ties
//              (the same rule as the float64 argmax, so both pick the same one-hot gradient)
// One workgroup per point: the invocations reduce ρ (or the max and its index) over strided slices of
// the coordinates with a fixed-shape tree, then each writes its slice of ∇g, so a point costs O(d) work
// spread over the workgroup, and results are reproducible to the bit.
//
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl,
// lib/pointBatch.wgsl (the params struct).
//
// Bindings (@group(0)):
//   0 params   : uniform PointBatch { count, dim, stride }  points, d, floats between points
//   1 points   : storage, read        array<f32>, point p's x_j at points[p·stride + j] (a time
//                                     coordinate after the d space coordinates is skipped via stride)
//   2 value    : storage, read_write  array<f32>, g(x_p), count elements
//   3 gradient : storage, read_write  array<f32>, ∇g(x_p)_j at gradient[p·dim + j], count·dim elements
// Workgroup: (WORKGROUP_SIZE, 1, 1), a power of two; override WORKGROUP_SIZE (lib/grid.wgsl,
// default 64); override SCALE_BY_DIMENSION (rational only, default false) sets scale = d.
// Dispatch: one workgroup per point on a 2-D grid, point = wid.x + wid.y · num_workgroups.x
// (lib/grid.wgsl workgroupIndex); workgroups past `count` return at once.

@group(0) @binding(0) var<uniform> params: PointBatch;
@group(0) @binding(1) var<storage, read> points: array<f32>;
@group(0) @binding(2) var<storage, read_write> value: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradient: array<f32>;

override SCALE_BY_DIMENSION: bool = false;

var<workgroup> norms: array<f32, WORKGROUP_SIZE>;
var<workgroup> maxima: array<f32, WORKGROUP_SIZE>;
var<workgroup> argmaxima: array<u32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn rational(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let point = workgroupIndex(grid);
  if (point >= params.count) {
    return;
  }
  let base = point * params.stride;
  var sum = 0.0;
  for (var j = lid; j < params.dim; j += WORKGROUP_SIZE) {
    let xj = points[base + j];
    sum += xj * xj;
  }
  norms[lid] = sum;
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lid < stride) {
      norms[lid] += norms[lid + stride];
    }
  }
  workgroupBarrier();
  let scale = select(1.0, f32(params.dim), SCALE_BY_DIMENSION);
  let denominator = 10.0 + 2.0 * norms[0];
  if (lid == 0u) {
    value[point] = scale * 5.0 / denominator;
  }
  let factor = -20.0 * scale / (denominator * denominator);
  let out = point * params.dim;
  for (var j = lid; j < params.dim; j += WORKGROUP_SIZE) {
    gradient[out + j] = factor * points[base + j];
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn arctanMax(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let point = workgroupIndex(grid);
  if (point >= params.count) {
    return;
  }
  let base = point * params.stride;
  // Each slice is scanned in increasing j with a strict '>', so it keeps its lowest maximal index.
  // An invocation with an empty slice (d < WORKGROUP_SIZE) offers index dim, which never wins a tie.
  var best = -0x1.fffffep+127f;
  var bestIndex = params.dim;
  for (var j = lid; j < params.dim; j += WORKGROUP_SIZE) {
    let xj = points[base + j];
    if (xj > best) {
      best = xj;
      bestIndex = j;
    }
  }
  maxima[lid] = best;
  argmaxima[lid] = bestIndex;
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lid < stride) {
      let other = maxima[lid + stride];
      let otherIndex = argmaxima[lid + stride];
      if (other > maxima[lid] || (other == maxima[lid] && otherIndex < argmaxima[lid])) {
        maxima[lid] = other;
        argmaxima[lid] = otherIndex;
      }
    }
  }
  workgroupBarrier();
  let m = maxima[0];
  let k = argmaxima[0];
  if (lid == 0u) {
    value[point] = atan(m);
  }
  let slope = 1.0 / (1.0 + m * m);
  let out = point * params.dim;
  for (var j = lid; j < params.dim; j += WORKGROUP_SIZE) {
    gradient[out + j] = select(0.0, slope, j == k);
  }
}
