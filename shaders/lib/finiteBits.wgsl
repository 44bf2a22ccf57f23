// lib/finiteBits.wgsl: whether an f32 is finite, decided from its bits. A function library: no
// bindings, no entry points; composed in front of a kernel file with src/gpu/composeShader.ts.
//
// Why bits: WGSL lets an implementation assume that floating-point values are never NaN or ±Inf,
// so `x != x` or `abs(x) < inf` may be folded to a constant and a divergence would go unseen. The
// bit pattern of the value is an integer, about which nothing may be assumed. An f32 is
// sign (1 bit) | exponent (8 bits) | mantissa (23 bits); all exponent bits set means ±Inf (zero
// mantissa) or NaN (any other mantissa), every other pattern is a finite number.
//
// The divergence guard chains three kernels through one convention: reduce.wgsl (and
// zerothOrder.wgsl's summarize) report the index of the first non-finite element of a buffer, or
// ALL_FINITE if there is none, and finiteCheck.wgsl reads that index.

const EXPONENT_MASK: u32 = 0x7f800000u;
// The "first non-finite index" of a buffer whose elements are all finite.
const ALL_FINITE: u32 = 0xffffffffu;

fn isFiniteBits(bits: u32) -> bool {
  return (bits & EXPONENT_MASK) != EXPONENT_MASK;
}
