// parabolicTerminalLoss.wgsl: the terminal loss of the semilinear parabolic problems (DESIGN.md §4),
//   L_T = mean_q |u − g|² + γ·mean_q ‖∇_x u − ∇g‖²   (γ = 0.05, weighted λ = 20 in the total loss),
// per point's loss term and its cotangent with respect to every output coefficient.
//
// The terminal batch carries the d one-hot first-order jets e_0 … e_{d−1} of x in the standard
// structure of order 1 (operators/firstOrder.ts gradientOperator): row 0 of point q is u, row 1 + i
// its coefficient along e_i, which is ∂u/∂x_i since J_1 = 1!·u_1. With e = u − g and e_i = u_i − ∂_i g:
//   lossTerms[offset + q] = termScale·(e² + γ·Σ_i e_i²)
//   ∂(λ·L_T)/∂u[q, 0]     = valueCotangent·e       (valueCotangent = 2λ/m)
//   ∂(λ·L_T)/∂u[q, 1 + i] = gradientCotangent·e_i  (gradientCotangent = 2λγ/m)
// termScale = λ·(n + m)/m puts the terms after the n interior terms of parabolicLoss.wgsl so that
// the mean over all n + m terms is the total loss mean r² + λ·L_T.
// One workgroup per point: the invocations sum Σ_i e_i² over strided slices of the coordinates
// and combine them with a fixed-shape tree (no atomics, the same bits on every run), writing their
// slice of the cotangent on the way, so a point costs O(d) work spread over the workgroup.
//
// Bindings (@group(0)):
//   0 params            : uniform { count m, dim d, rows V = 1 + d, offset n, gamma γ, termScale,
//                                   valueCotangent, gradientCotangent }
//   1 output            : storage, read        array<f32>, m·V output coefficients (one output)
//   2 terminal          : storage, read        array<f32>, m      g(x_q)
//   3 terminalGradient  : storage, read        array<f32>, m·d    ∇g(x_q), row-major
//   4 lossTerms         : storage, read_write  array<f32>, ≥ n + m; this kernel writes [n, n + m)
//   5 cotangent         : storage, read_write  array<f32>, m·V    ∂(λ·L_T)/∂u
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl.
// Workgroup: (WORKGROUP_SIZE, 1, 1), a power of two; override WORKGROUP_SIZE (lib/grid.wgsl,
// default 64).
// Dispatch: one workgroup per point on a 2-D grid, point = wid.x + wid.y · num_workgroups.x
// (lib/grid.wgsl workgroupIndex); workgroups past `count` return at once.

struct Params {
  count: u32,
  dim: u32,
  rows: u32,
  offset: u32,
  gamma: f32,
  termScale: f32,
  valueCotangent: f32,
  gradientCotangent: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> output: array<f32>;
@group(0) @binding(2) var<storage, read> terminal: array<f32>;
@group(0) @binding(3) var<storage, read> terminalGradient: array<f32>;
@group(0) @binding(4) var<storage, read_write> lossTerms: array<f32>;
@group(0) @binding(5) var<storage, read_write> cotangent: array<f32>;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn parabolicTerminalLoss(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let q = workgroupIndex(grid);
  // Uniform per workgroup, so the early return keeps the barriers below in uniform control flow.
  if (q >= params.count) {
    return;
  }
  let base = q * params.rows;
  let gradientBase = q * params.dim;
  var sum = 0.0;
  for (var i = lid; i < params.dim; i += WORKGROUP_SIZE) {
    let e = output[base + 1u + i] - terminalGradient[gradientBase + i];
    sum += e * e;
    cotangent[base + 1u + i] = params.gradientCotangent * e;
  }
  partial[lid] = sum;
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lid < stride) {
      partial[lid] += partial[lid + stride];
    }
  }
  if (lid == 0u) {
    let e = output[base] - terminal[q];
    lossTerms[params.offset + q] = params.termScale * (e * e + params.gamma * partial[0]);
    cotangent[base] = params.valueCotangent * e;
  }
}
