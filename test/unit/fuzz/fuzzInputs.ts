/**
 * Seeded generators of malformed inputs for the fuzz tests: valid documents mutated at random
 * paths (so the fuzz reaches the deep checks, not only the top-level one), JSON text damaged as
 * text, and a harness that classifies what each input did. Every draw comes from SeededRandom, so
 * a failing input is reproduced by its seed and index.
 */
import { expect } from 'vitest';
import { SeededRandom } from '../../../src/jet/seededRandom.ts';

export class Fuzzer {
  private readonly random: SeededRandom;

  constructor(seed: number) {
    this.random = new SeededRandom(seed, 0xf022);
  }

  /** An integer in 0..n−1. */
  below(n: number): number {
    return Math.floor(this.random.uniform() * n);
  }

  chance(p: number): boolean {
    return this.random.uniform() < p;
  }

  pick<T>(list: readonly T[]): T {
    return list[this.below(list.length)];
  }
}

/**
 * Stand-ins for what JSON.stringify cannot write (it prints NaN and ±Infinity as null, -0 as 0,
 * and has no way to write a `__proto__` key that JSON.parse then makes an own property): they
 * travel through the document as strings and become the raw text below in toJsonText.
 */
const RAW_TEXT: Record<string, string> = {
  '"\u0001inf"': '1e999',
  '"\u0001-inf"': '-1e999',
  '"\u0001-0"': '-0',
  '"\u0001nan"': 'NaN',
  '"\u0001proto"': '"__proto__"',
  '"\u0001deep"': `${'['.repeat(5000)}0${']'.repeat(5000)}`,
};
export const PROTO_KEY = '\u0001proto';
const INFINITY = '\u0001inf';
const NEG_INFINITY = '\u0001-inf';
const NEG_ZERO = '\u0001-0';
const NAN = '\u0001nan';
const DEEP_TEXT = '\u0001deep';

/** JSON text of a document that may hold the stand-ins above. */
export function toJsonText(document: unknown): string {
  let text = JSON.stringify(document) ?? 'undefined';
  for (const [marker, raw] of Object.entries(RAW_TEXT)) {
    if (text.includes(marker)) text = text.split(marker).join(raw);
  }
  return text;
}

function nested(depth: number, leaf: unknown, asObject: boolean): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = asObject ? { a: value } : [value];
  return value;
}

/** A value of the wrong type, range or size; as text some of them are NaN, ±Infinity or -0. */
export function hostileValue(f: Fuzzer): unknown {
  const values: (() => unknown)[] = [
    () => null,
    () => true,
    () => false,
    () => 0,
    () => NEG_ZERO,
    () => -1,
    () => -5,
    () => 0.5,
    () => 3.5,
    () => 1e308,
    () => -1e308,
    () => 1e39,
    () => 2 ** 53 + 2,
    () => 2 ** 31,
    () => 2 ** 32,
    () => 1 << 24,
    () => 10_000_000,
    () => INFINITY,
    () => NEG_INFINITY,
    () => NAN,
    () => '',
    () => '1',
    () => 'tanh',
    () => 'ü🙂\u0000\u202e',
    () => 'x'.repeat(100_000),
    () => '<img src=x onerror=alert(1)>',
    () => [],
    () => {},
    () => [null],
    () => [[]],
    () => [1, 2, 3],
    () => new Array<number>(f.pick([1000, 100_000])).fill(f.pick([0, 1e39, -1])),
    () => ({ [PROTO_KEY]: { polluted: true } }),
    () => ({ constructor: { prototype: { polluted: true } } }),
    () => ({ prototype: { polluted: true } }),
    // Deeper nesting goes in as raw text (DEEP_TEXT): JSON.stringify itself recurses.
    () => nested(f.pick([10, 200, 1000]), 1, f.chance(0.5)),
    () => DEEP_TEXT,
  ];
  return f.pick(values)();
}

type Container = Record<string, unknown> | unknown[];
type Path = (string | number)[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/**
 * A random path into the document: from the root, each step goes into a random child and stops
 * with probability `stop` (always at a leaf), so top-level fields and deep array entries are
 * both drawn often.
 */
export function randomPath(f: Fuzzer, document: unknown, stop = 0.25): Path {
  const path: Path = [];
  let node = document;
  while (isContainer(node) && !(path.length > 0 && f.chance(stop))) {
    const keys: (string | number)[] = Array.isArray(node)
      ? node.length === 0
        ? []
        : [f.below(node.length)]
      : Object.keys(node);
    if (keys.length === 0) break;
    const key = f.pick(keys);
    path.push(key);
    node = (node as Record<string | number, unknown>)[key];
  }
  return path;
}

function parentOf(document: unknown, path: Path): Container | null {
  let node = document;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
  return isContainer(node) ? node : null;
}

const UNKNOWN_KEYS = [
  'extra',
  PROTO_KEY,
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '',
  'ü',
  'x'.repeat(1000),
];

/** One structural mutation of the document in place (the root is replaced via the return). */
function mutateOnce(f: Fuzzer, document: unknown): unknown {
  const path = randomPath(f, document);
  const parent = parentOf(document, path);
  const key = path[path.length - 1];
  const set = (value: unknown) => {
    if (parent === null || key === undefined) return value;
    (parent as Record<string | number, unknown>)[key] = value;
    return document;
  };
  const current: unknown =
    parent === null || key === undefined
      ? document
      : (parent as Record<string | number, unknown>)[key];
  switch (f.below(7)) {
    case 0:
      return set(hostileValue(f));
    case 1: {
      if (parent === null || key === undefined) return hostileValue(f);
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      return document;
    }
    case 2: {
      // An unknown field in the object at the path (or its parent).
      const target = isContainer(current) && !Array.isArray(current) ? current : parent;
      if (target === null || Array.isArray(target)) return set(hostileValue(f));
      target[f.pick(UNKNOWN_KEYS)] = hostileValue(f);
      return document;
    }
    case 3: {
      const array = Array.isArray(current) ? current : Array.isArray(parent) ? parent : null;
      if (array === null) return set(hostileValue(f));
      const action = f.below(4);
      if (action === 0) array.pop();
      else if (action === 1) array.push(array.length > 0 ? structuredClone(array[0]) : 0);
      else if (action === 2) array.length = 0;
      else array.push(...new Array<number>(f.pick([1, 7, 10_000])).fill(0));
      return document;
    }
    case 4: {
      if (typeof current !== 'number') return set(hostileValue(f));
      const scale = f.pick([-1, 2, 1e10, 1e-10, 0, 1e300]);
      return set(current * scale + f.pick([0, 0.5, 1, -1]));
    }
    case 5:
      return set(f.chance(0.5) ? [current] : { value: current });
    default:
      return set(typeof current === 'string' ? current + f.pick(['x', '\u0000', '🙂']) : '');
  }
}

/** Damage to the text itself: truncation, a changed character, trailing garbage. */
function damageText(f: Fuzzer, text: string): string {
  const at = f.below(text.length + 1);
  switch (f.below(4)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + f.pick([...'{}[],:"0-e.', '\\', 'NaN']) + text.slice(at + 1);
    case 2:
      return text + f.pick([',', '}', ' x', '{}']);
    default:
      return text.slice(at);
  }
}

export type FuzzInput = { kind: 'text'; text: string } | { kind: 'value'; value: unknown };

/**
 * A malformed variant of `valid` (which is not modified): 1–3 structural mutations, then either
 * JSON text (sometimes damaged as text) or, for the value entry points, the mutated object with
 * real NaN, ±Infinity and -0 in place of the text stand-ins.
 */
export function mutatedInput(f: Fuzzer, valid: unknown): FuzzInput {
  let document = structuredClone(valid);
  const mutations = 1 + f.below(3);
  for (let i = 0; i < mutations; i++) document = mutateOnce(f, document);
  if (f.chance(0.15)) return { kind: 'value', value: withRealNumbers(document) };
  const text = toJsonText(document);
  return { kind: 'text', text: f.chance(0.2) ? damageText(f, text) : text };
}

/** `count` malformed variants of `valid`, reproducible from `seed`. */
export function* mutatedInputs(seed: number, count: number, valid: unknown): Generator<FuzzInput> {
  const f = new Fuzzer(seed);
  for (let i = 0; i < count; i++) yield mutatedInput(f, valid);
}

/** The document with the number stand-ins replaced by the numbers (for the object entry points). */
function withRealNumbers(document: unknown): unknown {
  const numbers: Record<string, number> = {
    [INFINITY]: Infinity,
    [NEG_INFINITY]: -Infinity,
    [NEG_ZERO]: -0,
    [NAN]: NaN,
  };
  const walk = (node: unknown, depth: number): unknown => {
    if (typeof node === 'string' && node in numbers) return numbers[node];
    if (!isContainer(node) || depth > 50) return node;
    for (const key of Object.keys(node)) {
      const record = node as Record<string, unknown>;
      record[key] = walk(record[key], depth + 1);
    }
    return node;
  };
  return walk(document, 0);
}

/** What the fuzz found wrong, if anything, for one input. */
export interface FuzzReport {
  inputs: number;
  rejected: number;
  accepted: number;
  /** Inputs that crashed with another error, gave an unclear message or failed re-validation. */
  failures: string[];
  /** The fields named by the errors (path prefixes up to the first index), with counts. */
  fields: Map<string, number>;
  slowestMs: number;
  totalMs: number;
}

type ErrorClass = new (...args: never[]) => Error;

export interface FuzzTarget<T, I = FuzzInput> {
  /** The error class (or classes) a malformed input must produce. */
  errorClass: ErrorClass | readonly ErrorClass[];
  parse(input: I): T;
  /** For an input that happened to stay valid: throws unless the result re-validates. */
  revalidate(result: T): void;
  /** The field an error names, for the report (default: its `field`, which the message holds). */
  fieldOf?(error: Error): string | null;
  describe?(input: I): string;
}

function describeInput(input: FuzzInput): string {
  const text = input.kind === 'text' ? input.text : String(JSON.stringify(input.value));
  return `${input.kind} ${text.slice(0, 160)}${text.length > 160 ? '…' : ''}`;
}

/** The field an error carries, if its message names it (a syntax error names the text). */
function carriedField(error: Error): string | null {
  const field: unknown = (error as { field?: unknown }).field;
  if (typeof field !== 'string' || field === '') return null;
  // A syntax error is about the text as a whole: V8's message gives the position.
  if (error.message.includes(field) || /not valid JSON \(.+\)/.test(error.message)) return field;
  return null;
}

/**
 * Runs every input through the target: each must be refused with the target's error class and a
 * short message that names a field, or parse to something that re-validates. Any other
 * exception (a TypeError or RangeError from deep code) is a failure.
 */
export function runFuzz<T, I = FuzzInput>(
  target: FuzzTarget<T, I>,
  inputs: Iterable<I>,
): FuzzReport {
  const describe = target.describe ?? (describeInput as (input: I) => string);
  const fieldOf = target.fieldOf ?? carriedField;
  const report: FuzzReport = {
    inputs: 0,
    rejected: 0,
    accepted: 0,
    failures: [],
    fields: new Map(),
    slowestMs: 0,
    totalMs: 0,
  };
  for (const input of inputs) {
    report.inputs++;
    const start = performance.now();
    try {
      const result = target.parse(input);
      report.accepted++;
      try {
        target.revalidate(result);
      } catch (error) {
        report.failures.push(
          `accepted but does not re-validate (${String(error)}): ${describe(input)}`,
        );
      }
    } catch (error) {
      report.rejected++;
      const classes = Array.isArray(target.errorClass) ? target.errorClass : [target.errorClass];
      if (!(error instanceof Error) || !classes.some((errorClass) => error instanceof errorClass)) {
        const thrown = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        report.failures.push(`threw ${thrown}: ${describe(input)}`);
      } else if (error.message.length > 600) {
        report.failures.push(`message of ${error.message.length} characters: ${describe(input)}`);
      } else {
        const field = fieldOf(error);
        if (field === null) {
          report.failures.push(`"${error.message}" names no field: ${describe(input)}`);
        } else {
          const group = field.replace(/\[.*$/, '[…]');
          report.fields.set(group, (report.fields.get(group) ?? 0) + 1);
        }
      }
    }
    const elapsed = performance.now() - start;
    report.totalMs += elapsed;
    report.slowestMs = Math.max(report.slowestMs, elapsed);
  }
  return report;
}

/** The own property names of Object.prototype and Array.prototype, to compare before and after. */
export function prototypeShape(): string {
  return [Object.prototype, Array.prototype, Function.prototype]
    .map((proto) => Object.getOwnPropertyNames(proto).sort().join(','))
    .join('|');
}

export interface FuzzExpectations {
  /** More inputs than this must be refused (mutations that stay valid are re-validated). */
  minRejected: number;
  /** Field groups (`parameters[…]`) that some error must have named. */
  fields?: readonly string[];
}

/**
 * Runs the fuzz and checks what every fuzz here requires: no failure, enough refusals, the listed
 * fields reached, no prototype changed or polluted, and bounded time (per input: room for a
 * garbage-collection pause, not a hang). Returns the report for further checks.
 */
export function fuzzCleanly<T, I = FuzzInput>(
  target: FuzzTarget<T, I>,
  inputs: Iterable<I>,
  { minRejected, fields = [] }: FuzzExpectations,
): FuzzReport {
  const prototypes = prototypeShape();
  const report = runFuzz(target, inputs);
  expect(report.failures.slice(0, 5)).toEqual([]);
  expect(report.rejected).toBeGreaterThan(minRejected);
  for (const field of fields) expect(report.fields.get(field), field).toBeGreaterThan(0);
  expect(prototypeShape()).toBe(prototypes);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(report.slowestMs).toBeLessThan(1000);
  expect(report.totalMs).toBeLessThan(8000);
  return report;
}
