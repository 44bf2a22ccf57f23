/**
 * Product rules for an exact solution u* = b·s or u* = b²·s with the ball's hard factor
 * b(x) = 1 − ‖x‖² (zero on the unit sphere). b is radial, so every derivative of b is a polynomial in
 * x and ρ = ‖x‖², and each rule needs only a handful of O(d) sums over s's summands (computed by the
 * solution modules), never a d×d Hessian:
 *   ∇b = −2x,  Δb = −2d,  ∇Δb = 0.
 */

/** Sums over the summands of s that Δ(b·s) needs; in "absolute" form each term is |term|. */
export interface LaplacianSums {
  /** ρ = ‖x‖². */
  norm2: number;
  s: number;
  /** x·∇s. */
  radialS: number;
  laplacianS: number;
}

/** Sums over the summands of s that Δ²(b²·s) needs. */
export interface BiharmonicSums extends LaplacianSums {
  /** xᵀ(∇²s)x. */
  hessianXX: number;
  /** x·∇(Δs). */
  radialLaplacianS: number;
  biharmonicS: number;
}

/** A value and the differential operator applied to it at one point. */
export interface ValueAndOperator {
  u: number;
  operator: number;
}

/**
 * u = b·s and Δu = b·Δs + 2∇b·∇s + s·Δb = b·Δs − 4 x·∇s − 2d·s.
 */
export function ballProductLaplacian(sums: LaplacianSums, d: number): ValueAndOperator {
  const b = 1 - sums.norm2;
  return {
    u: b * sums.s,
    operator: b * sums.laplacianS - 4 * sums.radialS - 2 * d * sums.s,
  };
}

/** What ∂_j of u = b·s and of Δu needs beyond LaplacianSums, along one coordinate j. */
export interface LaplacianGradientSums {
  /** x_j. */
  xj: number;
  /** ∂_j s. */
  sJ: number;
  /** x·∇(∂_j s) = Σ_k x_k s_jk. */
  radialSJ: number;
  /** ∂_j Δs. */
  laplacianSJ: number;
}

/**
 * ∂_j of ballProductLaplacian's u and Δu, with ∂_j b = −2x_j and ∂_j(x·∇s) = s_j + x·∇s_j:
 *   ∂_j u = −2x_j s + b s_j,
 *   ∂_j Δu = −2x_j Δs + b ∂_jΔs − 4(s_j + x·∇s_j) − 2d s_j.
 */
export function ballProductLaplacianGradient(
  sums: LaplacianSums,
  gradient: LaplacianGradientSums,
  d: number,
): ValueAndOperator {
  const b = 1 - sums.norm2;
  const { xj, sJ, radialSJ, laplacianSJ } = gradient;
  return {
    u: -2 * xj * sums.s + b * sJ,
    operator: -2 * xj * sums.laplacianS + b * laplacianSJ - 4 * (sJ + radialSJ) - 2 * d * sJ,
  };
}

/**
 * The same expression over absolute sums, with b replaced by the sum of its terms' magnitudes 1 + ρ:
 * the scale of the rounding error when the sums are accumulated in floating point.
 */
export function ballProductLaplacianMagnitude(abs: LaplacianSums, d: number): ValueAndOperator {
  const b = 1 + abs.norm2;
  return {
    u: b * abs.s,
    operator: b * abs.laplacianS + 4 * abs.radialS + 2 * d * abs.s,
  };
}

/**
 * u = B·s with B = b² and Δ²u in closed form. For any smooth B and s,
 *   Δ(B s)  = s ΔB + 2∇B·∇s + B Δs,
 *   Δ²(B s) = Δ(s ΔB) + 2 Σ_j Δ(B_j s_j) + Δ(B Δs)
 *           = s Δ²B + 4∇s·∇ΔB + 2ΔB Δs + 4 ∇²B : ∇²s + 4∇B·∇Δs + B Δ²s
 * (Δ(B_j s_j) = s_j ΔB_j + 2∇B_j·∇s_j + B_j Δs_j, summed over j). For B = (1 − ρ)²:
 *   ∇B = −4b x,  ∇²B = −4b I + 8 x xᵀ,  ΔB = −4bd + 8ρ,  ∇ΔB = 8(d + 2) x,  Δ²B = 8d(d + 2),
 * so ∇²B : ∇²s = −4b Δs + 8 xᵀ(∇²s)x and
 *   Δ²u = 8d(d+2) s + 32(d+2) x·∇s + (16ρ − 8(d+2) b) Δs + 32 xᵀ(∇²s)x − 16b x·∇Δs + b² Δ²s.
 * u = ∂u/∂n = 0 on the sphere because b² vanishes there to second order.
 */
export function ball2ProductBiharmonic(sums: BiharmonicSums, d: number): ValueAndOperator {
  const rho = sums.norm2;
  const b = 1 - rho;
  return {
    u: b * b * sums.s,
    operator:
      8 * d * (d + 2) * sums.s +
      32 * (d + 2) * sums.radialS +
      (16 * rho - 8 * (d + 2) * b) * sums.laplacianS +
      32 * sums.hessianXX -
      16 * b * sums.radialLaplacianS +
      b * b * sums.biharmonicS,
  };
}

/** The rounding-error scale of ball2ProductBiharmonic, as for ballProductLaplacianMagnitude. */
export function ball2ProductBiharmonicMagnitude(abs: BiharmonicSums, d: number): ValueAndOperator {
  const rho = abs.norm2;
  const b = 1 + rho;
  return {
    u: b * b * abs.s,
    operator:
      8 * d * (d + 2) * abs.s +
      32 * (d + 2) * abs.radialS +
      (16 * rho + 8 * (d + 2) * b) * abs.laplacianS +
      32 * abs.hessianXX +
      16 * b * abs.radialLaplacianS +
      b * b * abs.biharmonicS,
  };
}
