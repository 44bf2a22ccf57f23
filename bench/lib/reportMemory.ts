/**
 * BENCHMARKS.md's memory per parameter by mode: the training plan's numbers at STDE's setup
 * (src/train/parameterMemory.ts), computed when the report is built, for a few stated device
 * limits. These are plans, not measurements; the plan is what a build allocates
 * (test/gpu/trainingPlans.test.ts).
 */
import { allocatedBytes, largestPlanned, plannedBytes } from '../../src/gpu/bufferPlan.ts';
import {
  bufferLimit,
  completeLimits,
  DEFAULT_MEMORY_BUDGET_BYTES,
  estimateMemory,
  formatBytes,
  type MemoryLimits,
  memoryProblem,
} from '../../src/train/memoryBudget.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../../src/train/options.ts';
import {
  describeLargestDimension,
  memoryModes,
  type ModeMemory,
  modeMemory,
} from '../../src/train/parameterMemory.ts';
import { parameterTraffic } from '../../src/train/enginePlans.ts';
import { DEFAULT_TRAINING_LIMITS, planTrainingParts } from '../../src/train/trainingPlan.ts';
import { dLabel } from './reportSections.ts';
import { SCALE_SETUP } from './scaleTypes.ts';

/**
 * STDE's setup (bench:scale's, SCALE_SETUP) with Adam and STDE's 20 000 test points (the
 * trainer's default), which the largest d that fits counts.
 */
const STDE_SETUP: TrainingOptions = resolveTrainingOptions({
  ...SCALE_SETUP,
  testPoints: 20_000,
  optimizer: 'adam',
});
const GiB = 2 ** 30;

/** The device limits the largest d is given for, each with the CLI's default budget. */
export const MEMORY_LIMIT_SETS: readonly {
  column: string;
  description: string;
  limits: MemoryLimits;
}[] = [
  {
    column: 'WebGPU defaults',
    description: '128 MiB per binding, 256 MiB per buffer: what every adapter grants',
    limits: {
      maxStorageBufferBindingSize: DEFAULT_TRAINING_LIMITS.maxStorageBufferBindingSize,
      maxBufferSize: 2 ** 28,
    },
  },
  {
    column: 'SwiftShader',
    description: 'its 1 GiB per binding and buffer here',
    limits: { maxStorageBufferBindingSize: GiB, maxBufferSize: GiB },
  },
  {
    column: '4 GiB adapter',
    description: 'one that binds 4 GiB per binding and buffer',
    limits: { maxStorageBufferBindingSize: 4 * GiB, maxBufferSize: 4 * GiB },
  },
];
/** The totals are planned with SwiftShader's limits, as § 1's memory table is. */
const TOTALS_LIMITS = MEMORY_LIMIT_SETS[1].limits;
const TOTAL_DIMENSIONS = [1_000_000, 10_000_000];

function available(memory: ModeMemory): Extract<ModeMemory, { available: true }> {
  if (!memory.available) throw new Error(`${memory.mode.label}: ${memory.reason}`);
  return memory;
}

function totalCell(memory: Extract<ModeMemory, { available: true }>): string {
  const perParameter = memory.totalBytes / memory.parameterCount;
  return (
    `${formatBytes(memory.totalBytes)} (${perParameter.toFixed(1)} B/param in all)` +
    (memory.fits ? '' : ', does not fit')
  );
}

/** The evaluation's bytes in a run's plan: its test-set batch (at most one binding and 256 MiB of points). */
function testSetBytes(options: TrainingOptions, limits: MemoryLimits): number {
  const { parts } = planTrainingParts(options, completeLimits(limits));
  const evaluation = parts.find((p) => p.name === 'evaluation');
  return evaluation ? plannedBytes(evaluation.buffers) : 0;
}

/**
 * Why d one past the largest that fits is refused, for backprop + Adam on each limit set, with
 * the buffer that meets the binding limit or the test set's share of the total.
 */
function bindingLines(): string[] {
  const mode = memoryModes('adam')[0];
  return MEMORY_LIMIT_SETS.map(({ column, limits }) => {
    const largest = available(modeMemory(STDE_SETUP, mode, limits)).largestDimension ?? 0;
    const past = { ...STDE_SETUP, dimension: largest + 1 };
    const estimate = estimateMemory(past, limits.maxStorageBufferBindingSize, limits);
    const buffer = largestPlanned(estimate.planned);
    const why =
      buffer && allocatedBytes(buffer.bytes) > bufferLimit(limits)
        ? `its largest buffer is ${buffer.label}`
        : `the test set’s batch is ${formatBytes(testSetBytes(past, limits))} of it`;
    return `- ${column}, d = ${largest + 1}: ${memoryProblem(estimate, limits) ?? 'fits'}; ${why}`;
  });
}

export function parameterMemorySection(): string[] {
  const rows = memoryModes('adam').flatMap((mode) =>
    [true, false].map((rollback) => {
      const execution = { rollback };
      const totals = TOTAL_DIMENSIONS.map((dimension) =>
        available(modeMemory({ ...STDE_SETUP, dimension }, mode, TOTALS_LIMITS, execution)),
      );
      const largest = MEMORY_LIMIT_SETS.map(({ limits }) =>
        describeLargestDimension(
          available(modeMemory(STDE_SETUP, mode, limits, execution)).largestDimension,
        ),
      );
      return [
        mode.label,
        rollback ? 'kept' : 'dropped',
        totals[0].bytesPerParameter.toFixed(1),
        ...totals.map(totalCell),
        ...largest,
      ];
    }),
  );
  const leanest = available(
    modeMemory(
      { ...STDE_SETUP, gradientEstimator: 'spsa', optimizer: 'sgd' },
      memoryModes('sgd')[2],
      TOTALS_LIMITS,
      { rollback: false },
    ),
  );
  return [
    '### Memory per parameter by mode',
    '',
    'Planned, not measured: the training plan (`src/train/parameterMemory.ts`, the plan the memory ' +
      'check refuses runs with, whose bytes are what a build allocates) at STDE’s setup: two-body ' +
      'Allen–Cahn, 3 × 128 tanh, 100 points, sparse B = 16 collapsed, 20 000 test points; the ' +
      'backprop-free modes with Adam. Bytes per parameter are those of the buffers the parameter ' +
      'vector sizes (θ, the gradient, the optimizer’s state, the rollback copy, the divergence ' +
      'guard’s reduction), as their slope in the parameter count; the jets and points of the ' +
      `batch and the test set are in the totals (planned with SwiftShader’s limits). The largest d ` +
      'keeps the rest of the setup and the default budget of ' +
      `${formatBytes(DEFAULT_MEMORY_BUDGET_BYTES)} (\`--memory-budget\`), on ` +
      `${MEMORY_LIMIT_SETS.map((s) => `${s.description} (${s.column})`).join(', ')}. The test set ` +
      'is evaluated in batches of as many points as one binding holds, so a larger binding ' +
      'also holds a larger batch. The rollback copy (`--no-rollback` drops it) is the ' +
      'optimizer’s copy of the step before.',
    '',
    `| mode | rollback copy | B/param | ${TOTAL_DIMENSIONS.map((d) => `plan at d = ${dLabel(d)}`).join(' | ')} | ${MEMORY_LIMIT_SETS.map((s) => `largest d, ${s.column}`).join(' | ')} |`,
    `|---|---|---|${TOTAL_DIMENSIONS.map(() => '---|').join('')}${MEMORY_LIMIT_SETS.map(() => '---|').join('')}`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    'What refuses backprop + Adam (rollback copy kept) one past its largest d:',
    '',
    ...bindingLines(),
    '',
    `With SGD and without the rollback copy, SPSA holds ${leanest.bytesPerParameter.toFixed(1)} ` +
      `B per parameter, ${(leanest.bytesPerParameter / 4).toFixed(1)}× the weights’ bytes.`,
    '',
  ];
}

/**
 * The targets table's row for the bytes a backprop + Adam step moves per parameter outside the
 * jets (the gradient's write, the guard's read, the update's reads and writes), counted from the
 * plans (src/train/enginePlans.ts parameterTraffic) with the rollback copy off, as the target
 * asks, and on.
 */
export function trafficTargetRow(): string[] {
  const off = parameterTraffic('adam', false, DEFAULT_TRAINING_LIMITS);
  const on = parameterTraffic('adam', true, DEFAULT_TRAINING_LIMITS);
  const parts = (t: typeof off) =>
    `g written ${t.gradient}, guard ${t.guard}, update ${t.optimizer.read} read + ` +
    `${t.optimizer.written} written`;
  return [
    'Bytes moved per parameter per step, backprop + Adam, rollback copy off: ≤ 32',
    `${off.total} (${parts(off)}; a logging step adds ${off.perLoggedStep} for the norm); ` +
      `${on.total} with the copy (${parts(on)}); counted from the plans, not timed`,
    off.total <= 32 ? '**met**' : '**not met**',
  ];
}
