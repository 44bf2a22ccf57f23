// jetBackwardInput.wgsl: the cotangent of a dense layer's input jet, Ā = Z̄·W.
//
// A dense layer acts on every row of a jet batch alike (y_k = W x_k, DESIGN.md §2), so its input
// cotangent is one matrix product over all rows of all points:
//   Ā[m, i] = Σ_j Z̄[m, j] · W[j, i]     m < rows (= points·V), i < inputs, j < outputs
// with Z̄ row-major [rows][outputs] and W row-major [outputs][inputs] inside the flat parameter
// buffer (src/engine/jetLayout.ts). Each output element is summed by one invocation in the fixed
// order j = 0, 1, …, so the result is the same bits on every run. It runs for the layers above
// the first only, whose W are in the last parameter block when the parameters are split
// (src/engine/parameterBlocks.ts): that block is bound and weightOffset counts from its start.
//
// Bindings (@group(0)):
//   0 params     : uniform { rows, inputs, outputs, weightOffset }
//   1 cotangent  : storage, read        Z̄, rows·outputs
//   2 parameters : storage, read        the parameter block holding W (the flat parameters unless
//                                       they are split); W starts at weightOffset
//   3 result     : storage, read_write  Ā, rows·inputs
// Workgroup: (16, 16, 1) = 256 invocations computing a 64×64 tile of Ā; invocation (x, y) owns
// rows y, y + 16, y + 32, y + 48 and columns 4x … 4x + 3 (one vec4 per row). The reduction walks
// j in steps of 16 through two 16×64 tiles in workgroup memory (8 KiB of the 16 KiB limit).
// Out-of-range elements load as 0 and are not stored. The tile geometry (64, 16, 16) is
// lib/productTiles.wgsl's, shared with jetBackwardWeights.wgsl.
// Dispatch: x = ceil(inputs / 64) column tiles; row tiles ceil(rows / 64) along y, folded into z
// beyond 65 535 (row tile = y + z·(workgroups along y), lib/grid.wgsl foldedIndex).
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl, lib/productTiles.wgsl.

struct Params {
  rows: u32,
  inputs: u32,
  outputs: u32,
  weightOffset: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cotangent: array<f32>;
@group(0) @binding(2) var<storage, read> parameters: array<f32>;
@group(0) @binding(3) var<storage, read_write> result: array<f32>;

// zTile[s·16 + q] = Z̄ at reduction step j0 + s of the tile rows q, q + 16, q + 32, q + 48;
// wTile[s·16 + c] = W[j0 + s, columns 4c … 4c + 3] (the tiling: lib/productTiles.wgsl).
var<workgroup> zTile: array<vec4<f32>, STEP * THREADS>;
var<workgroup> wTile: array<vec4<f32>, STEP * THREADS>;

fn cotangentAt(row: u32, j: u32) -> f32 {
  if (row < params.rows && j < params.outputs) {
    return cotangent[row * params.outputs + j];
  }
  return 0.0;
}

fn weightAt(j: u32, col: u32) -> f32 {
  if (j < params.outputs && col < params.inputs) {
    return parameters[params.weightOffset + j * params.inputs + col];
  }
  return 0.0;
}

fn store(row: u32, col: u32, value: vec4<f32>) {
  if (row >= params.rows) {
    return;
  }
  let base = row * params.inputs + col;
  for (var t = 0u; t < 4u; t++) {
    if (col + t < params.inputs) {
      result[base + t] = value[t];
    }
  }
}

@compute @workgroup_size(16, 16, 1)
fn inputCotangent(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) flat: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let row0 = foldedIndex(wid.yzx, groups.yzx) * TILE;
  let col0 = wid.x * TILE;
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  // Load roles: one vec4 of each tile per invocation, neighbours on neighbouring addresses.
  let zs = flat % STEP;
  let zq = flat / STEP;
  let ws = flat / THREADS;
  let wc = flat % THREADS;
  for (var j0 = 0u; j0 < params.outputs; j0 += STEP) {
    let zr = row0 + zq;
    zTile[zs * THREADS + zq] = vec4<f32>(
      cotangentAt(zr, j0 + zs),
      cotangentAt(zr + 16u, j0 + zs),
      cotangentAt(zr + 32u, j0 + zs),
      cotangentAt(zr + 48u, j0 + zs),
    );
    let wcol = col0 + 4u * wc;
    wTile[ws * THREADS + wc] = vec4<f32>(
      weightAt(j0 + ws, wcol),
      weightAt(j0 + ws, wcol + 1u),
      weightAt(j0 + ws, wcol + 2u),
      weightAt(j0 + ws, wcol + 3u),
    );
    workgroupBarrier();
    // The last step may be short (a layer with fewer than 16 outputs has only that one).
    let steps = min(STEP, params.outputs - j0);
    for (var s = 0u; s < steps; s++) {
      let z = zTile[s * THREADS + lid.y];
      let w = wTile[s * THREADS + lid.x];
      acc0 = fma(vec4<f32>(z.x), w, acc0);
      acc1 = fma(vec4<f32>(z.y), w, acc1);
      acc2 = fma(vec4<f32>(z.z), w, acc2);
      acc3 = fma(vec4<f32>(z.w), w, acc3);
    }
    workgroupBarrier();
  }
  let col = col0 + 4u * lid.x;
  let row = row0 + lid.y;
  store(row, col, acc0);
  store(row + 16u, col, acc1);
  store(row + 32u, col, acc2);
  store(row + 48u, col, acc3);
}
