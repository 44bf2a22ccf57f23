// Where a training step's time goes as d grows: the stages of a Trainer step of two-body
// Allen–Cahn (small setup, sparse B = 16, collapsed), each submitted and timed on its own, at
// d = 100 / 10K / 100K. It explains the t(100K)/t(100) ratio of the scaling sweep: the stages
// whose cost grows with d are the ones to fix first. The stages: bench/lib/breakdownRun.ts (the
// GPU kit runs it too, with GPU timestamps where the adapter has them).
//
// Every stage also carries its FLOPs and bytes, counted from the kernels' plans, and the GB/s and
// GFLOP/s they imply at the measured time.
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/stepBreakdown.ts
//   [--dims 100,10000,100000,1000000]   the d to run (default 100, 10K, 100K; 1M adds about
//                                       2 minutes on SwiftShader: its first-layer W is 128 MB)
//   [--bandwidth <GB/s> --fp32 <TFLOP/s>]  add each stage's roofline time on that GPU, labelled
//                                       predicted (the GPU kit measures the real one)
// Writes bench/results/stepBreakdown-<adapter>.json.
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { integerListFlag, invocation, stringFlag, numberFlag } from './lib/args.ts';
import { defaultBreakdownPlan, runBreakdown } from './lib/breakdownRun.ts';
import { writeResults } from './lib/results.ts';

const rated = stringFlag('bandwidth') !== undefined || stringFlag('fp32') !== undefined;
if (rated && (stringFlag('bandwidth') === undefined || stringFlag('fp32') === undefined)) {
  throw new RangeError('a prediction needs both --bandwidth <GB/s> and --fp32 <TFLOP/s>');
}
const plan = {
  ...defaultBreakdownPlan,
  dimensions: integerListFlag('dims', defaultBreakdownPlan.dimensions),
  command: invocation('bench:breakdown'),
  ...(rated
    ? {
        predictFor: { bandwidthGBs: numberFlag('bandwidth', 1), fp32TFlops: numberFlag('fp32', 1) },
      }
    : {}),
};
const gpu = await acquireNodeGpu({ largeLimits: true });
const file = await runBreakdown(gpu, plan).finally(() => gpu.destroy());
console.log(`wrote ${writeResults(file)}`);
