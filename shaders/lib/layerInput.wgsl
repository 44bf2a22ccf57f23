// lib/layerInput.wgsl: what a dense layer of a jet pass reads as its input jet, shared by the
// forward kernels (jetForward.wgsl, jetForwardTangent.wgsl) and the weight gradient
// (jetBackwardWeights.wgsl). A function library: no bindings, no entry points; composed after
// jetRows.wgsl and tangentSlots.wgsl with src/gpu/composeShader.ts.
//
// A dense layer acts on every row of a jet alike (y_0 = W x_0 + b, y_k = W x_k, DESIGN.md §2). A
// hidden layer's input rows are the previous layer's σ jets. The first layer's input jet is the
// input curve g(t) = x + Σ_k c_k t^k of every direction, so its rows are assembled from the points
// and the tangents (tangentSlots.wgsl) instead of being stored:
//   row 0            x
//   row of (r, k)    c_k of direction r                     (dense tangents)
//   collapsed top    Σ_r c_K of every direction
// With one-hot tangents c_k = a·e_n the product W·c_k is a·W[:, n], a column of W: such a layer
// multiplies only the value rows and gathers (forward) or scatters (backward) the others.
//
// The kernel says where the numbers are, with two functions this library calls:
//   fn pointCoordinate(p: u32, i: u32) -> f32       coordinate i of point p
//   fn tangentCoefficient(slot: u32, i: u32) -> f32  coefficient i of the dense tangent in `slot`

// Codes of the override INPUT (src/engine/forwardJet.ts, backwardJet.ts input ids).
const INPUT_ROWS: u32 = 0u; // a hidden layer: the previous layer's σ jets, the same rows
const INPUT_DENSE: u32 = 1u; // the first layer, dense tangents: rows assembled by denseInputRow
const INPUT_ONE_HOT: u32 = 2u; // the first layer, one-hot tangents: only x is multiplied

override INPUT: u32 = 0u;

// Coefficient i of row v of point p of the first layer's input jet (dense tangents).
fn denseInputRow(p: u32, v: u32, i: u32, directions: u32) -> f32 {
  if (v == 0u) {
    return pointCoordinate(p, i);
  }
  if (COLLAPSED && v == topRow(directions)) {
    var sum = 0.0;
    for (var r = 0u; r < directions; r++) {
      sum += tangentCoefficient(tangentSlot(p, r, ORDER, directions, ORDER), i);
    }
    return sum;
  }
  let orders = directionOrders();
  let r = (v - 1u) / orders;
  let k = (v - 1u) % orders + 1u;
  return tangentCoefficient(tangentSlot(p, r, k, directions, ORDER), i);
}
