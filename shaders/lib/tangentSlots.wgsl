// lib/tangentSlots.wgsl: where the input tangents of a jet batch live: randomJets.wgsl draws them,
// the first layer of every jet pass reads them (the CPU side is src/random/jetDraws.ts). A
// function library: no bindings, no entry points; composed with src/gpu/composeShader.ts.
//
// Jet r of point p starts on the input curve g(t) = x + Σ_{k=1..K} c_k t^k, whose tangents are
// stored as normalized coefficients c_k = v_k/k!, one slot per (point, jet, order):
//   slot = (p·R + r)·K + (k − 1)            R jets per point, orders k = 1..K
//   one-hot: index[slot], coefficient[slot]  c_k = coefficient·e_index; index −1 is a zero tangent
//   dense  : coefficient i of c_k at slot·d + i
// Every order has a slot: collapsing the top order is a property of the layer rows
// (jetRows.wgsl), not of the tangents.

fn tangentSlot(p: u32, r: u32, k: u32, directions: u32, order: u32) -> u32 {
  return (p * directions + r) * order + (k - 1u);
}

// Whether a one-hot index names a coordinate of a d-dimensional input: not the zero tangent (−1),
// and not past the input, where a kernel must neither read nor write.
fn isCoordinate(index: i32, d: u32) -> bool {
  return index >= 0 && u32(index) < d;
}
