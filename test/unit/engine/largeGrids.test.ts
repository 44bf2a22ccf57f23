/**
 * Every dispatch grid a training step of the scale benchmark plans at d = 10⁷ (bench/lib/scaleRun.ts
 * scaleConfigs and scaleOptions: 3 × 128 tanh, 100 points, one-hot sparse tangents, regenerated
 * points; backprop + Adam, SPSA + SGD, subspace SPSA + SGD) fits WebGPU's default
 * maxComputeWorkgroupsPerDimension of 65 535, with θ in the parameter blocks SwiftShader's 1 GiB
 * binding and buffer limits give (trainingParameterBlocks): ComputeKernel.dispatch refuses a grid
 * past the device's limit at encode time, so one oversized dimension stops the run. Collected from
 * the plans the builds dispatch: the point draw, the random jets, the exact source, the loss and
 * its reduction, the forward and backward jets, the SPSA directions, the optimizer and the
 * divergence guard, and the evaluation Trainer.create builds. A kernel that takes a workgroup
 * count (ComputeKernel.dispatchFolded) gets dispatchGrid's fold of it; the others, their planned
 * grids. The first layer's weight gradient (jetBackwardWeights.wgsl) had 156 250 column tiles on
 * x at this size before its items were folded over y and z.
 */
import { describe, expect, it } from 'vitest';
import { scaleConfigs, scaleOptions } from '../../../bench/lib/scaleRun.ts';
import { planBackwardJet } from '../../../src/engine/backwardJet.ts';
import { planDivergenceGuard } from '../../../src/engine/divergenceGuard.ts';
import { planForwardJet, type ForwardJetConfig } from '../../../src/engine/forwardJet.ts';
import { planOptimizer } from '../../../src/engine/optimizers.ts';
import type { ParameterBlocks } from '../../../src/engine/parameterBlocks.ts';
import { planReducer } from '../../../src/engine/reductions.ts';
import { dispatchGrid } from '../../../src/gpu/dispatch.ts';
import type { BallPdeEntry } from '../../../src/pdes/index.ts';
import type { PointDrawPlan } from '../../../src/random/gpuPointSamplers.ts';
import type { ExactAtPointsPlan } from '../../../src/train/ballExactAtPoints.ts';
import { planBallEvaluation } from '../../../src/train/ballEvaluation.ts';
import { planBallGraph } from '../../../src/train/ballProblemGraph.ts';
import { architectureOf, pdeOf, type TrainingOptions } from '../../../src/train/options.ts';
import { planZerothOrder } from '../../../src/train/zerothOrder.ts';
import { zerothOrderConfig } from '../../../src/train/gradientEstimator.ts';
import {
  DEFAULT_TRAINING_LIMITS,
  trainingParameterBlocks,
} from '../../../src/train/trainingPlan.ts';

const GiB = 2 ** 30;
const MAX = 65_535;
/** WebGPU's default limits, with SwiftShader's 1 GiB per binding and per buffer. */
const limits = {
  ...DEFAULT_TRAINING_LIMITS,
  maxComputeWorkgroupsPerDimension: MAX,
  maxStorageBufferBindingSize: GiB,
  maxBufferSize: GiB,
};
const D = 10_000_000;

type Grid = readonly [number, number, number];
interface Dispatch {
  label: string;
  grid: Grid;
}

/** A kernel dispatched with ComputeKernel.dispatchFolded: the grid it records. */
const folded = (label: string, workgroups: number): Dispatch => ({
  label,
  grid: dispatchGrid(workgroups, limits),
});

function drawDispatches(label: string, plan: PointDrawPlan): Dispatch[] {
  return plan.dispatches.map((d) => folded(`${label} ${d.kernel}`, d.workgroups));
}

function exactDispatches(label: string, plan: ExactAtPointsPlan): Dispatch[] {
  return plan.dispatch.dispatches.map((d) => folded(`${label} ${d.entryPoint}`, d.workgroups));
}

function forwardDispatches(label: string, config: ForwardJetConfig): Dispatch[] {
  const plan = planForwardJet(config, limits, { externalInputs: true });
  return [
    ...plan.layers.map((layer, l) => ({
      label: `${label} layer ${l} ${layer.entryPoint}`,
      ...layer,
    })),
    ...plan.moreBlocks.flatMap((more) => [
      { label: `${label} layer 0 block ${more.block} ${more.product.entryPoint}`, ...more.product },
      ...(more.sum ? [{ label: `${label} layer 0 block ${more.block} sum`, ...more.sum }] : []),
    ]),
    ...(plan.split ? [{ label: `${label} layer 0 sum`, grid: plan.split.sum.grid }] : []),
    ...(plan.boundary ? [{ label: `${label} boundary`, grid: plan.boundary.grid }] : []),
  ];
}

/** The step's problem graph: draw, jets, exact source, forward, loss, backward (backprop). */
function graphDispatches(
  options: TrainingOptions,
  pde: BallPdeEntry,
  blocks: ParameterBlocks,
): Dispatch[] {
  const architecture = architectureOf(options);
  const graph = planBallGraph(pde, options, architecture, limits, blocks);
  const { config } = graph.forward;
  const backward = graph.backward
    ? planBackwardJet(
        {
          architecture,
          shape: graph.shape,
          tangentKind: graph.tangentKind,
          points: config.points,
          parameterBlocks: blocks,
        },
        limits,
      ).steps.map((s) => ({ label: s.params.buffer.label, grid: s.grid }))
    : [];
  if (graph.loss.kind !== 'residual') throw new Error('the scale problem has a residual loss');
  return [
    ...drawDispatches('draw', graph.pointDraw),
    ...(graph.jets.kind === 'random' ? [folded('random jets', graph.jets.plan.workgroups)] : []),
    ...exactDispatches('source', graph.exact),
    ...forwardDispatches('forward', config),
    // ResidualLoss.record dispatches its count along x alone.
    { label: 'residual loss', grid: [graph.loss.plan.workgroups, 1, 1] },
    ...planReducer(graph.points, {}, limits).passes.map((p, k) =>
      folded(`loss reduction pass ${k}`, p.workgroups),
    ),
    ...backward,
  ];
}

/** The SPSA estimate: a perturb per trial point and block, a combine per block, summarize. */
function zerothOrderDispatches(
  options: TrainingOptions,
  widths: readonly number[],
  blocks: ParameterBlocks,
): Dispatch[] {
  const plan = planZerothOrder(zerothOrderConfig(options, widths, blocks));
  const size = plan.directions.constants.perturb.WORKGROUP_SIZE;
  return [
    ...plan.blocks.blocks.flatMap((block, k) => [
      folded(`perturb block ${k}`, Math.ceil(block.count / size)),
      folded(`combine block ${k}`, Math.ceil(block.count / size)),
    ]),
    { label: 'summarize', grid: [1, 1, 1] },
  ];
}

/** The optimizer (a dispatch per block) and the guard (scan, reduction, combine, check). */
function updateDispatches(options: TrainingOptions, blocks: ParameterBlocks): Dispatch[] {
  const kind = options.optimizer === 'adam' ? 'adam' : 'sgd';
  const optimizer = planOptimizer(
    { kind, parameterCount: blocks.count, blocks, rollback: false },
    limits,
  );
  const guard = planDivergenceGuard(
    { gradientCount: blocks.count, blocks, rollback: false },
    limits,
  );
  return [
    ...optimizer.blockWorkgroups.map((w, k) => folded(`${kind} block ${k}`, w)),
    ...guard.scan.workgroups.map((w, k) => folded(`guard scan block ${k}`, w)),
    ...guard.reduction.reductions.flatMap((r, k) =>
      r.passes.map((p, pass) => folded(`guard reduction block ${k} pass ${pass}`, p.workgroups)),
    ),
    // combine_blocks, check_step, the latch and the notes: one workgroup each.
    { label: 'guard single-workgroup kernels', grid: [1, 1, 1] },
  ];
}

/** Every dispatch Trainer.create's parts plan for the scale configuration `config` at d. */
function scaleDispatches(config: ReturnType<typeof scaleConfigs>[number]): {
  blocks: ParameterBlocks;
  dispatches: Dispatch[];
} {
  const options = scaleOptions(config, D);
  const { widths } = architectureOf(options);
  const pde = pdeOf(options) as BallPdeEntry;
  const blocks = trainingParameterBlocks(widths, limits);
  const evaluation = planBallEvaluation(pde, options, architectureOf(options), limits, blocks);
  const dispatches = [
    ...graphDispatches(options, pde, blocks),
    ...(config.gradientEstimator === 'backprop'
      ? []
      : zerothOrderDispatches(options, widths, blocks)),
    ...updateDispatches(options, blocks),
    ...drawDispatches('evaluation draw', evaluation.points),
    ...forwardDispatches('evaluation forward', evaluation.forward),
    ...exactDispatches('evaluation exact', evaluation.exact),
  ];
  return { blocks, dispatches };
}

describe('dispatch grids at d = 10⁷', () => {
  for (const config of scaleConfigs()) {
    it(`${config.label}: every planned grid dimension is at most ${MAX}`, () => {
      const { blocks, dispatches } = scaleDispatches(config);
      expect(scaleOptions(config, D).pointStorage).toBe('regenerated');
      // 1.28 G parameters in 5 blocks of at most 1 GiB.
      expect(blocks.blocks.length).toBe(5);
      const over = dispatches.filter((d) => d.grid.some((n) => !Number.isInteger(n) || n > MAX));
      expect(over).toEqual([]);
      expect(dispatches.every((d) => d.grid.every((n) => n >= 1))).toBe(true);
      // The largest dispatches do fold: ≥ 65 535 workgroups along one axis, more along another.
      expect(dispatches.some((d) => d.grid[0] === MAX && d.grid[1] > 1)).toBe(true);
    });
  }

  it("folds the first layer's weight gradient: 156 250 column tiles per block of W₁ rows", () => {
    const [backprop] = scaleConfigs();
    const weights = scaleDispatches(backprop).dispatches.filter((d) =>
      /layer 0 block \d weight gradient/.test(d.label),
    );
    // Row tiles on x, the column tiles over y and z: 3 rows of 65 535 for 156 250.
    expect(weights.map((d) => d.grid)).toEqual([0, 1, 2, 3, 4].map(() => [1, MAX, 3]));
  });
});
