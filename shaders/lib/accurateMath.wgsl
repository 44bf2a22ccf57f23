// lib/accurateMath.wgsl: float32 elementary functions accurate to a few ulp, for kernels whose
// results are compared with float64 or differentiated. A function library: no bindings, no entry
// points; composed in front of a kernel file with src/gpu/composeShader.ts.
//
// Why: WGSL only promises an absolute error of 2^-11 for sin and cos on [−π, π], and SwiftShader
// uses that freedom (errors of ~2·10⁻⁴ measured), which showed up as 1e-4 relative errors in sin
// activations, their gradients, and the two-body sources.

// (sin x, cos x) to about one ulp for |x| < 2^12: x = j·π/2 + r with |r| ≤ π/4, where π/2 is split
// Cody–Waite style into P1 + P2 + P3 (P1, P2 with short mantissas, so j·P1 and j·P2 are exact), then
// Cephes' sinf/cosf minimax polynomials on r; the quadrant j mod 4 picks signs and order.
fn sinCos(x: f32) -> vec2<f32> {
  let j = round(x * 0.63661977236758134);
  let r = ((x - j * 1.5703125) - j * 4.837512969970703125e-4) - j * 7.54978995489188216e-8;
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z
    + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  // Two's complement: i32(j) & 3 is j mod 4 for negative j too.
  switch (i32(j) & 3) {
    case 0: {
      return vec2<f32>(s, c);
    }
    case 1: {
      return vec2<f32>(c, -s);
    }
    case 2: {
      return vec2<f32>(-s, -c);
    }
    default: {
      return vec2<f32>(-c, s);
    }
  }
}
