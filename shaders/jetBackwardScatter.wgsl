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
//
// Bindings (@group(0)):
//   0 params       : uniform { points, directions, outputs, inputs, rowsPerPoint, weightOffset }
//   1 cotangent    : storage, read        Z̄ of the first layer, points·V·outputs
//   2 tangentIndex : storage, read        i32 index per slot (p·R + r)·K + k − 1, −1 = zero tangent
//   3 tangents     : storage, read        f32 normalized coefficient per slot
//   4 gradient     : storage, read_write  flat gradient; dW of the first layer at weightOffset
// Overrides: ORDER (K), COLLAPSED, WORKGROUP_SIZE (default 64).
// Workgroup: (WORKGROUP_SIZE, 1, 1), one invocation per output unit j.
// Dispatch: ceil(outputs / WORKGROUP_SIZE) workgroups along x.

struct Params {
  points: u32,
  directions: u32,
  outputs: u32,
  inputs: u32,
  rowsPerPoint: u32,
  weightOffset: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cotangent: array<f32>;
@group(0) @binding(2) var<storage, read> tangentIndex: array<i32>;
@group(0) @binding(3) var<storage, read> tangents: array<f32>;
@group(0) @binding(4) var<storage, read_write> gradient: array<f32>;

override ORDER: u32 = 1u;
override COLLAPSED: bool = false;
override WORKGROUP_SIZE: u32 = 64u;

fn rowOf(r: u32, k: u32) -> u32 {
  let lower = select(ORDER, max(ORDER, 1u) - 1u, COLLAPSED);
  if (COLLAPSED && k == ORDER) {
    return 1u + params.directions * lower;
  }
  return 1u + r * lower + (k - 1u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scatterTangents(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  if (j >= params.outputs) {
    return;
  }
  let rowStart = params.weightOffset + j * params.inputs;
  for (var p = 0u; p < params.points; p++) {
    let point = p * params.rowsPerPoint;
    for (var r = 0u; r < params.directions; r++) {
      for (var k = 1u; k <= ORDER; k++) {
        let slot = (p * params.directions + r) * ORDER + k - 1u;
        let index = tangentIndex[slot];
        if (index < 0 || u32(index) >= params.inputs) {
          continue;
        }
        let z = cotangent[(point + rowOf(r, k)) * params.outputs + j];
        gradient[rowStart + u32(index)] += tangents[slot] * z;
      }
    }
  }
}
