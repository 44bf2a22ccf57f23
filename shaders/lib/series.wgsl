// lib/series.wgsl: a truncated Taylor series of one unit, held in function memory while a kernel
// applies a Taylor rule to it. A library: no bindings, no entry points; composed in front of a
// kernel file with src/gpu/composeShader.ts.
//
// Series[k] is the normalized coefficient c_k = v_k/k! of order k, k = 0..MAX_ORDER (index 0 is
// the value). WGSL's function-scope arrays need a size known when the shader is created, so it is
// fixed here and the loops run to the jet order ORDER (jetRows.wgsl) only: the forward kernels
// take orders 1..MAX_ORDER (src/engine/forwardJet.ts MAX_JET_ORDER). jetBackward.wgsl's
// transposed rules keep arrays of their own, up to order 16.
//
// Every Series is initialized explicitly (`var s = Series();`): on SwiftShader a `var a: T;`
// inside a loop keeps the previous iteration's contents instead of starting at zero.

const MAX_ORDER: u32 = 8u;

alias Series = array<f32, MAX_ORDER + 1u>;
