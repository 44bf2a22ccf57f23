// pdeSourceGradient.wgsl: ∂_j f of the two-body ball problems along one coordinate j per point,
// the source of the gPINN term ∂_j r = ∂_jΔu + N'(u)·u_j − ∂_j f (src/pdes/ballProblem.ts
// ballSourceGradient, the float64 version; derivation in src/pdes/radialFactor.ts and twoBody.ts).
// With u* = b·s, b = 1 − ‖x‖², and the sums (‖x‖², s, x·∇s, Δs) of lib/ballSums.wgsl:
//   ∂_j u* = −2x_j s + b s_j,
//   ∂_jΔu* = −2x_j Δs + b ∂_jΔs − 4(s_j + x·∇s_j) − 2d s_j,
//   ∂_j f  = ∂_jΔu* + N'(u*)·∂_j u*,
// where s_j, x·∇s_j = Σ_k x_k s_jk and ∂_jΔs come from the two summands that contain x_j
// (i = j with x_j as a, i = j − 1 with x_j as q). The O(d) sums are the ones pdeExact.wgsl's
// twoBodyBlocks already wrote for the same points (its partials, added in block order by
// lib/ballSums.wgsl blockSum), so a point costs O(1) here: the sums are not computed twice, and
// they are the bits the exact source f was formed from.
// j is read from the jets of the step: jetIndex[p·indexStride + indexOffset] (the one-hot index
// of the tangent that carries e_j, src/operators/laplacianGradient.ts).
// Composes (src/gpu/composeShader.ts, in front of this file): lib/accurateMath.wgsl, lib/grid.wgsl,
// lib/nonlinearity.wgsl (N'(u), override NONLINEARITY), lib/ballSums.wgsl (coordinate, blockSum),
// lib/twoBodySummand.wgsl.
//
// Bindings (@group(0)):
//   0 params         : uniform Params below
//   1 points         : storage, read        array<f32>, point p's x_i at points[p·stride + i]
//   2 coefficients   : storage, read        array<f32>, the c_i (d − 1 of them)
//   3 jetIndex       : storage, read        array<i32>, the jets' one-hot indices
//   4 sourceGradient : storage, read_write  array<f32>, ∂_j f(x_p), count elements
//   5 partials       : storage, read        array<vec4<f32>>, twoBodyBlocks' sums of these points
// Workgroup: (WORKGROUP_SIZE, 1, 1) (lib/grid.wgsl, default 64).
// Dispatch: one invocation per point, ⌈count / WORKGROUP_SIZE⌉ workgroups (lib/grid.wgsl
// invocationIndex); invocations past count return.

struct Params {
  count: u32,
  dim: u32,
  stride: u32,
  indexStride: u32,
  indexOffset: u32,
  blocks: u32, // blocks per point of the partials (pdeExact.wgsl)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<f32>;
@group(0) @binding(2) var<storage, read> coefficients: array<f32>;
@group(0) @binding(3) var<storage, read> jetIndex: array<i32>;
@group(0) @binding(4) var<storage, read_write> sourceGradient: array<f32>;
@group(0) @binding(5) var<storage, read> partials: array<vec4<f32>>;

// lib/ballSums.wgsl's view of the points: a stored batch.
fn pointAt(base: u32, j: u32) -> f32 {
  return points[base + j];
}

// (s_j, x·∇s_j, ∂_jΔs) from the summands that hold x_j.
fn gradientSums(base: u32, j: u32) -> vec3<f32> {
  var sums = vec3<f32>(0.0);
  if (j + 1u < params.dim) {
    let a = coordinate(base, j);
    let q = coordinate(base, j + 1u);
    let g = twoBodyGradient(twoBodyPhi(a, q));
    let c = coefficients[j];
    sums += c * vec3<f32>(g.ga, a * g.gaa + q * g.gaq, g.laplacianA);
  }
  if (j > 0u) {
    let a = coordinate(base, j - 1u);
    let q = coordinate(base, j);
    let g = twoBodyGradient(twoBodyPhi(a, q));
    let c = coefficients[j - 1u];
    sums += c * vec3<f32>(g.gq, a * g.gaq + q * g.gqq, g.laplacianQ);
  }
  return sums;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn twoBodySourceGradient(grid: GridInvocation) {
  let point = invocationIndex(grid);
  if (point >= params.count) {
    return;
  }
  let base = point * params.stride;
  let sums = blockSum(point, 0u);
  let d = f32(params.dim);
  let b = 1.0 - sums.x;
  let j = u32(jetIndex[point * params.indexStride + params.indexOffset]);
  let xj = coordinate(base, j);
  let g = gradientSums(base, j);
  let uJ = -2.0 * xj * sums.y + b * g.x;
  let laplacianJ = -2.0 * xj * sums.w + b * g.z - 4.0 * (g.x + g.y) - 2.0 * d * g.x;
  sourceGradient[point] = laplacianJ + nonlinearity(b * sums.y, 1.0).y * uJ;
}
