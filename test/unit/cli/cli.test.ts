import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlagSpec } from '../../../src/cli/args.ts';
import { COMMANDS, runCli } from '../../../src/cli/cli.ts';
import { exitCodes } from '../../../src/cli/exitCodes.ts';
import { serializeModel } from '../../../src/engine/modelFile.ts';
import { initParameters } from '../../../src/jet/mlp.ts';
import { architectureOf, resolveTrainingOptions } from '../../../src/train/options.ts';
import { fakeIo } from './fakeIo.ts';

const dir = mkdtempSync(join(tmpdir(), 'jetpinn-cli-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options = resolveTrainingOptions({ dimension: 3, jetsPerPoint: 2, width: 5, depth: 2 });
const modelPath = join(dir, 'model.json');
writeFileSync(
  modelPath,
  serializeModel(architectureOf(options), initParameters(architectureOf(options), 3), {
    training: { ...options },
  }),
);

async function run(...argv: string[]) {
  const io = fakeIo();
  const code = await runCli(argv, io);
  return { code, out: io.out, err: io.err };
}

/** The help with wrapped descriptions joined back onto their flag's line. */
function helpLines(help: string): string[] {
  return help.split('\n').reduce<string[]>((lines, line) => {
    if (/^ {6,}\S/.test(line) && lines.length > 0) lines[lines.length - 1] += ` ${line.trim()}`;
    else lines.push(line);
    return lines;
  }, []);
}

function expectedDetail(spec: FlagSpec): string {
  switch (spec.kind) {
    case 'boolean':
      return spec.negatable
        ? `default: --${spec.default ? '' : 'no-'}${spec.name}`
        : `default: ${spec.default ? 'on' : 'off'}`;
    case 'string':
      return spec.required ? '(required)' : `default: ${spec.default ?? 'none'}`;
    default:
      return `default: ${spec.default ?? 'none'}`;
  }
}

describe('jetpinn help', () => {
  it('lists the commands; no command at all is a usage error', async () => {
    const help = await run('--help');
    expect(help.code).toBe(exitCodes.ok);
    for (const command of COMMANDS) expect(help.out).toContain(`  ${command.name} `);
    const none = await run();
    expect(none.code).toBe(exitCodes.usage);
    expect(none.out).toContain('Usage: jetpinn <command>');
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    '`%s --help` lists every flag with its default',
    async (name, command) => {
      const { code, out } = await run(name, '--help');
      expect(code).toBe(exitCodes.ok);
      const lines = helpLines(out);
      for (const spec of command.flags) {
        // The name ends where the flag does: --gpinn is not the line of --gpinn-weight.
        const line = lines.find((l) => new RegExp(`^  --${spec.name}(?![\\w-])`).test(l));
        expect(line, `--${spec.name}`).toBeDefined();
        expect(line).toContain(expectedDetail(spec));
      }
      expect(out).toContain('-h, --help');
    },
  );

  it('shows the training defaults (the STDE setup)', async () => {
    const lines = helpLines((await run('train', '--help')).out);
    const line = (flag: string) => lines.find((l) => l.startsWith(`  --${flag} `)) ?? '';
    expect(line('dim')).toContain('default: 100');
    expect(line('width')).toContain('default: 128');
    expect(line('lr')).toContain('default: 0.001');
    expect(line('steps')).toContain('default: 10000');
    expect(line('pde')).toContain('default: allen-cahn-two-body');
  });
});

describe('jetpinn command-line errors (exit code 2, nothing run)', () => {
  const cases: [string[], RegExp][] = [
    [['fly'], /unknown command "fly" \(commands: train, eval, jet, export\)/],
    [['train', '--lr', 'abc'], /--lr must be a number, got "abc"/],
    [['train', '--lr', '20'], /--lr: learningRate must be a finite number in \(0, 10\], got 20/],
    [['train', '--width', '-8'], /--width: width must be an integer in 1\.\.4096, got -8/],
    [['train', '--dim', '0'], /--dim: dimension must be an integer/],
    [['train', '--dim', '2', '--jets', '16'], /jetsPerPoint must be ≤ dimension/],
    [['train', '--pde', 'navier-stokes'], /--pde must be one of poisson-two-body/],
    [['train', '--optimiser', 'sgd'], /unknown flag --optimiser \(did you mean --optimizer\?\)/],
    [['train', '--loss', 'unbiased'], /the unbiased loss .* collapsed = false \(--no-collapsed\)/],
    [['train', '--no-json'], /unknown flag --no-json/],
    [['train', '--checkpoint-every', '5'], /--checkpoint-every needs --checkpoint/],
    [['train', '--steps', '10', '--stop-at', '50'], /--stop-at 50 is after the run's last step 10/],
    [['train', '--out', '/no/such/folder/m.json'], /--out \/no\/such\/folder\/m.json: the folder/],
    [
      ['train', '--resume', 'c.json', '--lr', '0.1', '--dim', '5'],
      /only --lr may change\); drop --dim\n$/,
    ],
    [
      ['train', '--dim', '100000', '--checkpoint', join(dir, 'big.json')],
      /--checkpoint: the file would hold \d+ numbers, more than the 21474835/,
    ],
    [['eval'], /--model <file> is required/],
    [['eval', '--model', modelPath, '--test-points', '0'], /--test-points must be at least 1/],
    [['eval', '--model', modelPath, '--test-points', '1e8'], /--test-points: testPoints must be/],
    [['jet', '--model', modelPath, '--cpu'], /give --points and --tangents/],
    [
      ['jet', '--model', modelPath, '--points', '[[0,0,0]', '--tangents', '[[1,0,0]]'],
      /--points is not valid JSON/,
    ],
    [
      ['jet', '--model', modelPath, '--input', 'x.json', '--points', '[]'],
      /either --input or --points/,
    ],
  ];
  it.each(cases)('%j', async (argv, message) => {
    const { code, err, out } = await run(...argv);
    expect(err).toMatch(message);
    expect(err).toMatch(/^jetpinn( \w+)?: /);
    expect(code).toBe(exitCodes.usage);
    expect(out).toBe('');
  });
});

describe('jetpinn input-file errors (exit code 1)', () => {
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reports an unreadable or invalid checkpoint', async () => {
    const missing = await run('train', '--resume', join(dir, 'missing.json'));
    expect(missing.code).toBe(exitCodes.failure);
    expect(missing.err).toMatch(/cannot read --resume .*missing\.json/);
    const broken = await run(
      'train',
      '--resume',
      file('broken.json', '{"format": "jetpinn-checkp'),
    );
    expect(broken.code).toBe(exitCodes.failure);
    expect(broken.err).toMatch(/Invalid checkpoint: not valid JSON/);
  });

  it('eval refuses a model without a PDE, with options for another network, or malformed', async () => {
    const arch = architectureOf(options);
    const bare = await run(
      'eval',
      '--model',
      file('bare.json', serializeModel(arch, initParameters(arch, 1))),
    );
    expect(bare.code).toBe(exitCodes.failure);
    expect(bare.err).toMatch(/the model has no PDE/);
    const other = file(
      'other.json',
      serializeModel(arch, initParameters(arch, 1), { training: { ...options, width: 6 } }),
    );
    expect((await run('eval', '--model', other)).err).toMatch(
      /is not the one its training options describe/,
    );
    const badOptions = file(
      'bad-options.json',
      serializeModel(arch, initParameters(arch, 1), {
        training: { ...options, estimator: 'magic' },
      }),
    );
    expect((await run('eval', '--model', badOptions)).err).toMatch(
      /training options are invalid: estimator must be one of/,
    );
    const truncated = await run('eval', '--model', file('truncated.json', '{"format":"jetpinn-mo'));
    expect(truncated.code).toBe(exitCodes.failure);
    expect(truncated.err).toMatch(/Invalid model file: not valid JSON/);
  });

  it('eval refuses --test-points for a parabolic model: it is scored at (0, 0)', async () => {
    const parabolic = resolveTrainingOptions({
      pde: 'semilinear-heat',
      dimension: 3,
      jetsPerPoint: 2,
      width: 5,
      depth: 2,
    });
    const arch = architectureOf(parabolic);
    const path = file(
      'heat.json',
      serializeModel(arch, initParameters(arch, 1), { training: { ...parabolic } }),
    );
    const { code, err } = await run('eval', '--model', path, '--test-points', '100');
    expect(code).toBe(exitCodes.usage);
    expect(err).toMatch(/--test-points: semilinear-heat is scored at the single point \(0, 0\)/);
  });
});
