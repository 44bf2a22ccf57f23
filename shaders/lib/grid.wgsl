// lib/grid.wgsl: which item (point, element, tile) an invocation works on when a dispatch is
// larger than one dimension of the grid allows. A function library: no bindings; composed in
// front of a kernel file with src/gpu/composeShader.ts.
//
// WebGPU caps each dimension of a dispatch at maxComputeWorkgroupsPerDimension (65 535 by
// default), so a host with more workgroups than that folds them into a second dimension
// (src/gpu/dispatch.ts dispatchGrid): full rows of workgroups along x, as many rows as needed along
// y, and the surplus workgroups of the last row return at once. The functions here undo the
// folding, so every kernel numbers its workgroups and invocations the same way, and the structs
// bundle the builtins they read: an entry point takes one of them as a parameter,
//   fn kernel(grid: GridInvocation) { let i = invocationIndex(grid); … }
// (WGSL gives a struct parameter of an entry point its members' @builtin values).

// Invocations per workgroup of every kernel with one-dimensional workgroups: @workgroup_size(
// WORKGROUP_SIZE), set by the host (a power of two where a kernel sums in a tree).
override WORKGROUP_SIZE: u32 = 64u;

// The builtins of a kernel with one invocation per item.
struct GridInvocation {
  @builtin(global_invocation_id) id: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
}

// The builtins of a kernel with one workgroup per item, whose invocations share the item's work.
// Both are uniform across the workgroup, so a barrier may follow an early return that depends on
// them; the local invocation index is not, so it stays a parameter of its own (a struct parameter
// is only as uniform as its least uniform member).
struct GridWorkgroup {
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
}

// Index x + y·(count along x) of a position in a grid folded from x into y. Tiled kernels that
// number tiles of one axis along x and fold the other from y into z pass the swizzles .yzx.
fn foldedIndex(position: vec3<u32>, count: vec3<u32>) -> u32 {
  return position.x + position.y * count.x;
}

// The item of this workgroup: workgroup g = x + y·(workgroups along x).
fn workgroupIndex(grid: GridWorkgroup) -> u32 {
  return foldedIndex(grid.wid, grid.groups);
}

// The item of this invocation: i = g·WORKGROUP_SIZE + (local index)
// = id.x + id.y·(workgroups along x)·WORKGROUP_SIZE, since id.x = wid.x·WORKGROUP_SIZE + local
// index and id.y = wid.y.
fn invocationIndex(grid: GridInvocation) -> u32 {
  return grid.id.x + grid.id.y * grid.groups.x * WORKGROUP_SIZE;
}
