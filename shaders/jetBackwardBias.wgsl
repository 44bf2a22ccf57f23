// jetBackwardBias.wgsl: the bias gradient of a dense layer of a jet batch, in the split-K chunks
// of its weight gradient.
//
// y_0 = W x_0 + b and y_k = W x_k, so b reaches the value rows alone and, with the layer's output
// cotangent Z̄ (row-major [rows][outputs]),
//   db[j] = Σ_{m a value row} Z̄[m, j]
// jetBackwardWeights.wgsl splits the reduction over m into fixed chunks of `chunk` indices; this
// kernel sums split s's value rows in the order m = m0, m0 + 1, … of the same chunk and writes
// them where that split's share of db goes (biasOffset + s·splitStride), so jetBackwardReduce.wgsl
// adds the slices in split order into the gradient as before (with one split the destination is
// the gradient itself). Why not column `inputs` of the weight product, as an augmented A = [A 1]
// (as before): that one column took a 64-wide column tile of its own, half the product's work at
// h = 64 and a third at h = 128. Measured on SwiftShader, 3 × 64, 32 points, K = 2, R = 16: the
// weight gradient 26 → 15 ms a layer, the backward pass 41 % → 79 % of the plain matmul's
// GFLOP/s. These are the sums the augmented column made (each z·1 added in order, each z·0
// adding nothing), so the gradient keeps its bits.
//
// Reduction indices (m < reduction): rows of Z̄ (value rows every valueStride = V of them), or with
// a one-hot first layer points, whose value rows are rows m·rowScale (rowScale = V, valueStride = 1).
//
// Bindings (@group(0)):
//   0 params      : uniform Params (below)
//   1 cotangent   : storage, read        Z̄, points·V·outputs
//   2 destination : storage, read_write  the parameter block of the gradient holding b (the whole
//                                        gradient unless it is split), or the split slices
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl.
// Workgroup: (WORKGROUP_SIZE, 1, 1), one invocation per (split s, unit j), j fastest
// (lib/grid.wgsl: WORKGROUP_SIZE, default 64, and invocationIndex, folded into y).
// Dispatch: ⌈outputs·splits / WORKGROUP_SIZE⌉ workgroups (src/gpu/dispatch.ts dispatchGrid).

struct Params {
  reduction: u32,
  outputs: u32,
  chunk: u32,
  splits: u32,
  valueStride: u32,
  rowScale: u32,
  // Where split 0 stores db[0]; split s's slice is splitStride further.
  biasOffset: u32,
  splitStride: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cotangent: array<f32>;
@group(0) @binding(2) var<storage, read_write> destination: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn biasGradient(grid: GridInvocation) {
  let e = invocationIndex(grid);
  if (e >= params.outputs * params.splits) {
    return;
  }
  let j = e % params.outputs;
  let split = e / params.outputs;
  let start = split * params.chunk;
  let end = min(start + params.chunk, params.reduction);
  let stride = params.valueStride;
  var sum = 0.0;
  for (var m = (start + stride - 1u) / stride * stride; m < end; m += stride) {
    sum += cotangent[m * params.rowScale * params.outputs + j];
  }
  destination[params.biasOffset + split * params.splitStride + j] = sum;
}
