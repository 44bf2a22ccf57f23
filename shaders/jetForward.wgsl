// jetForward.wgsl: one MLP layer applied to a batch of Taylor jets, in ONE dispatch:
//   z = W·(input jet) (+ bias on the value row), then s = σ(z) by the activation's Taylor rule.
//
// Composes (src/gpu/composeShader.ts, in front of this file): lib/accurateMath.wgsl,
// lib/grid.wgsl, lib/series.wgsl, lib/jetRows.wgsl (the rows below, overrides ORDER and
// COLLAPSED), lib/tangentSlots.wgsl, lib/activations.wgsl (σ's seeds, override ACTIVATION),
// lib/layerInput.wgsl (the first layer's input rows, override INPUT), lib/random.wgsl and
// lib/ballPoints.wgsl (regenerated collocation points, override POINTS), lib/denseTangents.wgsl
// (regenerated dense tangents, override TANGENTS), lib/twoPoint.wgsl (the trial weights of
// PERTURBED).
//
// Rows (lib/jetRows.wgsl): per point V = rowsPerPoint rows; row 0 is the value, the other rows are
// normalized coefficients c_k = v_k/k! of each direction r, orders 1..K (standard), or orders
// 1..K−1 plus ONE row holding Σ_r c_K (collapsed). Element j of row v of point p of a layer of
// width h lives at (p·V + v)·h + j.
//
// Bindings (@group(0)):
//   0 params        : uniform LayerParams (below)
//   1 parameters    : storage, read        the parameter block holding this dispatch's rows of W
//                                          (src/engine/parameterBlocks.ts; the whole flat parameter
//                                          buffer unless it is split): W is row-major [out][in],
//                                          row firstOutput at weightOffset
//   2 inputJet      : storage, read        INPUT_ROWS: the previous layer's σ jets (N·V·inputs);
//                                          first layer (dense / one-hot): the points x (N·d),
//                                          or with POINTS = 1 the ball draw's partials, from
//                                          which x is redrawn (lib/ballPoints.wgsl)
//   3 tangents      : storage, read        first layer only: dense N·R·K·d coefficients (unread
//                                          with TANGENTS = 1: redrawn), or one-hot N·R·K
//                                          coefficients; slot (p·R + r)·K + (k − 1)
//   4 tangentIndex  : storage, read        one-hot only: N·R·K indices, −1 = zero tangent
//   5 preActivation : storage, read_write  z jets, N·V·outputs (the layer output if it is linear)
//   6 activation    : storage, read_write  σ(z) jets, N·V·outputs (untouched when ACTIVATION = 0)
//   7 partials      : storage, read        the layer's bias, at biasOffset: sumPartials reads the K
//                                          blocks' partial sums (below) followed by a copy of the
//                                          bias; every other entry the parameter block holding b
//   8 stepCounter   : storage, read        POINTS = 1 or TANGENTS = 1 only: word 0 is the step of
//                                          the draw
//   9 perturbation  : uniform Perturbation PERTURBED only (below): the trial point's direction
// Unused bindings (tangents on hidden layers, activation on the linear output layer, the step
// counter with stored points and tangents, the perturbation of an unperturbed pass) still need a buffer: the
// layout is reflected from this file, so every dispatch of every entry point binds all ten.
// Overrides: ORDER (K, 1..MAX_ORDER), COLLAPSED, ACTIVATION (0 = linear: only z is written,
//   1 tanh, 2 sin, 3 softplus, 4 identity), INPUT (0 = jet rows of the previous layer, 1 = first
//   layer with dense tangents, 2 = with one-hot tangents), POINTS (0 = the first layer's points
//   stored, 1 = redrawn), TANGENTS (0 = dense tangents stored, 1 = redrawn), PERTURBED (below),
//   BLOCK_INNER (the split below), and the tiling below (WORKGROUP_SIZE is lib/grid.wgsl's);
//   POINT_QUADS follows from POINTS, INPUT and TILE_INNER (the host never sets it).
//
// PERTURBED (zeroth-order training without a trial buffer): every weight and bias the pass reads
// is the trial value θ_i + scale·z_j[i] (lib/twoPoint.wgsl), z_j the full family's direction
// `perturbation.direction` of step `perturbation.trainStep`, drawn at the element's flat index i
// (from weightFlat): the bits zerothOrder.wgsl's perturb would have written to a trial buffer, so
// the pass is that buffer's pass, while at d = 10⁷ no second copy of W₁ (5 GB) exists. z is
// redrawn at every read of a weight: once per point group's tile load (a tile is reused across
// the workgroup's points; four a lane from one Philox block, loadTrialWeights), once per gathered
// one-hot tangent. Redrawn points likewise, four a lane (POINT_QUADS, loadPointQuads). d = 20 000,
// 3 × 128, 100 points, sparse B = 16, SwiftShader, old and new code in turn (with the ball draw's
// normals four a lane too, samplers.wgsl): inline SPSA with regenerated points 0.10 → 0.14 it/s,
// with stored points 0.14 → 0.17; backprop with regenerated points 0.20 → 0.23.
// A regenerated dense tangent is likewise redrawn at every tile load of the first layer's rows:
// once per output tile of its point group.
//
// Workgroup: WORKGROUP_SIZE invocations = THREADS_ROWS × THREADS_OUTS; each owns a 4 × 4 register
// block of (row, output) pairs, so a workgroup computes a TILE_ROWS × TILE_OUTS tile of z per step.
// Dispatch: x = ceil(blockOutputs / TILE_OUTS) output tiles; y·z ≥ pointGroups groups of
// pointsPerGroup consecutive points (a 2-D grid because y alone stops at 65 535 workgroups). A
// dispatch computes output units firstOutput ≤ o < firstOutput + blockOutputs (all of them unless
// the parameters are split into blocks: then the first layer runs once per block, over the rows of
// W that block holds); z and σ(z) keep the layer's full width `outputs` as their row stride.
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
//
// Entry points: `layer` is the fused layer above, one dispatch. A first layer with many inputs d
// and few workgroups (one, for 32 points of width 32) would walk all of d inside each workgroup
// and leave a large GPU idle, so src/engine/forwardJet.ts may split it over its inputs into
// S = ⌈d / BLOCK_INNER⌉ K blocks, two dispatches:
//   partialProducts  one workgroup per (output tile, point group, K block b), grid x = output
//                    tiles, y·z ≥ pointGroups·S (point groups fastest): phase 1 over inputs
//                    b·BLOCK_INNER ≤ i < min((b + 1)·BLOCK_INNER, d) of the multiplied rows,
//                    P_b = Σ_{i in block b} row_i·W[o][i], stored without the bias into the buffer
//                    bound as preActivation, the partial buffer: element (b·N·M + row)·outputs + o,
//                    M multiplied rows per point (1 for one-hot, V for dense), row = p·M + v.
//   sumPartials      one invocation per unit (p, o) (lib/grid.wgsl invocationIndex): z of each
//                    multiplied row = ((P_0 + P_1) + …) + P_{S−1}, in block order, + b_o on the
//                    value row, stored to preActivation (now z), then phase 2 (activateUnit).
// partialProducts writes the partial buffer through the preActivation binding rather than a
// writable binding of its own, which every fused dispatch would need a writable stand-in for
// (two writable bindings of one buffer may not alias); sumPartials reads it through `partials`.
// The host copies the layer's bias behind the partial sums (biasOffset points there), so the bias
// and the partials share one binding while `parameters` holds the rows of W the one-hot gather
// reads: with split parameters those live in another buffer than b.
// Each partial is written by one workgroup and summed in a fixed order: a split run is the same
// bits on every run (not the bits of the fused layer, which sums the inputs in one sequence).

struct LayerParams {
  points: u32,
  directions: u32,
  rowsPerPoint: u32,
  inputs: u32,
  outputs: u32,
  weightOffset: u32,
  biasOffset: u32,
  // Flat index (jetLayout.ts) of W[firstOutput][0], where PERTURBED draws z; b follows W there.
  weightFlat: u32,
  // The output units of this dispatch: firstOutput ≤ o < firstOutput + blockOutputs.
  firstOutput: u32,
  blockOutputs: u32,
  pointsPerGroup: u32,
  pointGroups: u32,
  // (seed, stream, scalesAt, normsAt) of regenerated points (lib/ballPoints.wgsl); else zero.
  pointSource: vec4<u32>,
  // The dense tangents' draw, read with TANGENTS = 1 (lib/denseTangents.wgsl); else zero.
  tangentDraw: DenseTangentDraw,
}

@group(0) @binding(0) var<uniform> params: LayerParams;
@group(0) @binding(1) var<storage, read> parameters: array<f32>;
@group(0) @binding(2) var<storage, read> inputJet: array<f32>;
@group(0) @binding(3) var<storage, read> tangents: array<f32>;
@group(0) @binding(4) var<storage, read> tangentIndex: array<i32>;
@group(0) @binding(5) var<storage, read_write> preActivation: array<f32>;
@group(0) @binding(6) var<storage, read_write> activation: array<f32>;
@group(0) @binding(7) var<storage, read> partials: array<f32>;
@group(0) @binding(8) var<storage, read> stepCounter: array<u32>;
@group(0) @binding(9) var<uniform> perturbation: Perturbation;

// The trial point θ + scale·z_j of a PERTURBED pass, z_j at key (seed, directionStream) and
// counter (trainStep, direction, 0, flat index) as zerothOrder.wgsl draws it.
struct Perturbation {
  seed: u32,
  directionStream: u32,
  direction: u32,
  scale: f32,
  trainStep: u32,
}

override PERTURBED: bool = false;

override THREADS_OUTS: u32 = 8u;
override TILE_INNER: u32 = 16u;
// Inputs per K block of a split first layer, a multiple of TILE_INNER (0: the layer is fused).
override BLOCK_INNER: u32 = 0u;

override THREADS_ROWS: u32 = WORKGROUP_SIZE / THREADS_OUTS;
override TILE_ROWS: u32 = THREADS_ROWS * 4u;
override TILE_OUTS: u32 = THREADS_OUTS * 4u;

// Both tiles are stored inner-index-major, so the compute loop reads one contiguous run per i.
var<workgroup> tileA: array<f32, TILE_INNER * TILE_ROWS>;
var<workgroup> tileB: array<f32, TILE_INNER * TILE_OUTS>;

// lib/layerInput.wgsl's view of the first layer's input: the points x and the dense tangents.
fn pointCoordinate(p: u32, i: u32) -> f32 {
  if (POINTS == POINTS_REGENERATED) {
    let at = params.pointSource.z + 2u * p;
    let scaleOffset = vec2<f32>(inputJet[at], inputJet[at + 1u]);
    return regeneratedBallCoordinate(params.pointSource, stepCounter[0], p, i, scaleOffset);
  }
  return inputJet[p * params.inputs + i];
}

fn tangentCoefficient(slot: u32, i: u32) -> f32 {
  if (TANGENTS == TANGENTS_REGENERATED) {
    let step = stepCounter[0];
    return denseTangentOfSlot(params.tangentDraw, step, slot, i, params.directions, ORDER);
  }
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
    return pointCoordinate(row / params.rowsPerPoint, i);
  }
  return inputJet[row * params.inputs + i];
}

// A parameter as the pass reads it: θ_i itself, or with PERTURBED the trial value at flat index i.
fn readParameter(value: f32, flat: u32) -> f32 {
  if (!PERTURBED) {
    return value;
  }
  let key = vec2<u32>(perturbation.seed, perturbation.directionStream);
  let z = fullDirection(key, perturbation.trainStep, perturbation.direction, flat);
  return trialValue(value, perturbation.scale, z);
}

// W[o][i] of this dispatch's rows (o ≥ firstOutput, i < inputs).
fn weightAt(o: u32, i: u32) -> f32 {
  let local = (o - params.firstOutput) * params.inputs + i;
  return readParameter(parameters[params.weightOffset + local], params.weightFlat + local);
}

// b[o], read through `partials` (binding 7: its parameter block, or a split layer's copy of it);
// its flat index is W's end (outputs × inputs from W[0][0]) + o.
fn biasAt(o: u32) -> f32 {
  let flat = params.weightFlat + (params.outputs - params.firstOutput) * params.inputs + o;
  return readParameter(partials[params.biasOffset + o], flat);
}

fn loadWeight(o: u32, i: u32) -> f32 {
  if (i >= params.inputs) {
    return 0.0;
  }
  return weightAt(o, i);
}

// One past the last output unit of this dispatch.
fn outputEnd() -> u32 {
  return params.firstOutput + params.blockOutputs;
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
    if (o < outputEnd()) {
      var value = z[j];
      if (isValueRow) {
        value += biasAt(o);
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
  return tangents[slot] * weightAt(o, u32(index));
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

// The four register rows of one invocation's 4 × 4 block of a product chunk (named vec4s, not an
// array: SwiftShader keeps indexed arrays in memory, lib/productTiles.wgsl).
struct RowBlock {
  z0: vec4<f32>,
  z1: vec4<f32>,
  z2: vec4<f32>,
  z3: vec4<f32>,
}

// Redrawn x (POINTS = 1) and trial weights (PERTURBED) come four a lane from one Philox block
// (lib/random.wgsl normalBlock): the values loadInput and loadWeight give, for a quarter of their
// Philox rounds and half their Box–Muller transforms. x a quad of inputs at a time, where every
// matmul row is a point's value row (one-hot tangents) and a quad never straddles a tile.
override POINT_QUADS: bool = POINTS == POINTS_REGENERATED && INPUT == INPUT_ONE_HOT &&
  TILE_INNER % 4u == 0u;

// tileA's rows rowStart … rowStart + chunkRows − 1 over inputs innerStart … + TILE_INNER − 1.
fn loadPointQuads(firstPoint: u32, rowStart: u32, chunkRows: u32, innerStart: u32, lid: u32) {
  let quads = TILE_INNER / 4u;
  for (var e = lid; e < chunkRows * quads; e += WORKGROUP_SIZE) {
    let m = e / quads;
    let first = innerStart + 4u * (e % quads);
    let p = firstPoint + rowStart + m;
    let at = params.pointSource.z + 2u * p;
    let scaleOffset = vec2<f32>(inputJet[at], inputJet[at + 1u]);
    let step = stepCounter[0];
    let x = regeneratedBallBlock(params.pointSource, step, p, first / 4u, scaleOffset);
    for (var c = 0u; c < 4u; c++) {
      let i = first + c;
      tileA[(i - innerStart) * TILE_ROWS + m] = select(0.0, x[c], i < params.inputs);
    }
  }
}

// tileB's units firstOut … firstOut + chunkOuts − 1 over inputs innerStart … + TILE_INNER − 1:
// unit o's weights are the flat run [start, start + TILE_INNER), which meets at most
// ⌈(TILE_INNER + 3) / 4⌉ Philox blocks of z (a run of 2 can straddle two).
fn loadTrialWeights(firstOut: u32, chunkOuts: u32, innerStart: u32, lid: u32) {
  let key = vec2<u32>(perturbation.seed, perturbation.directionStream);
  let perRow = (TILE_INNER + 6u) / 4u;
  for (var e = lid; e < chunkOuts * perRow; e += WORKGROUP_SIZE) {
    let o = e / perRow;
    let local = (firstOut + o - params.firstOutput) * params.inputs + innerStart;
    let start = params.weightFlat + local;
    let b = start / 4u + e % perRow;
    if (4u * b < start + TILE_INNER) {
      let z = fullDirectionBlock(key, perturbation.trainStep, perturbation.direction, b);
      for (var c = 0u; c < 4u; c++) {
        let n = 4u * b + c;
        let i = n - start;
        if (n >= start && i < TILE_INNER) {
          var w = 0.0;
          if (innerStart + i < params.inputs) {
            let theta = parameters[params.weightOffset + local + i];
            w = trialValue(theta, perturbation.scale, z[c]);
          }
          tileB[i * TILE_OUTS + o] = w;
        }
      }
    }
  }
}

// Phase 1 of one chunk of up to TILE_ROWS matmul rows (from rowStart) of this workgroup's points
// and output tile: Σ_i row_i·W[o][i] over inputs innerBegin ≤ i < innerEnd, in the order of i.
// The fused layer takes every input; a split layer one block, whose bounds are multiples of
// TILE_INNER except the last input, so no tile straddles a block. The caller stores the block.
fn productChunk(
  firstPoint: u32,
  rowStart: u32,
  chunkRows: u32,
  firstOut: u32,
  chunkOuts: u32,
  innerBegin: u32,
  innerEnd: u32,
  lid: u32,
) -> RowBlock {
  let tr = lid / THREADS_OUTS;
  let tc = lid % THREADS_OUTS;
  var z0 = vec4<f32>(0.0);
  var z1 = vec4<f32>(0.0);
  var z2 = vec4<f32>(0.0);
  var z3 = vec4<f32>(0.0);
  for (var innerStart = innerBegin; innerStart < innerEnd; innerStart += TILE_INNER) {
    // Consecutive invocations take consecutive inputs i: coalesced reads of rows and of W.
    // Inputs past the end load as 0, so the fixed-length inner loop below adds nothing for
    // them. Rows and outputs past the end are not loaded at all: their stale tile entries only
    // reach accumulators that are never stored.
    if (POINT_QUADS) {
      loadPointQuads(firstPoint, rowStart, chunkRows, innerStart, lid);
    } else {
      for (var e = lid; e < chunkRows * TILE_INNER; e += WORKGROUP_SIZE) {
        let i = e % TILE_INNER;
        let m = e / TILE_INNER;
        tileA[i * TILE_ROWS + m] = loadInput(firstPoint, rowStart + m, innerStart + i);
      }
    }
    if (PERTURBED) {
      loadTrialWeights(firstOut, chunkOuts, innerStart, lid);
    } else {
      for (var e = lid; e < chunkOuts * TILE_INNER; e += WORKGROUP_SIZE) {
        let i = e % TILE_INNER;
        let o = e / TILE_INNER;
        tileB[i * TILE_OUTS + o] = loadWeight(firstOut + o, innerStart + i);
      }
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
  return RowBlock(z0, z1, z2, z3);
}

// Matmul rows of a point group: every row of its points, or only the value rows (one-hot).
fn multipliedRows(groupPoints: u32) -> u32 {
  if (INPUT == INPUT_ONE_HOT) {
    return groupPoints;
  }
  return groupPoints * params.rowsPerPoint;
}

// What one workgroup of phase 1 covers: point group `pointGroup`, output tile `outTile`. Shared by
// the fused and the split kernels. Workgroup-uniform on purpose: the loops over its rows hold
// barriers, and WGSL's uniformity analysis treats a struct as one value, so the invocation's own
// place (tr, tc) stays outside it.
struct GroupTile {
  firstPoint: u32,
  groupPoints: u32,
  firstOut: u32,
  chunkOuts: u32,
  rowCount: u32,
}

fn groupTile(pointGroup: u32, outTile: u32) -> GroupTile {
  let firstPoint = pointGroup * params.pointsPerGroup;
  let groupPoints = min(params.pointsPerGroup, params.points - firstPoint);
  let firstOut = params.firstOutput + outTile * TILE_OUTS;
  return GroupTile(
    firstPoint,
    groupPoints,
    firstOut,
    min(TILE_OUTS, outputEnd() - firstOut),
    multipliedRows(groupPoints),
  );
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn layer(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  // Point groups fold from y into z.
  let pointGroup = foldedIndex(grid.wid.yzx, grid.groups.yzx);
  if (pointGroup >= params.pointGroups) {
    return;
  }
  let g = groupTile(pointGroup, grid.wid.x);
  let tr = lid / THREADS_OUTS;
  let tc = lid % THREADS_OUTS;
  for (var rowStart = 0u; rowStart < g.rowCount; rowStart += TILE_ROWS) {
    let chunkRows = min(TILE_ROWS, g.rowCount - rowStart);
    let z = productChunk(
      g.firstPoint, rowStart, chunkRows, g.firstOut, g.chunkOuts, 0u, params.inputs, lid,
    );
    let m = rowStart + tr;
    storeRow(g.firstPoint, m, g.rowCount, g.firstOut, tc, z.z0);
    storeRow(g.firstPoint, m + THREADS_ROWS, g.rowCount, g.firstOut, tc, z.z1);
    storeRow(g.firstPoint, m + 2u * THREADS_ROWS, g.rowCount, g.firstOut, tc, z.z2);
    storeRow(g.firstPoint, m + 3u * THREADS_ROWS, g.rowCount, g.firstOut, tc, z.z3);
  }

  if (ACTIVATION == LINEAR && INPUT != INPUT_ONE_HOT) {
    return;
  }
  storageBarrier();
  for (var t = lid; t < g.groupPoints * TILE_OUTS; t += WORKGROUP_SIZE) {
    let o = g.firstOut + t % TILE_OUTS;
    if (o < outputEnd()) {
      activateUnit(g.firstPoint + t / TILE_OUTS, o);
    }
  }
}

// ---- The split first layer (BLOCK_INNER > 0): partialProducts, then sumPartials. ----

// K blocks of the split: ⌈inputs / BLOCK_INNER⌉.
fn splitCount() -> u32 {
  return (params.inputs + BLOCK_INNER - 1u) / BLOCK_INNER;
}

// Where the partial sum of K block `kBlock` of multiplied row `row` (p for one-hot, p·V + v
// otherwise) and output o lives in the partial buffer.
fn partialIndex(kBlock: u32, row: u32, o: u32) -> u32 {
  return (kBlock * multipliedRows(params.points) + row) * params.outputs + o;
}

// Stores one register row of a K block's raw sums (no bias: sumPartials adds it once).
fn storePartial(kBlock: u32, g: GroupTile, m: u32, tc: u32, z: vec4<f32>) {
  if (m >= g.rowCount) {
    return;
  }
  let row = multipliedRows(g.firstPoint) + m;
  for (var j = 0u; j < 4u; j++) {
    let o = g.firstOut + tc + j * THREADS_OUTS;
    if (o < outputEnd()) {
      preActivation[partialIndex(kBlock, row, o)] = z[j];
    }
  }
}

// One workgroup per (output tile, point group, K block): phase 1 over the block's inputs only.
// Each partial is written by exactly one workgroup, so the split is as deterministic as the fused
// kernel. The partial buffer is bound as preActivation (see the header).
@compute @workgroup_size(WORKGROUP_SIZE)
fn partialProducts(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  // Point groups and K blocks fold from y into z, point groups fastest.
  let item = foldedIndex(grid.wid.yzx, grid.groups.yzx);
  if (item >= params.pointGroups * splitCount()) {
    return;
  }
  let kBlock = item / params.pointGroups;
  let pointGroup = item % params.pointGroups;
  let g = groupTile(pointGroup, grid.wid.x);
  let tr = lid / THREADS_OUTS;
  let tc = lid % THREADS_OUTS;
  let innerBegin = kBlock * BLOCK_INNER;
  let innerEnd = min(innerBegin + BLOCK_INNER, params.inputs);

  for (var rowStart = 0u; rowStart < g.rowCount; rowStart += TILE_ROWS) {
    let chunkRows = min(TILE_ROWS, g.rowCount - rowStart);
    let z = productChunk(
      g.firstPoint, rowStart, chunkRows, g.firstOut, g.chunkOuts, innerBegin, innerEnd, lid,
    );
    let m = rowStart + tr;
    storePartial(kBlock, g, m, tc, z.z0);
    storePartial(kBlock, g, m + THREADS_ROWS, tc, z.z1);
    storePartial(kBlock, g, m + 2u * THREADS_ROWS, tc, z.z2);
    storePartial(kBlock, g, m + 3u * THREADS_ROWS, tc, z.z3);
  }
}

// One invocation per unit (point p, output o): z of each multiplied row is the sum of its K
// blocks' partials in block order, plus the bias on the value row; then phase 2 (activateUnit) as
// in the fused kernel. The invocation reads back only the z it wrote itself, so no barrier.
@compute @workgroup_size(WORKGROUP_SIZE)
fn sumPartials(grid: GridInvocation) {
  let unit = invocationIndex(grid);
  if (unit >= params.points * params.blockOutputs) {
    return;
  }
  let p = unit / params.blockOutputs;
  let o = params.firstOutput + unit % params.blockOutputs;
  let rows = multipliedRows(1u);
  let splits = splitCount();
  for (var v = 0u; v < rows; v++) {
    let row = p * rows + v;
    var sum = partials[partialIndex(0u, row, o)];
    for (var kBlock = 1u; kBlock < splits; kBlock++) {
      sum += partials[partialIndex(kBlock, row, o)];
    }
    if (v == 0u) {
      sum += biasAt(o);
    }
    preActivation[(p * params.rowsPerPoint + v) * params.outputs + o] = sum;
  }
  if (ACTIVATION == LINEAR && INPUT != INPUT_ONE_HOT) {
    return;
  }
  activateUnit(p, o);
}
