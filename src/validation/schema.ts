/**
 * Building blocks of the explicit schemas that everything loaded from outside goes through (model
 * files, checkpoints, command-line values, URL state). Each reader checks one value's type, range
 * and size and returns it typed, or throws the caller's own error class with a message that
 * names the field path (`parameters[2].weight[5]`), what was expected and what was found.
 *
 * The rules every schema here keeps:
 * - sizes are checked before anything is allocated from them (an array's length against the width
 *   its header declares), and every size has a cap;
 * - numbers are finite (JSON text such as 1e999 parses to Infinity) and -0 reads as 0;
 * - objects have a closed list of fields; `__proto__`, `constructor` and `prototype` are refused
 *   by name wherever they appear (JSON.parse makes `__proto__` an own key, and a later spread or
 *   assignment would replace an object's prototype), so no loaded key can reach a prototype;
 * - error messages quote at most a short, truncated description of the value found, so a
 *   megabyte string or a deeply nested array cannot flood a terminal or overflow the stack.
 */

/** Makes the caller's error from a message and the path of the field it is about. */
export type SchemaErrorFactory = (message: string, field: string) => Error;

export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

const MAX_QUOTED_CHARS = 40;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * A short description of any value for an error message: numbers and short strings as they are
 * (NaN, Infinity and -0 included), long strings cut, arrays and objects by their size and first
 * keys. Never recursive, so hostile nesting costs nothing here.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'string':
      return value.length <= MAX_QUOTED_CHARS
        ? JSON.stringify(value)
        : `${JSON.stringify(value.slice(0, MAX_QUOTED_CHARS))}… (${value.length} characters)`;
    case 'undefined':
      return 'nothing (the field is missing)';
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `an array of ${value.length} entries`;
      const keys = Object.keys(value);
      const shown = keys.slice(0, 3).map((key) => JSON.stringify(truncate(key, 20)));
      if (keys.length > 3) shown.push('…');
      return keys.length === 0 ? 'an empty object' : `an object {${shown.join(', ')}}`;
    }
    default:
      return `a ${typeof value}`;
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * `parent[3]`, `parent.key`, or `parent["odd key"]` for keys that are not identifiers (cut like
 * any quoted value when they are long).
 */
export function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (!IDENTIFIER.test(key) || key.length > MAX_QUOTED_CHARS) {
    return `${parent}[${describeValue(key)}]`;
  }
  return parent === '' ? key : `${parent}.${key}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface JsonTreeLimits {
  /** Nesting levels below the value itself. */
  maxDepth: number;
  /** Characters of the value as JSON text (counted while walking, without serializing it). */
  maxChars: number;
}

/** Reads values for one kind of input, throwing that input's own error class. */
export class SchemaReader {
  constructor(private readonly makeError: SchemaErrorFactory) {}

  /** Throws "`field` `detail`" as the input's error. */
  fail(field: string, detail: string): never {
    throw this.makeError(`${field} ${detail}`, field);
  }

  /** Throws "`field` must be `what`, got `description of found`". */
  expected(field: string, what: string, found: unknown): never {
    return this.fail(field, `must be ${what}, got ${describeValue(found)}`);
  }

  /**
   * An object whose keys are all in `allowed` (absent ones read as undefined). `name` is how
   * messages call it (the top level has no path: "the checkpoint").
   */
  object(
    field: string,
    value: unknown,
    allowed: readonly string[],
    name = field,
  ): Record<string, unknown> {
    if (!isPlainObject(value)) return this.expected(name, 'an object', value);
    for (const key of Object.keys(value)) this.checkKey(name, key, allowed);
    return value;
  }

  /** Refuses prototype keys by name and keys outside `allowed` (when given). */
  checkKey(name: string, key: string, allowed?: readonly string[]): void {
    if (FORBIDDEN_KEYS.includes(key)) {
      this.fail(name, `has a forbidden field ${JSON.stringify(key)}`);
    }
    if (allowed && !allowed.includes(key)) {
      this.fail(
        name,
        `has an unknown field ${describeValue(key)} (allowed: ${allowed.join(', ')})`,
      );
    }
  }

  integer(field: string, value: unknown, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return this.expected(field, `an integer in ${min}..${max}`, value);
    }
    return value + 0;
  }

  /** A finite number, at least `min` when given. */
  finite(field: string, value: unknown, min = -Infinity): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      return this.expected(field, `a finite number${min > -Infinity ? ` ≥ ${min}` : ''}`, value);
    }
    return value + 0;
  }

  oneOf<T extends string>(field: string, value: unknown, choices: readonly T[]): T {
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      return this.expected(field, `one of ${choices.join(', ')}`, value);
    }
    return value as T;
  }

  /** An array of `min`..`max` entries (its entries are the caller's to read). */
  array(field: string, value: unknown, min: number, max: number): unknown[] {
    if (!Array.isArray(value)) {
      return this.expected(field, `an array of ${min}..${max} entries`, value);
    }
    if (value.length < min || value.length > max) {
      this.fail(field, `has ${value.length} entries, allowed: ${min}..${max}`);
    }
    return value;
  }

  /**
   * Exactly `length` finite numbers (each ≥ `min`) that fit float32. The length is compared first,
   * so a declared size that does not match the data allocates nothing. `why` explains the length.
   */
  float32Array(field: string, value: unknown, length: number, why = '', min = -Infinity) {
    if (!Array.isArray(value)) return this.expected(field, 'an array of numbers', value);
    if (value.length !== length) {
      this.fail(field, `must have ${length} numbers${why && ` (${why})`}, has ${value.length}`);
    }
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      out[i] = this.finite(fieldPath(field, i), value[i], min);
      if (!Number.isFinite(out[i])) {
        this.fail(fieldPath(field, i), `= ${describeValue(value[i])} is outside the float32 range`);
      }
    }
    return out;
  }

  /**
   * A free-form JSON value (a record kept for provenance, not interpreted here): only JSON types,
   * finite numbers, no prototype keys, bounded depth and size. Walks the value once, refusing it
   * as soon as a limit is passed, so a hostile tree is never serialized or copied whole.
   */
  jsonTree(field: string, value: unknown, limits: JsonTreeLimits): JsonValue {
    let chars = 0;
    const count = (n: number) => {
      chars += n;
      if (chars > limits.maxChars) {
        this.fail(field, `is larger than ${limits.maxChars} characters of JSON`);
      }
    };
    const walk = (where: string, node: unknown, depth: number): void => {
      if (depth > limits.maxDepth) {
        this.fail(where, `is nested deeper than ${limits.maxDepth} levels`);
      }
      if (node === null || typeof node === 'boolean') return count(5);
      if (typeof node === 'number') {
        if (!Number.isFinite(node)) this.expected(where, 'a finite number', node);
        return count(24);
      }
      if (typeof node === 'string') return count(node.length + 2);
      if (Array.isArray(node)) {
        count(2);
        node.forEach((entry: unknown, i) => walk(fieldPath(where, i), entry, depth + 1));
        return;
      }
      if (!isPlainObject(node)) return this.expected(where, 'a JSON value', node);
      count(2);
      for (const [key, entry] of Object.entries(node)) {
        this.checkKey(where, key);
        count(key.length + 3);
        walk(fieldPath(where, key), entry, depth + 1);
      }
    };
    walk(field, value, 0);
    return value as JsonValue;
  }
}

/**
 * JSON.parse with a syntax error turned into the input's error: "`subject` is not valid JSON (…)",
 * or "not valid JSON (…)" when the error class already says what was read. JSON.parse itself
 * is iterative in V8, so deep nesting in the text cannot overflow the stack here.
 */
export function parseJsonText(text: string, makeError: SchemaErrorFactory, subject = ''): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = `not valid JSON (${truncate((error as Error).message, 200)})`;
    throw makeError(subject ? `${subject} is ${detail}` : detail, subject || 'the JSON text');
  }
}
