// pinnResidual.wgsl: PDE residuals, per-point loss terms and the cotangent of the loss with respect
// to every output coefficient, for problems L u = L₀u + N(u) = f where L₀u is linear in the output
// coefficients: the ball problems (Laplacian, biharmonic) and the interior points of the
// parabolic problems (u_t + Δu, whose jets carry u_t in every top coefficient; f = 0 there).
// Composes (src/gpu/composeShader.ts, in front of this file): lib/accurateMath.wgsl,
// lib/grid.wgsl, lib/nonlinearity.wgsl (N(u) and N'(u), override NONLINEARITY).
//
// For point p with output rows u[p, v] (jetLayout.ts; v = 0 is the value u), the operator estimate
// is a fixed linear functional of the rows, est = Σ_v w_v·u[p, v] (operator quantity → row weights),
// and the residual is r = est + N(u₀) − f_p with
//   N = 0 (Poisson), u − u³ (Allen–Cahn), D·sin(u/D) (sine-Gordon; D = 1 in the ball, D = d in the
//   STDE code's scaled parabolic form), (1 − u²)/(1 + u²) (semilinear heat) — lib/nonlinearity.wgsl.
//   biased   (LOSS = 0): loss term r², L = mean r²; ∂L/∂u[p,v] = (2/n)·r·(w_v + [v = 0]·N'(u₀)).
//   unbiased (LOSS = 1): two independent jet draws in the same rows, weights w (first draw) and
//     w2 (second draw); L = mean(stopgrad(r₁)·r₂) and ∂L/∂u[p,v] = (1/n)·r₁·(w2_v + [v = 0]·N'(u₀)).
// lossTerms[p] = termScale·r² (or termScale·r₁·r₂): with termScale = 1 the host's deterministic mean
// of the buffer (reduce.wgsl) is the loss; the parabolic graph appends its terminal terms after the
// n residual terms and scales both so that one mean over the whole buffer is the total loss.
//
// Bindings (@group(0)):
//   0 params      : uniform { points n, rows V, scale 1/n, termScale, nonlinearity scale D }
//   1 weights     : storage, read        array<f32>, V  row weights of the (first) estimate
//   2 weights2    : storage, read        array<f32>, V  row weights of the second draw (unbiased)
//   3 output      : storage, read        array<f32>, n·V output coefficients (one output)
//   4 source      : storage, read        array<f32>, n  f(x_p)
//   5 residual    : storage, read_write  array<f32>, n  r (first draw)
//   6 lossTerms   : storage, read_write  array<f32>, ≥ n  termScale·r² or termScale·r₁·r₂
//   7 cotangent   : storage, read_write  array<f32>, n·V  ∂L/∂u
// Workgroup: (WORKGROUP_SIZE, 1, 1), one invocation per point; overrides WORKGROUP_SIZE
// (lib/grid.wgsl, default 64), NONLINEARITY (0 none, 1 Allen–Cahn, 2 sine-Gordon, 3 semilinear
// heat), LOSS (0 biased, 1 unbiased).
// Dispatch: ceil(n / WORKGROUP_SIZE) workgroups along x (p = lib/grid.wgsl invocationIndex).

struct Params {
  points: u32,
  rows: u32,
  scale: f32,
  termScale: f32,
  nonlinearityScale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> weights2: array<f32>;
@group(0) @binding(3) var<storage, read> output: array<f32>;
@group(0) @binding(4) var<storage, read> source: array<f32>;
@group(0) @binding(5) var<storage, read_write> residual: array<f32>;
@group(0) @binding(6) var<storage, read_write> lossTerms: array<f32>;
@group(0) @binding(7) var<storage, read_write> cotangent: array<f32>;

override LOSS: u32 = 0u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn residualLoss(grid: GridInvocation) {
  let p = invocationIndex(grid);
  if (p >= params.points) {
    return;
  }
  let V = params.rows;
  let base = p * V;
  var estimate = 0.0;
  var estimate2 = 0.0;
  for (var v = 0u; v < V; v++) {
    let u = output[base + v];
    estimate += weights[v] * u;
    if (LOSS == 1u) {
      estimate2 += weights2[v] * u;
    }
  }
  let n = nonlinearity(output[base], params.nonlinearityScale);
  let r = estimate + n.x - source[p];
  residual[p] = r;
  if (LOSS == 0u) {
    lossTerms[p] = params.termScale * r * r;
    let g = 2.0 * params.scale * r;
    for (var v = 0u; v < V; v++) {
      cotangent[base + v] = g * weights[v];
    }
  } else {
    let r2 = estimate2 + n.x - source[p];
    lossTerms[p] = params.termScale * r * r2;
    let g = params.scale * r;
    for (var v = 0u; v < V; v++) {
      cotangent[base + v] = g * weights2[v];
    }
  }
  let gValue = select(params.scale * r, 2.0 * params.scale * r, LOSS == 0u);
  cotangent[base] += gValue * n.y;
}
