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
//   adam_inline, sgd_inline: the same updates of an estimate whose gradient is never stored,
//     g_i = Σ_j c_j·z_j[i] over the full family's directions, which each invocation sums itself.
//     SPSA's two-point estimate (hyper.directional = 0): `gradient` holds the step's 2q losses
//     L(θ ± εz_j), c_j = (L₊ − L₋)/(2ε·q) (lib/twoPoint.wgsl: the order and f32 operations of
//     zerothOrder.wgsl's combine). The forward gradient (hyper.directional = 1): `gradient` is
//     the reduction result whose word 0 is ∇L·v, g_i = (∇L·v)·v_i with v = z_0 (zerothOrder.wgsl
//     direction then scale: the same product). Either way g and the update are the stored
//     estimate's bits. Each
//     workgroup also writes sqrt(Σ g_i²) over its elements to normPartials[hyper.partialStart +
//     its folded index], a fixed tree in workgroup memory: the partials' norm is ‖g‖, the logged
//     gradient norm (the host reduces them on a logging step). The other entries bind a 4-byte
//     stand-in there.
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
//   1 gradient : storage, read        array<f32>, count elements (the inline entries: the 2q
//                losses, L(θ + εz_j) at 2j and L(θ − εz_j) at 2j + 1, or ∇L·v at 0)
//   2 theta    : storage, read_write  array<f32>, count elements, updated in place
//   3 m        : storage, read_write  array<f32>, first moment, count elements (adam entries)
//   4 v        : storage, read_write  array<f32>, second moment, count elements (adam entries)
//   5 guard    : storage, read        array<u32>, word 0 nonzero = skip the update
//   6 loss     : storage, read        array<u32>, the step's loss f32 at hyper.lossIndex (a finite
//                word when the step has no loss)
//   7 verdict  : storage, read_write  array<atomic<u32>>, word 0: ~(flat index of the first
//                non-finite gradient element) or 0, shared by every block's dispatch
//   8 normPartials : storage, read_write  array<f32>, one per workgroup of every block's dispatch
//                (inline entries; a stand-in for the others)
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl, lib/finiteBits.wgsl,
//   lib/optimizerSteps.wgsl, lib/random.wgsl, lib/twoPoint.wgsl.
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
@group(0) @binding(8) var<storage, read_write> normPartials: array<f32>;

var<workgroup> squares: array<f32, WORKGROUP_SIZE>;

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

// g of element i of the block from the coefficients bound as `gradient` (inline entries).
fn inlineElement(i: u32) -> f32 {
  let key = vec2<u32>(hyper.seed, hyper.directionStream);
  if (hyper.directional != 0u) {
    return gradient[0] * fullDirection(key, hyper.trainStep, 0u, hyper.start + i);
  }
  let q = hyper.directions;
  var sum = 0.0;
  for (var j = 0u; j < q; j++) {
    let c = twoPointCoefficient(gradient[2u * j], gradient[2u * j + 1u], hyper.perturbation, q);
    sum += c * fullDirection(key, hyper.trainStep, j, hyper.start + i);
  }
  return sum;
}

// Whether invocation i (in range, g its inline gradient) updates its parameter: an untripped
// guard and a finite g and loss, as checkedGradient decides for a stored g.
fn checkedInline(i: u32, g: f32) -> bool {
  return guard[0] == 0u && verified(i, g);
}

// Writes sqrt(Σ g² over this workgroup's elements) to its norm partial: a tree over
// WORKGROUP_SIZE (a power of two) in workgroup memory, in uniform control flow. The surplus
// workgroups of a folded grid write nothing (their slots are the next block's).
fn storeNormPartial(grid: GridInvocation, lid: u32, g: f32) {
  squares[lid] = g * g;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      squares[lid] += squares[lid + stride];
    }
    workgroupBarrier();
  }
  let first = invocationIndex(grid) - lid;
  if (lid == 0u && first < hyper.count) {
    normPartials[hyper.partialStart + first / WORKGROUP_SIZE] = sqrt(squares[0]);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adam_inline(grid: GridInvocation, @builtin(local_invocation_index) lid: u32) {
  let i = invocationIndex(grid);
  var g = 0.0;
  if (i < hyper.count) {
    g = inlineElement(i);
    if (checkedInline(i, g)) {
      let after = adamUpdate(hyper, AdamState(theta[i], m[i], v[i]), g);
      theta[i] = after.theta;
      m[i] = after.m;
      v[i] = after.v;
    }
  }
  storeNormPartial(grid, lid, g);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sgd_inline(grid: GridInvocation, @builtin(local_invocation_index) lid: u32) {
  let i = invocationIndex(grid);
  var g = 0.0;
  if (i < hyper.count) {
    g = inlineElement(i);
    if (checkedInline(i, g)) {
      theta[i] = sgdUpdate(hyper, theta[i], g);
    }
  }
  storeNormPartial(grid, lid, g);
}
