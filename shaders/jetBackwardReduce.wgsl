// jetBackwardReduce.wgsl: adds the split-K slices of a weight gradient in split order.
//
//   gradient[offset + e] = Σ_{s = 0..splits−1} partials[sliceOffset + s·sliceStride + e]
//                                                                                   e < count
// Each element is summed by one invocation in the fixed order s = 0, 1, …, so together with the
// fixed chunks of jetBackwardWeights.wgsl the gradient is the same bits on every run (no float
// atomics anywhere). A dispatch reduces one contiguous range of a layer's slices: the whole
// slice (count = sliceStride, sliceOffset = 0) unless the parameters are split into blocks
// (src/engine/parameterBlocks.ts). Then the first layer's slices are reduced once per block, over
// the range of W rows that block holds (the last block's range runs on through b, which follows
// W in the slices as in the flat layout), into that block's gradient buffer.
//
// Bindings (@group(0)):
//   0 params   : uniform { count, splits, offset, sliceOffset, sliceStride }
//                count = elements reduced; sliceOffset = where they start in each slice;
//                sliceStride = elements of one split slice (the layer's outputs·(inputs + 1))
//   1 partials : storage, read        splits·sliceStride slices from jetBackwardWeights.wgsl
//   2 gradient : storage, read_write  the gradient's parameter block holding the range (the
//                                     whole flat gradient unless it is split); it starts at offset
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl.
// Workgroup: (WORKGROUP_SIZE, 1, 1), one invocation per element (lib/grid.wgsl: WORKGROUP_SIZE,
// default 64, and invocationIndex, so large layers fold into y).

struct Params {
  count: u32,
  splits: u32,
  offset: u32,
  sliceOffset: u32,
  sliceStride: u32,
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
  let first = params.sliceOffset + e;
  var sum = partials[first];
  for (var s = 1u; s < params.splits; s++) {
    sum += partials[first + s * params.sliceStride];
  }
  gradient[params.offset + e] = sum;
}
