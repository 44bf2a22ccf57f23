/**
 * Which results files BENCHMARKS.md is built from: every bench/results/<benchmark>-<adapter>…json,
 * grouped by the adapter it was measured on, so a GPU file never replaces a software-adapter
 * (SwiftShader) one or the other way round. Software adapters make the report's main sections (as
 * they always have); each hardware adapter gets a GPU section of its own. Quick kit runs (the
 * self-containment test's tiny sizes) and kit runs on a software adapter are never reported.
 */
import { type AdapterRecord, adapterSlug } from './machine.ts';
import type { BreakdownResults } from './breakdownTypes.ts';
import type { GpinnResults } from './gpinnTypes.ts';
import type { HighOrderResults } from './highOrderTypes.ts';
import type { KernelResults } from './kernelTypes.ts';
import type { PeerResults } from './peerResultTypes.ts';
import type { ReportInputs } from './report.ts';
import { isStdeSetup } from './reportSections.ts';
import { SCALE_DIMENSIONS, type ScaleResults } from './scaleTypes.ts';
import type { ScalingResults } from './scalingTypes.ts';
import type { StdeAccuracyResults } from './stdeAccuracyTypes.ts';

export interface ResultFile<T = unknown> {
  path: string;
  data: T;
}

/** The fields every results file has that the grouping reads. */
interface Grouped {
  date: string;
  adapter: Pick<AdapterRecord, 'vendor' | 'architecture' | 'isSoftware'> & { summary: string };
  kit?: { quick?: boolean; complete?: boolean };
}

/** The summary file of a GPU kit run (bench/kit/runner.ts). */
export interface KitSummary {
  benchmark: 'kit';
  date: string;
  runSeconds: number;
  machine: { cpu: string; cores: number; memoryGiB: number };
  adapter: { summary: string; vendor: string; architecture: string; isSoftware: boolean };
  command: string;
  kit: {
    quick: boolean;
    totalSeconds: number;
    build: { built?: string; commit?: string; totalBytes?: number; node?: string } | null;
  };
  environment: Record<string, string>;
  benchmarks: {
    name: string;
    status: string;
    budgetSeconds: number;
    seconds: number;
    summary: string;
  }[];
}

/** The report's inputs for one adapter group, and the kit run that produced them (if any). */
export interface AdapterGroup {
  slug: string;
  summary: string;
  inputs: ReportInputs;
  kit: ResultFile<KitSummary> | null;
}

const benchmarkOf = (path: string): string => (path.split('/').pop() ?? '').split('-')[0];

/** Every file of `benchmark`, newest first (by its recorded date). */
function runsOf<T>(files: ResultFile[], benchmark: string): ResultFile<T>[] {
  return files
    .filter((f) => benchmarkOf(f.path) === benchmark)
    .sort((a, b) =>
      (b.data as Grouped).date.localeCompare((a.data as Grouped).date),
    ) as ResultFile<T>[];
}

/** The report's inputs from the files of one adapter group, newest of each benchmark. */
export function inputsOf(files: ResultFile[]): ReportInputs {
  const newest = <T>(benchmark: string): ResultFile<T> | null =>
    runsOf<T>(files, benchmark)[0] ?? null;
  const peerRuns = runsOf<PeerResults>(files, 'peer');
  const accuracyRuns = runsOf<StdeAccuracyResults>(files, 'stdeAccuracy');
  const scaleRuns = runsOf<ScaleResults>(files, 'scale');
  const fullScale = scaleRuns.find((r) => r.data.defaultDimensions) ?? scaleRuns[0] ?? null;
  return {
    kernels: newest<KernelResults>('jetKernels'),
    scaling: newest<ScalingResults>('scaling'),
    breakdown: newest<BreakdownResults>('stepBreakdown'),
    highOrder: newest<HighOrderResults>('highOrder'),
    gpinn: newest<GpinnResults>('gpinn'),
    peer: peerRuns[0] ?? null,
    earlierPeerRuns: peerRuns.slice(1),
    // STDE's comparison is the full-length run with STDE's init; others only when it is missing.
    accuracy:
      accuracyRuns.find((r) => isStdeSetup(r.data)) ??
      accuracyRuns.find((r) => !r.data.shortened) ??
      accuracyRuns[0] ??
      null,
    // The benchmark's own d = 1M and 10M; a quick check at small d only when none is on file.
    scale: fullScale,
    laterScale: scaleRuns.filter(
      (r) =>
        fullScale !== null &&
        r !== fullScale &&
        r.data.dimensions.length === 1 &&
        SCALE_DIMENSIONS.includes(r.data.dimensions[0]) &&
        r.data.date > fullScale.data.date,
    ),
  };
}

/**
 * Splits the results files by adapter: `software` holds every software-adapter file (the main
 * report), `gpus` one group per hardware adapter (by adapter slug), in slug order. Files without
 * an adapter, and quick kit runs, are left out.
 */
export function groupByAdapter(files: ResultFile[]): {
  software: ResultFile[];
  gpus: AdapterGroup[];
} {
  const usable = files.filter((f) => {
    const data = f.data as Partial<Grouped> | null;
    return data?.adapter && typeof data.date === 'string' && data.kit?.quick !== true;
  });
  // A kit run on a software adapter tests the kit; it never stands in for the benchmarks' own
  // software-adapter files (which it would, by name, if copied in).
  const software = usable.filter((f) => {
    const data = f.data as Grouped;
    return data.adapter.isSoftware && data.kit === undefined;
  });
  const bySlug = new Map<string, ResultFile[]>();
  for (const f of usable) {
    const { adapter } = f.data as Grouped;
    if (adapter.isSoftware) continue;
    const slug = adapterSlug(adapter);
    bySlug.set(slug, [...(bySlug.get(slug) ?? []), f]);
  }
  const gpus = [...bySlug.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([slug, group]) => {
      const kit = runsOf<KitSummary>(group, 'kit')[0] ?? null;
      const newestFile = [...group].sort((a, b) =>
        (b.data as Grouped).date.localeCompare((a.data as Grouped).date),
      )[0];
      return {
        slug,
        summary: (newestFile.data as Grouped).adapter.summary,
        inputs: inputsOf(group),
        kit,
      };
    });
  return { software: software.filter((f) => benchmarkOf(f.path) !== 'kit'), gpus };
}
