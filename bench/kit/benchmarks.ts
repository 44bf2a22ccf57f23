/**
 * One kit benchmark in this process: acquire the device, run the benchmark's own code
 * (bench/lib/*Run.ts) with the kit plan's sizes and the budget the runner gave it, write its
 * results file to the output folder, and print its summary line for the runner.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Saxpy } from '../../src/gpu/elementwise.ts';
import { adapterSummary } from '../../src/gpu/adapterDescription.ts';
import { GpuMemory } from '../../src/gpu/gpuMemory.ts';
import { runAccuracy } from '../lib/accuracyRun.ts';
import { runBreakdown } from '../lib/breakdownRun.ts';
import { runHighOrder } from '../lib/highOrderRun.ts';
import { runKernels } from '../lib/kernelsRun.ts';
import { adapterRecord, adapterSlug, finishMachineRecord, machineRecord } from '../lib/machine.ts';
import { runScale } from '../lib/scaleRun.ts';
import { runScaling } from '../lib/scalingRun.ts';
import type { KernelRow } from '../lib/kernelTypes.ts';
import { acquireKitGpu } from './kitGpu.ts';
import { type KitBenchmarkName, kitPlan } from './plan.ts';
import {
  accuracySummary,
  breakdownSummary,
  highOrderSummary,
  kernelSummary,
  scaleSummary,
  scalingSummary,
} from './summaries.ts';

/** Lines the runner reads from a benchmark process's stdout (the rest is progress). */
export const RESULT_PREFIX = 'KIT-RESULT ';
export const ADAPTER_PREFIX = 'KIT-ADAPTER ';

/** What every kit results file records beside the benchmark's own fields. */
export interface KitRecord {
  quick: boolean;
  budgetSeconds: number;
  /** The kit's manifest (build date, commit, size), when run from a built kit. */
  build: Record<string, unknown> | null;
  /** False while the benchmark runs (the file holds the configurations finished so far). */
  complete: boolean;
}

export function resultsFileName(benchmark: string, slug: string, quick: boolean): string {
  return `${benchmark}-${slug}${quick ? '-quick' : ''}.json`;
}

/**
 * The Vulkan loader and driver libraries mapped into this process (Linux's /proc/self/maps): which
 * libvulkan.so.1 and which ICD Dawn really opened.
 */
function vulkanLibrariesLoaded(): string[] {
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    const paths = maps.split('\n').flatMap((line) => {
      const path = line.slice(line.indexOf('/'));
      return line.includes('/') && /vulkan|vk_|nvidia|swiftshader/i.test(path) ? [path] : [];
    });
    return [...new Set(paths)];
  } catch {
    return [];
  }
}

/** Prints the adapter Dawn gives and checks that a kernel runs on it; the runner parses it. */
export async function probeAdapter(): Promise<void> {
  const { gpu } = await acquireKitGpu();
  try {
    const a = gpu.adapter;
    console.log(`adapter: ${adapterSummary(a)}`);
    console.log(`features: ${a.features.join(', ')}`);
    console.log(
      `limits: maxBufferSize ${a.limits.maxBufferSize}, maxStorageBufferBindingSize ` +
        `${a.limits.maxStorageBufferBindingSize}, maxComputeWorkgroupStorageSize ` +
        `${a.limits.maxComputeWorkgroupStorageSize}`,
    );
    const out = await (
      await Saxpy.create(gpu.device)
    ).run(
      new GpuMemory(gpu.device),
      2,
      new Float32Array([1, 2, 3]),
      new Float32Array([10, 20, 30]),
    );
    const ok = [...out].join(',') === '12,24,36';
    const loaded = vulkanLibrariesLoaded();
    console.log(`Vulkan libraries in this process: ${loaded.join(', ') || 'none seen'}`);
    console.log(`saxpy 2·[1,2,3] + [10,20,30] = [${[...out].join(', ')}]${ok ? '' : ' (wrong)'}`);
    console.log(
      `${ADAPTER_PREFIX}${JSON.stringify({
        ...adapterRecord(a),
        slug: adapterSlug(a),
        features: a.features,
        kernelOk: ok,
        vulkanLibraries: loaded,
        // Set by acquireNodeGpu when it fell back to SwiftShader: the runner passes it on.
        icd: process.env.VK_ICD_FILENAMES ?? null,
      })}`,
    );
  } finally {
    gpu.destroy();
  }
}

export async function runKitBenchmark(
  name: KitBenchmarkName,
  options: { quick: boolean; out: string; budgetSeconds: number; build: KitRecord['build'] },
): Promise<void> {
  const plan = kitPlan(options.quick);
  const { budgetSeconds } = options;
  const command = `gpu-kit/run.sh${options.quick ? ' --quick' : ''} (${name}, ${budgetSeconds.toFixed(0)} s)`;
  const machine = machineRecord();
  // The breakdown and the kernels are timed on the GPU where the adapter has timestamp-query.
  const { gpu, timestamps } = await acquireKitGpu({
    timestamps: name === 'stepBreakdown' || name === 'jetKernels',
  });
  mkdirSync(options.out, { recursive: true });
  const path = `${options.out}/${resultsFileName(name, adapterSlug(gpu.adapter), options.quick)}`;
  /**
   * Writes the results file, through a temporary file and a rename: after every configuration
   * (complete: false), so a process stopped at its time limit leaves what it finished, and at
   * the end (complete: true).
   */
  const write = (results: object, complete: boolean) => {
    const kit: KitRecord = { quick: options.quick, budgetSeconds, build: options.build, complete };
    writeFileSync(`${path}.partial`, `${JSON.stringify({ ...results, kit }, null, 2)}\n`);
    renameSync(`${path}.partial`, path);
  };
  const progress = (results: object) => write(results, false);
  /** The kernel file of `npm run bench:kernels` has no header; the kit's gets one. */
  const kernelFile = (json: Record<string, unknown>) => ({
    benchmark: 'jetKernels',
    ...json,
    machine: finishMachineRecord(machine),
    adapter: { ...(json.adapter as object), ...adapterRecord(gpu.adapter) },
    command,
  });
  let file: object;
  let summary: string;
  try {
    switch (name) {
      case 'scaling': {
        const r = await runScaling(gpu, {
          ...plan.scaling,
          budgetSeconds,
          command,
          onProgress: progress,
        });
        [file, summary] = [r, scalingSummary(r)];
        break;
      }
      case 'jetKernels': {
        const { json } = await runKernels(gpu, {
          ...plan.jetKernels,
          budgetSeconds,
          gpuTimestamps: timestamps,
          onProgress: (partial) => progress(kernelFile(partial)),
        });
        file = kernelFile(json);
        summary = kernelSummary(json as { results: KernelRow[]; notRun?: unknown[] });
        break;
      }
      case 'stepBreakdown': {
        const r = await runBreakdown(gpu, {
          ...plan.stepBreakdown,
          gpuTimestamps: timestamps,
          budgetSeconds,
          command,
          onProgress: progress,
        });
        [file, summary] = [r, breakdownSummary(r)];
        break;
      }
      case 'highOrder': {
        const r = await runHighOrder(gpu, {
          ...plan.highOrder,
          budgetSeconds,
          command,
          onProgress: progress,
        });
        [file, summary] = [r, highOrderSummary(r)];
        break;
      }
      case 'stdeAccuracy': {
        const r = await runAccuracy(gpu, {
          ...plan.stdeAccuracy,
          budgetSeconds,
          command,
          onProgress: progress,
        });
        [file, summary] = [r, accuracySummary(r)];
        break;
      }
      case 'scale': {
        const r = await runScale(gpu, {
          ...plan.scale,
          budgetSeconds,
          command,
          // The per-configuration lines go to stderr with the progress; the runner reads stdout.
          log: (line) => process.stderr.write(`${line}\n`),
          onResults: progress,
        });
        [file, summary] = [r, scaleSummary(r)];
        break;
      }
    }
  } finally {
    gpu.destroy();
  }
  write(file, true);
  console.log(`${RESULT_PREFIX}${JSON.stringify({ file: path, summary })}`);
}
