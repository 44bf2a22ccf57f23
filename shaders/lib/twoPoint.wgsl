// lib/twoPoint.wgsl: the arithmetic of the two-point (SPSA) gradient estimate of DESIGN.md §6
// that its kernels share, so that a trial weight or a gradient element computed in one kernel has
// the bits of the same value computed in another: zerothOrder.wgsl (trial point and gradient
// written to buffers), jetForward.wgsl with PERTURBED (the trial weights read inline, no trial
// buffer) and optimizersChecked.wgsl's inline updates (the gradient summed inline, no gradient
// buffer); jetForwardTangent.wgsl with DRAWN_TANGENT draws the forward gradient's v = z_0 of its own
// stream as fullDirection. A function library: no bindings, no entry points. Composes after
// lib/random.wgsl.
//
// Direction j of step s of the full family over the flat parameter vector (jetLayout.ts):
//   z_j[i] = N(0, 1) at key (seed, directionStream), counter (s, j, 0, i).
// Trial point of scale ±ε: θ_i + (±ε)·z_j[i]. Two-point estimate from the 2q losses
// L₊ = L(θ + εz_j), L₋ = L(θ − εz_j):
//   g_i = Σ_j c_j·z_j[i],  c_j = (L₊ − L₋)/(2ε·q),  summed in the order j = 0, 1, …, q − 1.

fn fullDirection(key: vec2<u32>, trainStep: u32, j: u32, i: u32) -> f32 {
  return normalAt(key, trainStep, j, 0u, i);
}

// (fullDirection(j, 4b), …, fullDirection(j, 4b + 3)) from one Philox block.
fn fullDirectionBlock(key: vec2<u32>, trainStep: u32, j: u32, b: u32) -> vec4<f32> {
  return normalBlock(key, trainStep, j, 0u, b);
}

fn trialValue(theta: f32, scale: f32, z: f32) -> f32 {
  return theta + scale * z;
}

fn twoPointCoefficient(plus: f32, minus: f32, epsilon: f32, q: u32) -> f32 {
  return (plus - minus) / (2.0 * epsilon * f32(q));
}
