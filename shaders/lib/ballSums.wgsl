// lib/ballSums.wgsl: the workgroup sums of the ball solutions' product rules
// (src/pdes/radialFactor.ts) over a range [first, end) of a point's coordinates (one block of it in
// pdeExact.wgsl): each invocation sums a strided slice of the range, then a fixed-shape tree adds
// the partial sums, so the order of additions never depends on timing and the results are
// reproducible to the bit; and the sum of a point's block sums (blockSum, which
// pdeSourceGradient.wgsl reads too). It reads coordinates through the including kernel's
// `fn pointAt(base: u32, j: u32) -> f32` (coordinate j of the point whose coordinates start at
// `base` = p·stride in a stored batch), and `params` (a struct with `dim` and, for blockSum,
// `blocks` members).

// Partial sums (‖x‖², s, x·∇s, Δs) of the invocations, reduced into lower[0].
var<workgroup> lower: array<vec4<f32>, WORKGROUP_SIZE>;

fn coordinate(base: u32, j: u32) -> f32 {
  return pointAt(base, j);
}

// This invocation's share of Σ_{first ≤ j < end} x_j² (the whole ‖x‖² over [0, dim)).
fn partialNorm2(base: u32, first: u32, end: u32, lid: u32) -> f32 {
  var sum = 0.0;
  for (var j = first + lid; j < end; j += WORKGROUP_SIZE) {
    let xj = coordinate(base, j);
    sum += xj * xj;
  }
  return sum;
}

// Tree sum of `lower` into lower[0]; every invocation of the workgroup must call it.
fn reduceLower(lid: u32) {
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lid < stride) {
      lower[lid] += lower[lid + stride];
    }
  }
  workgroupBarrier();
}

// The sum of point p's block sums in block order, from a kernel that wrote (‖x‖², s, x·∇s, Δs)
// (half 0) and a second vec4 (half 1) of each (point, block) at partials[2·(p·blocks + b) + half]
// (pdeExact.wgsl's …Blocks kernels). Reads the including kernel's `partials`
// (array<vec4<f32>>) and `params.blocks`; a kernel that uses it declares both.
fn blockSum(point: u32, half: u32) -> vec4<f32> {
  let first = point * params.blocks;
  var sum = partials[2u * first + half];
  for (var b = 1u; b < params.blocks; b++) {
    sum += partials[2u * (first + b) + half];
  }
  return sum;
}
