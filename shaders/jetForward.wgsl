// jetForward.wgsl: one MLP layer applied to a batch of Taylor jets, in ONE dispatch:
//   z = W·(input jet) (+ bias on the value row), then s = σ(z) by the activation's Taylor rule.
//
// Composes (src/gpu/composeShader.ts, in front of this file): lib/accurateMath.wgsl,
// lib/grid.wgsl, lib/series.wgsl, lib/jetRows.wgsl (the rows below, overrides ORDER and
// COLLAPSED), lib/tangentSlots.wgsl, lib/activations.wgsl (σ's seeds, override ACTIVATION),
// lib/layerInput.wgsl (the first layer's input rows, override INPUT).
//
// Rows (lib/jetRows.wgsl): per point V = rowsPerPoint rows; row 0 is the value, the other rows are
// normalized coefficients c_k = v_k/k! of each direction r, orders 1..K (standard), or orders
// 1..K−1 plus ONE row holding Σ_r c_K (collapsed). Element j of row v of point p of a layer of
// width h lives at (p·V + v)·h + j.
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
// Overrides: ORDER (K, 1..MAX_ORDER), COLLAPSED, ACTIVATION (0 = linear: only z is written,
//   1 tanh, 2 sin, 3 softplus, 4 identity), INPUT (0 = jet rows of the previous layer, 1 = first
//   layer with dense tangents, 2 = with one-hot tangents), and the tiling below (WORKGROUP_SIZE is
//   lib/grid.wgsl's).
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
//   direction, an O(K²) recurrence from σ's ODE, seeded at z_0 by lib/activations.wgsl. With
//   D = σ'(z(t)):
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

override THREADS_OUTS: u32 = 8u;
override TILE_INNER: u32 = 16u;

override THREADS_ROWS: u32 = WORKGROUP_SIZE / THREADS_OUTS;
override TILE_ROWS: u32 = THREADS_ROWS * 4u;
override TILE_OUTS: u32 = THREADS_OUTS * 4u;

// Both tiles are stored inner-index-major, so the compute loop reads one contiguous run per i.
var<workgroup> tileA: array<f32, TILE_INNER * TILE_ROWS>;
var<workgroup> tileB: array<f32, TILE_INNER * TILE_OUTS>;

// lib/layerInput.wgsl's view of the first layer's input: the points x and the dense tangents.
fn pointCoordinate(p: u32, i: u32) -> f32 {
  return inputJet[p * params.inputs + i];
}

fn tangentCoefficient(slot: u32, i: u32) -> f32 {
  return tangents[slot * params.inputs + i];
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
    let v = row % params.rowsPerPoint;
    return denseInputRow(row / params.rowsPerPoint, v, i, params.directions);
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

// s_1..s_n of σ(z(t)) for one direction (z[0] = z_0; seed = seedOf(z_0)). Returns the collapsed
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
    for (var j = 1u; j < ORDER; j++) {
      top += f32(j) * (*z)[j] * d[ORDER - j];
    }
    top /= f32(ORDER);
  }
  return top;
}

// One-hot first layer: z of tangent slot `slot` for output o is coefficient·W[o][index].
fn gatherTangent(slot: u32, o: u32) -> f32 {
  let index = tangentIndex[slot];
  if (!isCoordinate(index, params.inputs)) {
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
      let index = (base + rowOf(r, k, params.directions)) * h + o;
      if (INPUT == INPUT_ONE_HOT) {
        z[k] = gatherTangent(tangentSlot(p, r, k, params.directions, ORDER), o);
        preActivation[index] = z[k];
      } else {
        z[k] = preActivation[index];
      }
    }
    if (COLLAPSED && INPUT == INPUT_ONE_HOT) {
      topZ += gatherTangent(tangentSlot(p, r, ORDER, params.directions, ORDER), o);
    }
    if (applyActivation) {
      topRest += taylorRule(&z, &s, orders, seed);
      for (var k = 1u; k <= orders; k++) {
        activation[(base + rowOf(r, k, params.directions)) * h + o] = s[k];
      }
    }
  }
  if (COLLAPSED) {
    let topIndex = (base + topRow(params.directions)) * h + o;
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
fn layer(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  // Point groups fold from y into z.
  let pointGroup = foldedIndex(grid.wid.yzx, grid.groups.yzx);
  if (pointGroup >= params.pointGroups) {
    return;
  }
  let firstPoint = pointGroup * params.pointsPerGroup;
  let groupPoints = min(params.pointsPerGroup, params.points - firstPoint);
  let firstOut = grid.wid.x * TILE_OUTS;
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
