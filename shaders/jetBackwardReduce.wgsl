// jetBackwardReduce.wgsl: adds the split-K slices of a weight gradient in split order.
//
//   gradient[offset + e] = Σ_{s = 0..splits−1} partials[s·count + e]      e < count
// Each element is summed by one invocation in the fixed order s = 0, 1, …, so together with the
// fixed chunks of jetBackwardWeights.wgsl the gradient is the same bits on every run (no float
// atomics anywhere).
//
// Bindings (@group(0)):
//   0 params   : uniform { count, splits, offset }   count = elements of one layer's slice
//   1 partials : storage, read        splits·count slices from jetBackwardWeights.wgsl
//   2 gradient : storage, read_write  flat gradient buffer; the layer's slice starts at offset
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl.
// Workgroup: (WORKGROUP_SIZE, 1, 1), one invocation per element (lib/grid.wgsl: WORKGROUP_SIZE,
// default 64, and invocationIndex, so large layers fold into y).

struct Params {
  count: u32,
  splits: u32,
  offset: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> gradient: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn reduceSplits(grid: GridInvocation) {
  let e = invocationIndex(grid);
  if (e >= params.count) {
    return;
  }
  var sum = partials[e];
  for (var s = 1u; s < params.splits; s++) {
    sum += partials[s * params.count + e];
  }
  gradient[params.offset + e] = sum;
}
