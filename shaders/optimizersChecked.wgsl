// optimizersChecked.wgsl: one parameter update over the flat parameter vector (src/engine/
// jetLayout.ts) without the rollback copy, one invocation per parameter: the update is the step's
// finiteness check, so no other pass reads g. The arithmetic is lib/optimizerSteps.wgsl's, the
// same as optimizers.wgsl's, so a finite run is bit-identical with or without the copy. As there,
// the host dispatches once per parameter block (src/engine/parameterBlocks.ts) with that block's
// buffers bound, hyper.count = its elements and hyper.start = the flat index of its first element.
//
// Entry points:
//   adam_step: Adam with bias correction and optional decoupled weight decay (adamUpdate).
//   sgd_step: the plain gradient step θ ← θ − lr·g (m and v are bound but unused: 4-byte
//     stand-ins).
// Both leave θ, m and v untouched while guard[0] (the divergence guard's `tripped` word,
// shaders/finiteCheck.wgsl) is nonzero. An element whose g is NaN/±Inf is left untouched and its
// flat index i = hyper.start + (index within the block) recorded in verdict[0] as ~i (atomicMax of
// ~i keeps the smallest i whatever the order, of the invocations and of the blocks' dispatches, so
// the verdict of a split vector is that of one buffer; the 0 a clear leaves reads as
// ~0 = ALL_FINITE), and a non-finite loss[hyper.lossIndex] skips the whole update.
// finiteCheck.wgsl's latch_verdict turns the verdict into the guard's status afterwards; the host
// restores the last good state from its own copy.
//
// Bindings (@group(0)), every parameter-sized array one block's (hyper.count elements):
//   0 hyper    : uniform Hyper (lib/optimizerSteps.wgsl)
//   1 gradient : storage, read        array<f32>, count elements
//   2 theta    : storage, read_write  array<f32>, count elements, updated in place
//   3 m        : storage, read_write  array<f32>, first moment, count elements (adam_step)
//   4 v        : storage, read_write  array<f32>, second moment, count elements (adam_step)
//   5 guard    : storage, read        array<u32>, word 0 nonzero = skip the update
//   6 loss     : storage, read        array<u32>, the step's loss f32 at hyper.lossIndex (a finite
//                word when the step has no loss)
//   7 verdict  : storage, read_write  array<atomic<u32>>, word 0: ~(flat index of the first
//                non-finite gradient element) or 0, shared by every block's dispatch
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl, lib/finiteBits.wgsl,
//   lib/optimizerSteps.wgsl.
// Workgroup: (WORKGROUP_SIZE, 1, 1), override WORKGROUP_SIZE (lib/grid.wgsl; the host's default
//   is 256).
// Dispatch: per block, ceil(hyper.count / WORKGROUP_SIZE) workgroups, laid out in x and y when
//   there are more than 65 535 (workgroup g = y·num_workgroups.x + x; surplus invocations return):
//   the index within the block is lib/grid.wgsl's invocationIndex.

@group(0) @binding(0) var<uniform> hyper: Hyper;
@group(0) @binding(1) var<storage, read> gradient: array<f32>;
@group(0) @binding(2) var<storage, read_write> theta: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> guard: array<u32>;
@group(0) @binding(6) var<storage, read> loss: array<u32>;
@group(0) @binding(7) var<storage, read_write> verdict: array<atomic<u32>>;

// Whether element i of the block may be updated with gradient g (both it and the step's loss
// finite). A bad g is recorded, by its flat index, even when the loss is bad too, so the guard
// reports both sources.
fn verified(i: u32, g: f32) -> bool {
  let gradientFinite = isFiniteBits(bitcast<u32>(g));
  if (!gradientFinite) {
    atomicMax(&verdict[0], ~(hyper.start + i));
  }
  return gradientFinite && isFiniteBits(loss[hyper.lossIndex]);
}

// Whether invocation i updates its parameter: one there is, an untripped guard, and a finite
// gradient element (read into *g) and loss.
fn checkedGradient(i: u32, g: ptr<function, f32>) -> bool {
  if (i >= hyper.count || guard[0] != 0u) {
    return false;
  }
  *g = gradient[i];
  return verified(i, *g);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adam_step(grid: GridInvocation) {
  let i = invocationIndex(grid);
  var g: f32;
  if (checkedGradient(i, &g)) {
    let after = adamUpdate(hyper, AdamState(theta[i], m[i], v[i]), g);
    theta[i] = after.theta;
    m[i] = after.m;
    v[i] = after.v;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sgd_step(grid: GridInvocation) {
  let i = invocationIndex(grid);
  var g: f32;
  if (checkedGradient(i, &g)) {
    theta[i] = sgdUpdate(hyper, theta[i], g);
  }
}
