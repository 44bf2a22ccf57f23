// lib/jetRows.wgsl: where each Taylor coefficient of a jet batch lives in a layer buffer, the WGSL
// side of src/engine/jetLayout.ts. A function library: no bindings, no entry points; composed in
// front of a kernel file with src/gpu/composeShader.ts. It declares the two overrides every jet
// kernel is specialized on, so that they have one name in all of them.
//
// A batch holds N points, each with R directions ("jets") of order K = ORDER. Per point and per
// unit of a layer there are V rows:
//   standard : row 0 = the value, then for each direction r its orders 1..K        V = 1 + R·K
//   collapsed: row 0 = the value, then for each direction r its orders 1..K−1, then ONE top row
//              holding Σ_r of the order-K coefficients                      V = 1 + R·(K−1) + 1
// The top order enters every Taylor rule linearly, multiplied only by value-row coefficients
// (z_K by σ'(z_0); m_K by b_0 and b_K by m_0 in u = b·m), so a rule applied to the summed row gives
// the sum of the directions' top coefficients: R rows become one (DESIGN.md §2). Element j of row
// v of point p in a buffer of width h is at (p·V + v)·h + j.

// Jet order K, at most MAX_ORDER of the kernel (the forward kernels need K ≥ 1).
override ORDER: u32 = 2u;
// The collapsed structure above.
override COLLAPSED: bool = false;

// Orders stored in each direction's own rows: K, or K − 1 when the top order is collapsed.
// (No host sets COLLAPSED with ORDER = 0; max() keeps ORDER − 1 from wrapping anyway.)
fn directionOrders() -> u32 {
  return select(ORDER, max(ORDER, 1u) - 1u, COLLAPSED);
}

// The collapsed top row, 1 + R·(K − 1) (one past the direction rows).
fn topRow(directions: u32) -> u32 {
  return 1u + directions * directionOrders();
}

// V (jetLayout.rowsPerPoint).
fn rowsPerPoint(directions: u32) -> u32 {
  return topRow(directions) + select(0u, 1u, COLLAPSED);
}

// Row of order k (1..K) of direction r within a point (jetLayout.rowOf): the direction's own row,
// or the shared top row for order K when collapsed.
fn rowOf(r: u32, k: u32, directions: u32) -> u32 {
  if (COLLAPSED && k == ORDER) {
    return topRow(directions);
  }
  return 1u + r * directionOrders() + (k - 1u);
}
