/**
 * What a forward jet pass computes and moves (kernelCost.ts's rules), read off its plan
 * (planForwardJet): each layer dispatch of jetForward.wgsl (both steps of a split first layer)
 * and the boundary dispatch of jetBoundary.wgsl. Pure.
 */
import type { ForwardJetPlan, LayerDispatch, PlannedDispatch } from './forwardJet.ts';
import {
  ACTIVATION_SEED_FLOPS,
  type KernelCost,
  REDRAWN_COORDINATE,
  REDRAWN_QUAD_COORDINATE,
  redrawnTangentFlops,
  sumCosts,
  wordCost,
} from './kernelCost.ts';

// The override codes of lib/activations.wgsl and lib/layerInput.wgsl.
const LINEAR = 0;
const TANH = 1;
const SIN = 2;
const SOFTPLUS = 3;
const IDENTITY = 4;
const INPUT_DENSE = 1;
const INPUT_ONE_HOT = 2;
/** lib/ballPoints.wgsl's POINTS: x redrawn where it is read. */
const POINTS_REGENERATED = 1;
/** jetForward.wgsl: each invocation's register block is 4 × 4 (row, output) pairs. */
const MICRO_TILE = 4;

/** Σ_{k=1..n} f(k). */
function sumOver(n: number, f: (k: number) => number): number {
  let total = 0;
  for (let k = 1; k <= n; k++) total += f(k);
  return total;
}

/**
 * FLOPs of jetForward.wgsl's taylorRule for one direction: s_k = (1/k)·Σ_j j·z_j·D_{k−j} (3 per
 * term and a divide) and σ's own recurrence for D_k, up to `n`; then the collapsed top row's share.
 */
export function taylorRuleFlops(
  activation: number,
  n: number,
  order: number,
  collapsed: boolean,
): number {
  const recurrence = (k: number): number => {
    if (activation === TANH) return 2 * (k + 1);
    if (activation === SIN) return 3 * k + 1;
    if (activation === SOFTPLUS) return 3 * k + 1 + 2 * (k + 1) + 1;
    return 0;
  };
  const top = collapsed ? 3 * (order - 1) + 1 : 0;
  return sumOver(n, (k) => 3 * k + 1 + recurrence(k)) + top;
}

/** The point groups of a layer dispatch: how many hold `points` points each. */
function pointGroupSizes(points: number, perGroup: number): { count: number; points: number }[] {
  const full = Math.floor(points / perGroup);
  const rest = points - full * perGroup;
  return [
    { count: full, points: perGroup },
    { count: rest > 0 ? 1 : 0, points: rest },
  ].filter((g) => g.count > 0);
}

/** The K blocks of a split first layer: how many span `inputs` each ({count, inputs}). */
function blockSizes(inputs: number, blockInner: number): { count: number; inputs: number }[] {
  if (!blockInner) return [{ count: 1, inputs }];
  return pointGroupSizes(inputs, blockInner).map((b) => ({ count: b.count, inputs: b.points }));
}

/**
 * One dispatch of jetForward.wgsl: `layer` is the tiled product (phase 1), then σ's rule (phase
 * 2); a split first layer's partialProducts is phase 1 per K block without the bias, and its
 * sumPartials adds the blocks' partials and the bias, then phase 2.
 */
export function forwardLayerCost(layer: LayerDispatch): KernelCost {
  const c = layer.constants;
  const v = layer.params.values as Record<string, number>;
  // A dispatch covers its parameter block's output units (all of them for one block).
  const { points: N, directions: R, rowsPerPoint: V, inputs, blockOutputs: outputs } = v;
  const K = c.ORDER;
  const collapsed = c.COLLAPSED === 1;
  const orders = collapsed ? K - 1 : K;
  const oneHot = c.INPUT === INPUT_ONE_HOT;
  const tileRows = (c.WORKGROUP_SIZE / c.THREADS_OUTS) * MICRO_TILE;
  const outputTiles = layer.grid[0];
  // Words of the input jet a point's multiplied rows load per input coordinate: one per row, but
  // the first layer with dense tangents sums R tangents into its collapsed top row.
  const inputWordsPerPoint = oneHot
    ? 1
    : c.INPUT === INPUT_DENSE
      ? 1 + R * orders + (collapsed ? R : 0)
      : V;
  const rowsMultiplied = oneHot ? 1 : V;
  // Regenerated points: each load of x is a redraw. Regenerated dense tangents: each load of a
  // tangent word is a redraw, and loads nothing.
  const redrawn = c.POINTS === POINTS_REGENERATED;
  // jetForward.wgsl POINT_QUADS: a one-hot layer's tiles redraw x four inputs at a time.
  const coordinate =
    oneHot && c.TILE_INNER % 4 === 0 ? REDRAWN_QUAD_COORDINATE : REDRAWN_COORDINATE;
  const tangentRedraw = redrawnTangentCost(layer);
  const tangentWordsPerPoint = c.INPUT === INPUT_DENSE ? inputWordsPerPoint - 1 : 0;
  let read = 0;
  let written = 0;
  let flops = 0;
  if (layer.entryPoint === 'sumPartials') {
    // Per multiplied row and output: every block's partial, S − 1 adds; the bias on value rows.
    const splits = Math.ceil(inputs / c.BLOCK_INNER);
    const rows = N * rowsMultiplied;
    read += rows * outputs * splits + N * outputs;
    written += rows * outputs;
    flops += rows * outputs * (splits - 1) + N * outputs;
  } else {
    // Phase 1: every output tile of a point group stages the group's rows, and every row chunk
    // stages its tile's weights (the tiles' weights add up to W), once per K block of a split
    // layer. The fused layer adds the bias to value rows as it stores them; a split layer stores
    // each block's sums, and sumPartials adds the bias.
    const fused = layer.entryPoint === 'layer';
    for (const group of pointGroupSizes(N, v.pointsPerGroup)) {
      const rows = group.points * rowsMultiplied;
      const chunks = Math.ceil(rows / tileRows);
      for (const block of blockSizes(inputs, fused ? 0 : c.BLOCK_INNER)) {
        const n = group.count * block.count;
        // The input rows' loads; a dense first layer's are x's (one word a point) and the
        // tangents' (the rest).
        const loads = n * outputTiles * group.points * block.inputs;
        const tangentLoads = loads * tangentWordsPerPoint;
        const xLoads = loads * inputWordsPerPoint - tangentLoads;
        read += xLoads * (redrawn ? coordinate.words : 1);
        if (redrawn) flops += xLoads * coordinate.flops;
        if (tangentRedraw === null) read += tangentLoads;
        else flops += tangentLoads * tangentRedraw;
        read += n * chunks * outputs * block.inputs;
        written += n * rows * outputs;
        flops += n * 2 * rows * block.inputs * outputs;
        if (c.INPUT === INPUT_DENSE && collapsed) {
          flops += n * outputTiles * group.points * (R - 1) * block.inputs;
        }
      }
      if (fused) {
        read += group.count * group.points * outputs;
        flops += group.count * group.points * outputs;
      }
    }
    if (!fused) return wordCost(flops, read, written);
  }
  if (c.ACTIVATION === LINEAR && !oneHot) return wordCost(flops, read, written);
  // Phase 2, per unit (point, output): z_0, then the direction rows (gathered from W's columns
  // for one-hot tangents: index, coefficient and weight per slot), then σ's rule on every row.
  const units = N * outputs;
  read += units;
  if (oneHot) {
    const gathered = R * orders + (collapsed ? R : 0);
    read += units * 3 * gathered;
    written += units * (R * orders + (collapsed ? 1 : 0));
    flops += units * (R * orders + (collapsed ? 2 * R : 0));
  } else {
    read += units * (V - 1);
  }
  if (c.ACTIVATION !== LINEAR) {
    written += units * V;
    const seed = c.ACTIVATION === IDENTITY ? 0 : ACTIVATION_SEED_FLOPS;
    const rule = R * taylorRuleFlops(c.ACTIVATION, orders, K, collapsed);
    flops += units * (seed + rule + (collapsed ? 2 : 0));
  }
  return wordCost(flops, read, written);
}

/** FLOPs per dense tangent coefficient of a dispatch that redraws them (TANGENTS = 1); else null. */
export function redrawnTangentCost(dispatch: PlannedDispatch): number | null {
  if (dispatch.constants.TANGENTS !== 1) return null;
  return redrawnTangentFlops(dispatch.constants.GAUSSIAN_TANGENTS === 1);
}

/**
 * The terms Σ_{i+j=k} c_i·c_j of q_1..q_K over one direction's d coordinates: x and the K
 * coefficients per coordinate (redrawn tangents load only x and draw the K coefficients).
 */
function denseTermsCost(boundary: PlannedDispatch): { words: number; flops: number } {
  const K = boundary.constants.ORDER;
  const d = (boundary.params.values as Record<string, number>).dim;
  const tangentRedraw = redrawnTangentCost(boundary);
  // Regenerated points redraw x_i for every direction: a normal per coordinate and direction.
  const redrawn = boundary.constants.POINTS === POINTS_REGENERATED;
  const series = sumOver(K, (k) => 2 * (k + 1));
  return {
    words: d * ((redrawn ? REDRAWN_COORDINATE.words : 1) + (tangentRedraw === null ? K : 0)),
    flops:
      d *
      (series +
        (redrawn ? REDRAWN_COORDINATE.flops : 0) +
        (tangentRedraw === null ? 0 : K * tangentRedraw)),
  };
}

/**
 * jetBoundary.wgsl denseNormBlocks: every (point, direction)'s terms over d in S blocks, each
 * block's K shares added in a tree of WORKGROUP_SIZE and stored.
 */
export function boundaryNormsCost(boundary: PlannedDispatch): KernelCost {
  const v = boundary.params.values as Record<string, number>;
  const K = boundary.constants.ORDER;
  const jets = v.points * v.directions;
  const terms = denseTermsCost(boundary);
  const tree = v.blocks * K * (boundary.constants.WORKGROUP_SIZE - 1);
  return wordCost(jets * (terms.flops + tree), jets * terms.words, jets * v.blocks * K);
}

/** jetBoundary.wgsl: b(g(t)) = 1 − |g(t)|² per point and direction, then u = b·m per output. */
export function boundaryCost(boundary: PlannedDispatch): KernelCost {
  const c = boundary.constants;
  const v = boundary.params.values as Record<string, number>;
  const { points: N, directions: R, rowsPerPoint: V, dim: d, outputs: h } = v;
  const K = c.ORDER;
  const collapsed = c.COLLAPSED === 1;
  const orders = collapsed ? K - 1 : K;
  const series = (n: number): number => sumOver(n, (k) => 2 * (k + 1));
  // |x|² (or the draw's, DRAWN_NORMS: one word), then the series of |g(t)|² per direction:
  // one-hot reads index, coefficient and x[index] per slot, regenerated points redrawing
  // x[index]; dense reads x and every order's tangent per coordinate.
  const redrawn = c.POINTS === POINTS_REGENERATED;
  const drawnNorms = c.DRAWN_NORMS === 1;
  let read = drawnNorms ? 1 : d;
  let flops = drawnNorms ? 0 : 2 * d;
  if (c.ONE_HOT === 1) {
    read += R * K * (redrawn ? 2 + REDRAWN_COORDINATE.words : 3);
    flops += R * K * (redrawn ? REDRAWN_COORDINATE.flops : 0);
    flops += R * sumOver(K, (k) => 2 + 2 * (k - 1));
  } else if (v.blocks > 0) {
    // denseNormBlocks summed the coordinates (boundaryNormsCost): S shares per order to add.
    read += R * K * v.blocks;
    flops += R * K * (v.blocks - 1);
  } else {
    const terms = denseTermsCost(boundary);
    read += R * terms.words;
    flops += R * terms.flops;
  }
  // Each power of b past the first: one product series per direction (and b₀'s product).
  flops += (c.POWER - 1) * R * (series(K) + 2);
  let written = V;
  // u = b·m per output: m's rows, b's rows re-read per output and direction, the product series.
  read += h * (1 + R * 2 * orders + (collapsed ? 2 : 0));
  written += h * V;
  flops += h * (1 + R * series(orders) + (collapsed ? 4 + R * 2 * (K - 1) : 0));
  return wordCost(N * flops, N * read, N * written);
}

/** Every dispatch of the forward pass `plan` records. */
export function forwardJetCost(plan: ForwardJetPlan): KernelCost {
  return sumCosts([
    ...plan.layers.map(forwardLayerCost),
    ...(plan.split ? [forwardLayerCost(plan.split.sum)] : []),
    ...plan.moreBlocks
      .flatMap((more) => [more.product, ...(more.sum ? [more.sum] : [])])
      .map(forwardLayerCost),
    ...(plan.boundary ? [boundaryCost(plan.boundary)] : []),
  ]);
}
