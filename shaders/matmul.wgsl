// matmul.wgsl: C = A·Wᵀ, the plain tiled matrix product the forward jet kernel is measured against.
//
// A is rows × inputs (row-major), W is outputs × inputs (row-major [out][in], as in the parameter
// buffer), C is rows × outputs. Same tiling as phase 1 of jetForward.wgsl, without bias, jets or
// activation, so the ratio of the two isolates what the fused jet work costs.
//
// Bindings (@group(0)):
//   0 params : uniform { rows, inputs, outputs }
//   1 a      : storage, read        rows·inputs
//   2 w      : storage, read        outputs·inputs
//   3 c      : storage, read_write  rows·outputs
// Workgroup: WORKGROUP_SIZE = THREADS_ROWS × THREADS_OUTS invocations, each accumulating a 4 × 4
// register block; a workgroup computes a TILE_ROWS × TILE_OUTS tile of C, staging TILE_INNER
// columns of A and W per step in workgroup memory.
// Dispatch: x = ceil(outputs / TILE_OUTS), y = ceil(rows / TILE_ROWS).

struct Params {
  rows: u32,
  inputs: u32,
  outputs: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

override WORKGROUP_SIZE: u32 = 64u;
override THREADS_OUTS: u32 = 8u;
override TILE_INNER: u32 = 8u;

override THREADS_ROWS: u32 = WORKGROUP_SIZE / THREADS_OUTS;
override TILE_ROWS: u32 = THREADS_ROWS * 4u;
override TILE_OUTS: u32 = THREADS_OUTS * 4u;

var<workgroup> tileA: array<f32, TILE_INNER * TILE_ROWS>;
var<workgroup> tileB: array<f32, TILE_INNER * TILE_OUTS>;

fn storeRow(row: u32, firstOut: u32, tc: u32, value: vec4<f32>) {
  if (row >= params.rows) {
    return;
  }
  for (var j = 0u; j < 4u; j++) {
    let o = firstOut + tc + j * THREADS_OUTS;
    if (o < params.outputs) {
      c[row * params.outputs + o] = value[j];
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn matmul(
  @builtin(workgroup_id) groupId: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let firstRow = groupId.y * TILE_ROWS;
  let firstOut = groupId.x * TILE_OUTS;
  let chunkRows = min(TILE_ROWS, params.rows - firstRow);
  let chunkOuts = min(TILE_OUTS, params.outputs - firstOut);
  let tr = lid / THREADS_OUTS;
  let tc = lid % THREADS_OUTS;
  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var innerStart = 0u; innerStart < params.inputs; innerStart += TILE_INNER) {
    for (var e = lid; e < chunkRows * TILE_INNER; e += WORKGROUP_SIZE) {
      let i = e % TILE_INNER;
      let m = e / TILE_INNER;
      var value = 0.0;
      if (innerStart + i < params.inputs) {
        value = a[(firstRow + m) * params.inputs + innerStart + i];
      }
      tileA[i * TILE_ROWS + m] = value;
    }
    for (var e = lid; e < chunkOuts * TILE_INNER; e += WORKGROUP_SIZE) {
      let i = e % TILE_INNER;
      let o = e / TILE_INNER;
      var value = 0.0;
      if (innerStart + i < params.inputs) {
        value = w[(firstOut + o) * params.inputs + innerStart + i];
      }
      tileB[i * TILE_OUTS + o] = value;
    }
    workgroupBarrier();
    for (var i = 0u; i < TILE_INNER; i++) {
      let ai = i * TILE_ROWS + tr;
      let bi = i * TILE_OUTS + tc;
      let b = vec4<f32>(
        tileB[bi],
        tileB[bi + THREADS_OUTS],
        tileB[bi + 2u * THREADS_OUTS],
        tileB[bi + 3u * THREADS_OUTS],
      );
      c0 += tileA[ai] * b;
      c1 += tileA[ai + THREADS_ROWS] * b;
      c2 += tileA[ai + 2u * THREADS_ROWS] * b;
      c3 += tileA[ai + 3u * THREADS_ROWS] * b;
    }
    workgroupBarrier();
  }
  storeRow(firstRow + tr, firstOut, tc, c0);
  storeRow(firstRow + tr + THREADS_ROWS, firstOut, tc, c1);
  storeRow(firstRow + tr + 2u * THREADS_ROWS, firstOut, tc, c2);
  storeRow(firstRow + tr + 3u * THREADS_ROWS, firstOut, tc, c3);
}
