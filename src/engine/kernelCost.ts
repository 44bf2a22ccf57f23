/**
 * What one dispatch (or a chain of them) computes and moves through global memory: the numbers a
 * roofline needs. Every kernel family's plan has its cost function next to it (forwardJetCost,
 * backwardJetCost, reducerCost, optimizerCost, pointDrawCost, …); they follow one set of rules, so
 * the stages of a step can be added up and compared.
 *
 * Counting rules:
 * - Bytes: every load from and store to a storage buffer the WGSL makes, 4 bytes per f32, u32 or
 *   i32, counted as often as the invocations make it: a tile that every workgroup needing it
 *   stages counts once per workgroup. A load or store a bounds check skips is not counted, nor are
 *   uniform reads or workgroup memory (not global traffic). `a[i] += x` is a read and a write. A
 *   word every invocation reads (the step counter, the guard's status) counts once per dispatch:
 *   a broadcast the cache serves.
 *   Caches are not modelled: a re-read counts again, which is what a cold cache would pay.
 * - FLOPs: an f32 add, subtract, multiply, divide, min, max or abs is 1; an fma is 2; a
 *   transcendental (exp, log, sqrt, sin, cos, tanh) is 1. Integer and index arithmetic is 0 (so
 *   Philox draws, all integer, cost bytes only). Work on the zero padding of a tile (rows or
 *   columns past the end) is not counted: a FLOP is one the result needs.
 */

export interface KernelCost {
  flops: number;
  bytesRead: number;
  bytesWritten: number;
}

/**
 * Where a pass records work stage by stage (the trainer's bounded submits,
 * src/train/boundedSubmits.ts): the command encoder of the moment, and the boundaries between
 * stages, each announced with its cost. Read `encoder` again after every beginStage: it is a new
 * one after a submit.
 */
export interface StageEncoder {
  readonly encoder: GPUCommandEncoder;
  /**
   * Starts a stage that computes and moves `cost`; call it between passes, never inside one.
   * What is recorded so far may be submitted first, and the stage then goes into a new encoder.
   */
  beginStage(cost: KernelCost): void;
}

/** Bytes of one f32, u32 or i32 element. */
export const WORD_BYTES = 4;

/** The cost of `flops` arithmetic on `readWords` loaded and `writtenWords` stored words. */
export function wordCost(flops: number, readWords: number, writtenWords: number): KernelCost {
  return { flops, bytesRead: readWords * WORD_BYTES, bytesWritten: writtenWords * WORD_BYTES };
}

/** The cost of running each of `costs` once. */
export function sumCosts(costs: readonly KernelCost[]): KernelCost {
  return costs.reduce(
    (total, c) => ({
      flops: total.flops + c.flops,
      bytesRead: total.bytesRead + c.bytesRead,
      bytesWritten: total.bytesWritten + c.bytesWritten,
    }),
    { flops: 0, bytesRead: 0, bytesWritten: 0 },
  );
}

/**
 * FLOPs of σ and its first derivatives at z_0 (lib/activations.wgsl seedOf, jetBackward.wgsl
 * activationStart): a transcendental or two and a handful of products and sums, counted as one
 * figure for every activation; the linear and identity layers have none.
 */
export const ACTIVATION_SEED_FLOPS = 8;

/** lib/random.wgsl boxMuller, a normal pair: a log, a sqrt, a sin, a cos and three products. */
export const BOX_MULLER_FLOPS = 7;

/**
 * One coordinate of regenerated ball points redrawn where it is read (lib/ballPoints.wgsl): its
 * normal, the scale's product and the offset's sum; the read loads the point's scale and offset,
 * two words where a stored coordinate is one.
 */
export const REDRAWN_COORDINATE = { flops: BOX_MULLER_FLOPS + 2, words: 2 } as const;

/**
 * A coordinate redrawn with the three others of its Philox block (lib/ballPoints.wgsl
 * regeneratedBallBlock, where a tile load takes four consecutive inputs of a point): half a
 * Box–Muller pair, the scale's product and the offset's sum; the point's scale and offset load
 * once for the four.
 */
export const REDRAWN_QUAD_COORDINATE = { flops: BOX_MULLER_FLOPS / 2 + 2, words: 0.5 } as const;

/**
 * The FLOPs of one dense tangent coefficient redrawn where it is read (lib/denseTangents.wgsl):
 * a Rademacher sign 1 − 2·bit, or a normal; Philox's integer rounds are not FLOPs, and the draw
 * loads no word (its key is in the uniform).
 */
export function redrawnTangentFlops(gaussian: boolean): number {
  return gaussian ? BOX_MULLER_FLOPS : 2;
}
