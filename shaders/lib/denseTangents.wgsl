// lib/denseTangents.wgsl: the dense input tangents of a random jet batch as a function of their
// counters, for randomJets.wgsl (which writes them) and the kernels that read them
// (jetForward.wgsl, jetForwardTangent.wgsl, jetBackwardWeights.wgsl, jetBoundary.wgsl). A
// function library: no bindings, no entry points; composed after lib/random.wgsl and
// lib/tangentSlots.wgsl with src/gpu/composeShader.ts.
//
// Jet r of point p has the normalized coefficients (lib/tangentSlots.wgsl)
//   c_1[i] = rademacherAt or normalAt(seed, stream; step, p, r, i)   for i < range, else 0
//   c_k[i] = extraCoefficient·[k = extraOrder, i = extraIndex]       for k ≥ 2
// (src/random/jetDraws.ts is the CPU mirror). With stored tangents (override TANGENTS = 0)
// randomJets.wgsl writes them to an N·R·K·d buffer, which the reading kernel binds. With
// regenerated tangents (TANGENTS = 1) that buffer does not exist (dense Hutchinson at d = 10^5,
// 100 points, 16 jets of order 2: 1.19 GiB, past SwiftShader's 1 GiB binding): the kernel redraws
// each coefficient where it reads it, from the same counter with the same function, so both modes
// read the same bits. The reading kernel's uniform carries a `tangentDraw: DenseTangentDraw`
// (zero with stored tangents) and the step is word 0 of the step counter; the distribution is the
// override GAUSSIAN_TANGENTS (below).

// Codes of the override TANGENTS (src/engine/tangentSource.ts).
const TANGENTS_STORED: u32 = 0u;
const TANGENTS_REGENERATED: u32 = 1u;

override TANGENTS: u32 = 0u;

// The distribution of the first-order coefficients: Rademacher signs (false) or standard normals
// (true). An override, not a uniform field, so that a kernel compiles only the draw it makes:
// SwiftShader paid for the normals' branch where no lane took it (regenerated Rademacher jets,
// d = 20 000, 16 points, 4 jets, width 32: 0.41 → 0.53–0.61 it/s).
override GAUSSIAN_TANGENTS: bool = false;

struct DenseTangentDraw {
  seed: u32,
  stream: u32,
  // Coordinates 0..range−1 are drawn, the rest are 0.
  range: u32,
  // The fixed tangent every jet carries at order extraOrder (0: none).
  extraOrder: u32,
  extraIndex: u32,
  extraCoefficient: f32,
}

// Coefficient i of order k of jet r of point p at `trainStep`.
fn denseTangentAt(draw: DenseTangentDraw, trainStep: u32, p: u32, r: u32, k: u32, i: u32) -> f32 {
  if (k == 1u) {
    if (i >= draw.range) {
      return 0.0;
    }
    let key = vec2<u32>(draw.seed, draw.stream);
    if (GAUSSIAN_TANGENTS) {
      return normalAt(key, trainStep, p, r, i);
    }
    return rademacherAt(key, trainStep, p, r, i);
  }
  return select(0.0, draw.extraCoefficient, k == draw.extraOrder && i == draw.extraIndex);
}

// Coefficient i of tangent slot `slot` (lib/tangentSlots.wgsl: slot = (p·R + r)·K + k − 1).
fn denseTangentOfSlot(
  draw: DenseTangentDraw,
  trainStep: u32,
  slot: u32,
  i: u32,
  directions: u32,
  order: u32,
) -> f32 {
  let jet = slot / order;
  return denseTangentAt(
    draw,
    trainStep,
    jet / directions,
    jet % directions,
    slot % order + 1u,
    i,
  );
}
