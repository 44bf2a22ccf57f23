/**
 * The high-order benchmark as a function (bench/highOrder.ts is its command line, the GPU kit
 * another caller): training it/s of the biharmonic (Gaussian 4-jets, a Trainer step) and of the
 * diagonal 4th-order operator (a jet step: forward, backward, Adam), standard vs collapsed; then
 * 2-D KdV, 2-D KP and 1-D g-KdV across the network sizes of STDE's Table 11 as Trainer steps
 * (residuals, data loss, backward, Adam), each with its test error after the timed steps. Sizes
 * the run's budget cannot hold are recorded as not run, with the step time predicted from the
 * smallest size (cost ∝ L·h²).
 */
import { rowsPerPoint } from '../../src/engine/jetLayout.ts';
import type { GpuContext } from '../../src/gpu/acquireDevice.ts';
import { diagonalOperator } from '../../src/operators/diagonal.ts';
import { findPde } from '../../src/pdes/index.ts';
import { resolveTrainingOptions } from '../../src/train/options.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { RunBudget } from './budget.ts';
import type { HighOrderResult, HighOrderResults } from './highOrderTypes.ts';
import { createJetStep } from './jetStep.ts';
import { adapterRecord, finishMachineRecord, machineRecord } from './machine.ts';
import { describeOutcome, type Outcome } from './outcome.ts';
import {
  defaultTimingPlan,
  type Steppable,
  type TimingPlan,
  timeConfig,
  timeGroup,
} from './timeConfig.ts';

export interface HighOrderPlan {
  /** The biharmonic and diagonal operators' network and batch. */
  operatorSetup: { points: number; width: number; depth: number; jets: number };
  table11Points: number;
  /** STDE Table 11 sizes; the first is the reference the others' step times are predicted from. */
  table11Sizes: { depth: number; width: number }[];
  timing: TimingPlan;
  budgetSeconds: number;
  perConfigMs: number;
  command: string;
  log?: (line: string) => void;
  /** The results so far, after every configuration (the kit writes them as it goes). */
  onProgress?: (partial: HighOrderResults) => void;
}

export const defaultHighOrderPlan = (budgetSeconds: number): HighOrderPlan => ({
  operatorSetup: { points: 32, width: 128, depth: 3, jets: 16 },
  table11Points: 100,
  table11Sizes: [
    { depth: 4, width: 128 },
    { depth: 8, width: 128 },
    { depth: 16, width: 128 },
    { depth: 4, width: 256 },
    { depth: 4, width: 512 },
    { depth: 4, width: 1024 },
  ],
  timing: defaultTimingPlan,
  budgetSeconds,
  perConfigMs: 70_000,
  command: `npm run bench:high-order -- --budget-s ${budgetSeconds}`,
});

const BOX_PROBLEMS: { id: string; label: string }[] = [
  { id: 'kdv-2d', label: '2-D KdV' },
  { id: 'kp-2d', label: '2-D KP' },
  { id: 'gkdv-1d', label: '1-D g-KdV' },
];

type Base = Omit<HighOrderResult, keyof Outcome | 'status'>;

export async function runHighOrder(
  gpu: GpuContext,
  plan: HighOrderPlan,
): Promise<HighOrderResults> {
  const log = plan.log ?? console.log;
  const machine = machineRecord();
  const device = gpu.device;
  const started = performance.now();
  const budget = new RunBudget({
    totalMs: plan.budgetSeconds * 1000,
    perConfigMs: plan.perConfigMs,
  });
  const results: HighOrderResult[] = [];
  const assemble = (): HighOrderResults => ({
    benchmark: 'highOrder',
    date: new Date().toISOString(),
    runSeconds: (performance.now() - started) / 1000,
    machine: finishMachineRecord(machine),
    adapter: adapterRecord(gpu.adapter),
    command: plan.command,
    timing: plan.timing,
    budgetSeconds: plan.budgetSeconds,
    results,
  });

  function record(base: Base, outcome: Outcome): void {
    log(
      `${base.problem} ${base.structure} L=${base.depth} h=${base.width}: ${describeOutcome(outcome)}`,
    );
    results.push({ ...base, ...outcome } as HighOrderResult);
    plan.onProgress?.(assemble());
  }

  // Biharmonic (the Trainer on the clamped problem in the ball, Gaussian 4-jets) and the diagonal
  // 4th-order operator (sparse one-hot 4-jets, a jet step): each structure pair timed in
  // alternating windows (timeGroup), so the collapsed speedup is not a change in load.
  const { points, width, depth, jets } = plan.operatorSetup;
  const structures = ['standard', 'collapsed'] as const;
  const biharmonic = structures.map((structure) => ({
    base: {
      group: 'operators',
      problem: 'biharmonic-gaussian',
      label: `biharmonic Δ²u, Gaussian 4-jets (B = ${jets}, d = 10)`,
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
      return steppable(device, await Trainer.create(device, options), true);
    },
  }));
  const diagonal = structures.map((structure) => {
    const operator = diagonalOperator({ dimension: 100, derivativeOrder: 4, samples: jets });
    return {
      base: {
        group: 'operators',
        problem: 'diagonal-4',
        label: `diagonal Σ ∂⁴u/∂x_i⁴, sparse 4-jets (B = ${jets}, d = 100)`,
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
          plan.timing,
        );
    pair.forEach((p, k) => record(p.base, outcomes[k]));
  }

  // STDE Table 11 sizes; all three problems at a size before the next size. Their constructions
  // read single top-order jets, so they have the standard structure only.
  const smallest = new Map<string, number>();
  for (const size of plan.table11Sizes) {
    for (const problem of BOX_PROBLEMS) {
      const pde = findPde(problem.id);
      if (pde.domain !== 'box') throw new Error(`${problem.id} is not a box problem`);
      const operator = pde.problem.operator();
      const structure = 'standard';
      const base: Base = {
        group: 'table11',
        problem: problem.id,
        label: problem.label,
        step: 'trainer',
        structure,
        dimension: operator.dimension,
        jets: operator.directions,
        order: operator.order,
        rowsPerPoint: rowsPerPoint(operator.shape(plan.table11Points, structure)),
        points: plan.table11Points,
        width: size.width,
        depth: size.depth,
      };
      const reference = smallest.get(problem.id);
      const { depth: L0, width: h0 } = plan.table11Sizes[0];
      const predicted =
        reference === undefined
          ? null
          : (reference * size.depth * size.width ** 2) / (L0 * h0 ** 2);
      const slow = budget.refusal(
        predicted,
        1 + plan.timing.minWindows,
        `its L = ${L0}, h = ${h0} step, cost ∝ L·h²`,
      );
      const trained: { trainer: Trainer | null } = { trainer: null };
      const outcome: Outcome = slow
        ? { status: 'not-run', reason: slow }
        : await timeConfig(
            device,
            budget,
            async () => {
              trained.trainer = await boxTrainer(device, problem.id, plan.table11Points, size);
              return steppable(device, trained.trainer, false);
            },
            plan.timing,
          );
      if (reference === undefined && outcome.status === 'measured') {
        smallest.set(problem.id, outcome.msPerStep.median);
      }
      record({ ...base, ...(await accuracyOf(trained.trainer)) }, outcome);
    }
  }

  return assemble();
}

/** A Trainer as a timed subject; `owns`: disposed with it (else the caller reads it first). */
function steppable(device: GPUDevice, trainer: Trainer, owns: boolean): Steppable {
  return {
    run: async (count: number) => {
      await trainer.train(count);
      await device.queue.onSubmittedWorkDone();
    },
    get memoryBytes() {
      return trainer.memoryBytes;
    },
    dispose: () => {
      if (owns) trainer.dispose();
    },
  };
}

/** A box problem's trainer at a Table 11 size: Adam 1e-3 (linear decay over 10⁸ steps: constant). */
function boxTrainer(
  device: GPUDevice,
  pde: string,
  points: number,
  size: { depth: number; width: number },
): Promise<Trainer> {
  const options = resolveTrainingOptions({
    pde,
    points,
    width: size.width,
    depth: size.depth,
    steps: 100_000_000,
    logEvery: 1_000_000,
    evalEvery: 0,
    testPoints: 4096,
  });
  return Trainer.create(device, options);
}

/** The test error after the timed steps (see HighOrderResult.accuracy), and the trainer freed. */
async function accuracyOf(trainer: Trainer | null): Promise<Pick<HighOrderResult, 'accuracy'>> {
  if (!trainer) return {};
  try {
    if (trainer.step === 0) return {};
    const { relativeL2, relativeL1 } = await trainer.evaluate();
    if (relativeL2 === undefined || relativeL1 === undefined) return {};
    return { accuracy: { steps: trainer.step, relativeL2, relativeL1 } };
  } finally {
    trainer.dispose();
  }
}
