// Fused forward and backward jet kernels against plain tiled matmuls doing the same matrix work, on
// whatever adapter Node gets (Dawn). Ratios are the point: on SwiftShader absolute GFLOP/s mean
// little (DESIGN.md §8). What is timed and how FLOPs are counted: bench/lib/kernelsRun.ts (the GPU
// kit runs it too).
//
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs bench/jetKernels.ts
// Writes bench/results/jetKernels-<adapter>.json and .md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { defaultKernelPlan, runKernels } from './lib/kernelsRun.ts';
import { adapterSlug } from './lib/machine.ts';

const gpu = await acquireNodeGpu();
const { json, markdown } = await runKernels(gpu, defaultKernelPlan).finally(() => gpu.destroy());

mkdirSync('bench/results', { recursive: true });
const base = `bench/results/jetKernels-${adapterSlug(gpu.adapter)}`;
writeFileSync(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
writeFileSync(`${base}.md`, markdown);
console.log(`\n${markdown}`);
console.log(`wrote ${base}.json and ${base}.md`);
