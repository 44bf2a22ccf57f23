// lib/nonlinearity.wgsl: the nonlinear term N(u) of the PDE zoo's equations L₀u + N(u) = f and its
// derivative N'(u), shared by the manufactured sources (pdeExact.wgsl) and the residuals
// (pinnResidual.wgsl), so that both sides of r = L₀u + N(u) − f use the same N to the bit. A
// function library: no bindings, no entry points; composed after accurateMath.wgsl (sin and cos)
// with src/gpu/composeShader.ts.
//
// Codes of the override NONLINEARITY (src/pdes/gpuExact.ts, src/train/residualLoss.ts):
//   0 none (Poisson)          N = 0
//   1 Allen–Cahn              N = u − u³,                   N' = 1 − 3u²,          N'' = −6u
//   2 sine-Gordon             N = D·sin(u/D),               N' = cos(u/D),         N'' = −sin(u/D)/D
//   3 semilinear heat         N = (1 − u²)/(1 + u²),        N' = −4u/(1 + u²)²,    N'' = (12u² − 4)/(1 + u²)³
// N'' is what the gradient of ∂_j N(u) = N'(u)·u_j needs (gpinnResidual.wgsl).
// D is 1 in the ball; the STDE code's scaled parabolic sine-Gordon problem uses D = d. With D = 1,
// u/D and D·sin are exact, so N is sin u to the bit.

override NONLINEARITY: u32 = 0u;

// (N(u), N'(u)) with the sine-Gordon scale D.
fn nonlinearity(u: f32, D: f32) -> vec2<f32> {
  if (NONLINEARITY == 1u) {
    return vec2<f32>(u - u * u * u, 1.0 - 3.0 * u * u);
  }
  if (NONLINEARITY == 2u) {
    let sc = sinCos(u / D);
    return vec2<f32>(D * sc.x, sc.y);
  }
  if (NONLINEARITY == 3u) {
    let q = 1.0 + u * u;
    return vec2<f32>((1.0 - u * u) / q, -4.0 * u / (q * q));
  }
  return vec2<f32>(0.0, 0.0);
}

// N''(u) with the sine-Gordon scale D.
fn nonlinearityCurvature(u: f32, D: f32) -> f32 {
  if (NONLINEARITY == 1u) {
    return -6.0 * u;
  }
  if (NONLINEARITY == 2u) {
    return -sinCos(u / D).x / D;
  }
  if (NONLINEARITY == 3u) {
    let q = 1.0 + u * u;
    return (12.0 * u * u - 4.0) / (q * q * q);
  }
  return 0.0;
}
