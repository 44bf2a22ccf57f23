// randomJets.wgsl: the input tangents of a jet batch, drawn on the GPU for one (seed, step).
// Composes (src/gpu/composeShader.ts, in front of this file): lib/random.wgsl (Philox),
// lib/grid.wgsl, lib/tangentSlots.wgsl (the layout below), lib/denseTangents.wgsl (the dense
// values, which the reading kernels can redraw). The CPU mirror is src/random/jetDraws.ts.
//
// Layout (lib/tangentSlots.wgsl): N points, R jets ("directions") per point, order K, input
// width d. Coefficients are normalized, c_k = v_k/k!. Every entry point writes all K orders of
// every jet: order `sampledOrder` (1 but for sparse draws that say otherwise) the drawn one-hot
// tangent with coefficient 1, order `pointOrder` (if nonzero; sparse only) the per-point one-hot
// tangent with coefficient 1, order `extraOrder` (if nonzero) the fixed tangent
// extraCoefficient·e_extraIndex that every jet carries (e.g. v_2 = e_t/d folds u_t into the
// Laplacian jets), every other order zero.
//   one-hot: index[(p·R + r)·K + k − 1], coefficient[same]; index −1 = a zero tangent
//   dense  : values[((p·R + r)·K + k − 1)·d + i]
//
// Entry points:
//   sparseOneHot  one invocation per point. Draws R = B distinct coordinates of 0..range−1 by
//                 Floyd's algorithm (Bentley, "Programming Pearls: a sample of brilliance",
//                 CACM 1987): for j = range−B … range−1, t uniform on 0..j; keep t if new,
//                 else keep j. Exactly uniform over the C(range, B) subsets: by induction, if the
//                 k−1 picks before j are a uniform subset of 0..j−1, a k-subset T of 0..j arises
//                 with probability k/((j+1)·C(j, k−1)) = 1/C(j+1, k) whether or not j ∈ T
//                 (j ∈ T: the old picks are T∖{j} and t ∈ T; j ∉ T: t is the one new element),
//                 given that t is exactly uniform (uniformBelow rejects, it does not take a
//                 modulus). The order of the picks is not a uniform permutation; the
//                 estimators only use the set. Words: the WordStream (seed, stream; step, p, 0).
//                 With `subsets` = S > 1 (the unbiased loss: S = 2) the R jets are S independent
//                 such draws of B = R/S coordinates, subset g in jets [g·B, (g + 1)·B) from the
//                 WordStream (seed, stream; step, p, g): independent uniform B-subsets, where the
//                 halves of one 2B-draw would be neither. S = 1 is the plain draw, word for word.
//                 Membership is checked against the picks of the subset already written: O(B²)
//                 per point, meant for B ≪ d (the exact operator has its own entry point).
//                 With pointOrder ≠ 0 every jet of the point also carries e_j, j = uniformBelow
//                 (range) of the WordStream (seed, stream; step, p, S), words no subset reads, so
//                 j is independent of the subsets (the ∂_jΔu jets: i at order 2, j at order 3).
//   exactOneHot   one invocation per (point, jet): jet r is e_r (R = range); no randomness.
//   denseValues   one invocation per value of the dense buffer: v_1[i] = rademacherAt or, with
//                 the override GAUSSIAN_TANGENTS (lib/denseTangents.wgsl), normalAt(seed, stream;
//                 step, p, r, element i).
// The step is read from stepCounter[0], so a trainer can keep it on the GPU; the other parameters
// are fixed for a batch shape. Each entry point binds all five buffers (the layout is reflected
// from the whole module); the kind of output it does not write may be a 4-byte placeholder.
//
// Bindings (@group(0)):
//   0 params      : uniform Params below
//   1 stepCounter : storage, read        array<u32>, word 0 = step
//   2 index       : storage, read_write  array<i32>, N·R·K (one-hot entry points)
//   3 coefficient : storage, read_write  array<f32>, N·R·K (one-hot entry points)
//   4 values      : storage, read_write  array<f32>, N·R·K·d (dense entry points)
// Workgroup: (WORKGROUP_SIZE, 1, 1), override WORKGROUP_SIZE (lib/grid.wgsl, default 64).
// Dispatch: ceil(invocations / WORKGROUP_SIZE) workgroups, laid out in x and y when there are more
//   than 65 535 (lib/grid.wgsl invocationIndex; surplus invocations return).

struct Params {
  seed: u32,
  stream: u32,
  points: u32,
  directions: u32,
  order: u32,
  dimension: u32,
  range: u32,
  extraOrder: u32,
  extraIndex: u32,
  extraCoefficient: f32,
  // sparseOneHot: independent subsets per point (directions is a multiple); 1 elsewhere.
  subsets: u32,
  // The order of the drawn one-hot tangent: 1, or another for sparseOneHot.
  sampledOrder: u32,
  // sparseOneHot: the order of the per-point tangent, 0 for none.
  pointOrder: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> stepCounter: array<u32>;
@group(0) @binding(2) var<storage, read_write> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> coefficient: array<f32>;
@group(0) @binding(4) var<storage, read_write> values: array<f32>;

fn key() -> vec2<u32> {
  return vec2<u32>(params.seed, params.stream);
}

// Jet r of point p: c_sampledOrder = e_drawn (drawn ≥ 0), c_pointOrder = e_pointIndex (if
// pointOrder ≠ 0), the extra tangent, zeros elsewhere. The orders are distinct (jetDraws.ts).
fn writeOneHotJet(p: u32, r: u32, drawn: i32, pointIndex: i32) {
  for (var k = 1u; k <= params.order; k++) {
    var slotIndex = -1;
    var slotCoefficient = 0.0;
    if (k == params.sampledOrder) {
      slotIndex = drawn;
      slotCoefficient = 1.0;
    } else if (k == params.pointOrder) {
      slotIndex = pointIndex;
      slotCoefficient = 1.0;
    } else if (k == params.extraOrder) {
      slotIndex = i32(params.extraIndex);
      slotCoefficient = params.extraCoefficient;
    }
    let slot = tangentSlot(p, r, k, params.directions, params.order);
    index[slot] = slotIndex;
    coefficient[slot] = slotCoefficient;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sparseOneHot(grid: GridInvocation) {
  let p = invocationIndex(grid);
  if (p >= params.points) {
    return;
  }
  let samples = params.directions / params.subsets;
  var pointIndex = -1;
  if (params.pointOrder != 0u) {
    var pointStream = wordStream(key(), stepCounter[0], p, params.subsets);
    pointIndex = i32(uniformBelow(&pointStream, params.range));
  }
  for (var g = 0u; g < params.subsets; g++) {
    var stream = wordStream(key(), stepCounter[0], p, g);
    let first = g * samples;
    for (var r = 0u; r < samples; r++) {
      let j = params.range - samples + r;
      var pick = uniformBelow(&stream, j + 1u);
      for (var q = 0u; q < r; q++) {
        let slot = tangentSlot(p, first + q, params.sampledOrder, params.directions, params.order);
        if (u32(index[slot]) == pick) {
          pick = j;
          break;
        }
      }
      writeOneHotJet(p, first + r, i32(pick), pointIndex);
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn exactOneHot(grid: GridInvocation) {
  let jet = invocationIndex(grid);
  if (jet >= params.points * params.directions) {
    return;
  }
  let r = jet % params.directions;
  writeOneHotJet(jet / params.directions, r, i32(r), -1);
}

// Value `element` of the dense buffer (lib/denseTangents.wgsl, which the reading kernels share).
fn writeDense(element: u32) {
  let d = params.dimension;
  let draw = DenseTangentDraw(
    params.seed,
    params.stream,
    params.range,
    params.extraOrder,
    params.extraIndex,
    params.extraCoefficient,
  );
  values[element] = denseTangentOfSlot(
    draw,
    stepCounter[0],
    element / d,
    element % d,
    params.directions,
    params.order,
  );
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn denseValues(grid: GridInvocation) {
  let element = invocationIndex(grid);
  if (element < params.points * params.directions * params.order * params.dimension) {
    writeDense(element);
  }
}
