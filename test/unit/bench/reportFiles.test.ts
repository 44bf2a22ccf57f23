import { describe, expect, it } from 'vitest';
import type { AdapterRecord } from '../../../bench/lib/machine.ts';
import type { Outcome } from '../../../bench/lib/outcome.ts';
import { buildReport } from '../../../bench/lib/report.ts';
import { groupByAdapter, inputsOf, type ResultFile } from '../../../bench/lib/reportFiles.ts';
import type { ScalingResults } from '../../../bench/lib/scalingTypes.ts';

const swiftshader: AdapterRecord = {
  summary: 'google swiftshader (SwiftShader driver 5.0.0, software)',
  vendor: 'google',
  architecture: 'swiftshader',
  description: 'SwiftShader driver 5.0.0',
  isSoftware: true,
  maxBufferSize: null,
  maxStorageBufferBindingSize: null,
};
const h200: AdapterRecord = {
  summary: 'nvidia hopper (NVIDIA H200, hardware)',
  vendor: 'nvidia',
  architecture: 'hopper',
  description: 'NVIDIA H200',
  isSoftware: false,
  maxBufferSize: null,
  maxStorageBufferBindingSize: null,
};

const measured = (itPerSecond: number, memoryBytes: number): Outcome => ({
  status: 'measured',
  msPerStep: { median: 1000 / itPerSecond, min: 1, max: 1, count: 3 },
  itPerSecond: { median: itPerSecond, min: itPerSecond, max: itPerSecond, count: 3 },
  stepsPerWindow: 1,
  createMs: 1,
  warmupMs: 1,
  memoryBytes,
});

function scaling(
  adapter: AdapterRecord,
  date: string,
  itPerSecond: number,
  kit?: { quick: boolean; complete?: boolean },
): ScalingResults & { kit?: { quick: boolean; complete?: boolean } } {
  return {
    benchmark: 'scaling',
    date,
    runSeconds: 1,
    machine: {
      cpu: adapter.isSoftware ? 'AMD EPYC' : 'Intel Xeon',
      cores: adapter.isSoftware ? 2 : 16,
      memoryGiB: 1,
      platform: 'linux x64',
      node: 'v20',
      loadAtStart: 0,
      loadAtEnd: 0,
      note: '',
    },
    adapter,
    command: kit ? 'gpu-kit/run.sh (scaling, 105 s)' : 'npm run bench:scaling',
    pde: 'allen-cahn-two-body',
    timing: { windows: 5, minWindows: 3, windowMs: 600, maxStepsPerWindow: 20 },
    budgetSeconds: 10,
    setups: [
      {
        id: 'stde',
        label: 'STDE: 100 points, 3 × 128 tanh',
        points: 100,
        width: 128,
        depth: 3,
        budgetShare: 1,
        perConfigS: 1,
      },
    ],
    estimators: [
      {
        id: 'sparse-16-collapsed',
        label: 'sparse STDE B = 16, collapsed',
        estimator: 'sparse',
        jetsPerPoint: 16,
        collapsed: true,
      },
    ],
    dimensions: [100],
    results: [
      {
        setup: 'stde',
        estimator: 'sparse-16-collapsed',
        dimension: 100,
        estimatedBytes: 1e8,
        ...measured(itPerSecond, 1e8),
      },
    ],
    ...(kit ? { kit } : {}),
  };
}

const file = (path: string, data: unknown): ResultFile => ({ path: `bench/results/${path}`, data });

describe('results files grouped by adapter', () => {
  const software = file('scaling-google-swiftshader.json', scaling(swiftshader, '2026-01-01', 3));
  // Newer than the SwiftShader file: grouped as before, it would have replaced it.
  const gpu = file(
    'scaling-nvidia-hopper.json',
    scaling(h200, '2026-02-01', 2500, { quick: false }),
  );
  const quick = file(
    'scaling-nvidia-hopper-quick.json',
    scaling(h200, '2026-03-01', 1, { quick: true }),
  );
  const kit = file('kit-nvidia-hopper.json', {
    benchmark: 'kit',
    date: '2026-02-01',
    runSeconds: 300,
    machine: { cpu: 'Intel Xeon', cores: 16, memoryGiB: 128 },
    adapter: h200,
    command: 'gpu-kit/run.sh',
    kit: { quick: false, totalSeconds: 340, build: { totalBytes: 44 * 2 ** 20, commit: 'abc' } },
    environment: { JETPINN_KIT_GPU: 'NVIDIA H200, 570.00, 143771 MiB' },
    benchmarks: [{ name: 'scaling', status: 'ok', budgetSeconds: 105, seconds: 90, summary: '' }],
  });

  it('never lets a GPU file replace a software-adapter one, nor the other way round', () => {
    const { software: sw, gpus } = groupByAdapter([gpu, software, quick, kit]);
    expect(inputsOf(sw).scaling?.path).toBe(software.path);
    expect(gpus).toHaveLength(1);
    expect(gpus[0].slug).toBe('nvidia-hopper');
    expect(gpus[0].inputs.scaling?.path).toBe(gpu.path);
    expect(gpus[0].kit?.path).toBe(kit.path);
  });

  it('names a GPU file its process left partial (stopped at its time limit)', () => {
    const stopped = file(
      'scaling-nvidia-hopper.json',
      scaling(h200, '2026-02-01', 2500, { quick: false, complete: false }),
    );
    const { software: sw, gpus } = groupByAdapter([software, stopped]);
    const { markdown } = buildReport(inputsOf(sw), gpus);
    expect(markdown).toContain('Partial files (their process was stopped at its time limit');
    expect(markdown).toContain('`bench/results/scaling-nvidia-hopper.json`');
  });

  it('leaves out quick kit runs, kit runs on a software adapter and files without an adapter', () => {
    const kitOnSwiftShader = file(
      'scaling-google-swiftshader-kit.json',
      scaling(swiftshader, '2026-04-01', 1, { quick: false }),
    );
    const { software: sw, gpus } = groupByAdapter([
      software,
      quick,
      kitOnSwiftShader,
      file('x-y.json', { a: 1 }),
    ]);
    expect(sw.map((f) => f.path)).toEqual([software.path]);
    expect(gpus).toEqual([]);
  });

  it('has a GPU section only when GPU files exist, and keeps the software numbers as they are', () => {
    const without = groupByAdapter([software]);
    const plain = buildReport(inputsOf(without.software), without.gpus);
    expect(plain.markdown).toContain('## 6. Measuring on a GPU: the kit');
    expect(plain.markdown).toContain('the GPU numbers are still to be taken');
    expect(plain.markdown).not.toContain('## 7. On GPUs');

    const withGpu = groupByAdapter([software, gpu, kit]);
    const report = buildReport(inputsOf(withGpu.software), withGpu.gpus);
    expect(report.markdown).toContain('## 7. On GPUs');
    expect(report.markdown).toContain(
      '### nvidia hopper (NVIDIA H200, hardware); NVIDIA H200, 570.00, 143771 MiB',
    );
    // The software sections are the same text with or without the GPU files.
    const section1 = (md: string) => md.slice(md.indexOf('## 1.'), md.indexOf('## 2.'));
    expect(section1(report.markdown)).toBe(section1(plain.markdown));
    expect(section1(report.markdown)).toContain(
      'From `bench/results/scaling-google-swiftshader.json`',
    );
    // Our 2500 it/s at d = 100 against STDE's A100 1834 it/s; 100 MB against 457 MB.
    expect(report.markdown).toContain('STDE, B = 16 d = 100: 2500 vs 1834 it/s, 100 vs 457 MB');
    // Each adapter's charts have their own files.
    const files = report.charts.map((c) => c.file);
    expect(files).toContain('scaling-itps-stde.svg');
    expect(files).toContain('scaling-itps-stde-nvidia-hopper.svg');
    expect(new Set(files).size).toBe(files.length);
  });
});
