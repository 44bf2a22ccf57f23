// jetBackward.wgsl: reverse mode through the per-unit Taylor rules of a jet batch, in place.
//
// Both rules here multiply each direction's series by a series that does not depend on the
// weights seen from this side of the rule, so their reverse is the transpose of a Cauchy product:
//   u = b·m   (hard boundary factor, b depends only on the input curve)
//   ds_k = Σ_m D_{k−m} dz_m with D = σ'(z(t)): ∂σ(z(t))/∂z_m = σ'(z(t))·t^m for every m, z_0
//          included, so the Jacobian of Faà di Bruno is multiplication by D (DESIGN.md §2).
// With the multiplier series D_r = (D_0, D_r1, …, D_rK) of direction r (D_0 is shared, it is the
// value row), the cotangent ē of the result maps to the cotangent of the factor:
//   standard : f̄_rm = Σ_{k=m..K} ē_rk D_r(k−m)        (m = 1..K)
//              f̄_0  = ē_0 D_0 + Σ_r Σ_{k=1..K} ē_rk D_rk
//   collapsed: the top row carries T = Σ_r (order K of direction r), so ē_rK = ē_top for every r,
//              f̄_top = ē_top D_0, the lower rows as above with ē_rK = ē_top, and the value row
//              needs Σ_r D_rK. For the boundary that sum is b's own top row. For an activation
//              D_rK = σ''(z_0)·z_rK + (terms of orders < K), so Σ_r D_rK is the lower-order part
//              per direction (z_rK set to 0) plus σ''(z_0)·Z_top, with Z_top the stored top row.
// D = σ'(z(t)) comes from the activation's ODE in O(K²) per direction (what JAX's jet does):
//   tanh    : y' = D z', D = 1 − y²            → D_k = −(2 y_0 y_k + Σ_{i=1..k−1} y_i y_{k−i})
//   sin     : s' = c z', c' = −s z', D = c
//   softplus: q' = w z', w = q − q², D = q     → w_k = (1 − 2q_0) q_k − Σ_{i=1..k−1} q_i q_{k−i}
//   identity: D = 1
// where each step is the series form of a' = b·z' (a, b: one of the pairs above),
//   k·a_k = Σ_{m=1..k} m·z_m·b_{k−m}.
// D_K holds σ^(K+1)(z_0): order K + 1 of σ, reached without any table of partitions.
//
// Composes (src/gpu/composeShader.ts, in front of this file): lib/accurateMath.wgsl,
// lib/grid.wgsl, lib/jetRows.wgsl (rows, overrides ORDER and COLLAPSED), lib/activations.wgsl
// (activation codes, override ACTIVATION, sech² and the logistic function).
//
// Bindings (@group(0)):
//   0 params    : uniform { points, width, directions }
//   1 jet       : storage, read        activationTranspose: pre-activation z jets of the layer,
//                                      points·V·width; boundaryTranspose: b jets, points·V
//   2 cotangent : storage, read_write  points·V·width; in: cotangent of the rule's output,
//                                      out: cotangent of its input (z̄, resp. m̄)
// Layout: element j of row v of point p at (p·V + v)·width + j (lib/jetRows.wgsl).
// Overrides: ORDER (K ≤ MAX_ORDER), COLLAPSED, ACTIVATION (1 tanh, 2 sin, 3 softplus, 4 identity),
//   WORKGROUP_SIZE (lib/grid.wgsl, default 64).
// Workgroup: (WORKGROUP_SIZE, 1, 1), one invocation per (point, unit); the invocation index is
// lib/grid.wgsl's invocationIndex, so more than 65 535 workgroups fold into y.

struct Params {
  points: u32,
  width: u32,
  directions: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> jet: array<f32>;
@group(0) @binding(2) var<storage, read_write> cotangent: array<f32>;

// Function-scope arrays need a constant size; loops run to ORDER only.
const MAX_ORDER: u32 = 16u;
const TERMS: u32 = MAX_ORDER + 1u;

// The (point, unit) of this invocation; the point is ≥ params.points past the end of the batch.
fn invocationItem(grid: GridInvocation) -> vec2<u32> {
  let item = invocationIndex(grid);
  return vec2<u32>(item / params.width, item % params.width);
}

// Overwrites direction r's rows of the cotangent (element 0 at `base`, rows `width` apart) with
// the transposed product by d and returns the direction's value-row term Σ_{k≥1} ē_rk d_k.
// In the collapsed structure ē_rK is the shared top cotangent `topBar`; the top row itself is
// written by the caller.
fn transposeDirection(
  base: u32,
  stride: u32,
  r: u32,
  topBar: f32,
  d: ptr<function, array<f32, TERMS>>,
) -> f32 {
  var bar: array<f32, TERMS>;
  let lower = directionOrders();
  for (var k = 1u; k <= lower; k++) {
    bar[k] = cotangent[base + rowOf(r, k, params.directions) * stride];
  }
  if (COLLAPSED) {
    bar[ORDER] = topBar;
  }
  var valueTerm = 0.0;
  for (var k = 1u; k <= ORDER; k++) {
    valueTerm += bar[k] * (*d)[k];
  }
  for (var m = 1u; m <= lower; m++) {
    var sum = 0.0;
    for (var k = m; k <= ORDER; k++) {
      sum += bar[k] * (*d)[k - m];
    }
    cotangent[base + rowOf(r, m, params.directions) * stride] = sum;
  }
  return valueTerm;
}

// tanh from e^{−2|z|}: cannot overflow (WGSL's tanh may give NaN for |z| > ~88, gpuweb #4458).
// Without lib/activations.wgsl's small-|z| series: the backward pass has always used this form.
fn stableTanh(z: f32) -> f32 {
  let e = exp(-2.0 * abs(z));
  return sign(z) * (1.0 - e) / (1.0 + e);
}

// (σ'(z_0), σ''(z_0), a_0) where a is the auxiliary series of the activation's ODE: y = tanh,
// s = sin, w = q − q² for softplus (unused for identity). sech2 and logistic: lib/activations.wgsl.
fn activationStart(z0: f32) -> vec3<f32> {
  switch ACTIVATION {
    case TANH: {
      let y = stableTanh(z0);
      let d = sech2(z0);
      return vec3<f32>(d, -2.0 * y * d, y);
    }
    case SIN: {
      let sc = sinCos(z0);
      return vec3<f32>(sc.y, -sc.x, sc.x);
    }
    case SOFTPLUS: {
      let q = logistic(z0);
      let w = q * logistic(-z0);
      return vec3<f32>(q, w, w);
    }
    default: {
      return vec3<f32>(1.0, 0.0, 0.0);
    }
  }
}

// k·a_k = Σ_{m=1..k} m·h_m·b_{k−m}: coefficient k of a with a' = b·h'.
fn odeStep(
  k: u32,
  h: ptr<function, array<f32, TERMS>>,
  b: ptr<function, array<f32, TERMS>>,
) -> f32 {
  var sum = 0.0;
  for (var m = 1u; m <= k; m++) {
    sum += f32(m) * (*h)[m] * (*b)[k - m];
  }
  return sum / f32(k);
}

// Σ_{i=1..k−1} a_i a_{k−i}: the part of (a²)_k free of a_0 and a_k.
fn innerSquare(k: u32, a: ptr<function, array<f32, TERMS>>) -> f32 {
  var sum = 0.0;
  for (var i = 1u; i < k; i++) {
    sum += (*a)[i] * (*a)[k - i];
  }
  return sum;
}

// Fills d with D = σ'(z(t)) for the tail h (h_0 = 0) by the activation's ODE.
fn derivativeSeries(
  start: vec3<f32>,
  h: ptr<function, array<f32, TERMS>>,
  d: ptr<function, array<f32, TERMS>>,
) {
  var aux: array<f32, TERMS>;
  (*d)[0] = start.x;
  aux[0] = start.z;
  for (var k = 1u; k <= ORDER; k++) {
    switch ACTIVATION {
      case TANH: {
        aux[k] = odeStep(k, h, d);
        (*d)[k] = -(2.0 * aux[0] * aux[k] + innerSquare(k, &aux));
      }
      case SIN: {
        let s = odeStep(k, h, d);
        (*d)[k] = -odeStep(k, h, &aux);
        aux[k] = s;
      }
      case SOFTPLUS: {
        (*d)[k] = odeStep(k, h, &aux);
        aux[k] = (1.0 - 2.0 * (*d)[0]) * (*d)[k] - innerSquare(k, d);
      }
      default: {
        (*d)[k] = 0.0;
      }
    }
  }
}

// z̄ from s̄ for one hidden layer: `jet` holds the pre-activation z, `cotangent` s̄ on entry.
@compute @workgroup_size(WORKGROUP_SIZE)
fn activationTranspose(grid: GridInvocation) {
  let item = invocationItem(grid);
  if (item.x >= params.points) {
    return;
  }
  let stride = params.width;
  let base = item.x * rowsPerPoint(params.directions) * stride + item.y;
  let start = activationStart(jet[base]);
  let top = base + topRow(params.directions) * stride;
  let topBar = select(0.0, cotangent[top], COLLAPSED && ORDER > 0u);
  var h: array<f32, TERMS>;
  var d: array<f32, TERMS>;
  var valueBar = cotangent[base] * start.x;
  let lower = directionOrders();
  let directions = select(0u, params.directions, ORDER > 0u);
  for (var r = 0u; r < directions; r++) {
    for (var m = 1u; m <= lower; m++) {
      h[m] = jet[base + rowOf(r, m, params.directions) * stride];
    }
    // Collapsed: z_rK is not stored; σ''(z_0)·Z_top restores its share of Σ_r D_rK below.
    h[ORDER] = select(h[ORDER], 0.0, COLLAPSED);
    derivativeSeries(start, &h, &d);
    valueBar += transposeDirection(base, stride, r, topBar, &d);
  }
  if (COLLAPSED && ORDER > 0u) {
    valueBar += topBar * start.y * jet[top];
    cotangent[top] = topBar * start.x;
  }
  cotangent[base] = valueBar;
}

// m̄ from ū for u = b·m: `jet` holds b (one unit per row), `cotangent` ū on entry.
@compute @workgroup_size(WORKGROUP_SIZE)
fn boundaryTranspose(grid: GridInvocation) {
  let item = invocationItem(grid);
  if (item.x >= params.points) {
    return;
  }
  let stride = params.width;
  let rows = rowsPerPoint(params.directions);
  let base = item.x * rows * stride + item.y;
  let bBase = item.x * rows;
  let top = base + topRow(params.directions) * stride;
  let topBar = select(0.0, cotangent[top], COLLAPSED && ORDER > 0u);
  var d: array<f32, TERMS>;
  d[0] = jet[bBase];
  var valueBar = cotangent[base] * d[0];
  let lower = directionOrders();
  let directions = select(0u, params.directions, ORDER > 0u);
  for (var r = 0u; r < directions; r++) {
    for (var k = 1u; k <= lower; k++) {
      d[k] = jet[bBase + rowOf(r, k, params.directions)];
    }
    // Collapsed: b's per-direction top order is not stored; its sum over r (b's top row) is
    // added once below.
    d[ORDER] = select(d[ORDER], 0.0, COLLAPSED);
    valueBar += transposeDirection(base, stride, r, topBar, &d);
  }
  if (COLLAPSED && ORDER > 0u) {
    valueBar += topBar * jet[bBase + topRow(params.directions)];
    cotangent[top] = topBar * d[0];
  }
  cotangent[base] = valueBar;
}
