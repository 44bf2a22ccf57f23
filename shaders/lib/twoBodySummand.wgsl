// lib/twoBodySummand.wgsl: one summand of the two-body solution, g = c sin φ with
// φ = a + cos q + q cos a, (a, q) = (x_i, x_{i+1}) (src/pdes/twoBody.ts), and the partials of φ
// its Laplacian sums (pdeExact.wgsl) and their gradients (pdeSourceGradient.wgsl) read. A
// function library: no bindings, no entry points; composed after accurateMath.wgsl (sinCos) and
// lib/ballSums.wgsl, and reads the including kernel's `coefficients` (storage array<f32>, c_i).
//   φ_a = 1 − q sin a,  φ_q = cos a − sin q,  φ_aa = −q cos a,  φ_aq = −sin a,  φ_qq = −cos q,
//   φ_aaa = q sin a,    φ_aaq = −cos a,       φ_aqq = 0,        φ_qqq = sin q.

struct TwoBodyPhi {
  sinPhi: f32,
  cosPhi: f32,
  a: f32,
  q: f32,
  aa: f32,
  aq: f32,
  qq: f32,
  aaa: f32,
  aaq: f32,
  qqq: f32,
}

fn twoBodyPhi(a: f32, q: f32) -> TwoBodyPhi {
  let scA = sinCos(a);
  let scQ = sinCos(q);
  let sinA = scA.x;
  let cosA = scA.y;
  let scPhi = sinCos(a + scQ.y + q * cosA);
  return TwoBodyPhi(
    scPhi.x,
    scPhi.y,
    1.0 - q * sinA,
    cosA - scQ.x,
    -q * cosA,
    -sinA,
    -scQ.y,
    q * sinA,
    -cosA,
    scQ.x,
  );
}

// g_uvw / c = −C φ_u φ_v φ_w − S (φ_uv φ_w + φ_uw φ_v + φ_vw φ_u) + C φ_uvw (S, C = sin φ, cos φ).
fn twoBodyThird(f: TwoBodyPhi, u: f32, v: f32, w: f32, uv: f32, uw: f32, vw: f32, uvw: f32) -> f32 {
  return -f.cosPhi * u * v * w - f.sinPhi * (uv * w + uw * v + vw * u) + f.cosPhi * uvw;
}

// What ∂_a and ∂_q of a summand add to the gradient sums (per unit c): (g_x, x·∇g_x part, ∂_xΔg)
// for x = a (first) and x = q (second), with (a, q) the summand's own coordinates.
struct TwoBodyGradient {
  ga: f32,
  gq: f32,
  gaa: f32,
  gaq: f32,
  gqq: f32,
  laplacianA: f32,
  laplacianQ: f32,
}

fn twoBodyGradient(f: TwoBodyPhi) -> TwoBodyGradient {
  let S = f.sinPhi;
  let C = f.cosPhi;
  return TwoBodyGradient(
    C * f.a,
    C * f.q,
    -S * f.a * f.a + C * f.aa,
    -S * f.a * f.q + C * f.aq,
    -S * f.q * f.q + C * f.qq,
    twoBodyThird(f, f.a, f.a, f.a, f.aa, f.aa, f.aa, f.aaa)
      + twoBodyThird(f, f.a, f.q, f.q, f.aq, f.aq, f.qq, 0.0),
    twoBodyThird(f, f.a, f.a, f.q, f.aa, f.aq, f.aq, f.aaq)
      + twoBodyThird(f, f.q, f.q, f.q, f.qq, f.qq, f.qq, f.qqq),
  );
}

// This invocation's share of (‖x‖², s, x·∇s, Δs) over the coordinates and summands i of
// [first, end) it strides over (i = first + lid, first + lid + WORKGROUP_SIZE, …):
//   x·∇g = c cos φ (a φ_a + q φ_q),   Δg = c (cos φ (φ_aa + φ_qq) − sin φ (φ_a² + φ_q²)).
fn twoBodyPartialSums(base: u32, first: u32, end: u32, lid: u32) -> vec4<f32> {
  var sums = vec4<f32>(partialNorm2(base, first, end, lid), 0.0, 0.0, 0.0);
  for (var i = first + lid; i < end && i + 1u < params.dim; i += WORKGROUP_SIZE) {
    let a = coordinate(base, i);
    let q = coordinate(base, i + 1u);
    let c = coefficients[i];
    let f = twoBodyPhi(a, q);
    sums.y += c * f.sinPhi;
    sums.z += c * f.cosPhi * (a * f.a + q * f.q);
    sums.w += c * (f.cosPhi * (f.aa + f.qq) - f.sinPhi * (f.a * f.a + f.q * f.q));
  }
  return sums;
}
