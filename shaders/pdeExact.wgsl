// pdeExact.wgsl: exact solutions u*(x) and manufactured sources f(x) of the ball problems of the PDE
// zoo (src/pdes/twoBody.ts, threeBody.ts, clampedSinCos.ts, sinChain.ts hold the float64 versions
// and derivations).
//
// Every solution is u* = b^m · s with b = 1 − ‖x‖² (m = 1; 2 for the clamped biharmonic problem; k/2
// for the order-k diagonal problem) and s = Σ_i c_i h(x_i, x_{i+1}[, x_{i+2}]). For Δ and Δ² the
// product rules (src/pdes/radialFactor.ts) need only a
// few sums over the summands, so a point costs O(d):
//   Laplacian:  sums (‖x‖², s, x·∇s, Δs);   Δu* = b Δs − 4 x·∇s − 2d s,   f = Δu* + N(u*)
//   biharmonic: also (xᵀ∇²s x, x·∇Δs, Δ²s);
//               Δ²u* = 8d(d+2) s + 32(d+2) x·∇s + (16ρ − 8(d+2) b) Δs + 32 xᵀ∇²s x − 16b x·∇Δs + b² Δ²s
// The sums run over (point, block of `block` coordinates), so that a large d fills a large GPU (one
// workgroup per point left most of it idle: 32 workgroups for 32 points at d = 10^5):
//   …Blocks   one workgroup per (point p, block b), workgroup w = p·S + b, S = blocks = ⌈d / block⌉:
//             each invocation sums a strided slice of the block's coordinates and summands (summand
//             i is the one starting at x_i), a fixed-shape tree adds the slices, and the block's
//             sums go to partials[2w] (and partials[2w + 1] for the biharmonic's second vec4).
//   …Finish   one invocation per point: adds its S block sums in block order and writes u*, f.
// The sin chain's coordinate sum needs q = 1 − ‖x‖² and s first, so it runs two rounds:
// sinChainNormBlocks, sinChainScale (q and s of point p into partials[2·N·S + p]), sinChainBlocks,
// sinChainFinish. Every order of additions is fixed, so results are reproducible to the bit. With
// one block (d ≤ block) the additions are those of the single-workgroup kernels this replaced (same
// strides, same tree, the same closing arithmetic), so seeded runs at such d kept their values.
//
// Composes (src/gpu/composeShader.ts, in front of this file): lib/accurateMath.wgsl, lib/grid.wgsl,
// lib/nonlinearity.wgsl (N(u), override NONLINEARITY), lib/random.wgsl and lib/ballPoints.wgsl
// (regenerated collocation points, override POINTS: each x_j is redrawn where it is read),
// lib/ballSums.wgsl (the workgroup sums), lib/twoBodySummand.wgsl (the two-body summand).
// sin and cos come from sinCos (lib/accurateMath.wgsl), not the builtins: WGSL only promises 2^-11
// absolute error for those, and SwiftShader's are that coarse (1.9e-4 measured), which would put
// an error of 1e-4 into the source f, the size of the PINN errors it measures.
//
// Bindings (@group(0)):
//   0 params       : uniform Params below
//   1 points       : storage, read        array<f32>, point p's x_j at points[p·stride + j], or
//                                        the ball draw's partials (POINTS = 1, stride = d)
//   2 coefficients : storage, read        array<f32>, the c_i (d − 1 or d − 2 of them), uploaded once
//   3 exact        : storage, read_write  array<f32>, u*(x_p), count elements
//   4 source       : storage, read_write  array<f32>, f(x_p), count elements
//   5 partials     : storage, read_write  array<vec4<f32>>, 2·N·S block sums, then N point sums
//   6 stepCounter  : storage, read        POINTS = 1: word 0 is the draw's step; else unread
// Entry points: twoBodyBlocks, threeBodyBlocks + laplacianFinish (NONLINEARITY picks N);
// clampedSinCosBlocks + clampedSinCosFinish (biharmonic, N = 0); sinChainNormBlocks, sinChainScale,
// sinChainBlocks, sinChainFinish (Σ_i ∂_i^k u, override DIAGONAL_ORDER = k, even, 2..8; N = 0).
// Workgroup: (WORKGROUP_SIZE, 1, 1), a power of two; override WORKGROUP_SIZE (lib/grid.wgsl,
// default 64).
// Dispatch: …Blocks: N·S workgroups; sinChainScale and …Finish: ⌈N / WORKGROUP_SIZE⌉. Laid out in
// x and y when there are more than 65 535 (lib/grid.wgsl workgroupIndex and invocationIndex);
// surplus ones return at once.

struct Params {
  count: u32, // points N
  dim: u32, // coordinates per point d
  stride: u32, // floats from one point to the next (≥ dim)
  block: u32, // coordinates per block
  blocks: u32, // blocks per point S = ⌈d / block⌉
  // (seed, stream, scalesAt, normsAt) of regenerated points (lib/ballPoints.wgsl); else zero.
  pointSource: vec4<u32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<f32>;
@group(0) @binding(2) var<storage, read> coefficients: array<f32>;
@group(0) @binding(3) var<storage, read_write> exact: array<f32>;
@group(0) @binding(4) var<storage, read_write> source: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> stepCounter: array<u32>;

// lib/ballSums.wgsl's view of the points: coordinate j of the point at `base` = p·stride.
fn pointAt(base: u32, j: u32) -> f32 {
  if (POINTS == POINTS_REGENERATED) {
    let p = base / params.stride;
    let at = params.pointSource.z + 2u * p;
    let scaleOffset = vec2<f32>(points[at], points[at + 1u]);
    return regeneratedBallCoordinate(params.pointSource, stepCounter[0], p, j, scaleOffset);
  }
  return points[base + j];
}

// Partial sums: lower (lib/ballSums.wgsl) holds (‖x‖², s, x·∇s, Δs), upper (xᵀ∇²s x, x·∇Δs,
// Δ²s, unused).
var<workgroup> upper: array<vec4<f32>, WORKGROUP_SIZE>;

// Tree sum of `lower` and `upper`.
fn reduceBoth(lid: u32) {
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lid < stride) {
      lower[lid] += lower[lid + stride];
      upper[lid] += upper[lid + stride];
    }
  }
  workgroupBarrier();
}

// The work of a …Blocks workgroup: point `point` (its coordinates from `base`), coordinates
// [first, end), its sums at partials[2·slot].
struct PointBlock {
  point: u32,
  base: u32,
  first: u32,
  end: u32,
  slot: u32,
}

fn pointBlock(grid: GridWorkgroup) -> PointBlock {
  let slot = workgroupIndex(grid);
  let point = slot / params.blocks;
  let first = (slot % params.blocks) * params.block;
  return PointBlock(point, point * params.stride, first, min(first + params.block, params.dim), slot);
}

// Where sinChainScale leaves point p's (q, s).
fn pointSlot(point: u32) -> u32 {
  return 2u * params.count * params.blocks + point;
}

// Two-body: the sums of lib/twoBodySummand.wgsl's twoBodyPartialSums.
@compute @workgroup_size(WORKGROUP_SIZE)
fn twoBodyBlocks(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let at = pointBlock(grid);
  if (at.point >= params.count) {
    return;
  }
  lower[lid] = twoBodyPartialSums(at.base, at.first, at.end, lid);
  reduceLower(lid);
  if (lid == 0u) {
    partials[2u * at.slot] = lower[0];
  }
}

// Three-body summand c e^p, p = αβγ, (α, β, γ) = (x_i, x_{i+1}, x_{i+2}):
//   x·∇ = 3p c e^p,   Δ = c e^p ((βγ)² + (αγ)² + (αβ)²).
@compute @workgroup_size(WORKGROUP_SIZE)
fn threeBodyBlocks(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let at = pointBlock(grid);
  if (at.point >= params.count) {
    return;
  }
  let base = at.base;
  var sums = vec4<f32>(partialNorm2(base, at.first, at.end, lid), 0.0, 0.0, 0.0);
  for (var i = at.first + lid; i < at.end && i + 2u < params.dim; i += WORKGROUP_SIZE) {
    let alpha = coordinate(base, i);
    let beta = coordinate(base, i + 1u);
    let gamma = coordinate(base, i + 2u);
    let bg = beta * gamma;
    let ag = alpha * gamma;
    let ab = alpha * beta;
    let p = alpha * bg;
    let h = coefficients[i] * exp(p);
    sums.y += h;
    sums.z += 3.0 * p * h;
    sums.w += h * (bg * bg + ag * ag + ab * ab);
  }
  lower[lid] = sums;
  reduceLower(lid);
  if (lid == 0u) {
    partials[2u * at.slot] = lower[0];
  }
}

// u* = b s and f = Δu* + N(u*) from the summed (‖x‖², s, x·∇s, Δs) of the two- and three-body
// blocks.
@compute @workgroup_size(WORKGROUP_SIZE)
fn laplacianFinish(grid: GridInvocation) {
  let point = invocationIndex(grid);
  if (point >= params.count) {
    return;
  }
  let sums = blockSum(point, 0u);
  let d = f32(params.dim);
  let b = 1.0 - sums.x;
  let u = b * sums.y;
  exact[point] = u;
  source[point] = b * sums.w - 4.0 * sums.z - 2.0 * d * sums.y + nonlinearity(u, 1.0).x;
}

// Clamped summand h = c sin a cos q: h_mn = c S^(m)(a) C^(n)(q) with S = sin, C = cos, so with
// (sA, cA, sQ, cQ) = (sin a, cos a, sin q, cos q):
//   h_00 = c sA cQ   h_10 = c cA cQ   h_01 = −c sA sQ   h_11 = −c cA sQ
//   h_20 = h_02 = −h_00,   h_40 = h_22 = h_04 = h_00,
//   h_30 = −h_10,   h_12 = −h_10,   h_21 = −h_01,   h_03 = −h_01,
// hence x·∇h = a h_10 + q h_01, Δh = −2 h_00, xᵀ∇²h x = −(a² + q²) h_00 + 2aq h_11,
// x·∇Δh = −2 (a h_10 + q h_01), Δ²h = 4 h_00.
@compute @workgroup_size(WORKGROUP_SIZE)
fn clampedSinCosBlocks(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let at = pointBlock(grid);
  if (at.point >= params.count) {
    return;
  }
  let base = at.base;
  var low = vec4<f32>(partialNorm2(base, at.first, at.end, lid), 0.0, 0.0, 0.0);
  var high = vec4<f32>(0.0);
  for (var i = at.first + lid; i < at.end && i + 1u < params.dim; i += WORKGROUP_SIZE) {
    let a = coordinate(base, i);
    let q = coordinate(base, i + 1u);
    let c = coefficients[i];
    let scA = sinCos(a);
    let scQ = sinCos(q);
    let sA = scA.x;
    let cA = scA.y;
    let sQ = scQ.x;
    let cQ = scQ.y;
    let h00 = c * sA * cQ;
    let h10 = c * cA * cQ;
    let h01 = -c * sA * sQ;
    let h11 = -c * cA * sQ;
    let radial = a * h10 + q * h01;
    low.y += h00;
    low.z += radial;
    low.w += -2.0 * h00;
    high.x += 2.0 * a * q * h11 - (a * a + q * q) * h00;
    high.y += -2.0 * radial;
    high.z += 4.0 * h00;
  }
  lower[lid] = low;
  upper[lid] = high;
  reduceBoth(lid);
  if (lid == 0u) {
    partials[2u * at.slot] = lower[0];
    partials[2u * at.slot + 1u] = upper[0];
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn clampedSinCosFinish(grid: GridInvocation) {
  let point = invocationIndex(grid);
  if (point >= params.count) {
    return;
  }
  let sums = blockSum(point, 0u);
  let more = blockSum(point, 1u);
  let d = f32(params.dim);
  let rho = sums.x;
  let b = 1.0 - rho;
  exact[point] = b * b * sums.y;
  source[point] = 8.0 * d * (d + 2.0) * sums.y + 32.0 * (d + 2.0) * sums.z
    + (16.0 * rho - 8.0 * (d + 2.0) * b) * sums.w + 32.0 * more.x - 16.0 * b * more.y
    + b * b * more.z;
}

override DIAGONAL_ORDER: u32 = 2u;

// sin^(n)(z) from (sin z, cos z): the cycle sin, cos, −sin, −cos.
fn sinDerivative(n: u32, sc: vec2<f32>) -> f32 {
  switch (n % 4u) {
    case 0u: {
      return sc.x;
    }
    case 1u: {
      return sc.y;
    }
    case 2u: {
      return -sc.x;
    }
    default: {
      return -sc.y;
    }
  }
}

// Sin-chain summand c_l sin(x_l + x_{l+1}), u* = b^m s with m = k/2, k = DIAGONAL_ORDER:
//   Σ_i ∂_i^k u* = k! Σ_i (Σ_{j<k} β_j σ_{k−j}/(k−j)! + β_k s),
// β_j the coefficients of b^m along x + t e_i, (q − 2x_i t − t²)^m with q = b(x), and
// σ_n = Σ_{l∈{i−1,i}} c_l sin^(n)(x_l + x_{l+1}) (the summands holding x_i). Every β_j depends on q
// and the sum on s, so there are two rounds: (‖x‖², s) first, then the sum over coordinates.
@compute @workgroup_size(WORKGROUP_SIZE)
fn sinChainNormBlocks(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let at = pointBlock(grid);
  if (at.point >= params.count) {
    return;
  }
  var s = 0.0;
  for (var l = at.first + lid; l < at.end && l + 1u < params.dim; l += WORKGROUP_SIZE) {
    s += coefficients[l] * sinCos(coordinate(at.base, l) + coordinate(at.base, l + 1u)).x;
  }
  lower[lid] = vec4<f32>(partialNorm2(at.base, at.first, at.end, lid), s, 0.0, 0.0);
  reduceLower(lid);
  if (lid == 0u) {
    partials[2u * at.slot] = lower[0];
  }
}

// (q, s) of each point from its norm blocks.
@compute @workgroup_size(WORKGROUP_SIZE)
fn sinChainScale(grid: GridInvocation) {
  let point = invocationIndex(grid);
  if (point >= params.count) {
    return;
  }
  let sums = blockSum(point, 0u);
  partials[pointSlot(point)] = vec4<f32>(1.0 - sums.x, sums.y, 0.0, 0.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sinChainBlocks(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let at = pointBlock(grid);
  if (at.point >= params.count) {
    return;
  }
  let base = at.base;
  let d = params.dim;
  let scale = partials[pointSlot(at.point)];
  let q = scale.x;
  let total = scale.y;
  let k = DIAGONAL_ORDER;
  let m = k / 2u;
  var sum = 0.0;
  for (var i = at.first + lid; i < at.end; i += WORKGROUP_SIZE) {
    let a = coordinate(base, i);
    // β = (q − 2a t − t²)^m, multiplied in place from the top coefficient down.
    var beta = array<f32, 9>();
    beta[0] = 1.0;
    for (var n = 0u; n < m; n++) {
      for (var down = 0u; down <= 2u * n + 2u; down++) {
        let j = 2u * n + 2u - down;
        var next = q * beta[j];
        if (j >= 1u) {
          next -= 2.0 * a * beta[j - 1u];
        }
        if (j >= 2u) {
          next -= beta[j - 2u];
        }
        beta[j] = next;
      }
    }
    // The two summands holding x_i (a missing one at either end of the chain gets c = 0).
    var cLeft = 0.0;
    var scLeft = vec2<f32>(0.0);
    if (i >= 1u) {
      cLeft = coefficients[i - 1u];
      scLeft = sinCos(coordinate(base, i - 1u) + a);
    }
    var cRight = 0.0;
    var scRight = vec2<f32>(0.0);
    if (i + 1u < d) {
      cRight = coefficients[i];
      scRight = sinCos(a + coordinate(base, i + 1u));
    }
    var coefficient = beta[k] * total;
    var inverseFactorial = 1.0;
    for (var n = 1u; n <= k; n++) {
      inverseFactorial /= f32(n);
      let sigma = cLeft * sinDerivative(n, scLeft) + cRight * sinDerivative(n, scRight);
      coefficient += beta[k - n] * sigma * inverseFactorial;
    }
    sum += coefficient;
  }
  lower[lid] = vec4<f32>(sum, 0.0, 0.0, 0.0);
  reduceLower(lid);
  if (lid == 0u) {
    partials[2u * at.slot] = lower[0];
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sinChainFinish(grid: GridInvocation) {
  let point = invocationIndex(grid);
  if (point >= params.count) {
    return;
  }
  let scale = partials[pointSlot(point)];
  let k = DIAGONAL_ORDER;
  var factor = 1.0;
  var kFactorial = 1.0;
  for (var n = 1u; n <= k; n++) {
    kFactorial *= f32(n);
  }
  for (var n = 0u; n < k / 2u; n++) {
    factor *= scale.x;
  }
  exact[point] = factor * scale.y;
  source[point] = kFactorial * blockSum(point, 0u).x;
}
