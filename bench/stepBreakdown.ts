// Where a training step's time goes as d grows: the stages of a Trainer step of two-body
// Allen–Cahn (small setup, sparse B = 16, collapsed), each submitted and timed on its own, at
// d = 100 / 10K / 100K. It explains the t(100K)/t(100) ratio of the scaling sweep: the stages
// whose cost grows with d are the ones to fix first. The stages: bench/lib/breakdownRun.ts (the
// GPU kit runs it too, with GPU timestamps where the adapter has them).
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/stepBreakdown.ts
// Writes bench/results/stepBreakdown-<adapter>.json.
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { defaultBreakdownPlan, runBreakdown } from './lib/breakdownRun.ts';
import { writeResults } from './lib/results.ts';

const gpu = await acquireNodeGpu({ largeLimits: true });
const file = await runBreakdown(gpu, defaultBreakdownPlan).finally(() => gpu.destroy());
console.log(`wrote ${writeResults(file)}`);
