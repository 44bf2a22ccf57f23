// lib/optimizerSteps.wgsl: one parameter's Adam or SGD update, the arithmetic that both update
// kernels share (optimizers.wgsl keeps the rollback copy, optimizersChecked.wgsl checks the
// gradient instead). A function library: no bindings, no entry points; composed in front of a
// kernel file with src/gpu/composeShader.ts. The kernels differ only in what they bind, so the
// bind group layouts (which list every buffer a module declares) stay within WebGPU's default 8
// storage buffers each, and a finite run takes bit-identical steps in both.
//
//   adam: m ← β1·m + (1−β1)·g
//         v ← β2·v + (1−β2)·g²
//         θ ← θ − lr·λ·θ − (lr/(1−β1^t))·m / (sqrt(v/(1−β2^t)) + ε)
//         (AdamW in PyTorch's convention: the decay is scaled by the learning rate and not by the
//         Adam denominator)
//   sgd:  θ ← θ − lr·g
// Every scalar that depends on the step (lr/(1−β1^t), 1/(1−β2^t), lr·λ) and 1−β is computed by the
// host in float64 and written to the Hyper uniform each step, so a learning-rate schedule needs no
// recompile, the step count needs no readback, and f32 sees each constant rounded once, not built
// from rounded parts (1 − f32(0.9) is off by 2.4e-7 relative; a factor 1 − lr·λ rounded to f32
// would keep only two or three digits of lr·λ = 1e-5, so the decay is applied as θ − (lr·λ)·θ).
// A kernel runs once per parameter block (src/engine/parameterBlocks.ts), each dispatch with a
// Hyper of its own: the same step constants, the block's count and start. The update of an element
// depends on its θ, g, m, v and these constants only, so the blocks' updates are the bits of one
// update over the whole vector.

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
  lossIndex: u32,        // optimizersChecked.wgsl: the loss word to check
  start: u32,            // flat index of the block's first element (optimizersChecked.wgsl's
                         // verdict records global indices); count is the block's elements
  // optimizersChecked.wgsl's inline entries only (0 for the others): the directions z_j of the
  // step's inline estimate, key (seed, directionStream) at step trainStep, q = directions and
  // ε = perturbation (lib/twoPoint.wgsl), where the block's norm partials start, and directional
  // = 1 for the forward gradient's coefficient (∇L·v read as it is; q = 1), 0 for two-point ones.
  seed: u32,
  directionStream: u32,
  directions: u32,
  perturbation: f32,
  trainStep: u32,
  partialStart: u32,
  directional: u32,
}

// One parameter's state.
struct AdamState {
  theta: f32,
  m: f32,
  v: f32,
}

fn adamUpdate(h: Hyper, state: AdamState, g: f32) -> AdamState {
  let first = h.beta1 * state.m + h.oneMinusBeta1 * g;
  let second = h.beta2 * state.v + h.oneMinusBeta2 * (g * g);
  let denominator = sqrt(second * h.inverseBias2) + h.epsilon;
  let t = state.theta;
  return AdamState(t - h.decay * t - h.stepSize * first / denominator, first, second);
}

fn sgdUpdate(h: Hyper, theta: f32, g: f32) -> f32 {
  return theta - h.stepSize * g;
}
