/**
 * The CLI's argument parser (no dependency): `--name value`, `--name=value`, boolean switches
 * `--name` / `--no-name`, `-h`/`--help`. Every flag is declared once with its kind, default and
 * description; the same declaration drives parsing, value checks and the help text, so the help
 * cannot list a flag the parser does not know or miss one it does. Values are checked against
 * their kind here (numbers: decimal or scientific text that gives a finite number, -0 read as 0);
 * every error is a UsageError naming the flag, with long values cut in the message.
 */
import { describeValue } from '../validation/schema.ts';

export class UsageError extends Error {
  constructor(
    message: string,
    /** The flag or input field the error is about (`--dim`, `--points[2][0]`), when there is one. */
    readonly field = '',
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

interface FlagBase {
  /** Without the leading `--`. */
  name: string;
  description: string;
}

export type FlagSpec =
  | (FlagBase & { kind: 'string'; placeholder: string; default?: string; required?: boolean })
  | (FlagBase & { kind: 'choice'; choices: readonly string[]; default?: string })
  | (FlagBase & { kind: 'integer'; min?: number; max?: number; default?: number })
  | (FlagBase & { kind: 'number'; default?: number })
  | (FlagBase & { kind: 'boolean'; default: boolean; negatable: boolean });

export type FlagValue = string | number | boolean;

/** Flags as given on the command line; getters fall back to the declared defaults. */
export class ParsedFlags {
  constructor(
    private readonly specs: ReadonlyMap<string, FlagSpec>,
    private readonly values: ReadonlyMap<string, FlagValue>,
  ) {}

  /** Whether the flag was given explicitly (a default does not count). */
  has(name: string): boolean {
    this.spec(name);
    return this.values.has(name);
  }

  string(name: string): string | undefined {
    const spec = this.spec(name);
    if (spec.kind !== 'string' && spec.kind !== 'choice') throw kindMismatch(name, 'string');
    return (this.values.get(name) as string | undefined) ?? spec.default;
  }

  /** A string flag declared `required` (parseFlags has made sure it is there). */
  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw new UsageError(`--${name} is required`, `--${name}`);
    return value;
  }

  number(name: string): number | undefined {
    const spec = this.spec(name);
    if (spec.kind !== 'integer' && spec.kind !== 'number') throw kindMismatch(name, 'number');
    return (this.values.get(name) as number | undefined) ?? spec.default;
  }

  boolean(name: string): boolean {
    const spec = this.spec(name);
    if (spec.kind !== 'boolean') throw kindMismatch(name, 'boolean');
    return (this.values.get(name) as boolean | undefined) ?? spec.default;
  }

  /** The raw value given for a flag of any kind (undefined when not given). */
  value(name: string): FlagValue | undefined {
    this.spec(name);
    return this.values.get(name);
  }

  private spec(name: string): FlagSpec {
    const spec = this.specs.get(name);
    if (!spec) throw new Error(`the command declares no flag --${name}`);
    return spec;
  }
}

function kindMismatch(name: string, wanted: string): Error {
  return new Error(`--${name} is not a ${wanted} flag`);
}

/** Decimal or scientific notation only: Number() would also take '', '0x10' and 'Infinity'. */
const NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function convert(spec: FlagSpec, text: string): FlagValue {
  switch (spec.kind) {
    case 'string':
      return text;
    case 'choice':
      if (!spec.choices.includes(text)) {
        throw new UsageError(
          `--${spec.name} must be one of ${spec.choices.join(', ')}, got ${describeValue(text)}`,
          `--${spec.name}`,
        );
      }
      return text;
    case 'integer':
    case 'number': {
      const value = NUMBER_PATTERN.test(text) ? Number(text) : NaN;
      const flag = `--${spec.name}`;
      if (!Number.isFinite(value)) {
        throw new UsageError(`${flag} must be a number, got ${describeValue(text)}`, flag);
      }
      if (spec.kind === 'integer') {
        if (!Number.isSafeInteger(value)) {
          throw new UsageError(`${flag} must be an integer, got ${describeValue(text)}`, flag);
        }
        if (spec.min !== undefined && value < spec.min) {
          throw new UsageError(`${flag} must be at least ${spec.min}, got ${value}`, flag);
        }
        if (spec.max !== undefined && value > spec.max) {
          throw new UsageError(`${flag} must be at most ${spec.max}, got ${value}`, flag);
        }
      }
      // -0 (from "-0") reads as 0, like every other loaded number.
      return value + 0;
    }
    case 'boolean':
      throw new Error('boolean flags take no value');
  }
}

/** Edit distance, for "did you mean" on a mistyped flag. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

const HINT_DISTANCE = 2;

function unknownFlag(name: string, specs: readonly FlagSpec[], command: string): UsageError {
  // The length difference bounds the edit distance from below: a name far longer than every flag
  // (a pasted megabyte) is not compared character by character.
  const closest = specs
    .filter((spec) => Math.abs(spec.name.length - name.length) <= HINT_DISTANCE)
    .map((spec) => ({ name: spec.name, d: distance(name, spec.name) }))
    .sort((a, b) => a.d - b.d)[0];
  const hint = closest && closest.d <= HINT_DISTANCE ? ` (did you mean --${closest.name}?)` : '';
  const shown =
    name.length <= 40 ? `--${name}` : `--${name.slice(0, 40)}… (${name.length + 2} characters)`;
  return new UsageError(
    `unknown flag ${shown}${hint}; \`jetpinn ${command} --help\` lists the flags`,
    shown,
  );
}

/** Parses `argv` (the arguments after the command name) against the command's flags. */
export function parseFlags(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  command: string,
): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const values = new Map<string, FlagValue>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      throw new UsageError(
        `unexpected argument ${describeValue(arg)}: \`jetpinn ${command}\` takes only --flags`,
        describeValue(arg),
      );
    }
    const body = arg.slice(2);
    const equals = body.indexOf('=');
    const name = equals >= 0 ? body.slice(0, equals) : body;
    const inline = equals >= 0 ? body.slice(equals + 1) : undefined;
    let spec = byName.get(name);
    let negated = false;
    if (!spec && name.startsWith('no-')) {
      const positive = byName.get(name.slice(3));
      if (positive?.kind === 'boolean' && positive.negatable) {
        spec = positive;
        negated = true;
      }
    }
    if (!spec) throw unknownFlag(name, specs, command);
    if (values.has(spec.name)) {
      throw new UsageError(`--${spec.name} is given more than once`, `--${spec.name}`);
    }
    if (spec.kind === 'boolean') {
      if (inline !== undefined) {
        throw new UsageError(`--${name} is a switch and takes no value`, `--${name}`);
      }
      values.set(spec.name, !negated);
      continue;
    }
    const text = inline ?? argv[++i];
    if (text === undefined) throw new UsageError(`--${name} needs a value`, `--${name}`);
    values.set(spec.name, convert(spec, text));
  }
  for (const spec of specs) {
    if (spec.kind === 'string' && spec.required && !values.has(spec.name)) {
      throw new UsageError(`--${spec.name} <${spec.placeholder}> is required`, `--${spec.name}`);
    }
  }
  return new ParsedFlags(byName, values);
}

/** Whether the arguments ask for help (anywhere, so `train --dim 5 --help` shows it too). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

function flagLabel(spec: FlagSpec): string {
  switch (spec.kind) {
    case 'boolean':
      return spec.negatable ? `--${spec.name}, --no-${spec.name}` : `--${spec.name}`;
    case 'string':
      return `--${spec.name} <${spec.placeholder}>`;
    case 'choice':
      return `--${spec.name} <value>`;
    case 'integer':
      return `--${spec.name} <int>`;
    case 'number':
      return `--${spec.name} <number>`;
  }
}

/** What the help says after the description: accepted values and default, or "required". */
function flagDetail(spec: FlagSpec): string {
  switch (spec.kind) {
    case 'boolean':
      if (spec.negatable) return `default: --${spec.default ? '' : 'no-'}${spec.name}`;
      return `default: ${spec.default ? 'on' : 'off'}`;
    case 'string':
      if (spec.required) return 'required';
      return `default: ${spec.default ?? 'none'}`;
    case 'choice':
      return `one of ${spec.choices.join(', ')}; default: ${spec.default ?? 'none'}`;
    case 'integer':
    case 'number':
      return `default: ${spec.default ?? 'none'}`;
  }
}

const HELP_WIDTH = 100;

/** Greedy word wrap of `text` into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
}

/**
 * A row per flag (and one for -h/--help): label, then description with accepted values and
 * default, wrapped to 100 columns under the description column.
 */
export function formatFlags(specs: readonly FlagSpec[]): string {
  const rows = specs.map((spec) => ({
    label: flagLabel(spec),
    text: `${spec.description} (${flagDetail(spec)})`,
  }));
  rows.push({ label: '-h, --help', text: 'show this help' });
  const column = Math.max(...rows.map((row) => row.label.length)) + 4;
  const textWidth = Math.max(30, HELP_WIDTH - column);
  return rows
    .map(({ label, text }) =>
      wrap(text, textWidth)
        .map((line, i) => (i === 0 ? `  ${label}`.padEnd(column) : ' '.repeat(column)) + line)
        .join('\n'),
    )
    .join('\n');
}
