// optimizers.wgsl: one parameter update over the flat parameter vector (src/engine/jetLayout.ts)
// that keeps the rollback copy, one invocation per parameter. The vector is held in one buffer per
// parameter block (src/engine/parameterBlocks.ts), and the host dispatches once per block with
// that block's buffers bound and hyper.count = its elements (hyper.start, its first flat index, is
// unused here): a vector that fits one buffer is updated by a single dispatch. The arithmetic is
// lib/optimizerSteps.wgsl's; optimizersChecked.wgsl is the same update without the copy.
//
// Entry points:
//   adam_step: Adam with bias correction and optional decoupled weight decay (adamUpdate).
//   sgd_step: the plain gradient step θ ← θ − lr·g (m, v and the previous m, v are bound but
//     unused: 4-byte stand-ins).
// Both leave θ, m and v untouched while guard[0] (the divergence guard's `tripped` word,
// shaders/finiteCheck.wgsl) is nonzero: a NaN step must not reach the weights or moments. The guard
// has checked the step's loss and gradient before this kernel runs.
// Every applied update first copies the values it replaces into previousTheta, previousM and
// previousV, so after a trip at step s they hold the state before step s − 1's update: the last
// weights whose loss and gradient were finite (θ_{s−1} itself gave the non-finite loss). The
// trainer restores them from there. Costs 12 bytes per parameter per step (adam; sgd 4) and as
// much memory, in three buffers of one parameter-sized tensor each (not one of three): a binding
// holds at most maxStorageBufferBindingSize bytes, so one buffer of 3·count floats would cap the
// network at a third of the parameters θ itself may have.
//
// Bindings (@group(0)), every array one block's (hyper.count elements, index i = flat index −
// hyper.start):
//   0 hyper         : uniform Hyper (lib/optimizerSteps.wgsl)
//   1 gradient      : storage, read        array<f32>, count elements
//   2 theta         : storage, read_write  array<f32>, count elements, updated in place
//   3 m             : storage, read_write  array<f32>, first moment, count elements (adam_step)
//   4 v             : storage, read_write  array<f32>, second moment, count elements (adam_step)
//   5 guard         : storage, read        array<u32>, word 0 nonzero = skip the update
//   6 previousTheta : storage, read_write  array<f32>, θ before the last applied update
//   7 previousM     : storage, read_write  array<f32>, m before it (adam_step)
//   8 previousV     : storage, read_write  array<f32>, v before it (adam_step)
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl,
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
@group(0) @binding(6) var<storage, read_write> previousTheta: array<f32>;
@group(0) @binding(7) var<storage, read_write> previousM: array<f32>;
@group(0) @binding(8) var<storage, read_write> previousV: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn adam_step(grid: GridInvocation) {
  let i = invocationIndex(grid);
  if (i >= hyper.count || guard[0] != 0u) {
    return;
  }
  let before = AdamState(theta[i], m[i], v[i]);
  previousTheta[i] = before.theta;
  previousM[i] = before.m;
  previousV[i] = before.v;
  let after = adamUpdate(hyper, before, gradient[i]);
  theta[i] = after.theta;
  m[i] = after.m;
  v[i] = after.v;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sgd_step(grid: GridInvocation) {
  let i = invocationIndex(grid);
  if (i >= hyper.count || guard[0] != 0u) {
    return;
  }
  let t = theta[i];
  previousTheta[i] = t;
  theta[i] = sgdUpdate(hyper, t, gradient[i]);
}
