// highOrderResidual.wgsl: the loss of the high-order box problems (src/pdes/highOrder.ts: 2-D KdV,
// 2-D KP, 1-D gradient-enhanced KdV), per-point loss terms and the cotangent of the loss with
// respect to every output coefficient. Composes (src/gpu/composeShader.ts, in front of this file):
// lib/accurateMath.wgsl, lib/activations.wgsl (tanhSeed, sech2 for the exact data), lib/grid.wgsl.
//
// The batch holds N collocation points and then M data points (samplers.wgsl's box entry puts
// those on the faces of the box); every point carries the same fixed jets (src/operators kdv2d.ts,
// kp2d.ts, gkdv1d.ts), so its output rows u[p, v] (jetLayout.ts; v = 0 is the value) give the
// operator's Q quantities by fixed row weights, q_k = Σ_v W[k, v]·u[p, v] (the construction's
// outputs, in its order: KDV2D_OUTPUTS, KP2D_OUTPUTS, GKDV1D_OUTPUTS). With them
//   PROBLEM 0, 2-D KdV   q = (u, u_x, u_y, u_xx, u_xy, u_yy, u_ty + u_xxxy):
//     r₀ = q₆ + 3(q₄q₁ + q₂q₃) − q₃ + 2q₅
//   PROBLEM 1, 2-D KP    q = (u, u_x, u_xx, u_tx + u_xxxx, u_yy):
//     r₀ = q₃ + 6(q₁² + q₀q₂) + 3q₄
//   PROBLEM 2, 1-D g-KdV q = (u, u_x, u_t, u_xx, u_xxx, u_tx, u_tt, u_xxxx, u_txxx), β = dispersion:
//     r₀ = q₂ + q₀q₁ + βq₄,  r₁ = r_x = q₅ + q₁² + q₀q₃ + βq₇,  r₂ = r_t = q₆ + q₂q₁ + q₀q₅ + βq₈
// and the loss
//   L = Σ_t w_t·(1/N)Σ_p r_t(p)² + λ·(1/M)Σ_m (u(x_m) − u*(x_m))²,
// u* the exact travelling wave A·F(θ), θ = Σ_i rate_i x_i + θ₀, F = tanh (profile 0) or sech²
// (profile 1) (travellingWave.ts). Collocation cotangents
//   ∂L/∂u[p, v] = Σ_k g_k·W[k, v],  g_k = (2/N)·Σ_t w_t·r_t·∂r_t/∂q_k,
// data cotangents (2λ/M)·(u − u*) on the value row and 0 elsewhere. lossTerms holds
// ((N + M)/N)·Σ_t w_t r_t² and ((N + M)/M)·λ·(u − u*)², so one mean over the N + M terms
// (reduce.wgsl, deterministic) is L.
//
// Bindings (@group(0)):
//   0 params    : uniform Params below
//   1 weights   : storage, read        array<f32>, Q·V  W, quantity-major
//   2 output    : storage, read        array<f32>, (N + M)·V output coefficients
//   3 points    : storage, read        array<f32>, (N + M)·width inputs (for u* at data points)
//   4 lossTerms : storage, read_write  array<f32>, N + M
//   5 cotangent : storage, read_write  array<f32>, (N + M)·V
// Workgroup: (WORKGROUP_SIZE, 1, 1), one invocation per point; overrides WORKGROUP_SIZE
// (lib/grid.wgsl, default 64), PROBLEM (0 KdV, 1 KP, 2 g-KdV).
// Dispatch: ceil((N + M) / WORKGROUP_SIZE) workgroups along x (p = lib/grid.wgsl invocationIndex).

const MAX_QUANTITIES: u32 = 9u;

struct Params {
  interior: u32,
  data: u32,
  rows: u32,
  quantities: u32,
  width: u32,
  dispersion: f32,
  // (N + M)/N and (N + M)/M·λ: the loss terms' scales.
  residualTermScale: f32,
  dataTermScale: f32,
  // 2/N and 2λ/M: the cotangents' scales.
  residualGradientScale: f32,
  dataGradientScale: f32,
  waveAmplitude: f32,
  waveProfile: u32,
  wavePhase: f32,
  termWeights: vec4f,
  waveRates: vec4f,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> output: array<f32>;
@group(0) @binding(3) var<storage, read> points: array<f32>;
@group(0) @binding(4) var<storage, read_write> lossTerms: array<f32>;
@group(0) @binding(5) var<storage, read_write> cotangent: array<f32>;

override PROBLEM: u32 = 0u;

// Σ_t w_t r_t² and g/(2/N) = Σ_t w_t r_t ∂r_t/∂q (see the header).
struct ResidualTerms {
  weightedSquares: f32,
  gradient: array<f32, MAX_QUANTITIES>,
}

fn kdv2d(q: array<f32, MAX_QUANTITIES>) -> ResidualTerms {
  var out: ResidualTerms;
  let r = q[6] + 3.0 * (q[4] * q[1] + q[2] * q[3]) - q[3] + 2.0 * q[5];
  let c = params.termWeights[0] * r;
  out.weightedSquares = c * r;
  out.gradient[1] = c * 3.0 * q[4];
  out.gradient[2] = c * 3.0 * q[3];
  out.gradient[3] = c * (3.0 * q[2] - 1.0);
  out.gradient[4] = c * 3.0 * q[1];
  out.gradient[5] = c * 2.0;
  out.gradient[6] = c;
  return out;
}

fn kp2d(q: array<f32, MAX_QUANTITIES>) -> ResidualTerms {
  var out: ResidualTerms;
  let r = q[3] + 6.0 * (q[1] * q[1] + q[0] * q[2]) + 3.0 * q[4];
  let c = params.termWeights[0] * r;
  out.weightedSquares = c * r;
  out.gradient[0] = c * 6.0 * q[2];
  out.gradient[1] = c * 12.0 * q[1];
  out.gradient[2] = c * 6.0 * q[0];
  out.gradient[3] = c;
  out.gradient[4] = c * 3.0;
  return out;
}

fn gkdv1d(q: array<f32, MAX_QUANTITIES>) -> ResidualTerms {
  var out: ResidualTerms;
  let beta = params.dispersion;
  let r0 = q[2] + q[0] * q[1] + beta * q[4];
  let r1 = q[5] + q[1] * q[1] + q[0] * q[3] + beta * q[7];
  let r2 = q[6] + q[2] * q[1] + q[0] * q[5] + beta * q[8];
  let c0 = params.termWeights[0] * r0;
  let c1 = params.termWeights[1] * r1;
  let c2 = params.termWeights[2] * r2;
  out.weightedSquares = c0 * r0 + c1 * r1 + c2 * r2;
  out.gradient[0] = c0 * q[1] + c1 * q[3] + c2 * q[5];
  out.gradient[1] = c0 * q[0] + c1 * 2.0 * q[1] + c2 * q[2];
  out.gradient[2] = c0 + c2 * q[1];
  out.gradient[3] = c1 * q[0];
  out.gradient[4] = c0 * beta;
  out.gradient[5] = c1 + c2 * q[0];
  out.gradient[6] = c2;
  out.gradient[7] = c1 * beta;
  out.gradient[8] = c2 * beta;
  return out;
}

fn residualTerms(q: array<f32, MAX_QUANTITIES>) -> ResidualTerms {
  switch (PROBLEM) {
    case 0u: {
      return kdv2d(q);
    }
    case 1u: {
      return kp2d(q);
    }
    default: {
      return gkdv1d(q);
    }
  }
}

// u* at point p: the travelling wave of the header.
fn exactWave(p: u32) -> f32 {
  var theta = params.wavePhase;
  for (var i = 0u; i < params.width; i++) {
    theta += params.waveRates[i] * points[p * params.width + i];
  }
  let profile = select(tanhSeed(theta).value, sech2(theta), params.waveProfile == 1u);
  return params.waveAmplitude * profile;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn highOrderResidual(grid: GridInvocation) {
  let p = invocationIndex(grid);
  if (p >= params.interior + params.data) {
    return;
  }
  let V = params.rows;
  let base = p * V;
  if (p >= params.interior) {
    let e = output[base] - exactWave(p);
    lossTerms[p] = params.dataTermScale * e * e;
    cotangent[base] = params.dataGradientScale * e;
    for (var v = 1u; v < V; v++) {
      cotangent[base + v] = 0.0;
    }
    return;
  }
  var q: array<f32, MAX_QUANTITIES>;
  for (var k = 0u; k < params.quantities; k++) {
    var sum = 0.0;
    for (var v = 0u; v < V; v++) {
      sum += weights[k * V + v] * output[base + v];
    }
    q[k] = sum;
  }
  let terms = residualTerms(q);
  lossTerms[p] = params.residualTermScale * terms.weightedSquares;
  for (var v = 0u; v < V; v++) {
    var g = 0.0;
    for (var k = 0u; k < params.quantities; k++) {
      g += terms.gradient[k] * weights[k * V + v];
    }
    cotangent[base + v] = params.residualGradientScale * g;
  }
}
