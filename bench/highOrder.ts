// High-order operators: training it/s of the biharmonic (Gaussian 4-jets, a Trainer step) and of
// the diagonal 4th-order operator (a jet step: forward, backward, Adam), standard vs collapsed;
// then 2-D KdV, 2-D KP and 1-D g-KdV across the network sizes of STDE's Table 11 (L = 4 / 8 / 16
// hidden layers at h = 128; h = 256 / 512 / 1024 at L = 4) as Trainer steps, with the test error
// after the timed steps. Sizes the run's budget cannot hold are recorded as not run,
// with the step time predicted from the smallest size (cost ∝ L·h²). The benchmark itself is
// bench/lib/highOrderRun.ts (the GPU kit runs it too).
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/highOrder.ts
//          [--budget-s 180]
// Writes bench/results/highOrder-<adapter>.json.
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { numberFlag } from './lib/args.ts';
import { defaultHighOrderPlan, runHighOrder } from './lib/highOrderRun.ts';
import { writeResults } from './lib/results.ts';

const budgetS = numberFlag('budget-s', 180);
const gpu = await acquireNodeGpu({ largeLimits: true });
const file = await runHighOrder(gpu, defaultHighOrderPlan(budgetS)).finally(() => gpu.destroy());
console.log(`wrote ${writeResults(file)}`);
