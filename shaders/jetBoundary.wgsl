// jetBoundary.wgsl: the hard boundary factor on a batch of output jets, u = b(g(t))·m(t).
//
// Along direction r the input curve is g(t) = x + Σ_k c_k t^k, so ‖g(t)‖² has the jet
//   q_k = Σ_{i+j=k} ⟨c_i, c_j⟩, c_0 = x,
// and b = (1 − q)^POWER ('ball' 1 … 'ball4' 4) by repeated Cauchy products. One-hot tangents
// c_k = a_k·e_{n_k} make this O(K²) per direction: ⟨c_0, c_k⟩ = a_k·x[n_k] and
// ⟨c_i, c_j⟩ = a_i·a_j·[n_i = n_j]; dense tangents cost O(d·K²).
// Then u = b·m per direction, u_k = Σ_{i=0..k} b_i·m_{k−i} (b_0 and m_0 shared by all directions).
// Dense tangents over many coordinates (blocks = S > 0) sum the q_k in two dispatches, so that a
// large d fills the GPU instead of N invocations walking d·R coordinates each:
//   denseNormBlocks  one workgroup per (point p, direction r, block b of `block` coordinates),
//                    w = (p·R + r)·S + b: each invocation sums a strided slice of the block's
//                    Σ_{i+j=k} c_i·c_j, a fixed tree adds them, and q_k's share is stored at
//                    w·K + k − 1 of the buffer bound as `boundary` (the partial buffer);
//   applyBoundary    then reads each (p, r)'s q_k as the sum of its S shares in block order, from
//                    the same buffer bound as `tangentIndex` (unused by dense tangents; the bits
//                    of an f32 in an i32 binding, as no ninth storage binding is free: WebGPU's
//                    default maxStorageBuffersPerShaderStage is 8).
// Every order of additions is fixed, so the result is the same bits on every run; blocks = 0
// (d ≤ one block, src/engine/forwardJet.ts) keeps the single sum in coordinate order.
// Collapsed: the top row of b holds Σ_r b_K^(r) and the top row of u is
//   b_0·(Σ_r m_K^(r)) + (Σ_r b_K^(r))·m_0 + Σ_r Σ_{0<i<K} b_i^(r)·m_{K−i}^(r),
// the sum over r of the standard top coefficients.
//
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl, lib/series.wgsl,
// lib/jetRows.wgsl (rows, overrides ORDER and COLLAPSED), lib/tangentSlots.wgsl, lib/random.wgsl,
// lib/ballPoints.wgsl (regenerated points, override POINTS: x_i is redrawn where it is read) and
// lib/denseTangents.wgsl (regenerated dense tangents, override TANGENTS: likewise).
// ‖x‖² comes from the ball draw where the points are a training step's draw (override
// DRAWN_NORMS: samplers.wgsl ballNorms, over coordinate blocks so that a large d fills the GPU;
// in coordinate order at d ≤ its block, the sum this kernel makes otherwise), else this kernel
// sums it over the d coordinates of its point.
//
// Bindings (@group(0)):
//   0 params       : uniform BoundaryParams (below)
//   1 x            : storage, read        N·d points, or the ball draw's partials (POINTS = 1)
//   2 tangents     : storage, read        dense N·R·K·d (unread with TANGENTS = 1) or one-hot N·R·K
//                                         coefficients
//   3 tangentIndex : storage, read        one-hot N·R·K indices (−1 = zero tangent); dense: unused,
//                                         or applyBoundary's shares when blocks > 0 (header)
//   4 mlpOutput    : storage, read        m jets, N·V·outputs (jetLayout rows)
//   5 boundary     : storage, read_write  b jets, N·V (one unit per point, same rows);
//                                         denseNormBlocks: the N·R·S·K shares it writes
//   6 output       : storage, read_write  u jets, N·V·outputs
//   7 stepCounter  : storage, read        POINTS = 1 or TANGENTS = 1: word 0 is the draw's step;
//                                         else unread
//   8 pointNorms   : storage, read        DRAWN_NORMS: the draw's partials, ‖x_p‖² at normsAt + p
// Overrides: ORDER (K, 1..MAX_ORDER), COLLAPSED, ONE_HOT (the tangents' kind), POWER (m, 1..4),
//   POINTS (lib/ballPoints.wgsl), TANGENTS (lib/denseTangents.wgsl), DRAWN_NORMS,
//   WORKGROUP_SIZE (lib/grid.wgsl, default 64; a power of two for denseNormBlocks' tree).
// Workgroup: (WORKGROUP_SIZE, 1, 1). applyBoundary: one invocation per point, x·y workgroups
// covering N invocations, point = id.x + id.y·(num_workgroups.x·WORKGROUP_SIZE) (lib/grid.wgsl
// invocationIndex). denseNormBlocks: N·R·S workgroups folded over x and y (workgroupIndex).

struct BoundaryParams {
  points: u32,
  directions: u32,
  rowsPerPoint: u32,
  dim: u32,
  outputs: u32,
  // Dense tangents: the S blocks of `block` coordinates denseNormBlocks sums q_k over (header);
  // 0: applyBoundary sums all d itself.
  blocks: u32,
  block: u32,
  // (seed, stream, scalesAt, normsAt) of regenerated points (lib/ballPoints.wgsl); else zero.
  pointSource: vec4<u32>,
  // The dense tangents' draw, read with TANGENTS = 1 (lib/denseTangents.wgsl); else zero.
  tangentDraw: DenseTangentDraw,
}

@group(0) @binding(0) var<uniform> params: BoundaryParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> tangents: array<f32>;
@group(0) @binding(3) var<storage, read> tangentIndex: array<i32>;
@group(0) @binding(4) var<storage, read> mlpOutput: array<f32>;
@group(0) @binding(5) var<storage, read_write> boundary: array<f32>;
@group(0) @binding(6) var<storage, read_write> output: array<f32>;
@group(0) @binding(7) var<storage, read> stepCounter: array<u32>;
@group(0) @binding(8) var<storage, read> pointNorms: array<f32>;

override ONE_HOT: bool = false;
override POWER: u32 = 1u;
override DRAWN_NORMS: bool = false;

// denseNormBlocks' shares of one order, reduced into shares[0].
var<workgroup> shares: array<f32, WORKGROUP_SIZE>;

// Coordinate i of point p.
fn coordinate(p: u32, i: u32) -> f32 {
  if (POINTS == POINTS_REGENERATED) {
    let at = params.pointSource.z + 2u * p;
    let scaleOffset = vec2<f32>(x[at], x[at + 1u]);
    return regeneratedBallCoordinate(params.pointSource, stepCounter[0], p, i, scaleOffset);
  }
  return x[p * params.dim + i];
}

// Coefficient i of the dense tangent in `slot`.
fn denseCoefficient(slot: u32, i: u32) -> f32 {
  if (TANGENTS == TANGENTS_REGENERATED) {
    let step = stepCounter[0];
    return denseTangentOfSlot(params.tangentDraw, step, slot, i, params.directions, ORDER);
  }
  return tangents[slot * params.dim + i];
}

// ‖x_p‖².
fn normSquaredOf(p: u32) -> f32 {
  if (DRAWN_NORMS) {
    return pointNorms[params.pointSource.w + p];
  }
  var normSquared = 0.0;
  for (var i = 0u; i < params.dim; i++) {
    normSquared += x[p * params.dim + i] * x[p * params.dim + i];
  }
  return normSquared;
}

// q_1..q_K of ‖g(t)‖² along direction r of point p (q_0 = ‖x‖² is shared and set by the caller).
fn normSquaredJet(p: u32, r: u32, q: ptr<function, Series>) {
  let d = params.dim;
  if (ONE_HOT) {
    // A zero tangent (index −1) gets coefficient 0 and index d: it matches no real index, and
    // where two zero tangents match, their product is 0.
    var a = Series();
    var n = array<u32, MAX_ORDER + 1u>();
    for (var k = 1u; k <= ORDER; k++) {
      let slot = tangentSlot(p, r, k, params.directions, ORDER);
      let index = tangentIndex[slot];
      let valid = isCoordinate(index, d);
      n[k] = select(d, u32(index), valid);
      a[k] = select(0.0, tangents[slot], valid);
    }
    for (var k = 1u; k <= ORDER; k++) {
      var sum = 0.0;
      if (n[k] < d) {
        sum = 2.0 * a[k] * coordinate(p, n[k]);
      }
      for (var i = 1u; i < k; i++) {
        if (n[i] == n[k - i]) {
          sum += a[i] * a[k - i];
        }
      }
      (*q)[k] = sum;
    }
    return;
  }
  if (params.blocks > 0u) {
    // The S shares of denseNormBlocks in block order, read through the tangentIndex binding.
    let first = (p * params.directions + r) * params.blocks;
    for (var k = 1u; k <= ORDER; k++) {
      var sum = 0.0;
      for (var b = 0u; b < params.blocks; b++) {
        sum += bitcast<f32>(tangentIndex[(first + b) * ORDER + k - 1u]);
      }
      (*q)[k] = sum;
    }
    return;
  }
  for (var i = 0u; i < d; i++) {
    addCoordinateTerms(p, r, i, q);
  }
}

// Coordinate i's terms of q_1..q_K along direction r of point p: Σ_{j=0..k} c_j[i]·c_{k−j}[i].
fn addCoordinateTerms(p: u32, r: u32, i: u32, q: ptr<function, Series>) {
  var c = Series();
  c[0] = coordinate(p, i);
  for (var k = 1u; k <= ORDER; k++) {
    c[k] = denseCoefficient(tangentSlot(p, r, k, params.directions, ORDER), i);
  }
  for (var k = 1u; k <= ORDER; k++) {
    var sum = 0.0;
    for (var j = 0u; j <= k; j++) {
      sum += c[j] * c[k - j];
    }
    (*q)[k] += sum;
  }
}

// One (point, direction, block)'s shares of q_1..q_K (header), into the partial buffer bound as
// `boundary`.
@compute @workgroup_size(WORKGROUP_SIZE)
fn denseNormBlocks(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let w = workgroupIndex(grid);
  if (w >= params.points * params.directions * params.blocks) {
    return;
  }
  let jet = w / params.blocks;
  let first = (w % params.blocks) * params.block;
  let end = min(first + params.block, params.dim);
  var q = Series();
  for (var i = first + lid; i < end; i += WORKGROUP_SIZE) {
    addCoordinateTerms(jet / params.directions, jet % params.directions, i, &q);
  }
  for (var k = 1u; k <= ORDER; k++) {
    shares[lid] = q[k];
    for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
      workgroupBarrier();
      if (lid < stride) {
        shares[lid] += shares[lid + stride];
      }
    }
    workgroupBarrier();
    if (lid == 0u) {
      boundary[w * ORDER + k - 1u] = shares[0];
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn applyBoundary(grid: GridInvocation) {
  let p = invocationIndex(grid);
  if (p >= params.points) {
    return;
  }
  let d = params.dim;
  let h = params.outputs;
  let base = p * params.rowsPerPoint;
  let top = base + topRow(params.directions);
  let orders = directionOrders();

  let normSquared = normSquaredOf(p);
  var b0 = 1.0;
  for (var n = 0u; n < POWER; n++) {
    b0 *= 1.0 - normSquared;
  }
  boundary[base] = b0;
  var bTop = 0.0;
  for (var r = 0u; r < params.directions; r++) {
    var q = Series();
    normSquaredJet(p, r, &q);
    var base1 = Series();
    base1[0] = 1.0 - normSquared;
    for (var k = 1u; k <= ORDER; k++) {
      base1[k] = -q[k];
    }
    var b = base1;
    for (var n = 1u; n < POWER; n++) {
      var product = Series();
      for (var k = 0u; k <= ORDER; k++) {
        for (var i = 0u; i <= k; i++) {
          product[k] += b[i] * base1[k - i];
        }
      }
      b = product;
    }
    for (var k = 1u; k <= orders; k++) {
      boundary[base + rowOf(r, k, params.directions)] = b[k];
    }
    bTop += b[ORDER];
  }
  if (COLLAPSED) {
    boundary[top] = bTop;
  }

  // Second sweep per output: b rows come back from this invocation's own stores.
  for (var o = 0u; o < h; o++) {
    let m0 = mlpOutput[base * h + o];
    output[base * h + o] = b0 * m0;
    var topRest = 0.0;
    for (var r = 0u; r < params.directions; r++) {
      var b = Series();
      var m = Series();
      b[0] = b0;
      m[0] = m0;
      for (var k = 1u; k <= orders; k++) {
        let row = base + rowOf(r, k, params.directions);
        b[k] = boundary[row];
        m[k] = mlpOutput[row * h + o];
      }
      for (var k = 1u; k <= orders; k++) {
        var u = 0.0;
        for (var i = 0u; i <= k; i++) {
          u += b[i] * m[k - i];
        }
        output[(base + rowOf(r, k, params.directions)) * h + o] = u;
      }
      if (COLLAPSED) {
        for (var i = 1u; i < ORDER; i++) {
          topRest += b[i] * m[ORDER - i];
        }
      }
    }
    if (COLLAPSED) {
      output[top * h + o] = b0 * mlpOutput[top * h + o] + bTop * m0 + topRest;
    }
  }
}
