// optimizers.wgsl: one parameter update over the flat parameter buffer (src/engine/jetLayout.ts),
// one invocation per parameter, so the whole MLP is updated by a single dispatch.
//
// Entry points:
//   adam_step: Adam with bias correction and optional decoupled weight decay (AdamW, in PyTorch's
//     convention: the decay is scaled by the learning rate and not by the Adam denominator):
//       m ← β1·m + (1−β1)·g
//       v ← β2·v + (1−β2)·g²
//       θ ← θ − lr·λ·θ − (lr/(1−β1^t))·m / (sqrt(v/(1−β2^t)) + ε)
//   sgd_step: the plain gradient step θ ← θ − lr·g (m and v are bound but unused).
// Every scalar that depends on the step (lr/(1−β1^t), 1/(1−β2^t), lr·λ) and 1−β is computed by the
// host in float64 and written to `hyper` each step, so a learning-rate schedule needs no recompile,
// the step count needs no readback, and f32 sees each constant rounded once, not built from
// rounded parts (1 − f32(0.9) is off by 2.4e-7 relative; a factor 1 − lr·λ rounded to f32 would
// keep only two or three digits of lr·λ = 1e-5, so the decay is applied as θ − (lr·λ)·θ).
// Both entry points leave θ, m and v untouched while guard[0] (the divergence guard's `tripped`
// word, shaders/finiteCheck.wgsl) is nonzero: a NaN step must not reach the weights or moments.
// override ROLLBACK picks what else a step does (the host's default is 1):
//   1: every applied update first copies the values it replaces into `previous`, so after a trip
//      at step s it holds the state before step s − 1's update: the last weights whose loss and
//      gradient were finite (θ_{s−1} itself gave the non-finite loss). The trainer restores them
//      from there. Costs 12 bytes per parameter per step (adam; sgd 4) and as much memory.
//   0: no copy, and this kernel is the step's finiteness check, so no other pass reads g: an
//      element whose g is NaN/±Inf is left untouched and its index recorded in verdict[0] as ~i
//      (atomicMax of ~i keeps the smallest i; the 0 a clear leaves reads as ~0 = ALL_FINITE), and
//      a non-finite loss[hyper.lossIndex] skips the whole update. finiteCheck.wgsl's
//      latch_verdict turns the verdict into the guard's status afterwards. The element updates
//      are the same operations either way, so a finite run is bit-identical in both modes.
//
// Bindings (@group(0)):
//   0 hyper    : uniform Hyper below
//   1 gradient : storage, read        array<f32>, count elements
//   2 theta    : storage, read_write  array<f32>, count elements, updated in place
//   3 m        : storage, read_write  array<f32>, first moment, count elements (adam_step)
//   4 v        : storage, read_write  array<f32>, second moment, count elements (adam_step)
//   5 guard    : storage, read        array<u32>, word 0 nonzero = skip the update
//   6 previous : storage, read_write  array<f32>, the replaced θ (sgd: count elements), or θ, m
//                and v one after another (adam: 3·count elements); ROLLBACK = 0: unused
//   7 loss     : storage, read        array<u32>, the step's loss f32 at hyper.lossIndex
//                (ROLLBACK = 0; a finite word when the step has no loss)
//   8 verdict  : storage, read_write  array<atomic<u32>>, word 0: ~(first non-finite gradient
//                index) or 0 (ROLLBACK = 0)
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl, lib/finiteBits.wgsl.
// Workgroup: (WORKGROUP_SIZE, 1, 1), override WORKGROUP_SIZE (lib/grid.wgsl; the host's default
//   is 256).
// Dispatch: ceil(count / WORKGROUP_SIZE) workgroups, laid out in x and y when there are more than
//   65 535 (workgroup g = y·num_workgroups.x + x; surplus invocations return): the parameter index
//   is lib/grid.wgsl's invocationIndex.

struct Hyper {
  count: u32,
  stepSize: f32,         // adam: lr/(1−β1^t); sgd: lr
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  epsilon: f32,
  decay: f32,            // lr·λ
  inverseBias2: f32,     // 1/(1−β2^t)
  lossIndex: u32,        // ROLLBACK = 0: the loss word to check
}

override ROLLBACK: bool = true;

@group(0) @binding(0) var<uniform> hyper: Hyper;
@group(0) @binding(1) var<storage, read> gradient: array<f32>;
@group(0) @binding(2) var<storage, read_write> theta: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> guard: array<u32>;
@group(0) @binding(6) var<storage, read_write> previous: array<f32>;
@group(0) @binding(7) var<storage, read> loss: array<u32>;
@group(0) @binding(8) var<storage, read_write> verdict: array<atomic<u32>>;

// ROLLBACK = 0: whether element i may be updated with gradient g (both it and the step's loss
// finite). A bad g is recorded even when the loss is bad too, so the guard reports both sources.
fn verified(i: u32, g: f32) -> bool {
  let gradientFinite = isFiniteBits(bitcast<u32>(g));
  if (!gradientFinite) {
    atomicMax(&verdict[0], ~i);
  }
  return gradientFinite && isFiniteBits(loss[hyper.lossIndex]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adam_step(grid: GridInvocation) {
  let i = invocationIndex(grid);
  if (i >= hyper.count || guard[0] != 0u) {
    return;
  }
  let g = gradient[i];
  if (!ROLLBACK && !verified(i, g)) {
    return;
  }
  let t = theta[i];
  if (ROLLBACK) {
    previous[i] = t;
    previous[hyper.count + i] = m[i];
    previous[2u * hyper.count + i] = v[i];
  }
  let first = hyper.beta1 * m[i] + hyper.oneMinusBeta1 * g;
  let second = hyper.beta2 * v[i] + hyper.oneMinusBeta2 * (g * g);
  m[i] = first;
  v[i] = second;
  let denominator = sqrt(second * hyper.inverseBias2) + hyper.epsilon;
  theta[i] = t - hyper.decay * t - hyper.stepSize * first / denominator;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sgd_step(grid: GridInvocation) {
  let i = invocationIndex(grid);
  if (i >= hyper.count || guard[0] != 0u) {
    return;
  }
  let g = gradient[i];
  if (!ROLLBACK && !verified(i, g)) {
    return;
  }
  let t = theta[i];
  if (ROLLBACK) {
    previous[i] = t;
  }
  theta[i] = t - hyper.stepSize * g;
}
