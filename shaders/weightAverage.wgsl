// weightAverage.wgsl: an exponential moving average of the weights, one invocation per parameter,
// over the flat parameter buffer (src/engine/jetLayout.ts), for views that should show where the
// training stands rather than the jitter of its last step (the dashboard's field views):
//     ā ← β·ā + (1 − β)·θ          after every training step's update, β = params.decay
// The average starts as the weights it is reset to (the run's first or restored θ), so it needs no
// bias correction: after t updates it is β^t·θ_0 + (1 − β)·Σ_{s=1..t} β^{t−s}·θ_s. Measured on the
// dashboard's landing run (docs/landing-sweep.md, fifth sweep; seed 0): β = 0.95 keeps the field
// error's range over steps 1960–2040 within 8.1–10.7 × 10⁻³ where the last weights' range swings
// over 8.3–20.8 × 10⁻³.
// After a divergence the trainer restarts the average at the weights it keeps (a reset copies θ
// in), so the non-finite weights that reached it before the trip was read back never show.
//
// Bindings (@group(0)):
//   0 params  : uniform Params below
//   1 theta   : storage, read        array<f32>, count elements: the weights after the update
//   2 average : storage, read_write  array<f32>, count elements, updated in place
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl.
// Workgroup: (WORKGROUP_SIZE, 1, 1), override WORKGROUP_SIZE (lib/grid.wgsl; the host's default
//   is 256).
// Dispatch: ceil(count / WORKGROUP_SIZE) workgroups folded into x and y past 65 535
//   (lib/grid.wgsl invocationIndex; surplus invocations return).

struct Params {
  count: u32,
  decay: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> theta: array<f32>;
@group(0) @binding(2) var<storage, read_write> average: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn accumulate(grid: GridInvocation) {
  let i = invocationIndex(grid);
  if (i >= params.count) {
    return;
  }
  average[i] = params.decay * average[i] + (1.0 - params.decay) * theta[i];
}
