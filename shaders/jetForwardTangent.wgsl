// jetForwardTangent.wgsl: one MLP layer on a batch of Taylor jets together with its tangent along
// a parameter direction (Ẇ, ḃ) — forward-mode AD over parameters carried through the jet pass, so
// that ∇_θL·v = Σ_{p,v} (∂L/∂u[p, v])·u̇[p, v] needs no backward pass and no stored layer jets.
//
// Composes (src/gpu/composeShader.ts, in front of this file): lib/accurateMath.wgsl,
// lib/grid.wgsl, lib/series.wgsl, lib/jetRows.wgsl (the rows below, overrides ORDER and
// COLLAPSED), lib/tangentSlots.wgsl, lib/activations.wgsl (σ's seeds, override ACTIVATION),
// lib/layerInput.wgsl (the first layer's input rows, override INPUT) — the parts jetForward.wgsl
// composes — and lib/random.wgsl, lib/twoPoint.wgsl (the direction v of DRAWN_TANGENT),
// lib/ballPoints.wgsl (regenerated collocation points, override POINTS), lib/denseTangents.wgsl
// (regenerated dense tangents, override TANGENTS).
//
// Rows as jetForward.wgsl (lib/jetRows.wgsl): V rows per point, row 0 the value, then the
// normalized coefficients of each direction (orders 1..K, or 1..K−1 plus one summed top row when
// COLLAPSED). Element j of row v of point p of a width-h layer lives at (p·V + v)·h + j.
//
// Linear part, per row:  z = W·y (+ b on the value row),  ż = Ẇ·y + W·ẏ (+ ḃ on the value row),
// where y, ẏ are the previous layer's σ jets and their tangents (first layer: the input jets,
// which do not depend on θ, so ẏ = 0; one-hot tangents gather z_k = a·W[:, n], ż_k = a·Ẇ[:, n]).
// Activation: the O(K²) Taylor recurrences of jetForward.wgsl, s_k = (1/k)Σ_{j=1..k} j·z_j·D_{k−j}
// with D = σ'(z(t)), run on dual numbers (value, tangent), i.e. linearised:
//   ṡ_k = (1/k)Σ_j j·(ż_j·D_{k−j} + z_j·Ḋ_{k−j})
//   tanh:     D_k = −Σ_i s_i s_{k−i},                 Ḋ_k = −Σ_i (ṡ_i s_{k−i} + s_i ṡ_{k−i})
//   sin:      D_k = −(1/k)Σ_j j·z_j·s_{k−j},          Ḋ_k = −(1/k)Σ_j j·(ż_j s_{k−j} + z_j ṡ_{k−j})
//   softplus: D_k = (1/k)Σ_j j·z_j·Q_{k−j},  Q = D − D², and their tangents likewise
//   identity: D = 1, Ḋ = 0.
// Seeds at the value (lib/activations.wgsl's σ(z_0), σ'(z_0), σ''(z_0)): s_0 = σ(z_0),
// ṡ_0 = σ'(z_0)·ż_0, Ḋ_0 = σ''(z_0)·ż_0 (tanh: σ'' = −2sσ'; sin: −sin; softplus: Q_0),
// Q̇_0 = (1 − 2D_0)·Ḋ_0.
// Collapsed top row: s_top = D_0·Σ_r z_K + Σ_r (1/K)Σ_{j<K} j·z_j·D_{K−j}, and its tangent.
//
// Bindings (@group(0)):
//   0 params            : uniform LayerParams (below)
//   1 parameters        : storage, read        flat θ (W row-major [out][in] at weightOffset, b)
//   2 tangentParameters : storage, read        flat v = (Ẇ, ḃ), same layout
//                                              (both: the parameter block holding this dispatch's
//                                              rows of W, src/engine/parameterBlocks.ts; the
//                                              whole flat buffer unless it is split)
//   3 inputJet          : storage, read        previous σ jets N·V·inputs; first layer: x (N·d),
//                                              or with POINTS = 1 the ball draw's partials, from
//                                              which x is redrawn (lib/ballPoints.wgsl)
//   4 inputTangent      : storage, read        their tangents; the first layer reads its split
//                                              partials and its COPIED_BIAS here (below)
//   5 tangents          : storage, read        first layer: dense N·R·K·d (unread with TANGENTS =
//                                              1) or one-hot N·R·K coefficients
//   6 tangentIndex      : storage, read        one-hot N·R·K indices (−1 = zero tangent)
//   7 outputJet         : storage, read_write  σ(z) jets (z for the linear layer), N·V·outputs
//   8 outputTangent     : storage, read_write  their tangents, N·V·outputs
//   9 draws             : uniform PassDraws    DRAWN_TANGENT, POINTS = 1 or TANGENTS = 1 only
//                                              (below): the step the pass draws at; every other
//                                              pass binds its dispatch's own params uniform there
// Overrides: ORDER (K, 1..MAX_ORDER), COLLAPSED, ACTIVATION (0 = linear, 1 tanh, 2 sin,
//   3 softplus, 4 identity), INPUT (0 = jet rows of the previous layer, 1 = first layer with dense
//   tangents, 2 = with one-hot tangents), WORKGROUP_SIZE (lib/grid.wgsl, default 64).
//   BLOCK_INNER (the first layer's split below; 0 = not split), COPIED_BIAS, POINTS, TANGENTS,
//   DRAWN_TANGENT, TANGENT_ROW, CACHED_INPUTS, INPUT_TILES, SHARED_INPUTS, TILE_UNITS and
//   TILE_INPUTS (below).
//
// POINTS (0 = the first layer's points stored, 1 = redrawn where read at step draws.trainStep,
// from pointSource = (seed, stream, scalesAt, normsAt), as jetForward.wgsl does). The first
// layer's tiles (INPUT_TILES, partialAffine, below) draw each x_i once for TILE_UNITS output units,
// four a Philox block; an unsplit layer without them (at most CACHED_INPUTS inputs, or dense)
// redraws the coordinates it multiplies once per output unit.
// TANGENTS (0 = dense tangents stored, 1 = redrawn where read at step draws.trainStep from
// tangentDraw, lib/denseTangents.wgsl): likewise, once a tile or once per output unit.
//
// DRAWN_TANGENT (the forward gradient without a stored v): v is the full family's direction 0 of
// step draws.trainStep at key (seed, directionStream), drawn at the element's flat
// index (lib/twoPoint.wgsl fullDirection: the value zerothOrder.wgsl's `direction` writes to a
// buffer), where Ẇ or ḃ is read; tangentParameters is then a stand-in. weightFlat is the flat
// index of W[firstOutput][0]; b follows W in the layout, so ḃ_o is at weightFlat +
// (outputs − firstOutput)·inputs + o. At d = 10⁷ no second parameter-sized buffer exists. A
// workgroup draws a row of v once for its points where it can hold it (TANGENT_ROW, below); the
// first layer's tiles draw their units' rows TILE_INPUTS at a time, four a Philox block; elsewhere
// (an unsplit dense or hidden layer of more than CACHED_INPUTS inputs) v is redrawn at every read.
//
// Workgroup: (WORKGROUP_SIZE, 1, 1), one invocation per (point, output unit of the dispatch)
// t = p·blockOutputs + (o − firstOutput); dispatch x·y workgroups, t = g·WORKGROUP_SIZE + local
// index, g = x + y·(workgroups along x) (lib/grid.wgsl). With TANGENT_ROW (a drawn v, at most
// CACHED_INPUTS inputs) `layer` runs one output unit per workgroup instead,
// blockOutputs·⌈N / WORKGROUP_SIZE⌉ workgroups of up to WORKGROUP_SIZE points each, which draw
// that unit's row of v once into workgroup memory (cacheTangentRow). With INPUT_TILES (an
// unsplit one-hot first layer of more than CACHED_INPUTS inputs, whose value row is the one row
// it multiplies) a workgroup is a tile of TILE_ROWS points by TILE_UNITS units (tileOf),
// ⌈N / TILE_ROWS⌉·⌈blockOutputs / TILE_UNITS⌉ workgroups, summing the value row in tiledSums.
// The tiles are for the draws, not for arithmetic throughput: this pass exists for memory
// (DESIGN.md §6); jetForward.wgsl is the fast product. Forward gradient, d = 20 000, 3 × 128, 100
// points, sparse B = 16 collapsed, SwiftShader, old and new code in turn: points regenerated and
// v drawn 0.034 → 0.085 it/s, points regenerated and v stored 0.037 → 0.119, both stored 0.12
// either way.
//
// Parameter blocks: θ and v may each be held in several buffers of whole rows of the first
// layer's W (src/engine/parameterBlocks.ts). The first layer then runs once per block, over the
// output units firstOutput ≤ o < firstOutput + blockOutputs whose rows that block holds
// (weightOffset: W[firstOutput][0] in the block); the jets keep the layer's full width as their
// row stride, so each (point, unit) gets the same additions in the same order as unsplit. b₁ and
// every later layer live in the last block, which the later layers bind; with COPIED_BIAS the
// first layer reads b₁ at inputTangent[biasOffset + o] and ḃ₁ at inputTangent[biasOffset +
// outputs + o], copied there by the host from the last blocks of θ and v before the pass (ḃ₁ is
// drawn instead with DRAWN_TANGENT). One block: firstOutput = 0, blockOutputs = outputs, the bias
// read from the parameters.
//
// Entry points: `layer` is the layer above, one dispatch. A first layer with many inputs d runs
// N·outputs invocations (16 workgroups for 32 points of width 32) that each walk all of d, which
// leaves a large GPU idle; src/engine/forwardGradientJet.ts then splits it over its inputs into
// S = ⌈d / BLOCK_INNER⌉ K blocks (the rule of jetForward.wgsl's split, firstLayerSplit), two
// dispatches:
//   partialAffine  one invocation per (K block b, multiplied row s = p·M + m of point p, output o
//                  of the dispatch's units), a tile of TILE_ROWS rows by TILE_UNITS units a
//                  workgroup (tileOf), M multiplied rows per point (1 for one-hot tangents,
//                  which multiply only the value row; V for dense): the block's
//                  (Σ_{i in b} W[o][i]·y_i,
//                  Σ_{i in b} Ẇ[o][i]·y_i) without the bias, z at element
//                  e = ((b·N + p)·M + m)·outputs + o and ż at element S·N·M·outputs + e of the
//                  buffer bound as outputJet (the partial buffer; the first layer has no ẏ).
//   layer          as above, but every multiplied row's (z, ż) is the blocks' partials added in
//                  block order, ((P_0 + P_1) + …) + P_{S−1}, then the bias, read through the
//                  inputTangent binding, which the first layer does not otherwise read.
// Both reuse bindings the first layer leaves free rather than adding a ninth storage binding
// (WebGPU's default maxStorageBuffersPerShaderStage is 8). The order of additions is fixed, so a
// split run is the same bits on every run; a layer that is not split keeps the bits it had before
// the split existed (the same sequence of additions).

struct LayerParams {
  points: u32,
  directions: u32,
  rowsPerPoint: u32,
  inputs: u32,
  outputs: u32,
  weightOffset: u32,
  biasOffset: u32,
  // The output units of this dispatch: firstOutput ≤ o < firstOutput + blockOutputs.
  firstOutput: u32,
  blockOutputs: u32,
  // Flat index (jetLayout.ts) of W[firstOutput][0], where DRAWN_TANGENT draws v.
  weightFlat: u32,
  // (seed, stream, scalesAt, normsAt) of regenerated points (lib/ballPoints.wgsl); else zero.
  pointSource: vec4<u32>,
  // The dense tangents' draw, read with TANGENTS = 1 (lib/denseTangents.wgsl); else zero.
  tangentDraw: DenseTangentDraw,
}

// What a pass draws itself (header): the forward gradient's v (DRAWN_TANGENT, key (seed,
// directionStream)), regenerated points and dense tangents, all at trainStep, which the host copies from the
// step counter before the pass.
struct PassDraws {
  seed: u32,
  directionStream: u32,
  trainStep: u32,
}

@group(0) @binding(0) var<uniform> params: LayerParams;
@group(0) @binding(1) var<storage, read> parameters: array<f32>;
@group(0) @binding(2) var<storage, read> tangentParameters: array<f32>;
@group(0) @binding(3) var<storage, read> inputJet: array<f32>;
@group(0) @binding(4) var<storage, read> inputTangent: array<f32>;
@group(0) @binding(5) var<storage, read> tangents: array<f32>;
@group(0) @binding(6) var<storage, read> tangentIndex: array<i32>;
@group(0) @binding(7) var<storage, read_write> outputJet: array<f32>;
@group(0) @binding(8) var<storage, read_write> outputTangent: array<f32>;
@group(0) @binding(9) var<uniform> draws: PassDraws;

// Inputs per K block of a split first layer (0: the layer is one dispatch of `layer`).
override BLOCK_INNER: u32 = 0u;
// The first layer reads b₁ and ḃ₁ from inputTangent (the parameters are split into blocks).
override COPIED_BIAS: bool = false;
// v is drawn where it is read, not bound (header).
override DRAWN_TANGENT: bool = false;

// v at flat index `flat` of a DRAWN_TANGENT pass.
fn drawnTangent(flat: u32) -> f32 {
  let key = vec2<u32>(draws.seed, draws.directionStream);
  return fullDirection(key, draws.trainStep, 0u, flat);
}

// A drawn v's row Ẇ[o][·], drawn once by the workgroup where the host sets TANGENT_ROW (a layer
// of at most CACHED_INPUTS inputs: the hidden layers, the first at small d) and read by its
// points' V rows each, which would otherwise draw it N·V times a pass: the same values, so the
// same bits. A `layer` workgroup is then one output unit and up to WORKGROUP_SIZE points
// (header). An override so that a layer compiles only the path it takes: SwiftShader ran a
// branch's draws where every lane skipped it (0.50 it/s with a runtime flag, 1.2 with these).
// Forward gradient, d = 100, 3 × 128, 100 points, sparse B = 16 collapsed, SwiftShader: 0.24 →
// 1.2 it/s (stored v: 1.36).
override CACHED_INPUTS: u32 = 256u;
override TANGENT_ROW: bool = false;
var<workgroup> tangentRow: array<f32, CACHED_INPUTS>;

// INPUT_TILES (an unsplit one-hot first layer of more than CACHED_INPUTS inputs) and every
// partialAffine: the first layer's products are summed a tile of TILE_ROWS multiplied rows by
// TILE_UNITS output units a workgroup (tiledSums), TILE_INPUTS inputs at a time. What is drawn is
// drawn once a tile into workgroup memory: with SHARED_INPUTS (regenerated points or dense
// tangents) the rows' inputs, in inputTile (TILE_ROWS·TILE_INPUTS floats), shared by the units;
// with DRAWN_TANGENT the units' rows of v, in tangentRow (TILE_UNITS·TILE_INPUTS), shared by the
// rows. The host shapes the tile by what is drawn, each drawn tile at most CACHED_INPUTS floats
// (src/engine/forwardGradientJet.ts inputTileShape). With INPUT_TILES the gathers of the direction
// rows draw the v they read.
override INPUT_TILES: bool = false;
override SHARED_INPUTS: bool = false;
override TILE_UNITS: u32 = 1u;
override TILE_ROWS: u32 = WORKGROUP_SIZE / TILE_UNITS;
override TILE_INPUTS: u32 = CACHED_INPUTS;
var<workgroup> inputTile: array<f32, CACHED_INPUTS>;

// Called in uniform control flow by the whole workgroup (it ends in a barrier).
fn cacheTangentRow(o: u32, lid: u32) {
  let start = params.weightFlat + (o - params.firstOutput) * params.inputs;
  for (var i = lid; i < params.inputs; i += WORKGROUP_SIZE) {
    tangentRow[i] = drawnTangent(start + i);
  }
  workgroupBarrier();
}

// (W[o][i], Ẇ[o][i]) of this dispatch's rows.
fn weightPair(o: u32, i: u32) -> vec2<f32> {
  let row = (o - params.firstOutput) * params.inputs + i;
  let theta = parameters[params.weightOffset + row];
  if (DRAWN_TANGENT) {
    if (TANGENT_ROW) {
      return vec2<f32>(theta, tangentRow[i]);
    }
    return vec2<f32>(theta, drawnTangent(params.weightFlat + row));
  }
  return vec2<f32>(theta, tangentParameters[params.weightOffset + row]);
}

// (b_o, ḃ_o): copied behind the first layer's partials with split parameters, else read; ḃ_o
// drawn with DRAWN_TANGENT.
fn biasPair(o: u32) -> vec2<f32> {
  let at = params.biasOffset + o;
  var pair: vec2<f32>;
  if (COPIED_BIAS) {
    pair = vec2<f32>(inputTangent[at], inputTangent[at + params.outputs]);
  } else {
    pair = vec2<f32>(parameters[at], tangentParameters[at]);
  }
  if (DRAWN_TANGENT) {
    let flat = params.weightFlat + (params.outputs - params.firstOutput) * params.inputs + o;
    pair.y = drawnTangent(flat);
  }
  return pair;
}

// lib/layerInput.wgsl's view of the first layer's input: the points x and the dense tangents.
fn pointCoordinate(p: u32, i: u32) -> f32 {
  if (POINTS == POINTS_REGENERATED) {
    let at = params.pointSource.z + 2u * p;
    let scaleOffset = vec2<f32>(inputJet[at], inputJet[at + 1u]);
    return regeneratedBallCoordinate(params.pointSource, draws.trainStep, p, i, scaleOffset);
  }
  return inputJet[p * params.inputs + i];
}

fn tangentCoefficient(slot: u32, i: u32) -> f32 {
  if (TANGENTS == TANGENTS_REGENERATED) {
    let step = draws.trainStep;
    return denseTangentOfSlot(params.tangentDraw, step, slot, i, params.directions, ORDER);
  }
  return tangents[slot * params.inputs + i];
}

// Input i of the first layer's multiplied row m of point p: x (the value row) or a dense row.
fn inputValue(p: u32, m: u32, i: u32) -> f32 {
  if (INPUT == INPUT_DENSE) {
    return denseInputRow(p, m, i, params.directions);
  }
  return pointCoordinate(p, i);
}

// (z, ż) += (w.x·y, w.y·y + w.x·ẏ) for w = (W[o][i], Ẇ[o][i]).
fn addProduct(sums: ptr<function, vec2<f32>>, w: vec2<f32>, y: f32, dy: f32) {
  (*sums).x += w.x * y;
  (*sums).y += w.y * y + w.x * dy;
}

// Adds input i of row v of point p times w = (W[o][i], Ẇ[o][i]) to (z, ż).
fn affineStep(sums: ptr<function, vec2<f32>>, p: u32, v: u32, i: u32, w: vec2<f32>) {
  if (INPUT == INPUT_ROWS) {
    let at = (p * params.rowsPerPoint + v) * params.inputs + i;
    addProduct(sums, w, inputJet[at], inputTangent[at]);
  } else {
    addProduct(sums, w, inputValue(p, v, i), 0.0);
  }
}

// (z, ż) of row v of point p for output o over the inputs begin ≤ i < end, without the bias.
fn affineRange(p: u32, v: u32, o: u32, begin: u32, end: u32) -> vec2<f32> {
  var sums = vec2<f32>(0.0, 0.0);
  for (var i = begin; i < end; i++) {
    affineStep(&sums, p, v, i, weightPair(o, i));
  }
  return sums;
}

// (z, ż) without the bias of this invocation's multiplied row and output unit in the workgroup's
// tile (INPUT_TILES and partialAffine: rows firstSlot … firstSlot + TILE_ROWS − 1, slot s = p·M
// + m, by units firstUnit … firstUnit + TILE_UNITS − 1 of the dispatch, lane (lid / TILE_UNITS,
// lid % TILE_UNITS)) over the inputs begin ≤ i < end, TILE_INPUTS at a time: each drawn x_i (or
// dense tangent) once for TILE_UNITS units instead of once a unit, each drawn v once for TILE_ROWS
// rows. The sums of affineRange, in the same order. Called in uniform control flow by the whole
// workgroup (barriers); lanes outside the layer draw but do not add.
fn tiledSums(firstSlot: u32, firstUnit: u32, begin: u32, end: u32, lid: u32) -> vec2<f32> {
  let rows = multipliedRows();
  let slots = params.points * rows;
  let r = lid / TILE_UNITS;
  let u = lid % TILE_UNITS;
  let slot = firstSlot + r;
  // Its point and multiplied row, for the inputs it reads itself (no SHARED_INPUTS).
  let point = slot / rows;
  let row = slot % rows;
  let weightRow = (firstUnit + u) * params.inputs;
  let inside = slot < slots && firstUnit + u < params.blockOutputs;
  var sums = vec2<f32>(0.0, 0.0);
  for (var first = begin; first < end; first += TILE_INPUTS) {
    let count = min(TILE_INPUTS, end - first);
    // Redrawn x and a drawn v come a Philox block of four normals a lane (normalBlock): a row's
    // range of TILE_INPUTS values meets at most ⌈(TILE_INPUTS + 3) / 4⌉ blocks.
    let blocksPerRow = (TILE_INPUTS + 6u) / 4u;
    if (SHARED_INPUTS && POINTS == POINTS_REGENERATED && INPUT == INPUT_ONE_HOT) {
      for (var e = lid; e < TILE_ROWS * blocksPerRow; e += WORKGROUP_SIZE) {
        let k = e / blocksPerRow;
        let p = firstSlot + k;
        let b = first / 4u + e % blocksPerRow;
        if (p < slots && 4u * b < first + count) {
          let at = params.pointSource.z + 2u * p;
          let scaleOffset = vec2<f32>(inputJet[at], inputJet[at + 1u]);
          let x = regeneratedBallBlock(params.pointSource, draws.trainStep, p, b, scaleOffset);
          for (var c = 0u; c < 4u; c++) {
            let i = 4u * b + c;
            if (i >= first && i < first + count) {
              inputTile[k * TILE_INPUTS + i - first] = x[c];
            }
          }
        }
      }
    } else if (SHARED_INPUTS) {
      for (var e = lid; e < TILE_ROWS * TILE_INPUTS; e += WORKGROUP_SIZE) {
        let j = e % TILE_INPUTS;
        let s = firstSlot + e / TILE_INPUTS;
        if (s < slots && j < count) {
          inputTile[e] = inputValue(s / rows, s % rows, first + j);
        }
      }
    }
    if (DRAWN_TANGENT) {
      let key = vec2<u32>(draws.seed, draws.directionStream);
      for (var e = lid; e < TILE_UNITS * blocksPerRow; e += WORKGROUP_SIZE) {
        let k = e / blocksPerRow;
        let w = firstUnit + k;
        let start = params.weightFlat + w * params.inputs + first;
        let b = start / 4u + e % blocksPerRow;
        if (w < params.blockOutputs && 4u * b < start + count) {
          let v = fullDirectionBlock(key, draws.trainStep, 0u, b);
          for (var c = 0u; c < 4u; c++) {
            let n = 4u * b + c;
            if (n >= start && n < start + count) {
              tangentRow[k * TILE_INPUTS + n - start] = v[c];
            }
          }
        }
      }
    }
    workgroupBarrier();
    if (inside) {
      for (var j = 0u; j < count; j++) {
        let at = params.weightOffset + weightRow + first + j;
        var w = vec2<f32>(parameters[at], 0.0);
        if (DRAWN_TANGENT) {
          w.y = tangentRow[u * TILE_INPUTS + j];
        } else {
          w.y = tangentParameters[at];
        }
        var y: f32;
        if (SHARED_INPUTS) {
          y = inputTile[r * TILE_INPUTS + j];
        } else {
          y = inputValue(point, row, first + j);
        }
        addProduct(&sums, w, y, 0.0);
      }
    }
    workgroupBarrier();
  }
  return sums;
}

// The split first layer's layout: M multiplied rows per point, S K blocks (BLOCK_INNER > 0).
fn multipliedRows() -> u32 {
  return select(params.rowsPerPoint, 1u, INPUT == INPUT_ONE_HOT);
}

fn blockCount() -> u32 {
  return (params.inputs + BLOCK_INNER - 1u) / max(BLOCK_INNER, 1u);
}

// (z, ż) of row v of point p for output o, by the affine map (not for one-hot direction rows):
// the whole product, or a split layer's partials in block order; then the bias on the value row.
fn affine(p: u32, v: u32, o: u32) -> vec2<f32> {
  var sums = vec2<f32>(0.0, 0.0);
  if (BLOCK_INNER == 0u) {
    sums = affineRange(p, v, o, 0u, params.inputs);
  } else {
    let units = params.points * multipliedRows() * params.outputs;
    let tangentsAt = blockCount() * units;
    let unit = (p * multipliedRows() + v) * params.outputs + o;
    for (var b = 0u; b < blockCount(); b++) {
      let at = b * units + unit;
      sums += vec2<f32>(inputTangent[at], inputTangent[tangentsAt + at]);
    }
  }
  if (v == 0u) {
    sums += biasPair(o);
  }
  return sums;
}

// One-hot first layer: (a·W[o][n], a·Ẇ[o][n]) for tangent slot `slot`.
fn gather(slot: u32, o: u32) -> vec2<f32> {
  let index = tangentIndex[slot];
  if (!isCoordinate(index, params.inputs)) {
    return vec2<f32>(0.0, 0.0);
  }
  return tangents[slot] * weightPair(o, u32(index));
}

// (z, ż) of order k of direction r (k ≤ directionOrders()).
fn directionAffine(p: u32, r: u32, k: u32, o: u32) -> vec2<f32> {
  if (INPUT == INPUT_ONE_HOT) {
    return gather(tangentSlot(p, r, k, params.directions, ORDER), o);
  }
  return affine(p, rowOf(r, k, params.directions), o);
}

// (z, ż) of the collapsed top row.
fn topAffine(p: u32, o: u32) -> vec2<f32> {
  if (INPUT == INPUT_ONE_HOT) {
    var sum = vec2<f32>(0.0, 0.0);
    for (var r = 0u; r < params.directions; r++) {
      sum += gather(tangentSlot(p, r, ORDER, params.directions, ORDER), o);
    }
    return sum;
  }
  return affine(p, topRow(params.directions), o);
}

// Dual Taylor rule for one direction: s[1..n], ṡ[1..n] from z, ż (index 0 holds the value's).
// Returns the collapsed top row's share of this direction and its tangent.
fn dualTaylorRule(
  z: ptr<function, Series>,
  dz: ptr<function, Series>,
  s: ptr<function, Series>,
  ds: ptr<function, Series>,
  n: u32,
  seed: Seed,
  dz0: f32,
) -> vec2<f32> {
  var d = Series();
  var dd = Series();
  var q = Series();
  var dq = Series();
  d[0] = seed.slope;
  dd[0] = seed.curvature * dz0;
  q[0] = seed.curvature;
  dq[0] = (1.0 - 2.0 * seed.slope) * dd[0];
  (*s)[0] = seed.value;
  (*ds)[0] = seed.slope * dz0;
  for (var k = 1u; k <= n; k++) {
    var acc = 0.0;
    var dacc = 0.0;
    for (var j = 1u; j <= k; j++) {
      acc += f32(j) * (*z)[j] * d[k - j];
      dacc += f32(j) * ((*dz)[j] * d[k - j] + (*z)[j] * dd[k - j]);
    }
    (*s)[k] = acc / f32(k);
    (*ds)[k] = dacc / f32(k);
    switch (ACTIVATION) {
      case TANH: {
        var square = 0.0;
        var dsquare = 0.0;
        for (var i = 0u; i <= k; i++) {
          square += (*s)[i] * (*s)[k - i];
          dsquare += (*ds)[i] * (*s)[k - i] + (*s)[i] * (*ds)[k - i];
        }
        d[k] = -square;
        dd[k] = -dsquare;
      }
      case SIN: {
        var c = 0.0;
        var dc = 0.0;
        for (var j = 1u; j <= k; j++) {
          c += f32(j) * (*z)[j] * (*s)[k - j];
          dc += f32(j) * ((*dz)[j] * (*s)[k - j] + (*z)[j] * (*ds)[k - j]);
        }
        d[k] = -c / f32(k);
        dd[k] = -dc / f32(k);
      }
      case SOFTPLUS: {
        var l = 0.0;
        var dl = 0.0;
        for (var j = 1u; j <= k; j++) {
          l += f32(j) * (*z)[j] * q[k - j];
          dl += f32(j) * ((*dz)[j] * q[k - j] + (*z)[j] * dq[k - j]);
        }
        d[k] = l / f32(k);
        dd[k] = dl / f32(k);
        var square = 0.0;
        var dsquare = 0.0;
        for (var i = 0u; i <= k; i++) {
          square += d[i] * d[k - i];
          dsquare += dd[i] * d[k - i] + d[i] * dd[k - i];
        }
        q[k] = d[k] - square;
        dq[k] = dd[k] - dsquare;
      }
      default: {
        d[k] = 0.0;
        dd[k] = 0.0;
      }
    }
  }
  var top = vec2<f32>(0.0, 0.0);
  if (COLLAPSED) {
    for (var j = 1u; j < ORDER; j++) {
      top.x += f32(j) * (*z)[j] * d[ORDER - j];
      top.y += f32(j) * ((*dz)[j] * d[ORDER - j] + (*z)[j] * dd[ORDER - j]);
    }
    top /= f32(ORDER);
  }
  return top;
}

fn store(p: u32, v: u32, o: u32, value: vec2<f32>) {
  let at = (p * params.rowsPerPoint + v) * params.outputs + o;
  outputJet[at] = value.x;
  outputTangent[at] = value.y;
}

// TANGENT_ROW: workgroup g is output unit g / C and points (g % C)·WORKGROUP_SIZE + lid,
// C = ⌈N / WORKGROUP_SIZE⌉, so that the workgroup shares one row of v (cacheTangentRow).
fn pointChunks() -> u32 {
  return (params.points + WORKGROUP_SIZE - 1u) / WORKGROUP_SIZE;
}

// The output unit of workgroup g with TANGENT_ROW: the same for the whole workgroup.
fn drawnLayerOutput(g: u32) -> u32 {
  return params.firstOutput + g / pointChunks();
}

// A tiled workgroup's place (INPUT_TILES, partialAffine; tiledSums): workgroup g holds rows
// firstSlot = (g % C)·TILE_ROWS … of `slots` multiplied rows, units firstUnit = ((g / C) %
// U)·TILE_UNITS … of the dispatch's, and K block g / (C·U), C = ⌈slots / TILE_ROWS⌉, U =
// ⌈blockOutputs / TILE_UNITS⌉. The same for the whole workgroup.
struct Tile {
  firstSlot: u32,
  firstUnit: u32,
  block: u32,
}

fn tileOf(g: u32, slots: u32) -> Tile {
  let chunks = (slots + TILE_ROWS - 1u) / TILE_ROWS;
  let unitChunks = (params.blockOutputs + TILE_UNITS - 1u) / TILE_UNITS;
  let firstUnit = ((g / chunks) % unitChunks) * TILE_UNITS;
  return Tile((g % chunks) * TILE_ROWS, firstUnit, g / (chunks * unitChunks));
}

// This invocation's (point, output unit, 1 if it has one); else t = g·WORKGROUP_SIZE + lid =
// p·blockOutputs + (o − firstOutput).
fn layerUnit(g: u32, lid: u32) -> vec3<u32> {
  if (INPUT_TILES) {
    let tile = tileOf(g, params.points);
    let p = tile.firstSlot + lid / TILE_UNITS;
    let unit = tile.firstUnit + lid % TILE_UNITS;
    let inside = tile.block == 0u && p < params.points && unit < params.blockOutputs;
    return vec3<u32>(p, params.firstOutput + unit, u32(inside));
  }
  if (TANGENT_ROW) {
    let p = (g % pointChunks()) * WORKGROUP_SIZE + lid;
    let o = drawnLayerOutput(g);
    let inside = o < params.firstOutput + params.blockOutputs && p < params.points;
    return vec3<u32>(p, o, u32(inside));
  }
  let t = g * WORKGROUP_SIZE + lid;
  let o = params.firstOutput + t % params.blockOutputs;
  return vec3<u32>(t / params.blockOutputs, o, u32(t < params.points * params.blockOutputs));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn layer(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let g = workgroupIndex(grid);
  let unit = layerUnit(g, lid);
  var valueSums = vec2<f32>(0.0, 0.0);
  // Uniform across the workgroup (its spare lanes help draw); the barriers need that.
  if (INPUT_TILES) {
    let tile = tileOf(g, params.points);
    if (tile.block == 0u) {
      valueSums = tiledSums(tile.firstSlot, tile.firstUnit, 0u, params.inputs, lid);
    }
  } else if (TANGENT_ROW) {
    let o = drawnLayerOutput(g);
    if (o < params.firstOutput + params.blockOutputs) {
      cacheTangentRow(o, lid);
    }
  }
  if (unit.z == 0u) {
    return;
  }
  let p = unit.x;
  let o = unit.y;
  let orders = directionOrders();
  var value: vec2<f32>;
  if (INPUT_TILES) {
    value = valueSums + biasPair(o);
  } else {
    value = affine(p, 0u, o);
  }
  if (ACTIVATION == LINEAR) {
    store(p, 0u, o, value);
    for (var r = 0u; r < params.directions; r++) {
      for (var k = 1u; k <= orders; k++) {
        store(p, rowOf(r, k, params.directions), o, directionAffine(p, r, k, o));
      }
    }
    if (COLLAPSED) {
      store(p, topRow(params.directions), o, topAffine(p, o));
    }
    return;
  }
  let seed = seedOf(value.x);
  var z = Series();
  var dz = Series();
  var s = Series();
  var ds = Series();
  z[0] = value.x;
  dz[0] = value.y;
  store(p, 0u, o, vec2<f32>(seed.value, seed.slope * value.y));
  var topRest = vec2<f32>(0.0, 0.0);
  for (var r = 0u; r < params.directions; r++) {
    for (var k = 1u; k <= orders; k++) {
      let row = directionAffine(p, r, k, o);
      z[k] = row.x;
      dz[k] = row.y;
    }
    topRest += dualTaylorRule(&z, &dz, &s, &ds, orders, seed, value.y);
    for (var k = 1u; k <= orders; k++) {
      store(p, rowOf(r, k, params.directions), o, vec2<f32>(s[k], ds[k]));
    }
  }
  if (COLLAPSED) {
    let top = topAffine(p, o);
    let slopeTangent = seed.curvature * value.y;
    store(
      p,
      topRow(params.directions),
      o,
      vec2<f32>(
        seed.slope * top.x + topRest.x,
        slopeTangent * top.x + seed.slope * top.y + topRest.y,
      ),
    );
  }
}

// Split first layer, step 1 (header): one block's (z, ż) of one multiplied row and output, a tile
// of rows and units a workgroup (tileOf, tiledSums).
@compute @workgroup_size(WORKGROUP_SIZE)
fn partialAffine(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let rows = multipliedRows();
  let tile = tileOf(workgroupIndex(grid), params.points * rows);
  // Uniform: the workgroup's tile only.
  if (tile.block >= blockCount()) {
    return;
  }
  let begin = tile.block * BLOCK_INNER;
  let end = min(begin + BLOCK_INNER, params.inputs);
  let sums = tiledSums(tile.firstSlot, tile.firstUnit, begin, end, lid);
  let slot = tile.firstSlot + lid / TILE_UNITS;
  let unit = tile.firstUnit + lid % TILE_UNITS;
  if (slot >= params.points * rows || unit >= params.blockOutputs) {
    return;
  }
  let units = params.points * rows * params.outputs;
  let at = tile.block * units + slot * params.outputs + params.firstOutput + unit;
  outputJet[at] = sums.x;
  outputJet[blockCount() * units + at] = sums.y;
}
