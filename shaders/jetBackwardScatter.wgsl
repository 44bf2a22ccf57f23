// jetBackwardScatter.wgsl: the one-hot tangent rows' share of the first layer's weight gradient.
//
// A one-hot input tangent of slot (p, r, k) is c·e_index, so the first layer's row (r, k) of
// point p is y = c·W[:, index] and its weight-gradient term is a scatter, not a product:
//   dW[j, index] += c · Z̄[p, row(r, k), j]          for every slot with index ≥ 0
// (collapsed: the order-K slots of every direction all use the shared top row). One invocation
// owns row j of dW and walks the slots in the fixed order p, r, k, adding in place, so repeated
// indices (within a point or across points) need no atomics and the sum is the same bits on
// every run. It runs after jetBackwardWeights.wgsl (INPUT 2) has written the points' share.
// Indices outside [0, d) are skipped: writing them would land in another invocation's row.
// A dispatch covers output units firstOutput ≤ j < firstOutput + blockOutputs: all of them
// unless the parameters are split into blocks (src/engine/parameterBlocks.ts); then it runs once
// per block over the rows of W that block holds, into that block's gradient buffer, each row's
// additions the same as in one buffer.
//
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl, lib/jetRows.wgsl
// (rowOf, overrides ORDER and COLLAPSED), lib/tangentSlots.wgsl (tangentSlot, isCoordinate).
//
// Bindings (@group(0)):
//   0 params       : uniform { points, directions, outputs, inputs, rowsPerPoint, firstOutput,
//                    blockOutputs, weightOffset }   weightOffset: where row firstOutput of dW is
//   1 cotangent    : storage, read        Z̄ of the first layer, points·V·outputs
//   2 tangentIndex : storage, read        i32 index per slot (p·R + r)·K + k − 1, −1 = zero tangent
//   3 tangents     : storage, read        f32 normalized coefficient per slot
//   4 gradient     : storage, read_write  the gradient's parameter block holding these rows of dW
//                                         (the whole flat gradient unless it is split)
// Overrides: ORDER (K), COLLAPSED, WORKGROUP_SIZE (lib/grid.wgsl, default 64).
// Workgroup: (WORKGROUP_SIZE, 1, 1), one invocation per output unit j.
// Dispatch: ceil(blockOutputs / WORKGROUP_SIZE) workgroups along x.

struct Params {
  points: u32,
  directions: u32,
  outputs: u32,
  inputs: u32,
  rowsPerPoint: u32,
  // The output units of this dispatch: firstOutput ≤ j < firstOutput + blockOutputs.
  firstOutput: u32,
  blockOutputs: u32,
  weightOffset: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cotangent: array<f32>;
@group(0) @binding(2) var<storage, read> tangentIndex: array<i32>;
@group(0) @binding(3) var<storage, read> tangents: array<f32>;
@group(0) @binding(4) var<storage, read_write> gradient: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn scatterTangents(grid: GridInvocation) {
  let unit = invocationIndex(grid);
  if (unit >= params.blockOutputs) {
    return;
  }
  let j = params.firstOutput + unit;
  let rowStart = params.weightOffset + unit * params.inputs;
  for (var p = 0u; p < params.points; p++) {
    let point = p * params.rowsPerPoint;
    for (var r = 0u; r < params.directions; r++) {
      for (var k = 1u; k <= ORDER; k++) {
        let slot = tangentSlot(p, r, k, params.directions, ORDER);
        let index = tangentIndex[slot];
        if (!isCoordinate(index, params.inputs)) {
          continue;
        }
        let z = cotangent[(point + rowOf(r, k, params.directions)) * params.outputs + j];
        gradient[rowStart + u32(index)] += tangents[slot] * z;
      }
    }
  }
}
