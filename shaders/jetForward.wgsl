// jetForward.wgsl: one MLP layer applied to a batch of Taylor jets, in ONE dispatch:
//   z = W·(input jet) (+ bias on the value row), then s = σ(z) by the activation's Taylor rule.
//
// Rows (src/engine/jetLayout.ts): per point V = rowsPerPoint rows; row 0 is the value, the other
// rows are normalized coefficients c_k = v_k/k! of each direction r, orders 1..K (standard), or
// orders 1..K−1 plus ONE row holding Σ_r c_K (collapsed). Element j of row v of point p of a layer
// of width h lives at (p·V + v)·h + j.
//
// Bindings (@group(0)):
//   0 params        : uniform LayerParams (below)
//   1 parameters    : storage, read        the flat parameter buffer; W is row-major [out][in] at
//                                          weightOffset, the bias at biasOffset
//   2 inputJet      : storage, read        INPUT_ROWS: the previous layer's σ jets (N·V·inputs);
//                                          first layer (dense / one-hot): the points x (N·d)
//   3 tangents      : storage, read        first layer only: dense N·R·K·d coefficients, or one-hot
//                                          N·R·K coefficients; slot (p·R + r)·K + (k − 1)
//   4 tangentIndex  : storage, read        one-hot only: N·R·K indices, −1 = zero tangent
//   5 preActivation : storage, read_write  z jets, N·V·outputs (the layer output if it is linear)
//   6 activation    : storage, read_write  σ(z) jets, N·V·outputs (untouched when ACTIVATION = 0)
// Unused bindings (tangents on hidden layers, activation on the linear output layer) still need a
// buffer: the layout is reflected from this file, so every dispatch binds all seven.
//
// Workgroup: WORKGROUP_SIZE invocations = THREADS_ROWS × THREADS_OUTS; each owns a 4 × 4 register
// block of (row, output) pairs, so a workgroup computes a TILE_ROWS × TILE_OUTS tile of z per step.
// Dispatch: x = ceil(outputs / TILE_OUTS) output tiles; y·z ≥ pointGroups groups of pointsPerGroup
// consecutive points (a 2-D grid because y alone stops at 65 535 workgroups).
//
// Phase 1 (tiled matmul): the workgroup walks its points' rows (all V rows; for one-hot input only
//   the value rows) in chunks of TILE_ROWS. For each chunk it stages TILE_INNER columns of the rows
//   (tileA) and of Wᵀ (tileB) in workgroup memory and accumulates z = Σ_i row_i·W[o][i]; the bias
//   goes to value rows only (y_0 = W x_0 + b, y_k = W x_k). z is stored to preActivation, which the
//   backward pass needs anyway.
// Phase 2 (after storageBarrier, which makes this workgroup's stores visible to itself): one
//   invocation per (point, output) reads the z jet of its unit back and applies σ's Taylor rule per
//   direction, an O(K²) recurrence from σ's ODE. With D = σ'(z(t)):
//       s_k = (1/k)·Σ_{j=1..k} j·z_j·D_{k−j}
//   tanh:     D = 1 − s²,      D_k = −Σ_{i=0..k} s_i s_{k−i}
//   sin:      D = cos z(t),    D_k = −(1/k)·Σ_{j=1..k} j·z_j·s_{k−j}
//   softplus: D = logistic L,  L_k = (1/k)·Σ_{j=1..k} j·z_j·Q_{k−j},  Q = L' = L − L²
//   identity: D = 1.
//   The top order enters linearly (j = K term: σ'(z_0)·z_K), so the collapsed top row is
//       s_top = σ'(z_0)·Σ_r z_K^(r) + Σ_r (1/K)·Σ_{j=1..K−1} j·z_j^(r)·D_{K−j}^(r),
//   exactly the sum over r of the standard top coefficients.
//   One-hot first layer: tangent rows are never multiplied; z_k^(r) = coefficient·W[:, index] is
//   gathered here instead (O(h) per direction instead of O(d·h)).

struct LayerParams {
  points: u32,
  directions: u32,
  rowsPerPoint: u32,
  inputs: u32,
  outputs: u32,
  weightOffset: u32,
  biasOffset: u32,
  pointsPerGroup: u32,
  pointGroups: u32,
}

@group(0) @binding(0) var<uniform> params: LayerParams;
@group(0) @binding(1) var<storage, read> parameters: array<f32>;
@group(0) @binding(2) var<storage, read> inputJet: array<f32>;
@group(0) @binding(3) var<storage, read> tangents: array<f32>;
@group(0) @binding(4) var<storage, read> tangentIndex: array<i32>;
@group(0) @binding(5) var<storage, read_write> preActivation: array<f32>;
@group(0) @binding(6) var<storage, read_write> activation: array<f32>;

// Jet order, 1..MAX_ORDER.
override K: u32 = 2u;
override COLLAPSED: bool = false;
// 0 = linear (output layer: only z is written), 1 = tanh, 2 = sin, 3 = softplus, 4 = identity.
override ACTIVATION: u32 = 1u;
// 0 = jet rows of the previous layer, 1 = first layer with dense tangents, 2 = with one-hot tangents.
override INPUT: u32 = 0u;
override WORKGROUP_SIZE: u32 = 64u;
override THREADS_OUTS: u32 = 8u;
override TILE_INNER: u32 = 16u;

override THREADS_ROWS: u32 = WORKGROUP_SIZE / THREADS_OUTS;
override TILE_ROWS: u32 = THREADS_ROWS * 4u;
override TILE_OUTS: u32 = THREADS_OUTS * 4u;

const MAX_ORDER: u32 = 8u;
const INPUT_ROWS: u32 = 0u;
const INPUT_DENSE: u32 = 1u;
const INPUT_ONE_HOT: u32 = 2u;
const LINEAR: u32 = 0u;
const TANH: u32 = 1u;
const SIN: u32 = 2u;
const SOFTPLUS: u32 = 3u;

// Both tiles are stored inner-index-major, so the compute loop reads one contiguous run per i.
var<workgroup> tileA: array<f32, TILE_INNER * TILE_ROWS>;
var<workgroup> tileB: array<f32, TILE_INNER * TILE_OUTS>;

// Per-unit series. Function-scope arrays are always initialized explicitly: on SwiftShader a
// `var a: T;` inside a loop keeps the previous iteration's contents instead of starting at zero.
alias Series = array<f32, MAX_ORDER + 1u>;

// Per-direction orders stored in their own row: K, or K − 1 when the top order is collapsed.
fn directionOrders() -> u32 {
  return select(K, K - 1u, COLLAPSED);
}

// Row of (direction r, order k ≤ directionOrders()) within a point (jetLayout.rowOf).
fn rowOf(r: u32, k: u32) -> u32 {
  return 1u + r * directionOrders() + (k - 1u);
}

fn tangentSlot(p: u32, r: u32, k: u32) -> u32 {
  return (p * params.directions + r) * K + (k - 1u);
}

// Element i of the first layer's input row v of point p, built from x and the dense tangents.
fn denseInputRow(p: u32, v: u32, i: u32) -> f32 {
  let d = params.inputs;
  if (v == 0u) {
    return inputJet[p * d + i];
  }
  if (COLLAPSED && v == params.rowsPerPoint - 1u) {
    var sum = 0.0;
    for (var r = 0u; r < params.directions; r++) {
      sum += tangents[tangentSlot(p, r, K) * d + i];
    }
    return sum;
  }
  let orders = directionOrders();
  let r = (v - 1u) / orders;
  let k = (v - 1u) % orders + 1u;
  return tangents[tangentSlot(p, r, k) * d + i];
}

// Matmul row m of this workgroup (0-based within its points) → global row index (p·V + v).
fn globalRow(firstPoint: u32, m: u32) -> u32 {
  if (INPUT == INPUT_ONE_HOT) {
    return (firstPoint + m) * params.rowsPerPoint;
  }
  return firstPoint * params.rowsPerPoint + m;
}

fn loadInput(firstPoint: u32, m: u32, i: u32) -> f32 {
  if (i >= params.inputs) {
    return 0.0;
  }
  let row = globalRow(firstPoint, m);
  if (INPUT == INPUT_DENSE) {
    return denseInputRow(row / params.rowsPerPoint, row % params.rowsPerPoint, i);
  }
  if (INPUT == INPUT_ONE_HOT) {
    return inputJet[(row / params.rowsPerPoint) * params.inputs + i];
  }
  return inputJet[row * params.inputs + i];
}

fn loadWeight(o: u32, i: u32) -> f32 {
  if (i >= params.inputs) {
    return 0.0;
  }
  return parameters[params.weightOffset + o * params.inputs + i];
}

// Stores one register row (outputs tc, tc + THREADS_OUTS, …) of z for matmul row m.
fn storeRow(firstPoint: u32, m: u32, rowCount: u32, firstOut: u32, tc: u32, z: vec4<f32>) {
  if (m >= rowCount) {
    return;
  }
  let row = globalRow(firstPoint, m);
  let isValueRow = row % params.rowsPerPoint == 0u;
  for (var j = 0u; j < 4u; j++) {
    let o = firstOut + tc + j * THREADS_OUTS;
    if (o < params.outputs) {
      var value = z[j];
      if (isValueRow) {
        value += parameters[params.biasOffset + o];
      }
      preActivation[row * params.outputs + o] = value;
    }
  }
}

// The activation and its derivative series at the value z_0: s_0 = σ(z_0), D_0 = σ'(z_0), and for
// softplus Q_0 = L(z_0)(1 − L(z_0)). Everything comes from e^{−|z|}, which cannot overflow.
struct Seed {
  value: f32,
  slope: f32,
  curvature: f32,
}

fn tanhSeed(z: f32) -> Seed {
  let a = abs(z);
  let t = exp(-2.0 * a);
  // (1 − t)/(1 + t) cancels for small |z|; the odd series is exact to f32 there (next term ~z⁹).
  var y = (1.0 - t) / (1.0 + t);
  if (a < 0.125) {
    let a2 = a * a;
    y = a * (1.0 + a2 * (-1.0 / 3.0 + a2 * (2.0 / 15.0 + a2 * (-17.0 / 315.0))));
  }
  // sech² z = 4t/(1 + t)² keeps its relative accuracy where 1 − y² would round to 0.
  return Seed(sign(z) * y, 4.0 * t / ((1.0 + t) * (1.0 + t)), 0.0);
}

// log(1 + e) for e in [0, 1]. WGSL's log is only accurate to 2⁻²¹ absolute near 1, so small e use
// log1p(e) = 2·atanh(w), w = e/(2 + e) ≤ 1/9, whose series converges to f32 in five terms.
fn log1pSmall(e: f32) -> f32 {
  if (e >= 0.25) {
    return log(1.0 + e);
  }
  let w = e / (2.0 + e);
  let w2 = w * w;
  return 2.0 * w * (1.0 + w2 * (1.0 / 3.0 + w2 * (1.0 / 5.0 + w2 * (1.0 / 7.0 + w2 / 9.0))));
}

fn softplusSeed(z: f32) -> Seed {
  let e = exp(-abs(z));
  let logistic = select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
  return Seed(max(z, 0.0) + log1pSmall(e), logistic, e / ((1.0 + e) * (1.0 + e)));
}

fn seedOf(z: f32) -> Seed {
  switch (ACTIVATION) {
    case TANH: {
      return tanhSeed(z);
    }
    case SIN: {
      let sc = sinCos(z);
      return Seed(sc.x, sc.y, 0.0);
    }
    case SOFTPLUS: {
      return softplusSeed(z);
    }
    default: {
      return Seed(z, 1.0, 0.0);
    }
  }
}

// s_1..s_n of σ(z(t)) for one direction (z[0] = z_0; seed from seedOf(z_0)). Returns the collapsed
// top row's share from this direction, (1/K)·Σ_{j=1..K−1} j·z_j·D_{K−j}, which needs D up to n.
fn taylorRule(z: ptr<function, Series>, s: ptr<function, Series>, n: u32, seed: Seed) -> f32 {
  var d = Series(); // σ'(z(t))
  var q = Series(); // softplus only: L'(z(t)) = L − L²
  d[0] = seed.slope;
  q[0] = seed.curvature;
  (*s)[0] = seed.value;
  for (var k = 1u; k <= n; k++) {
    var acc = 0.0;
    for (var j = 1u; j <= k; j++) {
      acc += f32(j) * (*z)[j] * d[k - j];
    }
    (*s)[k] = acc / f32(k);
    switch (ACTIVATION) {
      case TANH: {
        var square = 0.0;
        for (var i = 0u; i <= k; i++) {
          square += (*s)[i] * (*s)[k - i];
        }
        d[k] = -square;
      }
      case SIN: {
        var c = 0.0;
        for (var j = 1u; j <= k; j++) {
          c += f32(j) * (*z)[j] * (*s)[k - j];
        }
        d[k] = -c / f32(k);
      }
      case SOFTPLUS: {
        var l = 0.0;
        for (var j = 1u; j <= k; j++) {
          l += f32(j) * (*z)[j] * q[k - j];
        }
        d[k] = l / f32(k);
        var square = 0.0;
        for (var i = 0u; i <= k; i++) {
          square += d[i] * d[k - i];
        }
        q[k] = d[k] - square;
      }
      default: {
        d[k] = 0.0;
      }
    }
  }
  var top = 0.0;
  if (COLLAPSED) {
    for (var j = 1u; j < K; j++) {
      top += f32(j) * (*z)[j] * d[K - j];
    }
    top /= f32(K);
  }
  return top;
}

// One-hot first layer: z of tangent slot `slot` for output o is coefficient·W[o][index].
fn gatherTangent(slot: u32, o: u32) -> f32 {
  let index = tangentIndex[slot];
  if (index < 0 || u32(index) >= params.inputs) {
    return 0.0;
  }
  return tangents[slot] * parameters[params.weightOffset + o * params.inputs + u32(index)];
}

// Phase 2 for one unit (point p, output o): gathers one-hot z rows if needed, then applies σ.
fn activateUnit(p: u32, o: u32) {
  let h = params.outputs;
  let base = p * params.rowsPerPoint;
  let orders = directionOrders();
  let applyActivation = ACTIVATION != LINEAR;
  var z = Series();
  var s = Series();
  z[0] = preActivation[base * h + o];
  let seed = seedOf(z[0]);
  if (applyActivation) {
    activation[base * h + o] = seed.value;
  }
  var topZ = 0.0;
  var topRest = 0.0;
  for (var r = 0u; r < params.directions; r++) {
    for (var k = 1u; k <= orders; k++) {
      let index = (base + rowOf(r, k)) * h + o;
      if (INPUT == INPUT_ONE_HOT) {
        z[k] = gatherTangent(tangentSlot(p, r, k), o);
        preActivation[index] = z[k];
      } else {
        z[k] = preActivation[index];
      }
    }
    if (COLLAPSED && INPUT == INPUT_ONE_HOT) {
      topZ += gatherTangent(tangentSlot(p, r, K), o);
    }
    if (applyActivation) {
      topRest += taylorRule(&z, &s, orders, seed);
      for (var k = 1u; k <= orders; k++) {
        activation[(base + rowOf(r, k)) * h + o] = s[k];
      }
    }
  }
  if (COLLAPSED) {
    let topIndex = (base + params.rowsPerPoint - 1u) * h + o;
    if (INPUT == INPUT_ONE_HOT) {
      preActivation[topIndex] = topZ;
    } else {
      topZ = preActivation[topIndex];
    }
    if (applyActivation) {
      activation[topIndex] = seed.slope * topZ + topRest;
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn layer(
  @builtin(workgroup_id) groupId: vec3<u32>,
  @builtin(num_workgroups) groupCount: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let pointGroup = groupId.y + groupId.z * groupCount.y;
  if (pointGroup >= params.pointGroups) {
    return;
  }
  let firstPoint = pointGroup * params.pointsPerGroup;
  let groupPoints = min(params.pointsPerGroup, params.points - firstPoint);
  let firstOut = groupId.x * TILE_OUTS;
  var rowCount = groupPoints * params.rowsPerPoint;
  if (INPUT == INPUT_ONE_HOT) {
    rowCount = groupPoints;
  }
  let tr = lid / THREADS_OUTS;
  let tc = lid % THREADS_OUTS;

  let chunkOuts = min(TILE_OUTS, params.outputs - firstOut);
  for (var rowStart = 0u; rowStart < rowCount; rowStart += TILE_ROWS) {
    let chunkRows = min(TILE_ROWS, rowCount - rowStart);
    var z0 = vec4<f32>(0.0);
    var z1 = vec4<f32>(0.0);
    var z2 = vec4<f32>(0.0);
    var z3 = vec4<f32>(0.0);
    for (var innerStart = 0u; innerStart < params.inputs; innerStart += TILE_INNER) {
      // Consecutive invocations take consecutive inputs i: coalesced reads of rows and of W.
      // Inputs past the end load as 0, so the fixed-length inner loop below adds nothing for
      // them. Rows and outputs past the end are not loaded at all: their stale tile entries only
      // reach accumulators that are never stored.
      for (var e = lid; e < chunkRows * TILE_INNER; e += WORKGROUP_SIZE) {
        let i = e % TILE_INNER;
        let m = e / TILE_INNER;
        tileA[i * TILE_ROWS + m] = loadInput(firstPoint, rowStart + m, innerStart + i);
      }
      for (var e = lid; e < chunkOuts * TILE_INNER; e += WORKGROUP_SIZE) {
        let i = e % TILE_INNER;
        let o = e / TILE_INNER;
        tileB[i * TILE_OUTS + o] = loadWeight(firstOut + o, innerStart + i);
      }
      workgroupBarrier();
      for (var i = 0u; i < TILE_INNER; i++) {
        let a = i * TILE_ROWS + tr;
        let b = i * TILE_OUTS + tc;
        let w = vec4<f32>(
          tileB[b],
          tileB[b + THREADS_OUTS],
          tileB[b + 2u * THREADS_OUTS],
          tileB[b + 3u * THREADS_OUTS],
        );
        z0 += tileA[a] * w;
        z1 += tileA[a + THREADS_ROWS] * w;
        z2 += tileA[a + 2u * THREADS_ROWS] * w;
        z3 += tileA[a + 3u * THREADS_ROWS] * w;
      }
      workgroupBarrier();
    }
    storeRow(firstPoint, rowStart + tr, rowCount, firstOut, tc, z0);
    storeRow(firstPoint, rowStart + tr + THREADS_ROWS, rowCount, firstOut, tc, z1);
    storeRow(firstPoint, rowStart + tr + 2u * THREADS_ROWS, rowCount, firstOut, tc, z2);
    storeRow(firstPoint, rowStart + tr + 3u * THREADS_ROWS, rowCount, firstOut, tc, z3);
  }

  if (ACTIVATION == LINEAR && INPUT != INPUT_ONE_HOT) {
    return;
  }
  storageBarrier();
  for (var t = lid; t < groupPoints * TILE_OUTS; t += WORKGROUP_SIZE) {
    let o = firstOut + t % TILE_OUTS;
    if (o < params.outputs) {
      activateUnit(firstPoint + t / TILE_OUTS, o);
    }
  }
}
