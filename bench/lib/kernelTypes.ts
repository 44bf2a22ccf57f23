/** The parts of bench/results/jetKernels-<adapter>.json (bench/jetKernels.ts) the report reads. */

interface KernelSpread {
  median: number;
  min: number;
  max: number;
}

export interface KernelPass {
  jetMs: KernelSpread;
  matmulMs: KernelSpread;
  jetGflops: number;
  matmulGflops: number;
  timeRatio: number;
}

export interface KernelRow {
  jet: string;
  order: number;
  directions: number;
  structure: string;
  width: number;
  points: number;
  rowsPerPoint: number;
  repetitions: number;
  forward: KernelPass;
  backward: KernelPass;
}

export interface KernelResults {
  adapter: { summary: string };
  date: string;
  node: string;
  runSeconds: number;
  results: KernelRow[];
}
