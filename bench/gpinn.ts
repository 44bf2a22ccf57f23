// gPINN against the plain residual loss at equal steps on two-body Allen–Cahn: for each setup a
// plain run and a run with the gPINN term c·mean (∂_j r̂)², the same seed and everything else
// equal, scored by relative L2 / L1 on the test set and by the gradient term mean (∂_j r)² in
// float64 at the initial and final weights (src/train/gpinnRun.ts). The first setup is the
// acceptance test's (test/acceptance/gpinn.test.ts).
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/gpinn.ts
// Writes bench/results/gpinn-<adapter>.json (BENCHMARKS.md § 2 after `npm run bench:report`).
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import {
  GRADIENT_TERM_POINTS,
  SMALL_GPINN_COMPARISON,
  scoredGpinnRun,
} from '../src/train/gpinnRun.ts';
import { GPINN_DEFAULT_WEIGHT, resolveTrainingOptions } from '../src/train/options.ts';
import type { GpinnComparison, GpinnResults } from './lib/gpinnTypes.ts';
import { adapterRecord, finishMachineRecord, machineRecord } from './lib/machine.ts';
import { writeResults } from './lib/results.ts';

const SETUPS: { label: string; options: Record<string, unknown> }[] = [
  { label: 'd = 10, B = 4, 2 × 16, 32 points, 1000 steps', options: SMALL_GPINN_COMPARISON },
  {
    label: 'd = 100, B = 16, 2 × 32, 64 points, 1000 steps',
    options: {
      ...SMALL_GPINN_COMPARISON,
      dimension: 100,
      jetsPerPoint: 16,
      points: 64,
      width: 32,
      firstLayerGain: 10,
    },
  },
];

const machine = machineRecord();
const started = performance.now();
const gpu = await acquireNodeGpu({ largeLimits: true });
const comparisons: GpinnComparison[] = [];
try {
  for (const setup of SETUPS) {
    const options = resolveTrainingOptions(setup.options);
    const plain = await scoredGpinnRun(gpu.device, options);
    const gpinn = await scoredGpinnRun(gpu.device, {
      ...options,
      gpinnWeight: GPINN_DEFAULT_WEIGHT,
    });
    console.log(
      `${setup.label}: rel. L2 plain ${plain.relativeL2.toExponential(2)}, gPINN ` +
        `${gpinn.relativeL2.toExponential(2)}; mean (∂_j r)² plain ` +
        `${plain.gradientTermAfter.toExponential(2)}, gPINN ${gpinn.gradientTermAfter.toExponential(2)}`,
    );
    comparisons.push({
      label: setup.label,
      options,
      gpinnWeight: GPINN_DEFAULT_WEIGHT,
      plain,
      gpinn,
    });
  }
} finally {
  gpu.destroy();
}
const results: GpinnResults = {
  benchmark: 'gpinn',
  date: new Date().toISOString(),
  runSeconds: (performance.now() - started) / 1000,
  machine: finishMachineRecord(machine),
  adapter: adapterRecord(gpu.adapter),
  command: 'npm run bench:gpinn',
  gradientTerm: GRADIENT_TERM_POINTS,
  comparisons,
};
console.log(`wrote ${writeResults(results)}`);
