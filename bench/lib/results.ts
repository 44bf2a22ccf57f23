/**
 * Results files: bench/results/<name>-<adapter>.json, each with the machine and adapter it was
 * measured on, so bench/report.ts can rebuild BENCHMARKS.md from the files alone.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type AdapterRecord, adapterSlug, type MachineRecord } from './machine.ts';

export const RESULTS_DIR = 'bench/results';

export interface ResultsHeader {
  benchmark: string;
  date: string;
  runSeconds: number;
  machine: MachineRecord;
  adapter: AdapterRecord;
  /** The exact command that produced the file. */
  command: string;
}

export function resultsPath(benchmark: string, adapter: AdapterRecord): string {
  return `${RESULTS_DIR}/${benchmark}-${adapterSlug(adapter)}.json`;
}

export function writeResults<T extends ResultsHeader>(results: T): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = resultsPath(results.benchmark, results.adapter);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

export function readResults<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
