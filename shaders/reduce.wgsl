// reduce.wgsl: deterministic sum, sum of squares and max |x| of an f32 buffer, with the index of
// its first non-finite element.
//
// The trainer's loss is mean(r²) over a residual buffer and its gradient norm is sqrt(Σ g²); both
// must be bit-identical run to run (seeded runs reproduce, and the two passes of a zeroth-order
// estimate cancel exactly, DESIGN.md §2 and §6). So there are no float atomics: every workgroup
// reduces one fixed tile in a fixed order, and the host chains passes over the per-tile records
// until one record is left. For a given n and workgroup shape the order of every addition is fixed.
//
// Bindings (@group(0)):
//   0 params      : uniform { count, total, inputIsRecords, isFinal } (u32 each)
//                   count          = elements (first pass) or records (later passes) to read
//                   total          = n of the original buffer (for the final mean)
//                   inputIsRecords = 0: source holds n f32 values; 1: source holds 4-word records
//                   isFinal        = 1: this pass has one workgroup and writes the 8-word result
//   1 source      : storage, read        array<u32> (f32 bits, or records)
//   2 destination : storage, read_write  array<u32> (records, or the result)
// Record (4 words, between passes): sum f32, sumOfSquares f32, maxAbs f32, firstNonFinite u32.
// Result (8 words, the final pass):
//   0 sum  1 sumOfSquares  2 maxAbs  3 firstNonFinite (ALL_FINITE = 0xFFFFFFFF if every element is
//   finite)
//   4 n (u32)  5 mean = sum/n  6 meanOfSquares = sumOfSquares/n  7 norm = sqrt(sumOfSquares)
// Non-finite elements are detected from their exponent bits (lib/finiteBits.wgsl: WGSL may assume
// no NaN/Inf, so `x != x` can be folded away) and left out of the sums; the result's float words
// are then all set to the canonical NaN bits, so a loss over a residual with a NaN is itself NaN,
// not a finite lie.
// combine_blocks: a vector held in several buffers (the parameter blocks of src/engine/
// parameterBlocks.ts, contiguous ranges of it in flat order) is reduced block by block, each
// block's result into a BLOCK_RESULT_WORDS-word slot of one buffer (a storage binding's offset is
// a multiple of minStorageBufferOffsetAlignment, at most 256 bytes); one invocation then adds the
// blocks' sums and squares in block order (a fixed order, so still bit-identical run to run, but
// not the single tree's: the last bits may differ from a one-buffer reduction), takes the max, and
// makes the first non-finite index flat (the first bad block's start + its index; a block's start
// is the sum of the counts, word 4, before it). Its Params: count = blocks, total = n of the whole
// vector (inputIsRecords, isFinal unused); source = the block results, destination = the result.
// Composes (src/gpu/composeShader.ts, in front of this file): lib/grid.wgsl, lib/finiteBits.wgsl.
// Workgroup: (WORKGROUP_SIZE, 1, 1), WORKGROUP_SIZE (lib/grid.wgsl) a power of two (the host's
//   default 256); each invocation first adds ITEMS_PER_THREAD (default 4) elements strided by
//   WORKGROUP_SIZE (coalesced reads), then the workgroup combines the partials in a binary tree in
//   workgroup memory.
// Dispatch: ceil(count / (WORKGROUP_SIZE·ITEMS_PER_THREAD)) workgroups, laid out in x and y when
//   there are more than 65 535 (workgroup g = y·num_workgroups.x + x, lib/grid.wgsl workgroupIndex;
//   surplus ones return). combine_blocks: (1, 1, 1), one workgroup.

struct Params {
  count: u32,
  total: u32,
  inputIsRecords: u32,
  isFinal: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> source: array<u32>;
@group(0) @binding(2) var<storage, read_write> destination: array<u32>;

override ITEMS_PER_THREAD: u32 = 4u;

const CANONICAL_NAN: u32 = 0x7fc00000u;

var<workgroup> partialSum: array<f32, WORKGROUP_SIZE>;
var<workgroup> partialSquares: array<f32, WORKGROUP_SIZE>;
var<workgroup> partialMax: array<f32, WORKGROUP_SIZE>;
var<workgroup> partialBad: array<u32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn reduce(grid: GridWorkgroup, @builtin(local_invocation_index) lid: u32) {
  let group = workgroupIndex(grid);
  let base = group * WORKGROUP_SIZE * ITEMS_PER_THREAD;
  // Workgroup-uniform: a surplus workgroup of a 2-D grid leaves before any barrier.
  if (base >= params.count) {
    return;
  }

  var sum = 0.0;
  var squares = 0.0;
  var maxAbs = 0.0;
  var bad = ALL_FINITE;
  for (var k = 0u; k < ITEMS_PER_THREAD; k++) {
    let i = base + k * WORKGROUP_SIZE + lid;
    if (i < params.count) {
      if (params.inputIsRecords == 0u) {
        let bits = source[i];
        if (isFiniteBits(bits)) {
          let x = bitcast<f32>(bits);
          sum += x;
          squares += x * x;
          maxAbs = max(maxAbs, abs(x));
        } else {
          bad = min(bad, i);
        }
      } else {
        sum += bitcast<f32>(source[4u * i]);
        squares += bitcast<f32>(source[4u * i + 1u]);
        maxAbs = max(maxAbs, bitcast<f32>(source[4u * i + 2u]));
        bad = min(bad, source[4u * i + 3u]);
      }
    }
  }
  partialSum[lid] = sum;
  partialSquares[lid] = squares;
  partialMax[lid] = maxAbs;
  partialBad[lid] = bad;
  workgroupBarrier();

  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partialSum[lid] += partialSum[lid + stride];
      partialSquares[lid] += partialSquares[lid + stride];
      partialMax[lid] = max(partialMax[lid], partialMax[lid + stride]);
      partialBad[lid] = min(partialBad[lid], partialBad[lid + stride]);
    }
    workgroupBarrier();
  }

  if (lid != 0u) {
    return;
  }
  let total = partialSum[0];
  let totalSquares = partialSquares[0];
  let firstBad = partialBad[0];
  if (params.isFinal == 0u) {
    destination[4u * group] = bitcast<u32>(total);
    destination[4u * group + 1u] = bitcast<u32>(totalSquares);
    destination[4u * group + 2u] = bitcast<u32>(partialMax[0]);
    destination[4u * group + 3u] = firstBad;
    return;
  }
  let n = f32(params.total);
  let finite = firstBad == ALL_FINITE;
  destination[0] = select(CANONICAL_NAN, bitcast<u32>(total), finite);
  destination[1] = select(CANONICAL_NAN, bitcast<u32>(totalSquares), finite);
  destination[2] = select(CANONICAL_NAN, bitcast<u32>(partialMax[0]), finite);
  destination[3] = firstBad;
  destination[4] = params.total;
  destination[5] = select(CANONICAL_NAN, bitcast<u32>(total / n), finite);
  destination[6] = select(CANONICAL_NAN, bitcast<u32>(totalSquares / n), finite);
  destination[7] = select(CANONICAL_NAN, bitcast<u32>(sqrt(totalSquares)), finite);
}

// Words between two blocks' results in combine_blocks' source: 256 bytes.
const BLOCK_RESULT_WORDS: u32 = 64u;

@compute @workgroup_size(1)
fn combine_blocks() {
  var total = 0.0;
  var totalSquares = 0.0;
  var maxAbs = 0.0;
  var firstBad = ALL_FINITE;
  var start = 0u;
  for (var k = 0u; k < params.count; k++) {
    let r = k * BLOCK_RESULT_WORDS;
    let bad = source[r + 3u];
    if (bad != ALL_FINITE) {
      if (firstBad == ALL_FINITE) {
        firstBad = start + bad;
      }
    } else {
      // A bad block's float words are NaN: left out, as reduce leaves out a bad element.
      total += bitcast<f32>(source[r]);
      totalSquares += bitcast<f32>(source[r + 1u]);
      maxAbs = max(maxAbs, bitcast<f32>(source[r + 2u]));
    }
    start += source[r + 4u];
  }
  let n = f32(params.total);
  let finite = firstBad == ALL_FINITE;
  destination[0] = select(CANONICAL_NAN, bitcast<u32>(total), finite);
  destination[1] = select(CANONICAL_NAN, bitcast<u32>(totalSquares), finite);
  destination[2] = select(CANONICAL_NAN, bitcast<u32>(maxAbs), finite);
  destination[3] = firstBad;
  destination[4] = params.total;
  destination[5] = select(CANONICAL_NAN, bitcast<u32>(total / n), finite);
  destination[6] = select(CANONICAL_NAN, bitcast<u32>(totalSquares / n), finite);
  destination[7] = select(CANONICAL_NAN, bitcast<u32>(sqrt(totalSquares)), finite);
}
