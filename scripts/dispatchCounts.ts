// Counts the workgroups every kernel launches in one training step: which stages fill a large GPU
// (the scale issue asks ≥ 512 workgroups of every stage whose work grows with d at d ≥ 100 000).
// Usage: npm run -s dispatches -- --dim 100000 --jets 16 --points 32 --width 32 [any train flag]
// It builds the run, takes one step (the first one's one-off work aside), then a second with
// every ComputeKernel.dispatch recorded, and prints each kernel's dispatches in recorded order.
// Counts, not times: the same on every adapter whose limits give the same plans.
import { parseFlags } from '../src/cli/args.ts';
import { TRAINING_FLAGS, trainingOptionsFromFlags } from '../src/cli/trainingFlags.ts';
import { adapterSummary } from '../src/gpu/adapterDescription.ts';
import { ComputeKernel } from '../src/gpu/kernel.ts';
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { Trainer } from '../src/train/trainer.ts';

const flags = parseFlags(
  process.argv.slice(2),
  TRAINING_FLAGS.map((f) => f.spec),
  'dispatches',
);
const options = trainingOptionsFromFlags(flags);
const recorded: { kernel: string; workgroups: number }[] = [];
const dispatch = ComputeKernel.prototype.dispatch;
ComputeKernel.prototype.dispatch = function (pass, bindGroup, x, y = 1, z = 1) {
  recorded.push({ kernel: this.name, workgroups: x * y * z });
  dispatch.call(this, pass, bindGroup, x, y, z);
};

const gpu = await acquireNodeGpu({ largeLimits: true });
try {
  const trainer = await Trainer.create(gpu.device, {
    ...options,
    steps: Math.max(options.steps, 2),
  });
  await trainer.train(1);
  recorded.length = 0;
  await trainer.train(1);
  trainer.dispose();
  const byKernel = new Map<string, number[]>();
  for (const { kernel, workgroups } of recorded) {
    byKernel.set(kernel, [...(byKernel.get(kernel) ?? []), workgroups]);
  }
  console.log(`adapter: ${adapterSummary(gpu.adapter)}`);
  console.log(
    `${options.pde}, d = ${options.dimension}, ${options.estimator} B = ${options.jetsPerPoint}, ` +
      `${options.points} points, ${options.depth} × ${options.width}, ${options.gradientEstimator}: ` +
      `workgroups per dispatch of step 2`,
  );
  for (const [kernel, counts] of byKernel) {
    // The kernel's file and entry point: the composed library names before it say nothing new.
    console.log(`${counts.join(' + ').padStart(28)}  ${kernel.split(' + ').at(-1)}`);
  }
} finally {
  gpu.destroy();
}
