// lib/activations.wgsl: the activations σ of the hidden layers, their codes, and σ with its first
// two derivatives at a point, the seeds from which every Taylor rule of a jet pass starts. A
// function library: no bindings, no entry points; composed after accurateMath.wgsl (sin and cos)
// with src/gpu/composeShader.ts.
//
// A Taylor rule pushes a series z(t) through σ one order at a time from an ODE that σ satisfies
// (jetForward.wgsl, jetBackward.wgsl), so all it needs from σ itself is what happens at the value
// z_0: the seed s_0 = σ(z_0), D_0 = σ'(z_0) and σ''(z_0).
//   tanh:     σ' = 1 − σ² = sech² z,                 σ'' = −2σσ'
//   sin:      σ' = cos z,                            σ'' = −sin z
//   softplus: σ = log(1 + e^z), σ' = L = logistic z, σ'' = L(1 − L)
//   identity: σ' = 1,                                σ'' = 0
// Each is computed from e^{−|z|} (or e^{−2|z|}), which lies in (0, 1] and cannot overflow, so a
// large pre-activation gives σ' = 0 instead of ∞/∞ = NaN (WGSL's tanh may return NaN for
// |z| > ~88, gpuweb #4458). The forward kernels start from seedOf; jetBackward.wgsl's transposed
// rules take sech2 and logistic from here and keep their own tanh value (without the small-|z|
// series of tanhSeed, as they always had: a seeded run's gradients stay the same bits).

// Codes of the override ACTIVATION (src/engine/forwardJet.ts, backwardJet.ts activation ids).
const LINEAR: u32 = 0u; // no activation: the output layer (a forward kernel writes z only)
const TANH: u32 = 1u;
const SIN: u32 = 2u;
const SOFTPLUS: u32 = 3u;
const IDENTITY: u32 = 4u;

// The activation a kernel applies (one of the codes above; default tanh).
override ACTIVATION: u32 = 1u;

// sech² z = 4e/(1 + e)², e = e^{−2|z|}: keeps its relative accuracy where 1 − tanh² z rounds to 0.
fn sech2(z: f32) -> f32 {
  let e = exp(-2.0 * abs(z));
  return 4.0 * e / ((1.0 + e) * (1.0 + e));
}

// The logistic function 1/(1 + e^{−z}) from e = e^{−|z|}, on either side of 0.
fn logistic(z: f32) -> f32 {
  let e = exp(-abs(z));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
}

// log(1 + e) for e in [0, 1]. WGSL's log is only accurate to 2⁻²¹ absolute near 1, so small e use
// log1p(e) = 2·atanh(w), w = e/(2 + e) ≤ 1/9, whose series converges to f32 in five terms.
fn log1pSmall(e: f32) -> f32 {
  if (e >= 0.25) {
    return log(1.0 + e);
  }
  let w = e / (2.0 + e);
  let w2 = w * w;
  return 2.0 * w * (1.0 + w2 * (1.0 / 3.0 + w2 * (1.0 / 5.0 + w2 * (1.0 / 7.0 + w2 / 9.0))));
}

// σ(z_0), σ'(z_0), σ''(z_0). softplus's σ'' = L − L² is the Q_0 of its Taylor rule.
struct Seed {
  value: f32,
  slope: f32,
  curvature: f32,
}

fn tanhSeed(z: f32) -> Seed {
  let a = abs(z);
  let t = exp(-2.0 * a);
  // (1 − t)/(1 + t) cancels for small |z|; the odd series is exact to f32 there (next term ~z⁹).
  var y = (1.0 - t) / (1.0 + t);
  if (a < 0.125) {
    let a2 = a * a;
    y = a * (1.0 + a2 * (-1.0 / 3.0 + a2 * (2.0 / 15.0 + a2 * (-17.0 / 315.0))));
  }
  let s = sign(z) * y;
  let slope = sech2(z);
  return Seed(s, slope, -2.0 * s * slope);
}

fn softplusSeed(z: f32) -> Seed {
  let e = exp(-abs(z));
  return Seed(max(z, 0.0) + log1pSmall(e), logistic(z), e / ((1.0 + e) * (1.0 + e)));
}

// The seed of ACTIVATION at z (LINEAR and IDENTITY: σ(z) = z).
fn seedOf(z: f32) -> Seed {
  switch (ACTIVATION) {
    case TANH: {
      return tanhSeed(z);
    }
    case SIN: {
      let sc = sinCos(z);
      return Seed(sc.x, sc.y, -sc.x);
    }
    case SOFTPLUS: {
      return softplusSeed(z);
    }
    default: {
      return Seed(z, 1.0, 0.0);
    }
  }
}
