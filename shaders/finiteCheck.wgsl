// finiteCheck.wgsl: the divergence guard's verdict for one training step, kept on the GPU.
//
// A NaN or ±Inf in the loss or the gradient must stop the run before it reaches the weights, and
// the host must learn of it without a readback inside the step (DESIGN.md §7). Before this kernel
// runs, reduce.wgsl has reduced the gradient to a result whose word 3 is the index of its first
// non-finite element (ALL_FINITE if none). This kernel tests the loss word's exponent bits
// (lib/finiteBits.wgsl: WGSL may assume no NaN/Inf, so `x != x` can be folded away) and, on the
// first failure, latches the step, the source and the
// offending bit patterns into `status`. The optimizer kernels read status[0] and skip the update
// while it is set; it stays set (later failures do not overwrite it) until the host rewrites the
// buffer.
//
// The gradient may be held in several buffers, one per parameter block (src/engine/
// parameterBlocks.ts): a contiguous range [params.start, params.start + params.count) of the flat
// vector each. Every index here (the verdict, the reduction's word 3, status.gradientIndex) is a
// flat index; a kernel that reads the gradient is dispatched once per block with that block's
// buffer and its own Params (the host pushes one per block per check). The latch reads the bad
// element's bits only from the block it is bound to (the last); with several blocks a
// note_*_bits dispatch per other block, recorded before the latch, copies them into
// status.gradientBits while the guard is not tripped, so the latched status is that of one buffer.
// One block is start 0, count = every element: no note dispatches, and the kernels of before.
//
// Entry points (check_step and latch_verdict latch the same way; they differ in where the
// gradient's verdict comes from):
//   check_step    : before the optimizer, from reduce.wgsl's result (rollback on, on a step that
//                   logs the gradient norm: the reduction the log needs anyway).
//   scan_gradient : before latch_verdict (rollback on, every other step): records the first
//                   non-finite gradient element in `verdict` as ~index, as optimizersChecked.wgsl
//                   does (atomicMax of ~i keeps the smallest i whatever the order, so the
//                   verdict is the same bits on every run). One read of g and no
//                   reduction tree: at d = 1M on SwiftShader the reduction it replaces took 5.2×
//                   Adam's time (bench:breakdown).
//   latch_verdict : from the first bad index in `verdict` (after scan_gradient, or after
//                   optimizersChecked.wgsl's update, which checks the gradient itself); it clears
//                   `verdict` for the next step.
//   note_stats_bits, note_verdict_bits : with several blocks, before check_step and latch_verdict
//                   respectively, once per block but the latch's: if the step's first bad index
//                   (gradientStats word 3, or ~verdict) lies in this block and the guard has not
//                   tripped, status.gradientBits = its bits. While untripped, gradientBits is
//                   otherwise 0, and a bad index always trips the latch that follows.
//
// Bindings (@group(0)):
//   0 params        : uniform { step, hasLoss, lossIndex, count, start } (u32 each; count = the
//                     bound block's elements, start = its first flat index)
//   1 loss          : storage, read        array<u32>, the loss f32 at lossIndex (if hasLoss = 1)
//   2 gradientStats : storage, read        array<u32>, reduce.wgsl's 8-word result for the gradient
//                     (with several blocks, combine_blocks' over them: word 3 a flat index)
//   3 gradient      : storage, read        array<u32>, one block of the gradient, flat elements
//                     start … start + count − 1 (to scan it and report the bad element's bits)
//   4 status        : storage, read_write  Status below
//   5 verdict       : storage, read_write  array<atomic<u32>>, word 0: ~(first non-finite gradient
//                     index), 0 when none (scan_gradient, latch_verdict)
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl, lib/finiteBits.wgsl.
// Workgroup: check_step and latch_verdict (1, 1, 1), dispatch exactly one workgroup (the work is a
//   handful of words), and so do the note_*_bits; scan_gradient (WORKGROUP_SIZE, 1, 1)
//   (lib/grid.wgsl; the host's default 256), each invocation reading SCAN_ITEMS (default 4)
//   elements strided by WORKGROUP_SIZE (coalesced reads): per block,
//   ceil(count / (WORKGROUP_SIZE·SCAN_ITEMS)) workgroups, folded into x and y past 65 535
//   (lib/grid.wgsl workgroupIndex; surplus ones return).

struct Params {
  step: u32,
  hasLoss: u32,
  lossIndex: u32,
  count: u32,
  start: u32,
}

struct Status {
  tripped: u32,         // 0, or 1 from the first failing check until the host resets
  step: u32,            // step of the first failing check
  source: u32,          // bit 0: the loss was non-finite; bit 1: the gradient had a non-finite element
  gradientIndex: u32,   // first non-finite gradient element, ALL_FINITE if the gradient was finite
  lossBits: u32,        // the loss's bits at that step (0 when no loss was checked)
  gradientBits: u32,    // the bits of gradient[gradientIndex] (0 when the gradient was finite)
  lastCheckedStep: u32, // the most recent step checked, so the host can tell how fresh a read is
  checks: u32,          // checks since the last reset
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> loss: array<u32>;
@group(0) @binding(2) var<storage, read> gradientStats: array<u32>;
@group(0) @binding(3) var<storage, read> gradient: array<u32>;
@group(0) @binding(4) var<storage, read_write> status: Status;
@group(0) @binding(5) var<storage, read_write> verdict: array<atomic<u32>>;

override SCAN_ITEMS: u32 = 4u;

const FIRST_NON_FINITE_WORD: u32 = 3u;

@compute @workgroup_size(1)
fn check_step() {
  latch(gradientStats[FIRST_NON_FINITE_WORD]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scan_gradient(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let base = workgroupIndex(grid) * WORKGROUP_SIZE * SCAN_ITEMS;
  for (var k = 0u; k < SCAN_ITEMS; k++) {
    let i = base + k * WORKGROUP_SIZE + lid;
    if (i < params.count && !isFiniteBits(gradient[i])) {
      atomicMax(&verdict[0], ~(params.start + i));
    }
  }
}

@compute @workgroup_size(1)
fn latch_verdict() {
  let index = ~atomicLoad(&verdict[0]);
  atomicStore(&verdict[0], 0u);
  latch(index);
}

@compute @workgroup_size(1)
fn note_stats_bits() {
  noteBits(gradientStats[FIRST_NON_FINITE_WORD]);
}

@compute @workgroup_size(1)
fn note_verdict_bits() {
  noteBits(~atomicLoad(&verdict[0]));
}

// Whether flat index `index` (not ALL_FINITE: start + count ≤ 2^32 − 1) lies in the bound block.
fn inBlock(index: u32) -> bool {
  return index >= params.start && index - params.start < params.count;
}

// Keeps the bits of the step's first bad element for the latch, when the bound block holds it.
fn noteBits(index: u32) {
  if (status.tripped == 0u && index != ALL_FINITE && inBlock(index)) {
    status.gradientBits = gradient[index - params.start];
  }
}

// Latches the step's verdict: `index` is the first non-finite gradient element or ALL_FINITE.
fn latch(index: u32) {
  status.checks += 1u;
  status.lastCheckedStep = params.step;
  if (status.tripped != 0u) {
    return;
  }
  var lossBits = 0u;
  if (params.hasLoss != 0u) {
    lossBits = loss[params.lossIndex];
  }
  let lossBad = params.hasLoss != 0u && !isFiniteBits(lossBits);
  let gradientBad = index != ALL_FINITE;
  if (!lossBad && !gradientBad) {
    return;
  }
  status.tripped = 1u;
  status.step = params.step;
  status.source = select(0u, 1u, lossBad) | select(0u, 2u, gradientBad);
  status.gradientIndex = index;
  status.lossBits = lossBits;
  if (!gradientBad) {
    status.gradientBits = 0u;
  } else if (inBlock(index)) {
    status.gradientBits = gradient[index - params.start];
  }
  // Else another block holds the element: its note_*_bits dispatch has set gradientBits.
}
