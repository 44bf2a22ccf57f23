import { describe, expect, it } from 'vitest';
import {
  describeValue,
  fieldPath,
  parseJsonText,
  SchemaReader,
} from '../../../src/validation/schema.ts';

class TestError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

const schema: SchemaReader = new SchemaReader((message, field) => new TestError(message, field));

function errorOf(read: () => unknown): TestError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(TestError);
    return error as TestError;
  }
  throw new Error('accepted');
}

describe('schema readers', () => {
  it('describe any value in a few characters, without recursing', () => {
    expect(describeValue(NaN)).toBe('NaN');
    expect(describeValue(-Infinity)).toBe('-Infinity');
    expect(describeValue(-0)).toBe('-0');
    expect(describeValue(1e39)).toBe('1e+39');
    expect(describeValue('a"b')).toBe('"a\\"b"');
    expect(describeValue('x'.repeat(1000))).toBe(`"${'x'.repeat(40)}"… (1000 characters)`);
    expect(describeValue(undefined)).toBe('nothing (the field is missing)');
    expect(describeValue(new Array(1e6))).toBe('an array of 1000000 entries');
    expect(describeValue(JSON.parse('{"__proto__": 1, "b": 2, "c": 3, "d": 4}'))).toBe(
      'an object {"__proto__", "b", "c", …}',
    );
    expect(describeValue({})).toBe('an empty object');
  });

  it('write field paths that a reader can follow', () => {
    expect(fieldPath('', 'format')).toBe('format');
    expect(fieldPath('layers', 2)).toBe('layers[2]');
    expect(fieldPath('layers[2]', 'weight')).toBe('layers[2].weight');
    expect(fieldPath('metrics', 'a b')).toBe('metrics["a b"]');
    expect(fieldPath('m', 'k'.repeat(100))).toBe(`m["${'k'.repeat(40)}"… (100 characters)]`);
  });

  it('refuse prototype keys and unknown fields by name, on the object that holds them', () => {
    const proto = errorOf(() => schema.object('a.b', JSON.parse('{"__proto__": {}}'), ['x']));
    expect(proto.message).toBe('a.b has a forbidden field "__proto__"');
    expect(proto.field).toBe('a.b');
    expect(errorOf(() => schema.object('o', { constructor: 1 }, ['constructor'])).message).toBe(
      'o has a forbidden field "constructor"',
    );
    expect(errorOf(() => schema.object('o', { y: 1 }, ['x'])).message).toBe(
      'o has an unknown field "y" (allowed: x)',
    );
    expect(errorOf(() => schema.object('o', [1], ['x'])).message).toBe(
      'o must be an object, got an array of 1 entries',
    );
  });

  it('read numbers as finite, in range, with -0 as 0', () => {
    expect(Object.is(schema.integer('n', -0, 0, 5), 0)).toBe(true);
    expect(Object.is(schema.finite('x', -0), 0)).toBe(true);
    expect(errorOf(() => schema.integer('n', 2.5, 0, 5)).message).toBe(
      'n must be an integer in 0..5, got 2.5',
    );
    expect(errorOf(() => schema.finite('x', Infinity)).message).toBe(
      'x must be a finite number, got Infinity',
    );
    expect(errorOf(() => schema.finite('x', -1, 0)).message).toBe(
      'x must be a finite number ≥ 0, got -1',
    );
  });

  it('compare an array length with the declared one before allocating, then check each entry', () => {
    const huge = new Array<number>(1 << 20).fill(0);
    expect(errorOf(() => schema.float32Array('w', huge, 1 << 30, '2^30 declared')).message).toBe(
      'w must have 1073741824 numbers (2^30 declared), has 1048576',
    );
    expect(errorOf(() => schema.float32Array('w', [0, 1e39], 2)).message).toBe(
      'w[1] = 1e+39 is outside the float32 range',
    );
    expect(errorOf(() => schema.float32Array('w', [0, '1'], 2)).field).toBe('w[1]');
    expect(schema.float32Array('w', [0.5, -2], 2)).toEqual(Float32Array.of(0.5, -2));
  });

  it('bound free-form JSON by depth and size and refuse prototype keys inside it', () => {
    const limits = { maxDepth: 3, maxChars: 100 };
    expect(schema.jsonTree('t', { a: [1, { b: 'c' }] }, limits)).toEqual({ a: [1, { b: 'c' }] });
    expect(errorOf(() => schema.jsonTree('t', { a: [[[1]]] }, limits)).message).toBe(
      't.a[0][0][0] is nested deeper than 3 levels',
    );
    expect(errorOf(() => schema.jsonTree('t', { a: 'x'.repeat(200) }, limits)).message).toBe(
      't is larger than 100 characters of JSON',
    );
    expect(
      errorOf(() => schema.jsonTree('t', JSON.parse('{"a": {"__proto__": 1}}'), limits)).message,
    ).toBe('t.a has a forbidden field "__proto__"');
    expect(errorOf(() => schema.jsonTree('t', { a: NaN }, limits)).message).toBe(
      't.a must be a finite number, got NaN',
    );
    // A million-entry array stops at the size limit, not after walking it.
    expect(errorOf(() => schema.jsonTree('t', new Array(1e6).fill(0), limits)).field).toBe('t');
  });

  it('turn a JSON syntax error into the caller’s error', () => {
    const make = (message: string, field: string) => new TestError(message, field);
    expect(errorOf(() => parseJsonText('{"a":', make)).message).toMatch(/^not valid JSON \(.+\)$/);
    expect(errorOf(() => parseJsonText('[', make, 'in.json')).message).toMatch(
      /^in\.json is not valid JSON/,
    );
  });
});
