/**
 * What a result was measured on, recorded next to every number: the host CPU and how loaded it
 * was, Node, and the WebGPU adapter. Absolute times on a software adapter mean little; the
 * record says so, so nobody reads them as GPU numbers.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { type AdapterDescription, adapterSummary } from '../../src/gpu/adapterDescription.ts';

export interface MachineRecord {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  /** 1-minute load average when the run started and ended: > 0 before we start means sharing. */
  loadAtStart: number;
  loadAtEnd: number | null;
  note: string;
}

export interface AdapterRecord {
  summary: string;
  vendor: string;
  architecture: string;
  description: string;
  isSoftware: boolean;
  maxBufferSize: number | null;
  maxStorageBufferBindingSize: number | null;
}

export function machineRecord(): MachineRecord {
  const cores = cpus();
  return {
    cpu: cores[0]?.model ?? 'unknown',
    cores: cores.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    loadAtStart: loadavg()[0],
    loadAtEnd: null,
    // The default claims only what the record shows: the load averages say how busy the cores were.
    note:
      process.env.JETPINN_BENCH_NOTE ??
      'shared machine: other processes may have run on the same cores (see the load averages)',
  };
}

export function finishMachineRecord(record: MachineRecord): MachineRecord {
  return { ...record, loadAtEnd: loadavg()[0] };
}

export function adapterRecord(adapter: AdapterDescription): AdapterRecord {
  return {
    summary: adapterSummary(adapter),
    vendor: adapter.vendor,
    architecture: adapter.architecture,
    description: adapter.description,
    isSoftware: adapter.isSoftware,
    maxBufferSize: adapter.limits.maxBufferSize ?? null,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize ?? null,
  };
}

/** File-name part for an adapter, e.g. "google-swiftshader". */
export function adapterSlug(adapter: Pick<AdapterDescription, 'vendor' | 'architecture'>): string {
  return (
    [adapter.vendor, adapter.architecture]
      .filter((s) => s)
      .join('-')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-') || 'unknown-adapter'
  );
}
