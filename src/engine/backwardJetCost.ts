/**
 * What a backward jet pass computes and moves (kernelCost.ts's rules), read off its plan
 * (planBackwardJet): each step's dispatch (jetBackward.wgsl's transposes, jetBackwardWeights.wgsl,
 * jetBackwardBias.wgsl, jetBackwardReduce.wgsl, jetBackwardScatter.wgsl, jetBackwardInput.wgsl)
 * and the copy of the cotangent into m̄ when there is a boundary factor. Pure.
 */
import type { BackwardJetPlan, BackwardStepPlan } from './backwardJet.ts';
import { redrawnTangentCost } from './forwardJetCost.ts';
import {
  ACTIVATION_SEED_FLOPS,
  type KernelCost,
  REDRAWN_COORDINATE,
  REDRAWN_QUAD_COORDINATE,
  sumCosts,
  wordCost,
} from './kernelCost.ts';

// The override codes of lib/activations.wgsl and lib/layerInput.wgsl.
const TANH = 1;
const SIN = 2;
const SOFTPLUS = 3;
const INPUT_DENSE = 1;
/** lib/productTiles.wgsl's tile width (columns of a workgroup's tile). */
const TILE = 64;

function sumOver(n: number, f: (k: number) => number): number {
  let total = 0;
  for (let k = 1; k <= n; k++) total += f(k);
  return total;
}

/** jetBackward.wgsl derivativeSeries: the series D_0..D_K of σ'(z(t)) for one direction. */
function derivativeSeriesFlops(activation: number, order: number): number {
  const ode = (k: number): number => 3 * k + 1;
  return sumOver(order, (k) => {
    if (activation === TANH) return ode(k) + 3 + 2 * (k - 1);
    if (activation === SIN) return 2 * ode(k);
    if (activation === SOFTPLUS) return ode(k) + 3 + 2 * (k - 1);
    return 0;
  });
}

/** boundaryTranspose and activationTranspose: one invocation per unit, V rows in and out. */
function transposeCost(step: BackwardStepPlan): KernelCost {
  const c = step.constants;
  const { points, width, directions: R } = step.params.values as Record<string, number>;
  const K = c.ORDER;
  const collapsed = c.COLLAPSED === 1;
  const lower = collapsed ? K - 1 : K;
  const V = 1 + R * lower + (collapsed ? 1 : 0);
  // transposeDirection: the value term (2 per order) and each lower row's sum (2 per term).
  const direction = 2 * K + sumOver(lower, (m) => 2 * (K - m + 1)) + 1;
  let flops = 1 + R * direction + (collapsed ? 4 : 0);
  if (step.kind === 'activationTranspose') {
    flops += ACTIVATION_SEED_FLOPS + R * derivativeSeriesFlops(c.ACTIVATION, K);
  }
  const units = points * width;
  // Reads the unit's V cotangent rows and the V rows of its jet (z, or the boundary factor b);
  // writes the V cotangent rows back.
  return wordCost(units * flops, units * 2 * V, units * V);
}

/**
 * dW = Z̄ᵀ·A over the dispatch's units and the columns it stores (all of the layer's unless θ is
 * split into blocks): every column tile re-reads Z̄, every row tile re-reads the columns of A in
 * its tiles.
 */
function weightGradientCost(step: BackwardStepPlan): KernelCost {
  const v = step.params.values as Record<string, number>;
  const { reduction, inputs, blockOutputs, firstColumn, endColumn, columnTiles, splits } = v;
  const { rowsPerPoint: V, directions: R } = v;
  // Row tiles on x; the (column tile, split) items folded over y and z, surplus included.
  const rowTiles = step.grid[0];
  const firstTile = Math.floor(firstColumn / TILE);
  // A's columns in the dispatch's tiles.
  const loaded = Math.min(inputs, (firstTile + columnTiles) * TILE) - firstTile * TILE;
  const stored = endColumn - firstColumn;
  const K = step.constants.ORDER;
  const collapsed = step.constants.COLLAPSED === 1;
  // Dense first layer: A's rows are assembled from x and the tangents, R of them in the top row.
  const wordsPerRow =
    step.constants.INPUT === INPUT_DENSE
      ? (1 + R * (collapsed ? K - 1 : K) + (collapsed ? R : 0)) / V
      : 1;
  const inputLoads = reduction * loaded * wordsPerRow * rowTiles;
  // x's loads: every one of a one-hot first layer's; one word of a dense row's wordsPerRow·V a
  // point, the rest the tangents'.
  const xLoads = step.constants.INPUT === INPUT_DENSE ? inputLoads / (wordsPerRow * V) : inputLoads;
  // Regenerated points: each load of x is a redraw, four a Philox block with one-hot tangents
  // (jetBackwardWeights.wgsl inputQuad).
  const redrawn = step.constants.POINTS === 1;
  const coordinate =
    step.constants.INPUT === INPUT_DENSE ? REDRAWN_COORDINATE : REDRAWN_QUAD_COORDINATE;
  // Regenerated dense tangents: every tangent load is a redraw and loads nothing.
  const tangentRedraw = redrawnTangentCost(step);
  const tangentLoads = tangentRedraw === null ? 0 : inputLoads - xLoads;
  const read =
    reduction * blockOutputs * columnTiles +
    inputLoads +
    (redrawn ? xLoads * (coordinate.words - 1) : 0) -
    tangentLoads;
  const flops =
    2 * reduction * blockOutputs * stored +
    (redrawn ? xLoads * coordinate.flops : 0) +
    tangentLoads * (tangentRedraw ?? 0);
  return wordCost(flops, read, splits * blockOutputs * stored);
}

/** db: every value row of Z̄ read and added once, one sum per split and unit stored. */
function biasGradientCost(step: BackwardStepPlan): KernelCost {
  const { reduction, outputs, splits, valueStride } = step.params.values as Record<string, number>;
  const valueRows = Math.ceil(reduction / valueStride);
  return wordCost(valueRows * outputs, valueRows * outputs, splits * outputs);
}

/** A range of the slices of a split weight gradient, added in split order. */
function reduceSplitsCost(step: BackwardStepPlan): KernelCost {
  const { count, splits } = step.params.values as Record<string, number>;
  return wordCost(count * (splits - 1), count * splits, count);
}

/**
 * The one-hot first layer's tangent rows, scattered into W's columns: per output of the
 * dispatch and slot the index, then (for an index that names a coordinate, here every one: an
 * upper bound, a zero tangent skips the rest) the cotangent, the coefficient and the gradient's
 * `+=`.
 */
function scatterCost(step: BackwardStepPlan): KernelCost {
  const { points, directions, blockOutputs } = step.params.values as Record<string, number>;
  const slots = points * directions * step.constants.ORDER;
  return wordCost(2 * blockOutputs * slots, 4 * blockOutputs * slots, blockOutputs * slots);
}

/** Ā = Z̄·W: every column tile re-reads Z̄, every 64-row tile re-reads W. */
function inputCotangentCost(step: BackwardStepPlan): KernelCost {
  const { rows, inputs, outputs } = step.params.values as Record<string, number>;
  const columnTiles = Math.ceil(inputs / TILE);
  const rowTiles = Math.ceil(rows / TILE);
  const read = rows * outputs * columnTiles + outputs * inputs * rowTiles;
  return wordCost(2 * rows * outputs * inputs, read, rows * inputs);
}

/** One dispatch of the backward pass. */
export function backwardStepCost(step: BackwardStepPlan): KernelCost {
  switch (step.kind) {
    case 'boundaryTranspose':
    case 'activationTranspose':
      return transposeCost(step);
    case 'weightGradient':
      return weightGradientCost(step);
    case 'biasGradient':
      return biasGradientCost(step);
    case 'reduceSplits':
      return reduceSplitsCost(step);
    case 'scatterTangents':
      return scatterCost(step);
    case 'inputCotangent':
      return inputCotangentCost(step);
  }
}

/** Everything BackwardJet.encode records for `plan`: the m̄ copy and every dispatch. */
export function backwardJetCost(plan: BackwardJetPlan): KernelCost {
  const copyBytes = plan.scratch.outputBar?.bytes ?? 0;
  return sumCosts([
    { flops: 0, bytesRead: copyBytes, bytesWritten: copyBytes },
    ...plan.steps.map(backwardStepCost),
  ]);
}
