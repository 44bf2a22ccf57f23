// gpinnResidual.wgsl: the gPINN loss of the ball problems (src/train/gpinnResidual.ts is the
// float64 version), per-point loss terms and the cotangent of the loss with respect to every output
// coefficient, from the rows of the ∂_jΔu 7-jets (src/operators/laplacianGradient.ts). Composes
// (src/gpu/composeShader.ts, in front of this file): lib/accurateMath.wgsl, lib/grid.wgsl,
// lib/nonlinearity.wgsl (N, N', N'', override NONLINEARITY).
//
// For point p with output rows y[p, v] and the row weights of the quantities (one vector of V
// each): u = w_u·y, u_j = w_uj·y, and per draw k the estimates Δ̂_k = w_Δk·y, ∂_jΔ̂_k = w_Δjk·y;
//   r_k = Δ̂_k + N(u) − f,   ρ_k = ∂_jΔ̂_k + N'(u) u_j − ∂_j f,
//   biased   (LOSS = 0, one draw):  term = r₁² + c ρ₁²,
//     ∂term/∂y_v = 2 r₁ (w_Δ1 + N' w_u)_v + 2c ρ₁ (w_Δj1 + N' w_uj + N'' u_j w_u)_v;
//   unbiased (LOSS = 1, two draws): term = r₁ r₂ + c ρ₁ ρ₂, the gradient through the second draw
//     with the first held (stopgrad), ∂/∂y_v = r₁ (w_Δ2 + N' w_u)_v + c ρ₁ (w_Δj2 + N' w_uj + N'' u_j w_u)_v.
// lossTerms[p] = term; cotangent[p, v] = (1/n)·∂term/∂y_v, so the mean of lossTerms is the loss.
//
// Bindings (@group(0)):
//   0 params         : uniform { points n, rows V, scale 1/n, weight c }
//   1 weights        : storage, read        array<f32>, 6·V: w_u, w_uj, w_Δ1, w_Δj1, w_Δ2, w_Δj2
//   2 output         : storage, read        array<f32>, n·V output coefficients
//   3 source         : storage, read        array<f32>, n  f(x_p)
//   4 sourceGradient : storage, read        array<f32>, n  ∂_j f(x_p)
//   5 lossTerms      : storage, read_write  array<f32>, n
//   6 cotangent      : storage, read_write  array<f32>, n·V
// Workgroup: (WORKGROUP_SIZE, 1, 1), one invocation per point; overrides WORKGROUP_SIZE
// (lib/grid.wgsl, default 64), NONLINEARITY, LOSS (0 biased, 1 unbiased).
// Dispatch: ceil(n / WORKGROUP_SIZE) workgroups along x.

struct Params {
  points: u32,
  rows: u32,
  scale: f32,
  weight: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> output: array<f32>;
@group(0) @binding(3) var<storage, read> source: array<f32>;
@group(0) @binding(4) var<storage, read> sourceGradient: array<f32>;
@group(0) @binding(5) var<storage, read_write> lossTerms: array<f32>;
@group(0) @binding(6) var<storage, read_write> cotangent: array<f32>;

override LOSS: u32 = 0u;

// Which weight vector: u, u_j, then Δ and ∂_jΔ of draw 1, then of draw 2.
const W_U: u32 = 0u;
const W_UJ: u32 = 1u;
const W_LAPLACIAN: u32 = 2u;
const W_LAPLACIAN_J: u32 = 3u;
const DRAW_STRIDE: u32 = 2u;

fn weightAt(which: u32, v: u32) -> f32 {
  return weights[which * params.rows + v];
}

fn quantity(which: u32, base: u32) -> f32 {
  var sum = 0.0;
  for (var v = 0u; v < params.rows; v++) {
    sum += weightAt(which, v) * output[base + v];
  }
  return sum;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gpinnResidual(grid: GridInvocation) {
  let p = invocationIndex(grid);
  if (p >= params.points) {
    return;
  }
  let base = p * params.rows;
  let u = quantity(W_U, base);
  let uJ = quantity(W_UJ, base);
  let n = nonlinearity(u, 1.0);
  let curvature = nonlinearityCurvature(u, 1.0);
  let r1 = quantity(W_LAPLACIAN, base) + n.x - source[p];
  let rho1 = quantity(W_LAPLACIAN_J, base) + n.y * uJ - sourceGradient[p];
  // The draw the gradient flows through, and the factor 2 of a square.
  let second = select(0u, DRAW_STRIDE, LOSS == 1u);
  let factor = select(1.0, 2.0, LOSS == 0u);
  if (LOSS == 0u) {
    lossTerms[p] = r1 * r1 + params.weight * rho1 * rho1;
  } else {
    let r2 = quantity(W_LAPLACIAN + second, base) + n.x - source[p];
    let rho2 = quantity(W_LAPLACIAN_J + second, base) + n.y * uJ - sourceGradient[p];
    lossTerms[p] = r1 * r2 + params.weight * rho1 * rho2;
  }
  let g = factor * params.scale * r1;
  let gJ = factor * params.scale * params.weight * rho1;
  for (var v = 0u; v < params.rows; v++) {
    let wU = weightAt(W_U, v);
    cotangent[base + v] = g * (weightAt(W_LAPLACIAN + second, v) + n.y * wU)
      + gJ * (weightAt(W_LAPLACIAN_J + second, v) + n.y * weightAt(W_UJ, v) + curvature * uJ * wU);
  }
}
