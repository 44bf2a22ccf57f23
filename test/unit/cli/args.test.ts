import { describe, expect, it } from 'vitest';
import { type FlagSpec, formatFlags, parseFlags, UsageError } from '../../../src/cli/args.ts';

const specs: FlagSpec[] = [
  { name: 'name', kind: 'string', placeholder: 'text', description: 'a name' },
  { name: 'file', kind: 'string', placeholder: 'path', required: true, description: 'a file' },
  { name: 'mode', kind: 'choice', choices: ['fast', 'slow'], default: 'fast', description: 'm' },
  { name: 'count', kind: 'integer', min: 1, max: 100, default: 3, description: 'how many' },
  { name: 'rate', kind: 'number', default: 1e-3, description: 'a rate' },
  { name: 'fancy', kind: 'boolean', default: true, negatable: true, description: 'fancy' },
  { name: 'json', kind: 'boolean', default: false, negatable: false, description: 'json' },
];

const parse = (...argv: string[]) => parseFlags(['--file', 'f', ...argv], specs, 'test');

function usageError(argv: string[]): string {
  try {
    parseFlags(argv, specs, 'test');
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} parsed`);
}

describe('parseFlags', () => {
  it('reads --flag value, --flag=value, switches and their negations', () => {
    const flags = parse(
      '--name',
      'a b',
      '--mode=slow',
      '--count',
      '7',
      '--rate=2.5e-4',
      '--no-fancy',
      '--json',
    );
    expect(flags.string('name')).toBe('a b');
    expect(flags.string('mode')).toBe('slow');
    expect(flags.number('count')).toBe(7);
    expect(flags.number('rate')).toBe(2.5e-4);
    expect(flags.boolean('fancy')).toBe(false);
    expect(flags.boolean('json')).toBe(true);
    expect(flags.has('name') && flags.has('json')).toBe(true);
  });

  it('falls back to the declared defaults and tells given flags from defaults', () => {
    const flags = parse();
    expect(flags.string('name')).toBeUndefined();
    expect(flags.string('mode')).toBe('fast');
    expect(flags.number('count')).toBe(3);
    expect(flags.boolean('fancy')).toBe(true);
    expect(flags.has('count')).toBe(false);
    expect(flags.requiredString('file')).toBe('f');
  });

  it('takes values that start with a dash and scientific integers', () => {
    expect(parse('--name', '--json').string('name')).toBe('--json');
    expect(parse('--count', '1e2').number('count')).toBe(100);
    expect(parse('--rate', '-0.5').number('rate')).toBe(-0.5);
  });

  const bad: [string[], RegExp][] = [
    [['--file', 'f', '--colour', 'red'], /unknown flag --colour; `jetpinn test --help`/],
    [['--file', 'f', '--cuont', '2'], /unknown flag --cuont \(did you mean --count\?\)/],
    [['--file', 'f', '--no-json'], /unknown flag --no-json/],
    [['--file', 'f', 'stray'], /unexpected argument "stray"/],
    [['--file', 'f', '-n', 'x'], /unexpected argument "-n"/],
    [['--file', 'f', '--name'], /--name needs a value/],
    [['--file', 'f', '--count', '2', '--count', '3'], /--count is given more than once/],
    [['--file', 'f', '--fancy', '--no-fancy'], /--fancy is given more than once/],
    [['--file', 'f', '--json=yes'], /--json is a switch and takes no value/],
    [['--file', 'f', '--mode', 'medium'], /--mode must be one of fast, slow, got "medium"/],
    [['--file', 'f', '--count', 'abc'], /--count must be a number, got "abc"/],
    [['--file', 'f', '--count', ''], /--count must be a number, got ""/],
    [['--file', 'f', '--rate', '0x10'], /--rate must be a number/],
    [['--file', 'f', '--rate', 'Infinity'], /--rate must be a number/],
    [['--file', 'f', '--rate', 'NaN'], /--rate must be a number/],
    [['--file', 'f', '--rate', '1e400'], /--rate must be a number/],
    [['--file', 'f', '--count', '1.5'], /--count must be an integer, got "1.5"/],
    [['--file', 'f', '--count', '1e300'], /--count must be an integer/],
    [['--file', 'f', '--count', '0'], /--count must be at least 1, got 0/],
    [['--file', 'f', '--count', '-4'], /--count must be at least 1, got -4/],
    [['--file', 'f', '--count', '101'], /--count must be at most 100, got 101/],
    [['--name', 'x'], /--file <path> is required/],
  ];
  it.each(bad)('refuses %j with a UsageError', (argv, message) => {
    expect(usageError(argv)).toMatch(message);
  });
});

describe('formatFlags', () => {
  it('lists every flag with its values and default, and -h/--help', () => {
    const help = formatFlags(specs);
    expect(help).toContain('--name <text>');
    expect(help).toMatch(/--file <path>\s+a file \(required\)/);
    expect(help).toContain('one of fast, slow; default: fast');
    expect(help).toMatch(/--count <int>\s+how many \(default: 3\)/);
    expect(help).toMatch(/--rate <number>\s+a rate \(default: 0.001\)/);
    expect(help).toMatch(/--fancy, --no-fancy\s+fancy \(default: --fancy\)/);
    expect(help).toMatch(/--json\s+json \(default: off\)/);
    expect(help).toContain('-h, --help');
    expect(Math.max(...help.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
  });
});
