/**
 * Fuzz of the command line: the parser functions are driven directly (no process per input).
 * `train` goes through parseFlags and planTraining (which validates every option and output path
 * but starts nothing), `eval` through parseFlags, `jet` through parseFlags and the JSON of
 * --points/--tangents or an --input file into readJetRequest.
 */
import { describe, expect, it } from 'vitest';
import { type FlagSpec, parseFlags, UsageError } from '../../../src/cli/args.ts';
import { evalCommand } from '../../../src/cli/evaluate.ts';
import { jetCommand } from '../../../src/cli/jet.ts';
import {
  jetBatch,
  type JetRequest,
  parseJetInputFile,
  readJetRequest,
} from '../../../src/cli/jetRequest.ts';
import { planTraining, TRAIN_FLAGS, type TrainPlan } from '../../../src/cli/trainPlan.ts';
import { resolveTrainingOptions } from '../../../src/train/options.ts';
import { parseJsonText } from '../../../src/validation/schema.ts';
import {
  type FuzzInput,
  fuzzCleanly,
  Fuzzer,
  type FuzzTarget,
  mutatedInput,
  mutatedInputs,
} from './fuzzInputs.ts';

/** A flag named in the message: `--name`, or the stray argument that is not one. */
function namedFlag(error: Error): string | null {
  return /--[a-z][\w-]*|unexpected argument/.exec(error.message)?.[0] ?? null;
}

const describeArgv = (argv: string[]) => {
  const text = JSON.stringify(argv);
  return `${argv.length} args ${text.slice(0, 200)}${text.length > 200 ? '…' : ''}`;
};

const HOSTILE_VALUES = [
  '1e309',
  '-1e309',
  '-5',
  '-0',
  '3.5',
  '',
  ' ',
  ' 5',
  '5 ',
  '+5',
  '.5',
  '5.',
  '1_000',
  '0x10',
  '0b1',
  'Infinity',
  'NaN',
  '1e-400',
  '9007199254740993',
  '1e15',
  'abc',
  'ü',
  '١٢٣',
  '🙂'.repeat(1000),
  'x'.repeat(100_000),
  '--dim',
  '=',
  'true',
  'null',
  '{}',
  '__proto__',
  'constructor',
  '<script>alert(1)</script>',
  'dir\u0000/m.json',
  '/no/such/folder/m.json',
];

const UNKNOWN_NAMES = [
  'colour',
  'dimm',
  'Dim',
  'dím',
  '',
  '-',
  '__proto__',
  'constructor',
  'toString',
  'no-dim',
  'no-json',
  'help',
  'x'.repeat(1 << 20),
];

/** One random change to an argv made of `--flag value` pairs and switches. */
function mutateArgv(f: Fuzzer, argv: string[], specs: readonly FlagSpec[]): string[] {
  const out = [...argv];
  const at = f.below(out.length + 1);
  const spec = f.pick(specs);
  switch (f.below(10)) {
    case 0: // a value replaced
      if (out.length > 0) out[f.below(out.length)] = f.pick(HOSTILE_VALUES);
      break;
    case 1: // a known flag with a hostile value, either form
      if (f.chance(0.5)) out.splice(at, 0, `--${spec.name}=${f.pick(HOSTILE_VALUES)}`);
      else out.splice(at, 0, `--${spec.name}`, f.pick(HOSTILE_VALUES));
      break;
    case 2: // an unknown flag
      out.splice(at, 0, `--${f.pick(UNKNOWN_NAMES)}`, '1');
      break;
    case 3: // a flag given twice
      out.push(`--${spec.name}`, ...(spec.kind === 'boolean' ? [] : ['1']));
      out.push(`--${spec.name}`, ...(spec.kind === 'boolean' ? [] : ['2']));
      break;
    case 4: // a token dropped (a flag loses its value, or a value its flag)
      if (out.length > 0) out.splice(f.below(out.length), 1);
      break;
    case 5: // a stray argument
      out.splice(at, 0, f.pick(['stray', '-h', '-', '--', '-dim', '—dim', '']));
      break;
    case 6: // a negation or a value on a switch
      out.splice(at, 0, f.chance(0.5) ? `--no-${spec.name}` : `--${spec.name}=yes`);
      break;
    case 7: // an extremely long argv
      for (let i = 0; i < 20_000; i++) out.push(`--${spec.name}`, String(i));
      break;
    case 8: // a megabyte argument
      out.splice(at, 0, `--${'a'.repeat(1 << 20)}`);
      break;
    default: // a value with a trailing flag swallowed
      out.push(`--${spec.name}`);
  }
  return out;
}

function* argvInputs(
  seed: number,
  count: number,
  base: (f: Fuzzer) => string[],
  specs: readonly FlagSpec[],
): Generator<string[]> {
  const f = new Fuzzer(seed);
  for (let i = 0; i < count; i++) {
    let argv = base(f);
    const mutations = 1 + f.below(3);
    for (let m = 0; m < mutations; m++) argv = mutateArgv(f, argv, specs);
    yield argv;
  }
}

/** A valid `train` command line: small sizes so every draw is consistent. */
function trainArgv(f: Fuzzer): string[] {
  const dim = 2 + f.below(8);
  const argv = ['--dim', String(dim), '--jets', String(1 + f.below(dim))];
  if (f.chance(0.5)) argv.push('--width', String(1 + f.below(64)));
  if (f.chance(0.5)) argv.push('--depth', String(1 + f.below(4)));
  if (f.chance(0.5)) argv.push('--lr', f.pick(['1e-3', '0.01', '2.5e-4']));
  if (f.chance(0.5)) argv.push('--steps', String(10 + f.below(1000)));
  if (f.chance(0.3)) argv.push('--optimizer', f.pick(['adam', 'sgd']));
  if (f.chance(0.3)) argv.push(f.pick(['--collapsed', '--no-collapsed', '--json']));
  if (f.chance(0.2)) argv.push('--out', f.pick(['/no/such/folder/m.json', 'model.json']));
  return argv;
}

// The mutations leave --resume out: it reads a file, and the checkpoint fuzz covers what it reads.
const TRAIN_FUZZ_FLAGS = TRAIN_FLAGS.filter((spec) => spec.name !== 'resume');

const trainTarget: FuzzTarget<TrainPlan, string[]> = {
  errorClass: UsageError,
  parse: (argv) => planTraining(parseFlags(argv, TRAIN_FLAGS, 'train')),
  revalidate: (plan) => {
    expect(resolveTrainingOptions({ ...plan.options })).toEqual(plan.options);
    expect(Number.isSafeInteger(plan.stopAt) && plan.stopAt <= plan.options.steps).toBe(true);
  },
  fieldOf: namedFlag,
  describe: describeArgv,
};

const evalTarget: FuzzTarget<number | undefined, string[]> = {
  errorClass: UsageError,
  parse: (argv) => parseFlags(argv, evalCommand.flags, 'eval').number('test-points'),
  revalidate: (testPoints) => {
    expect(testPoints === undefined || (Number.isSafeInteger(testPoints) && testPoints >= 1)).toBe(
      true,
    );
  },
  fieldOf: namedFlag,
  describe: describeArgv,
};

const DIM = 3;
const validJet = {
  points: [
    [0.1, 0.2, 0.3],
    [-0.5, 0, 0.25],
  ],
  tangents: [[1, 0, 0], null, [0, 0.5, 0.5]],
};

/** A request that was accepted must make a consistent engine batch of finite numbers. */
function revalidateJet(request: JetRequest) {
  const batch = jetBatch(request);
  expect(batch.x.length).toBe(request.points.length * DIM);
  expect(batch.tangents.kind === 'dense' && batch.tangents.values.length).toBe(
    request.points.length * request.order * DIM,
  );
  expect(request.order).toBeGreaterThanOrEqual(1);
  expect(request.order).toBeLessThanOrEqual(8);
  for (const p of request.points) expect(p.every(Number.isFinite)).toBe(true);
}

const jetFlagError = (message: string, field: string) => new UsageError(message, field);

interface JetFlagInput {
  points: FuzzInput;
  tangents: FuzzInput;
}

const flagText = (input: FuzzInput) =>
  input.kind === 'text' ? input.text : (JSON.stringify(input.value) ?? '');

/** --points and --tangents as separate JSON texts, as `jetpinn jet` reads them. */
function jetFromFlags({ points, tangents }: JetFlagInput): JetRequest {
  const flags = parseFlags(
    ['--model', 'm.json', '--points', flagText(points), '--tangents', flagText(tangents)],
    jetCommand.flags,
    'jet',
  );
  return readJetRequest(
    parseJsonText(flags.requiredString('points'), jetFlagError, '--points'),
    parseJsonText(flags.requiredString('tangents'), jetFlagError, '--tangents'),
    DIM,
    { points: '--points', tangents: '--tangents' },
  );
}

/** One or both flag values mutated. */
function* jetFlagInputs(seed: number, count: number): Generator<JetFlagInput> {
  const f = new Fuzzer(seed);
  const valid = (value: unknown): FuzzInput => ({ kind: 'text', text: JSON.stringify(value) });
  for (let i = 0; i < count; i++) {
    const which = f.below(3);
    yield {
      points: which === 1 ? valid(validJet.points) : mutatedInput(f, validJet.points),
      tangents: which === 0 ? valid(validJet.tangents) : mutatedInput(f, validJet.tangents),
    };
  }
}

/**
 * Each of the two command-line fuzz runs plans over a thousand runs: 2–3 s alone here, so Vitest's
 * 5 s default is too close on a loaded two-core machine (measured: 4.9 s under load, a failure).
 */
const FUZZ_TIMEOUT_MS = 30_000;

describe('command-line fuzz', () => {
  it(
    'refuses 1200 mutated `train` command lines with a UsageError naming a flag, or plans a valid run',
    () => {
      const report = fuzzCleanly(trainTarget, argvInputs(3, 1200, trainArgv, TRAIN_FUZZ_FLAGS), {
        minRejected: 800,
        fields: ['unexpected argument', '--dim', '--width', '--steps'],
      });
      expect(report.accepted).toBeGreaterThan(0);
      // Errors about values, unknown and repeated flags, strays and combinations all occurred.
      expect(report.fields.size).toBeGreaterThan(20);
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'refuses 1000 mutated `eval` command lines with a UsageError naming a flag',
    () => {
      const base = (f: Fuzzer) => ['--model', 'm.json', '--test-points', String(1 + f.below(1e6))];
      fuzzCleanly(evalTarget, argvInputs(4, 1000, base, evalCommand.flags), {
        minRejected: 600,
        fields: ['--test-points', '--model'],
      });
    },
    FUZZ_TIMEOUT_MS,
  );

  it('refuses 1200 malformed `jet` --points/--tangents values with a UsageError naming the entry', () => {
    const target: FuzzTarget<JetRequest, JetFlagInput> = {
      errorClass: UsageError,
      parse: jetFromFlags,
      revalidate: revalidateJet,
      describe: ({ points, tangents }) =>
        `--points ${flagText(points).slice(0, 100)} --tangents ${flagText(tangents).slice(0, 100)}`,
    };
    fuzzCleanly(target, jetFlagInputs(5, 1200), {
      minRejected: 900,
      fields: ['--points', '--points[…]', '--tangents', '--tangents[…]'],
    });
  });

  it('refuses 1000 malformed `jet --input` files with a UsageError naming the field', () => {
    const target: FuzzTarget<JetRequest> = {
      errorClass: UsageError,
      parse: (input) =>
        parseJetInputFile(
          input.kind === 'text' ? input.text : (JSON.stringify(input.value) ?? ''),
          DIM,
          'in.json',
        ),
      revalidate: revalidateJet,
    };
    fuzzCleanly(target, mutatedInputs(6, 1000, validJet), {
      minRejected: 700,
      fields: ['in.json', 'in.json: points[…]', 'in.json: tangents'],
    });
  });

  const named: [string, string[], RegExp][] = [
    ['--dim=1e309', ['--dim=1e309'], /--dim must be a number, got "1e309"/],
    [
      '--steps -5',
      ['--steps', '-5'],
      /--steps: steps must be an integer in 1\.\.100000000, got -5/,
    ],
    ['--width 3.5', ['--width', '3.5'], /--width must be an integer, got "3\.5"/],
    ['an empty value', ['--dim='], /--dim must be a number, got ""/],
    ['a unicode look-alike', ['--dím', '5'], /unknown flag --dím \(did you mean --dim\?\)/],
    ['a repeated flag', ['--dim', '5', '--dim', '6'], /--dim is given more than once/],
    [
      'a megabyte flag name',
      [`--${'a'.repeat(1 << 20)}`],
      /unknown flag --a{40}… \(1048578 characters\)/,
    ],
    [
      'a 100 000-character value',
      ['--pde', 'x'.repeat(100_000)],
      /--pde must be one of .*, got "x{40}"… \(100000 characters\)/,
    ],
    [
      'a combination of flags',
      ['--dim', '2', '--jets', '5'],
      /jetsPerPoint must be ≤ dimension \(flags: --dim, --jets\)/,
    ],
  ];
  it.each(named)('names the flag in the error for %s', (_name, argv, message) => {
    const start = performance.now();
    expect(() => planTraining(parseFlags(argv, TRAIN_FLAGS, 'train'))).toThrow(message);
    expect(performance.now() - start).toBeLessThan(200);
  });

  it('refuses huge --points arrays by their length, not by reading them', () => {
    const huge = JSON.stringify(Array.from({ length: 70_000 }, () => [0, 0, 0]));
    expect(() =>
      readJetRequest(JSON.parse(huge), [[1, 0, 0]], DIM, {
        points: '--points',
        tangents: '--tangents',
      }),
    ).toThrow(
      /--points must be a list of 1\.\.65536 points, each 3 numbers, got an array of 70000/,
    );
  });
});
