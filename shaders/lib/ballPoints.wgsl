// lib/ballPoints.wgsl: coordinates of samplers.wgsl's ball draw, for the kernels that read the
// collocation points (jetForward.wgsl, jetBoundary.wgsl, jetBackwardWeights.wgsl, pdeExact.wgsl).
// A function library: no bindings, no entry points; composed after lib/random.wgsl with
// src/gpu/composeShader.ts.
//
// The ball draw gives point p the coordinates x_i = scale_p·z_i + [i = 0]·offset_p with
// z_i = normalAt(seed, stream; step, p, 0, i) (samplers.wgsl). With stored points (POINTS = 0) the
// draw writes them to an N·d buffer, which the reading kernel binds. With regenerated points
// (POINTS = 1) nothing of size N·d exists (at d = 10^7 and 100 points it would be 4 GB): the
// reading kernel binds the draw's partials buffer instead, which holds (scale_p, offset_p) and
// ‖x_p‖², and redraws z_i where it reads x_i, from the same counter, as the zeroth-order
// directions are redrawn (zerothOrder.wgsl). The coordinate is the same product and sum as the
// draw's ballWrite, so both modes read the same x_i.
//
// The reading kernel's uniform carries a `pointSource: vec4<u32>` = (seed, stream, scalesAt,
// normsAt): the draw's key, and where the partials buffer holds (scale_p, offset_p) (at
// scalesAt + 2p) and ‖x_p‖² (at normsAt + p); all zero with stored points. The step is word 0 of
// the step counter (random/stepCounter.ts), which such a kernel binds.

// Codes of the override POINTS (src/random/gpuPointSamplers.ts PointStorage).
const POINTS_STORED: u32 = 0u;
const POINTS_REGENERATED: u32 = 1u;

override POINTS: u32 = 0u;

// x_i from its normal z_i and the point's (scale, offset): ballWrite's arithmetic.
fn ballCoordinate(z: f32, i: u32, scaleOffset: vec2<f32>) -> f32 {
  let degenerate = select(0.0, scaleOffset.y, i == 0u);
  return scaleOffset.x * z + degenerate;
}

// x_i of point p at `trainStep`, redrawn: source = the uniform's pointSource.
fn regeneratedBallCoordinate(
  source: vec4<u32>,
  trainStep: u32,
  p: u32,
  i: u32,
  scaleOffset: vec2<f32>,
) -> f32 {
  return ballCoordinate(normalAt(source.xy, trainStep, p, 0u, i), i, scaleOffset);
}

// (x_4b, …, x_4b+3) of point p, redrawn from one Philox block (normalBlock): the values of the
// four regeneratedBallCoordinate calls, for a tile that needs them all.
fn regeneratedBallBlock(
  source: vec4<u32>,
  trainStep: u32,
  p: u32,
  b: u32,
  scaleOffset: vec2<f32>,
) -> vec4<f32> {
  let z = normalBlock(source.xy, trainStep, p, 0u, b);
  let i = 4u * b;
  return vec4<f32>(
    ballCoordinate(z.x, i, scaleOffset),
    ballCoordinate(z.y, i + 1u, scaleOffset),
    ballCoordinate(z.z, i + 2u, scaleOffset),
    ballCoordinate(z.w, i + 3u, scaleOffset),
  );
}
