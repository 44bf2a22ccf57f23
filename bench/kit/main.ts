// The GPU kit's one script (bundled by scripts/gpu-kit/build.ts into gpu-kit/jetpinn-kit.mjs;
// gpu-kit/run.sh starts it). Commands:
//   run [--quick] [--expect-gpu] --out DIR   every benchmark of the kit plan (bench/kit/plan.ts)
//   adapter                                  the adapter Dawn gives, and one kernel on it
//   bench <name> --out DIR --budget-s N [--quick]   one benchmark (the runner starts these)
//   cli <command> [flags]                    the jetpinn command-line trainer (src/cli)
// Unbundled, for a look on this machine:
//   node --import tsx --import ./scripts/register-node-loaders.mjs bench/kit/main.ts run --quick --out /tmp/kit
import { runCli } from '../../src/cli/cli.ts';
import { processIo } from '../../src/cli/io.ts';
import { probeAdapter, runKitBenchmark } from './benchmarks.ts';
import { type KitBenchmarkName, kitPlan } from './plan.ts';
import { readBuild, runKit } from './runner.ts';

const [command, ...rest] = process.argv.slice(2);

function flag(name: string): string | undefined {
  const index = rest.indexOf(`--${name}`);
  if (index < 0) return undefined;
  const value = rest[index + 1];
  if (value === undefined || value.startsWith('--'))
    throw new RangeError(`--${name} needs a value`);
  return value;
}

function checkFlags(known: string[], positional = 0): void {
  let seen = 0;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) {
      if (seen++ < positional) continue;
      throw new RangeError(`unexpected argument ${JSON.stringify(arg)}`);
    }
    const name = arg.slice(2);
    if (!known.includes(name))
      throw new RangeError(`unknown flag ${arg} (known: --${known.join(', --')})`);
    if (['out', 'budget-s'].includes(name)) i++;
  }
}

/** How the runner starts more processes of this script: the same Node, loaders and entry. */
const self = { node: process.execPath, args: [...process.execArgv, process.argv[1]] };

switch (command) {
  case 'run': {
    checkFlags(['quick', 'expect-gpu', 'out']);
    process.exitCode = await runKit({
      quick: rest.includes('--quick'),
      expectGpu: rest.includes('--expect-gpu'),
      out: flag('out') ?? 'gpu-results',
      self,
    });
    break;
  }
  case 'adapter':
    checkFlags([]);
    await probeAdapter();
    break;
  case 'bench': {
    checkFlags(['quick', 'out', 'budget-s'], 1);
    const quick = rest.includes('--quick');
    const name = rest[0] as KitBenchmarkName;
    if (!kitPlan(quick).benchmarks.some((b) => b.name === name)) {
      throw new RangeError(`unknown kit benchmark ${JSON.stringify(name)}`);
    }
    const budgetSeconds = Number(flag('budget-s'));
    if (!(budgetSeconds > 0)) throw new RangeError('--budget-s must be a positive number');
    await runKitBenchmark(name, {
      quick,
      out: flag('out') ?? 'gpu-results',
      budgetSeconds,
      build: readBuild(),
    });
    break;
  }
  case 'cli':
    process.exitCode = await runCli(rest, processIo());
    break;
  default:
    console.error(
      'Usage: jetpinn-kit run [--quick] [--expect-gpu] --out DIR | adapter | bench <name> … | cli …',
    );
    process.exitCode = 2;
}
