// High-order operators: training it/s of the biharmonic (Gaussian 4-jets, a Trainer step) and of
// the diagonal 4th-order operator (a jet step: forward, backward, Adam), standard vs collapsed;
// then the 2-D KdV, 2-D KP and 1-D g-KdV partials across the network sizes of STDE's Table 11
// (L = 4 / 8 / 16 hidden layers at h = 128; h = 256 / 512 / 1024 at L = 4) as jet steps (the
// trainer does not run box problems). Sizes the run's budget cannot hold are recorded as not run,
// with the step time predicted from the smallest size (cost ∝ L·h²).
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/highOrder.ts
//          [--budget-s 180]
// Writes bench/results/highOrder-<adapter>.json.
import { rowsPerPoint } from '../src/engine/jetLayout.ts';
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { diagonalOperator } from '../src/operators/diagonal.ts';
import { gkdv1dOperator } from '../src/operators/gkdv1d.ts';
import { kdv2dOperator } from '../src/operators/kdv2d.ts';
import { kp2dOperator } from '../src/operators/kp2d.ts';
import type { JetOperator } from '../src/operators/operator.ts';
import { resolveTrainingOptions } from '../src/train/options.ts';
import { Trainer } from '../src/train/trainer.ts';
import { numberFlag } from './lib/args.ts';
import { RunBudget } from './lib/budget.ts';
import type { HighOrderResult, HighOrderResults } from './lib/highOrderTypes.ts';
import { createJetStep } from './lib/jetStep.ts';
import { adapterRecord, finishMachineRecord, machineRecord } from './lib/machine.ts';
import { describeOutcome, type Outcome } from './lib/outcome.ts';
import { writeResults } from './lib/results.ts';
import { defaultTimingPlan, type Steppable, timeConfig, timeGroup } from './lib/timeConfig.ts';

const budgetS = numberFlag('budget-s', 180);
const OPERATOR_SETUP = { points: 32, width: 128, depth: 3, jets: 16 };
const TABLE11_POINTS = 100;
const TABLE11_SIZES = [
  { depth: 4, width: 128 },
  { depth: 8, width: 128 },
  { depth: 16, width: 128 },
  { depth: 4, width: 256 },
  { depth: 4, width: 512 },
  { depth: 4, width: 1024 },
];
const BOX_PROBLEMS: { id: string; label: string; operator: () => JetOperator }[] = [
  { id: 'kdv-2d', label: '2-D KdV', operator: () => kdv2dOperator() },
  { id: 'kp-2d', label: '2-D KP', operator: () => kp2dOperator() },
  { id: 'gkdv-1d', label: '1-D g-KdV', operator: () => gkdv1dOperator() },
];

const machine = machineRecord();
const gpu = await acquireNodeGpu({ largeLimits: true });
const device = gpu.device;
const started = performance.now();
const budget = new RunBudget({ totalMs: budgetS * 1000, perConfigMs: 70_000 });
const results: HighOrderResult[] = [];

type Base = Omit<HighOrderResult, keyof Outcome | 'status'>;

function record(base: Base, outcome: Outcome): void {
  console.log(
    `${base.problem} ${base.structure} L=${base.depth} h=${base.width}: ${describeOutcome(outcome)}`,
  );
  results.push({ ...base, ...outcome } as HighOrderResult);
}

try {
  // Biharmonic (the Trainer on the clamped problem in the ball, Gaussian 4-jets) and the diagonal
  // 4th-order operator (sparse one-hot 4-jets, a jet step): each structure pair timed in
  // alternating windows (timeGroup), so the collapsed speedup is not a change in load.
  const { points, width, depth, jets } = OPERATOR_SETUP;
  const structures = ['standard', 'collapsed'] as const;
  const biharmonic = structures.map((structure) => ({
    base: {
      group: 'operators',
      problem: 'biharmonic-gaussian',
      label: 'biharmonic Δ²u, Gaussian 4-jets (B = 16, d = 10)',
      step: 'trainer',
      structure,
      dimension: 10,
      jets,
      order: 4,
      rowsPerPoint: rowsPerPoint({ directions: jets, order: 4, structure }),
      points,
      width,
      depth,
    } satisfies Base,
    build: async (): Promise<Steppable> => {
      const options = resolveTrainingOptions({
        pde: 'biharmonic-clamped-sin-cos',
        dimension: 10,
        estimator: 'gaussian',
        jetsPerPoint: jets,
        collapsed: structure === 'collapsed',
        points,
        width,
        depth,
        steps: 100_000_000,
        logEvery: 1_000_000,
        evalEvery: 0,
        testPoints: points,
      });
      const trainer = await Trainer.create(device, options);
      return {
        run: async (count: number) => {
          await trainer.train(count);
          await device.queue.onSubmittedWorkDone();
        },
        get memoryBytes() {
          return trainer.memoryBytes;
        },
        dispose: () => trainer.dispose(),
      };
    },
  }));
  const diagonal = structures.map((structure) => {
    const operator = diagonalOperator({ dimension: 100, derivativeOrder: 4, samples: jets });
    return {
      base: {
        group: 'operators',
        problem: 'diagonal-4',
        label: 'diagonal Σ ∂⁴u/∂x_i⁴, sparse 4-jets (B = 16, d = 100)',
        step: 'jet step',
        structure,
        dimension: 100,
        jets,
        order: 4,
        rowsPerPoint: rowsPerPoint(operator.shape(points, structure)),
        points,
        width,
        depth,
      } satisfies Base,
      build: () => createJetStep(device, { operator, structure, points, width, depth, seed: 0 }),
    };
  });
  for (const pair of [biharmonic, diagonal]) {
    const slow = budget.refusal(null, 1);
    const outcomes: Outcome[] = slow
      ? pair.map(() => ({ status: 'not-run', reason: slow }))
      : await timeGroup(
          device,
          budget,
          pair.map((p) => p.build),
        );
    pair.forEach((p, k) => record(p.base, outcomes[k]));
  }

  // STDE Table 11 sizes; all three problems at a size before the next size.
  const smallest = new Map<string, number>();
  for (const size of TABLE11_SIZES) {
    for (const problem of BOX_PROBLEMS) {
      const operator = problem.operator();
      const structure = 'standard';
      const base: Base = {
        group: 'table11',
        problem: problem.id,
        label: problem.label,
        step: 'jet step',
        structure,
        dimension: operator.dimension,
        jets: operator.directions,
        order: operator.order,
        rowsPerPoint: rowsPerPoint(operator.shape(TABLE11_POINTS, structure)),
        points: TABLE11_POINTS,
        width: size.width,
        depth: size.depth,
      };
      const reference = smallest.get(problem.id);
      const { depth: L0, width: h0 } = TABLE11_SIZES[0];
      const predicted =
        reference === undefined
          ? null
          : (reference * size.depth * size.width ** 2) / (L0 * h0 ** 2);
      const slow = budget.refusal(
        predicted,
        1 + defaultTimingPlan.minWindows,
        `its L = ${L0}, h = ${h0} step, cost ∝ L·h²`,
      );
      const outcome: Outcome = slow
        ? { status: 'not-run', reason: slow }
        : await timeConfig(device, budget, () =>
            createJetStep(device, {
              operator,
              structure,
              points: TABLE11_POINTS,
              width: size.width,
              depth: size.depth,
              seed: 0,
            }),
          );
      if (reference === undefined && outcome.status === 'measured') {
        smallest.set(problem.id, outcome.msPerStep.median);
      }
      record(base, outcome);
    }
  }
} finally {
  gpu.destroy();
}

const file: HighOrderResults = {
  benchmark: 'highOrder',
  date: new Date().toISOString(),
  runSeconds: (performance.now() - started) / 1000,
  machine: finishMachineRecord(machine),
  adapter: adapterRecord(gpu.adapter),
  command: `npm run bench:high-order -- --budget-s ${budgetS}`,
  timing: defaultTimingPlan,
  budgetSeconds: budgetS,
  results,
};
console.log(`wrote ${writeResults(file)}`);
