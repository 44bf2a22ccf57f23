// jetBackwardWeights.wgsl: the weight gradient of a dense layer of a jet batch, split-K.
//
// y_0 = W x_0 + b and y_k = W x_k act on every row alike, so with the layer's output cotangent
// Z̄ (row-major [rows][outputs]) and its input jets A ([rows][inputs]):
//   dW[j, i] = Σ_m Z̄[m, j] · A[m, i]
// (db, the sums of Z̄'s value rows: jetBackwardBias.wgsl, over the same chunks). The reduction
// over m is split into fixed chunks of `chunk` rows, one per split s (see Dispatch): split s sums
// its chunk in the fixed order m = m0, m0 + 1, … and writes its share of a parameter slice
// (weights [outputs][inputs], then biases, as in src/engine/jetLayout.ts) at destinationOffset +
// s·splitStride. With one split that is the gradient buffer itself; with several,
// jetBackwardReduce.wgsl adds the slices in split order. Chunks depend only on the shape, never
// on timing, so the result is the same bits on every run.
//
// A dispatch covers output units firstOutput ≤ j < firstOutput + blockOutputs and stores the
// columns firstColumn ≤ i < endColumn of W: the whole layer (0 … outputs, 0 … inputs) unless the
// parameters are split into blocks (src/engine/parameterBlocks.ts). Then the first layer runs
// once per block over the rows of W that block holds, written into that block's gradient.
// Element (j, i) is summed by the same lane of the same column tile over the same chunk whichever
// dispatch computes it, so a split gradient is the bits of one block.
//
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl (foldedIndex),
// lib/jetRows.wgsl (rows, overrides ORDER and COLLAPSED), lib/tangentSlots.wgsl,
// lib/layerInput.wgsl (override INPUT and the first layer's input rows), lib/productTiles.wgsl
// (the tile geometry, shared with jetBackwardInput.wgsl), lib/random.wgsl, lib/ballPoints.wgsl
// (regenerated points, override POINTS: the first layer's x_i redrawn where it is read) and
// lib/denseTangents.wgsl (regenerated dense tangents, override TANGENTS: likewise).
//
// Layer inputs (override INPUT, lib/layerInput.wgsl's codes):
//   0 rows    : A = the previous layer's activation jets, same row structure as Z̄.
//   1 dense   : first layer, A from the points x (value rows) and dense normalized tangents
//               (tangents[((p·R + r)·K + k − 1)·d + i]); a collapsed top row is Σ_r of order K.
//   2 one-hot : first layer with one-hot tangents: only the value rows (m = point, Z̄ row m·V) and
//               the points x; the tangent rows are scattered by jetBackwardScatter.wgsl afterwards.
//
// Bindings (@group(0)):
//   0 params      : uniform Params (below); reduction = rows summed over (m < reduction)
//   1 cotangent   : storage, read        Z̄, points·V·outputs
//   2 layerInput  : storage, read        activations (INPUT 0) or points x, points·d (INPUT 1, 2),
//                                        or the ball draw's partials (POINTS = 1)
//   3 tangents    : storage, read        dense tangents (INPUT 1, TANGENTS = 0); any buffer
//                                        otherwise, unread
//   4 destination : storage, read_write  the parameter block of the gradient holding the stored
//                                        elements (the whole gradient unless it is split), or
//                                        the split slices
//   5 stepCounter : storage, read        POINTS = 1 or TANGENTS = 1: word 0 is the draw's step;
//                                        else unread
// Overrides: INPUT, ORDER (K), COLLAPSED, POINTS, TANGENTS, ROW_THREADS (1, 2, 4, 8 or 16; default 16).
// Workgroup: (16, ROW_THREADS, 1), at most 256 invocations, computing a (4·ROW_THREADS) (j) × 64
// (i) tile; invocation (x, y) owns outputs j = 4y … 4y + 3 and columns i = 4x … 4x + 3 (one vec4
// per output). The reduction walks m in steps of 16 through two tiles in workgroup memory
// (at most 8 KiB of the 16 KiB limit). Out-of-range elements load as 0 and are not stored.
// Dispatch: x = ceil(blockOutputs / (4·ROW_THREADS)) row tiles from firstOutput (2 for a
// 128-wide layer); y·z ≥ columnTiles·splits items, item = y + z·(workgroups along y)
// (lib/grid.wgsl foldedIndex), column tiles fastest: column tile c = item % columnTiles (counted
// from the one holding firstColumn), split s = item / columnTiles. Why not a dimension each: the
// first layer has ⌈d/64⌉ column tiles, past the 65 535 workgroups one dimension allows
// (maxComputeWorkgroupsPerDimension's default) from d ≈ 4.19M on (156 250 at d = 10⁷). So the host
// folds the items over y and z (src/gpu/dispatch.ts dispatchGrid: full rows along y, as many
// rows along z as needed), and the surplus items of the last row return before touching memory:
// a split past the last would store past the split slices, or with one split over the gradient
// of the layer after it. The fold moves which workgroup computes a tile, never what it sums: tile
// (row tile, c, s) loads the same operands into the same lanes and adds them in the same order on
// every grid, so the gradient's bits do not depend on the device's limit.

struct Params {
  reduction: u32,
  inputs: u32,
  outputs: u32,
  rowsPerPoint: u32,
  directions: u32,
  chunk: u32,
  // The output units of this dispatch: firstOutput ≤ j < firstOutput + blockOutputs.
  firstOutput: u32,
  blockOutputs: u32,
  // The columns of W it stores, firstColumn ≤ i < endColumn ≤ inputs; its column tiles start at
  // the one holding firstColumn.
  firstColumn: u32,
  endColumn: u32,
  // Where split 0 stores dW[firstOutput, 0] (row j at + (j − firstOutput)·inputs).
  destinationOffset: u32,
  // Elements between the slices of consecutive splits.
  splitStride: u32,
  // Column tiles of this dispatch (from the one holding firstColumn) and splits: the grid's
  // columnTiles·splits items, the rest of y·z surplus.
  columnTiles: u32,
  splits: u32,
  // lib/ballPoints.wgsl's (seed, stream, scalesAt, normsAt); zero with stored points.
  pointSource: vec4<u32>,
  // The dense tangents' draw, read with TANGENTS = 1 (lib/denseTangents.wgsl); else zero.
  tangentDraw: DenseTangentDraw,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cotangent: array<f32>;
@group(0) @binding(2) var<storage, read> layerInput: array<f32>;
@group(0) @binding(3) var<storage, read> tangents: array<f32>;
@group(0) @binding(4) var<storage, read_write> destination: array<f32>;
@group(0) @binding(5) var<storage, read> stepCounter: array<u32>;

// Invocations along y; the tile covers 4·ROW_THREADS outputs j. Narrow layers (the scalar output
// layer above all) use fewer, so a 1-output gradient does not pay for 64 rows of zeros.
override ROW_THREADS: u32 = 16u;

// zTile[s·ROW_THREADS + q] = Z̄[row of m0 + s, outputs j0 + 4q … + 3];
// aTile[s·16 + c] = A[m0 + s, columns i0 + 4c … + 3] (the tiling:
// lib/productTiles.wgsl).
var<workgroup> zTile: array<vec4<f32>, STEP * THREADS>;
var<workgroup> aTile: array<vec4<f32>, STEP * THREADS>;

// Row of Z̄ that reduction index m reads.
fn cotangentRow(m: u32) -> u32 {
  return select(m, m * params.rowsPerPoint, INPUT == INPUT_ONE_HOT);
}

// lib/layerInput.wgsl's view of the first layer's input: the points x and the dense tangents.
fn pointCoordinate(p: u32, i: u32) -> f32 {
  if (POINTS == POINTS_REGENERATED) {
    let at = params.pointSource.z + 2u * p;
    let scaleOffset = vec2<f32>(layerInput[at], layerInput[at + 1u]);
    return regeneratedBallCoordinate(params.pointSource, stepCounter[0], p, i, scaleOffset);
  }
  return layerInput[p * params.inputs + i];
}

fn tangentCoefficient(slot: u32, i: u32) -> f32 {
  if (TANGENTS == TANGENTS_REGENERATED) {
    let step = stepCounter[0];
    return denseTangentOfSlot(params.tangentDraw, step, slot, i, params.directions, ORDER);
  }
  return tangents[slot * params.inputs + i];
}

// Element (m, i) of the layer input.
fn layerInputAt(m: u32, i: u32) -> f32 {
  if (INPUT == INPUT_DENSE) {
    let v = m % params.rowsPerPoint;
    return denseInputRow(m / params.rowsPerPoint, v, i, params.directions);
  }
  if (INPUT == INPUT_ONE_HOT) {
    return pointCoordinate(m, i);
  }
  return layerInput[m * params.inputs + i];
}

// One past the last output unit of this dispatch.
fn outputEnd() -> u32 {
  return params.firstOutput + params.blockOutputs;
}

fn cotangentAt(m: u32, j: u32, end: u32) -> f32 {
  if (m < end && j < outputEnd()) {
    return cotangent[cotangentRow(m) * params.outputs + j];
  }
  return 0.0;
}

fn inputAt(m: u32, i: u32, end: u32) -> f32 {
  if (m < end && i < params.inputs) {
    return layerInputAt(m, i);
  }
  return 0.0;
}

// inputAt at (m, i … i + 3), i a multiple of 4. Redrawn points (one-hot tangents: m is a point)
// come four at once from one Philox block (lib/ballPoints.wgsl regeneratedBallBlock): the same
// values for a quarter of the Philox rounds and half the Box–Muller transforms.
fn inputQuad(m: u32, i: u32, end: u32) -> vec4<f32> {
  if (POINTS == POINTS_REGENERATED && INPUT == INPUT_ONE_HOT) {
    if (m >= end) {
      return vec4<f32>();
    }
    let at = params.pointSource.z + 2u * m;
    let scaleOffset = vec2<f32>(layerInput[at], layerInput[at + 1u]);
    let x = regeneratedBallBlock(params.pointSource, stepCounter[0], m, i / 4u, scaleOffset);
    return select(vec4<f32>(), x, i + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(params.inputs));
  }
  return vec4<f32>(
    inputAt(m, i, end),
    inputAt(m, i + 1u, end),
    inputAt(m, i + 2u, end),
    inputAt(m, i + 3u, end),
  );
}

// Row j of the gradient tile, columns i … i + 3 as far as this dispatch stores them. `slice` is
// the split slice's distance from split 0.
fn store(slice: u32, j: u32, i: u32, value: vec4<f32>) {
  if (j >= outputEnd()) {
    return;
  }
  let unit = j - params.firstOutput;
  for (var t = 0u; t < 4u; t++) {
    let column = i + t;
    if (column >= params.firstColumn && column < params.endColumn) {
      destination[params.destinationOffset + slice + unit * params.inputs + column] = value[t];
    }
  }
}

@compute @workgroup_size(16, ROW_THREADS, 1)
fn weightGradient(
  grid: GridWorkgroup,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) flat: u32,
) {
  // (column tile, split) fold from y into z; uniform across the workgroup, so returning before
  // the barriers below is allowed.
  let item = foldedIndex(grid.wid.yzx, grid.groups.yzx);
  if (item >= params.columnTiles * params.splits) {
    return;
  }
  let split = item / params.columnTiles;
  let j0 = params.firstOutput + grid.wid.x * 4u * ROW_THREADS;
  let i0 = (params.firstColumn / TILE + item % params.columnTiles) * TILE;
  let start = split * params.chunk;
  let end = min(start + params.chunk, params.reduction);
  let invocations = THREADS * ROW_THREADS;
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var m0 = start; m0 < end; m0 += STEP) {
    // Each invocation loads vec4s of both tiles, neighbours on neighbouring addresses.
    for (var e = flat; e < STEP * ROW_THREADS; e += invocations) {
      let m = m0 + e / ROW_THREADS;
      let j = j0 + 4u * (e % ROW_THREADS);
      zTile[e] = vec4<f32>(
        cotangentAt(m, j, end),
        cotangentAt(m, j + 1u, end),
        cotangentAt(m, j + 2u, end),
        cotangentAt(m, j + 3u, end),
      );
    }
    for (var e = flat; e < STEP * THREADS; e += invocations) {
      let m = m0 + e / THREADS;
      let i = i0 + 4u * (e % THREADS);
      aTile[e] = inputQuad(m, i, end);
    }
    workgroupBarrier();
    let steps = min(STEP, end - m0);
    for (var s = 0u; s < steps; s++) {
      let z = zTile[s * ROW_THREADS + lid.y];
      let a = aTile[s * THREADS + lid.x];
      acc0 = fma(vec4<f32>(z.x), a, acc0);
      acc1 = fma(vec4<f32>(z.y), a, acc1);
      acc2 = fma(vec4<f32>(z.z), a, acc2);
      acc3 = fma(vec4<f32>(z.w), a, acc3);
    }
    workgroupBarrier();
  }
  let slice = split * params.splitStride;
  let j = j0 + 4u * lid.y;
  let i = i0 + 4u * lid.x;
  store(slice, j, i, acc0);
  store(slice, j + 1u, i, acc1);
  store(slice, j + 2u, i, acc2);
  store(slice, j + 3u, i, acc3);
}
