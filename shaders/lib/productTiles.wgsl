// lib/productTiles.wgsl: the tiling of the backward pass's two matrix products,
// jetBackwardInput.wgsl (Ā = Z̄·W) and jetBackwardWeights.wgsl (dW = Z̄ᵀ·A). A library: constants
// only, no bindings; composed in front of a kernel file with src/gpu/composeShader.ts.
// src/engine/backwardJet.ts sizes its dispatches and split-K chunks with the same numbers.
//
// A workgroup computes a tile of the product TILE columns wide. Its THREADS invocations along x
// own four columns each (one vec4), and every invocation accumulates a 4 × 4 block of the tile in
// four vec4 accumulators held in named variables: SwiftShader keeps indexed arrays in memory, and
// named vec4s made these kernels ~3× faster there. The reduction index advances STEP at a time;
// each step stages STEP rows of both operands in workgroup memory (two STEP × TILE tiles of f32,
// 8 KiB of the 16 KiB limit) and adds them to every block as STEP outer products, always in the
// order of the index, so a product is the same bits on every run.

const TILE: u32 = 64u; // columns of a workgroup's tile (THREADS·4)
const STEP: u32 = 16u; // reduction indices per staging step
const THREADS: u32 = 16u; // invocations along x
