// Scaling in d: training it/s and GPU bytes of two-body Allen–Cahn for d = 10 … 1M, per estimator
// (sparse STDE B = 16 / 100, dense Hutchinson, exact), standard vs collapsed channels, on the STDE
// setup (DESIGN.md §4: 100 points, 3 × 128 tanh, Adam) and on a small setup a software adapter
// finishes quickly. Each measured point is the median of timed windows after a warm-up step.
// The sweep itself is bench/lib/scalingRun.ts (the GPU kit runs it too).
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/scaling.ts
//          [--budget-s 480] (wall-clock budget of the whole sweep; the setups share it)
// Writes bench/results/scaling-<adapter>.json.
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { numberFlag } from './lib/args.ts';
import { writeResults } from './lib/results.ts';
import { defaultScalingPlan, runScaling } from './lib/scalingRun.ts';

const budgetS = numberFlag('budget-s', 480);
const gpu = await acquireNodeGpu({ largeLimits: true });
const file = await runScaling(gpu, defaultScalingPlan(budgetS)).finally(() => gpu.destroy());
console.log(`wrote ${writeResults(file)}`);
