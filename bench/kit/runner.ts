/**
 * The kit's run: the adapter first (a software adapter where a GPU was expected stops the run),
 * then every benchmark of the plan in its own process (this same script, `bench <name>`) under
 * its own budget, stopped if it runs past budget + grace; every process's results file goes to
 * the output folder, and a summary file says what ran, for how long, on what, and why anything
 * is missing. Every line the benchmarks print is passed on; a summary line per benchmark closes
 * stdout.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { finishMachineRecord, machineRecord } from '../lib/machine.ts';
import { ADAPTER_PREFIX, type KitRecord, RESULT_PREFIX, resultsFileName } from './benchmarks.ts';
import { KIT_LIMITS, type KitBenchmarkName, kitPlan } from './plan.ts';

export interface KitRunOptions {
  quick: boolean;
  expectGpu: boolean;
  out: string;
  /** The bundle (or .ts entry) and the Node arguments that run it. */
  self: { node: string; args: string[] };
}

export interface KitBenchmarkOutcome {
  name: KitBenchmarkName;
  label: string;
  /** ok: its results file was written; failed: it exited without one; timed-out: it was stopped. */
  status: 'ok' | 'failed' | 'timed-out' | 'not-run';
  budgetSeconds: number;
  seconds: number;
  file: string | null;
  summary: string;
  /** The end of its stderr when it did not finish. */
  stderrTail?: string;
}

interface ChildResult {
  code: number | null;
  timedOut: boolean;
  seconds: number;
  stdout: string[];
  stderr: string;
}

/** Runs one process of this script, passing its lines on, stopping it after `timeoutMs`. */
function runChild(
  self: KitRunOptions['self'],
  args: string[],
  timeoutMs: number,
  echo: boolean,
): Promise<ChildResult> {
  return new Promise((done) => {
    const start = performance.now();
    const child = spawn(self.node, [...self.args, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    const stdout: string[] = [];
    let pending = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        stdout.push(line);
        if (echo && !line.startsWith(RESULT_PREFIX) && !line.startsWith(ADAPTER_PREFIX)) {
          console.log(`  ${line}`);
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-8000);
      process.stderr.write(chunk);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (pending) stdout.push(pending);
      done({ code, timedOut, seconds: (performance.now() - start) / 1000, stdout, stderr });
    });
  });
}

/** The manifest of the kit this runs from (run.sh exports JETPINN_KIT_DIR), or null. */
export function readBuild(): KitRecord['build'] {
  const dir = process.env.JETPINN_KIT_DIR;
  const path = dir ? `${dir}/manifest.json` : null;
  if (!path || !existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** What run.sh found on the machine (it exports JETPINN_KIT_* before starting the runner). */
function environmentRecord(): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('JETPINN_KIT_') && value !== undefined) record[key] = value;
  }
  for (const key of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'JETPINN_GPU']) {
    const value = process.env[key];
    if (value) record[key] = value;
  }
  return record;
}

/** Runs the kit; resolves to the exit code (0: every benchmark wrote its results file). */
export async function runKit(options: KitRunOptions): Promise<number> {
  const plan = kitPlan(options.quick);
  const started = performance.now();
  const deadline = started + plan.totalSeconds * 1000;
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const machine = machineRecord();
  const build = readBuild();

  console.log(
    `jetpinn GPU kit${options.quick ? ' (quick)' : ''}: ${plan.benchmarks.length} benchmarks, ` +
      `at most ${plan.totalSeconds} s; results to ${out}`,
  );
  const probe = await runChild(options.self, ['adapter'], 90_000, true);
  const adapterLine = probe.stdout.find((l) => l.startsWith(ADAPTER_PREFIX));
  if (probe.code !== 0 || !adapterLine) {
    console.error(
      `jetpinn GPU kit: no WebGPU adapter (the adapter probe ${probe.timedOut ? 'timed out' : `exited with ${probe.code}`}); nothing measured.`,
    );
    return 3;
  }
  const adapter = JSON.parse(adapterLine.slice(ADAPTER_PREFIX.length)) as {
    summary: string;
    slug: string;
    isSoftware: boolean;
    kernelOk: boolean;
    icd: string | null;
  };
  // Every benchmark process then opens the driver the probe ended with, without a fallback.
  if (adapter.icd && !process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) {
    process.env.VK_ICD_FILENAMES = adapter.icd;
  }
  if (options.expectGpu && adapter.isSoftware) {
    console.error(
      `jetpinn GPU kit: Dawn gave a software adapter (${adapter.summary}) although a GPU was ` +
        'expected (--expect-gpu, or an NVIDIA Vulkan driver was found); not measuring a CPU as if ' +
        'it were the GPU. Check the ICD that run.sh printed and the NVIDIA driver.',
    );
    return 3;
  }
  if (!adapter.kernelOk) {
    console.error(`jetpinn GPU kit: a test kernel gave wrong numbers on ${adapter.summary}.`);
    return 3;
  }

  const outcomes: KitBenchmarkOutcome[] = [];
  for (const [index, benchmark] of plan.benchmarks.entries()) {
    const later = plan.benchmarks.slice(index).reduce((sum, b) => sum + b.budgetSeconds, 0);
    const leftS = (deadline - performance.now()) / 1000;
    const budgetSeconds = Math.min(
      benchmark.budgetSeconds,
      (leftS * benchmark.budgetSeconds) / later,
    );
    const base = { name: benchmark.name, label: benchmark.label, budgetSeconds };
    if (budgetSeconds < 2) {
      const summary = `not run: the kit's ${plan.totalSeconds} s were spent`;
      outcomes.push({ ...base, status: 'not-run', seconds: 0, file: null, summary });
      console.log(`${benchmark.name}: ${summary}`);
      continue;
    }
    console.log(`${benchmark.name} (${benchmark.label}), budget ${budgetSeconds.toFixed(0)} s:`);
    const args = ['bench', benchmark.name, '--out', out, '--budget-s', budgetSeconds.toFixed(1)];
    if (options.quick) args.push('--quick');
    const timeoutMs = Math.min(
      (budgetSeconds + KIT_LIMITS.graceSeconds) * 1000,
      deadline - performance.now() + 10_000,
    );
    const child = await runChild(options.self, args, timeoutMs, true);
    const resultLine = child.stdout.find((l) => l.startsWith(RESULT_PREFIX));
    const result = resultLine
      ? (JSON.parse(resultLine.slice(RESULT_PREFIX.length)) as { file: string; summary: string })
      : null;
    const status: KitBenchmarkOutcome['status'] =
      result && child.code === 0 ? 'ok' : child.timedOut ? 'timed-out' : 'failed';
    // A stopped process leaves the configurations it finished (its file says complete: false).
    const expected = `${out}/${resultsFileName(benchmark.name, adapter.slug, options.quick)}`;
    rmSync(`${expected}.partial`, { force: true });
    const partial = !result && existsSync(expected) ? expected : null;
    const left = partial ? 'its results file holds what it finished' : 'no results file';
    const summary =
      status === 'ok' && result
        ? result.summary
        : status === 'timed-out'
          ? `stopped after ${child.seconds.toFixed(0)} s (budget ${budgetSeconds.toFixed(0)} s + ${KIT_LIMITS.graceSeconds} s grace); ${left}`
          : `exited with code ${child.code}; ${left}`;
    outcomes.push({
      ...base,
      status,
      seconds: child.seconds,
      file: result?.file ?? partial,
      summary,
      ...(status === 'ok' ? {} : { stderrTail: child.stderr.slice(-2000) }),
    });
    console.log(`${benchmark.name}: ${status}, ${child.seconds.toFixed(0)} s`);
  }

  const summaryFile = `${out}/${resultsFileName('kit', adapter.slug, options.quick)}`;
  writeFileSync(
    summaryFile,
    `${JSON.stringify(
      {
        benchmark: 'kit',
        date: new Date().toISOString(),
        runSeconds: (performance.now() - started) / 1000,
        machine: finishMachineRecord(machine),
        adapter,
        command: `gpu-kit/run.sh${options.quick ? ' --quick' : ''}${options.expectGpu ? ' --expect-gpu' : ''}`,
        kit: { quick: options.quick, totalSeconds: plan.totalSeconds, build },
        environment: environmentRecord(),
        benchmarks: outcomes,
      },
      null,
      2,
    )}\n`,
  );

  console.log('');
  console.log(`== jetpinn GPU kit summary: ${adapter.summary}`);
  for (const o of outcomes) {
    console.log(
      `${o.name} [${o.status}, ${o.seconds.toFixed(0)} s of ${o.budgetSeconds.toFixed(0)} s]: ${o.summary}`,
    );
  }
  console.log(
    `kit: ${((performance.now() - started) / 1000).toFixed(0)} s, ${outcomes.filter((o) => o.file).length + 1} files in ${out}`,
  );
  return outcomes.every((o) => o.status === 'ok') ? 0 : 1;
}
