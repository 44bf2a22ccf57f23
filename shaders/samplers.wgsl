// samplers.wgsl: collocation points drawn on the GPU for one (seed, step). Composes
// (src/gpu/composeShader.ts, in front of this file): lib/random.wgsl (Philox), lib/grid.wgsl,
// lib/ballPoints.wgsl (the ball coordinate, override POINTS). The
// CPU mirror is src/random/pointSamplers.ts.
//
// Entry points:
//   ball…      points in the unit ball B^d, N·d floats, point p at p·d. Direction z/‖z‖ with
//              z_i = normalAt(seed, stream; step, p, 0, i) (the Gaussian is rotation invariant, so
//              the direction is uniform on the sphere), radius from u = uniformAt(…; step, p, 1, 0):
//                law 0, volume-uniform: r = (1 − u)^(1/d), so P(r ≤ s) = s^d, the volume fraction
//                law 1, radius-uniform: r = u, |x| ~ U[0, 1) (the STDE code's sampler, which puts
//                       more points near the centre than volume-uniform sampling does)
//              If every z_i is 0 (probability ≤ 2^-24) the point is (r, 0, …, 0). Three
//              dispatches, over (point, coordinate block) so that a large d fills a large GPU (one
//              workgroup per point left most of one idle: 32 workgroups for 32 points):
//     ballNormals  one workgroup per (point p, block b of `block` coordinates), workgroup
//                  w = p·S + b, S = ⌈d / block⌉: draws each z_i of the block once (four a lane,
//                  drawNormalChunk), writes it to points, and sums z_i² (each invocation strides
//                  over the block, then a fixed tree) into partials[p·S + b].
//     ballScales   one invocation per point: ‖z‖² = ((P_0 + P_1) + …) + P_{S−1} in block order,
//                  then (scale r/‖z‖, offset of coordinate 0: r if ‖z‖ = 0, else 0) into
//                  partials[N·S + 2p], partials[N·S + 2p + 1].
//     ballWrite    one invocation per coordinate: x_i = scale·z_i + offset (i = 0 only)
//                  (lib/ballPoints.wgsl ballCoordinate).
//              With regenerated points (override POINTS = 1, lib/ballPoints.wgsl) no coordinate is
//              stored: ballNormals only sums the squares, ballWrite is not dispatched, and the
//              kernels that read x redraw z_i (lib/ballPoints.wgsl). A training step's draw also
//              gives the boundary factor b = 1 − ‖x‖² (jetBoundary.wgsl) its ‖x‖², which it would
//              otherwise sum over all d coordinates in one invocation per point:
//     ballNormBlocks  (d > block only) as ballNormals, over x_i (stored, or redrawn): Σ x_i² of
//                     the block into partials[p·S + b] (z's block sums are dead once ballScales
//                     has run)
//     ballNorms       one invocation per point into partials[N·S + 2N + p]: with one block
//                     ‖x‖² = Σ_i x_i² in coordinate order, the sum jetBoundary.wgsl makes (so
//                     seeded runs at d ≤ block keep their bits); with more, its S block sums in
//                     block order.
//              The stored draw's sums read the stored x; the regenerated draw's redraw the same
//              x, so both give the same ‖x‖².
//     ballWriteRange  (regenerated points) one invocation per coordinate of the points
//                     [first, first + count), first = stepCounter[1], count = stepCounter[2]
//                     (set by copies between dispatches): x_i redrawn as the readers redraw it,
//                     written to points[(p − first)·d + i]. For a reader that takes a few points
//                     at a time (the dashboard's residual view: src/train/fieldSlice.ts), so no
//                     N·d buffer exists; the same bits as ballWrite's.
//              Every order of additions is fixed: the draw is the same bits on every run. With one
//              block (d ≤ block) it is the bits of the single-workgroup kernel this replaced (same
//              strides, same tree, the same product and sum per coordinate), so seeded runs at such
//              d kept their values; a larger d changed its last bits once, by the block order.
//   parabolic  (x, t) points for the terminal-value parabolic PDEs, N·(d+1) floats, point p at
//              p·(d+1), t last: t = horizon·uniformAt(…; step, p, 1, 0) (law 0, interior) or
//              t = horizon (law 1, terminal); x_i = sqrt(2t)·normalAt(…; step, p, 0, i), i.e.
//              x ~ N(0, 2t·I). One invocation per output float.
//   box        points of a box Π_i [boxLow_i, boxHigh_i] (at most 4 variables), N·width floats,
//              point p at p·width: x_i = boxLow_i + (boxHigh_i − boxLow_i)·uniformAt(…; step, p, 0, i).
//              Points p ≥ interior are data points, put on a face of the box: face
//              f = (p − interior) mod faces; face 0 is the initial face, x_timeIndex = boxLow;
//              face f ≥ 1 is the spatial variable s = (f − 1)/2 (the variables other than
//              timeIndex, in order) at its low (f odd) or high (f even) end. Data points cycle
//              through the faces, so each face gets (N − interior)/faces of them. One invocation
//              per output float.
// The step is read from stepCounter[0], so a trainer can keep it on the GPU.
//
// Bindings (@group(0)):
//   0 params      : uniform Params below
//   1 stepCounter : storage, read        array<u32>, word 0 = step (ballWriteRange: words 1, 2
//                                        its range)
//   2 points      : storage, read_write  array<f32>, N·d (ball) or N·(d+1) (parabolic); a
//                                        one-float stand-in with regenerated ball points;
//                                        ballWriteRange: its range's count·d floats
//   3 partials    : storage, read_write  array<f32>, ball: N·S block sums, then (scale, offset) per
//                                        point, then (a training step's draw) ‖x‖² per point; the
//                                        other entries bind a one-float stand-in
// Workgroup: (WORKGROUP_SIZE, 1, 1), WORKGROUP_SIZE (lib/grid.wgsl) a power of two (default 64).
// Dispatch: ballNormals, ballNormBlocks: N·S workgroups; ballScales, ballNorms:
//   ceil(N / WORKGROUP_SIZE); ballWriteRange: ceil(count·d / WORKGROUP_SIZE); ballWrite,
//   parabolic, box: ceil(N·width / WORKGROUP_SIZE). Laid out in x and y when there are more than
//   65 535 (lib/grid.wgsl workgroupIndex and invocationIndex; surplus ones return).

struct Params {
  seed: u32,
  stream: u32,
  points: u32,
  dimension: u32,
  law: u32,
  horizon: f32,
  // box only (the other entries leave them 0): the box, and which points lie on faces.
  interior: u32,
  faces: u32,
  timeIndex: u32,
  // ball only: coordinates per block (a multiple of WORKGROUP_SIZE) and the block count S.
  block: u32,
  blocks: u32,
  boxLow: vec4f,
  boxHigh: vec4f,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> stepCounter: array<u32>;
@group(0) @binding(2) var<storage, read_write> points: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

var<workgroup> partialSquares: array<f32, WORKGROUP_SIZE>;
// The normals a workgroup draws at once: four a lane, one Philox block (lib/random.wgsl
// normalBlock), a quarter of the rounds and half the Box–Muller transforms of one normal a lane.
override NORMAL_CHUNK: u32 = 4u * WORKGROUP_SIZE;
var<workgroup> normalChunk: array<f32, NORMAL_CHUNK>;

fn key() -> vec2<u32> {
  return vec2<u32>(params.seed, params.stream);
}

// The fixed tree sum of the workgroup's `squares` into partials[w] (ballNormals, ballNormBlocks);
// every invocation of the workgroup calls it.
fn storeBlockSum(w: u32, lid: u32, squares: f32) {
  partialSquares[lid] = squares;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partialSquares[lid] += partialSquares[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    partials[w] = partialSquares[0];
  }
}

// z_i of point p for base ≤ i < min(base + NORMAL_CHUNK, end) into normalChunk[i − base]; base
// a multiple of 4 (blocks of coordinates are multiples of WORKGROUP_SIZE). The sums read them back
// one a lane at i = base + k·WORKGROUP_SIZE + lid, k = 0 … 3: each invocation adds the z_i it drew
// itself before, in the same order. Called in uniform control flow by the whole workgroup (it ends
// in a barrier).
fn drawNormalChunk(p: u32, base: u32, end: u32, lid: u32, trainStep: u32) {
  let b = base / 4u + lid;
  if (4u * b < end) {
    let z = normalBlock(key(), trainStep, p, 0u, b);
    for (var c = 0u; c < 4u; c++) {
      normalChunk[4u * lid + c] = z[c];
    }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn ballNormals(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let w = workgroupIndex(grid);
  // Workgroup-uniform: a surplus workgroup of a 2-D grid leaves before any barrier.
  if (w >= params.points * params.blocks) {
    return;
  }
  let p = w / params.blocks;
  let d = params.dimension;
  let first = (w % params.blocks) * params.block;
  let end = min(first + params.block, d);
  let trainStep = stepCounter[0];
  // The loop bound is the same for every invocation, so the barriers below stay in uniform
  // control flow.
  var squares = 0.0;
  for (var base = first; base < end; base += NORMAL_CHUNK) {
    drawNormalChunk(p, base, end, lid, trainStep);
    for (var i = base + lid; i < min(base + NORMAL_CHUNK, end); i += WORKGROUP_SIZE) {
      let z = normalChunk[i - base];
      if (POINTS == POINTS_STORED) {
        points[p * d + i] = z;
      }
      squares += z * z;
    }
    workgroupBarrier();
  }
  storeBlockSum(w, lid, squares);
}

// ((P_0 + P_1) + …) + P_{S−1}: point p's block sums in block order (ballScales, ballNorms).
fn blockSums(p: u32) -> f32 {
  var sum = 0.0;
  for (var b = 0u; b < params.blocks; b++) {
    sum += partials[p * params.blocks + b];
  }
  return sum;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn ballScales(grid: GridInvocation) {
  let p = invocationIndex(grid);
  if (p >= params.points) {
    return;
  }
  let normSquared = blockSums(p);
  let u = uniformAt(key(), stepCounter[0], p, 1u, 0u);
  let radius = select(u, pow(1.0 - u, 1.0 / f32(params.dimension)), params.law == 0u);
  // The max keeps the unused branch of select finite (WGSL may assume no infinities).
  let at = params.points * params.blocks + 2u * p;
  partials[at] = select(0.0, radius / sqrt(max(normSquared, 1e-30)), normSquared > 0.0);
  partials[at + 1u] = select(0.0, radius, normSquared == 0.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn ballWrite(grid: GridInvocation) {
  let t = invocationIndex(grid);
  let d = params.dimension;
  if (t >= params.points * d) {
    return;
  }
  let at = params.points * params.blocks + 2u * (t / d);
  points[t] = ballCoordinate(points[t], t % d, vec2<f32>(partials[at], partials[at + 1u]));
}

// Coordinate i of point p: stored by ballWrite, or redrawn.
fn drawnCoordinate(p: u32, i: u32, trainStep: u32) -> f32 {
  if (POINTS == POINTS_STORED) {
    return points[p * params.dimension + i];
  }
  let at = params.points * params.blocks + 2u * p;
  let source = vec4<u32>(params.seed, params.stream, 0u, 0u);
  let scaleOffset = vec2<f32>(partials[at], partials[at + 1u]);
  return regeneratedBallCoordinate(source, trainStep, p, i, scaleOffset);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn ballWriteRange(grid: GridInvocation) {
  let t = invocationIndex(grid);
  let d = params.dimension;
  let first = stepCounter[1];
  if (t >= stepCounter[2] * d) {
    return;
  }
  points[t] = drawnCoordinate(first + t / d, t % d, stepCounter[0]);
}

// x_i's squares of one (point, block), as ballNormals sums z_i's.
@compute @workgroup_size(WORKGROUP_SIZE)
fn ballNormBlocks(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let w = workgroupIndex(grid);
  if (w >= params.points * params.blocks) {
    return;
  }
  let p = w / params.blocks;
  let first = (w % params.blocks) * params.block;
  let end = min(first + params.block, params.dimension);
  let trainStep = stepCounter[0];
  var squares = 0.0;
  if (POINTS == POINTS_REGENERATED) {
    // drawnCoordinate's x_i, its normal drawn a chunk at a time as ballNormals draws it.
    let at = params.points * params.blocks + 2u * p;
    let scaleOffset = vec2<f32>(partials[at], partials[at + 1u]);
    for (var base = first; base < end; base += NORMAL_CHUNK) {
      drawNormalChunk(p, base, end, lid, trainStep);
      for (var i = base + lid; i < min(base + NORMAL_CHUNK, end); i += WORKGROUP_SIZE) {
        let x = ballCoordinate(normalChunk[i - base], i, scaleOffset);
        squares += x * x;
      }
      workgroupBarrier();
    }
  } else {
    for (var base = first; base < end; base += WORKGROUP_SIZE) {
      let i = base + lid;
      if (i < end) {
        let x = drawnCoordinate(p, i, trainStep);
        squares += x * x;
      }
    }
  }
  storeBlockSum(w, lid, squares);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn ballNorms(grid: GridInvocation) {
  let p = invocationIndex(grid);
  if (p >= params.points) {
    return;
  }
  var normSquared = 0.0;
  if (params.blocks == 1u) {
    let trainStep = stepCounter[0];
    for (var i = 0u; i < params.dimension; i++) {
      let x = drawnCoordinate(p, i, trainStep);
      normSquared += x * x;
    }
  } else {
    normSquared = blockSums(p);
  }
  partials[params.points * (params.blocks + 2u) + p] = normSquared;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn parabolic(grid: GridInvocation) {
  let element = invocationIndex(grid);
  let width = params.dimension + 1u;
  if (element >= params.points * width) {
    return;
  }
  let p = element / width;
  let i = element % width;
  let trainStep = stepCounter[0];
  let t = select(params.horizon * uniformAt(key(), trainStep, p, 1u, 0u), params.horizon, params.law == 1u);
  if (i == params.dimension) {
    points[element] = t;
  } else {
    points[element] = sqrt(2.0 * t) * normalAt(key(), trainStep, p, 0u, i);
  }
}

/** The variable a box face fixes and the value it fixes it to (see the header). */
fn boxFace(face: u32) -> vec2f {
  if (face == 0u) {
    return vec2f(f32(params.timeIndex), params.boxLow[params.timeIndex]);
  }
  let s = (face - 1u) / 2u;
  let variable = select(s, s + 1u, s >= params.timeIndex);
  let bound = select(params.boxHigh[variable], params.boxLow[variable], (face - 1u) % 2u == 0u);
  return vec2f(f32(variable), bound);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn box(grid: GridInvocation) {
  let element = invocationIndex(grid);
  let width = params.dimension;
  if (element >= params.points * width) {
    return;
  }
  let p = element / width;
  let i = element % width;
  let u = uniformAt(key(), stepCounter[0], p, 0u, i);
  var x = params.boxLow[i] + (params.boxHigh[i] - params.boxLow[i]) * u;
  if (p >= params.interior) {
    let face = boxFace((p - params.interior) % params.faces);
    x = select(x, face.y, u32(face.x) == i);
  }
  points[element] = x;
}
