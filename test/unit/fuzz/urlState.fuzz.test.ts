import { describe, expect, it } from 'vitest';
import { randomKey, WordStream } from '../../../src/random/counterRandom.ts';
import type { TrainingOptions } from '../../../src/train/options.ts';
import {
  CONTROLLED_OPTIONS,
  type ControlledOption,
  dashboardDefaults,
  validationProblem,
} from '../../../src/ui/dashboardOptions.ts';
import {
  HIDEABLE,
  KEYS,
  MAX_PARAMETERS,
  MAX_QUERY_CHARS,
  MAX_VALUE_CHARS,
  optionsFromQuery,
  optionsToQuery,
} from '../../../src/ui/urlState.ts';

/**
 * Hostile and malformed links, generated from a seed: each case starts from a valid link and
 * breaks it in one to three ways (truncation, wrong types, NaN/Infinity, huge numbers, negative
 * sizes, unknown keys, prototype-pollution keys, very long values, repeated keys, malformed percent
 * escapes, too many parameters, an overlong query). Every case must come back as runnable options
 * without throwing, quickly, with no prototype touched; a mutation that certainly breaks a value
 * must be reported by a message naming its parameter, and that option must fall back to the
 * default.
 */

const CASES = 1500;
const SEED = 2024;

class Draws {
  private readonly stream: WordStream;
  /** Options a mutation of this case has changed: each option is broken at most once per case. */
  private readonly touched = new Set<ControlledOption>();
  constructor(index: number) {
    this.stream = new WordStream(randomKey(SEED, 0), 0, index, 0);
  }
  below(n: number): number {
    return this.stream.uniformBelow(n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
  /** An option no earlier mutation of this case changed. */
  option(from: readonly ControlledOption[]): ControlledOption {
    const option = this.pick(from.filter((o) => !this.touched.has(o)));
    this.touched.add(option);
    return option;
  }
  letters(length: number): string {
    return Array.from({ length }, () => String.fromCharCode(97 + this.below(26))).join('');
  }
}

const NUMERIC: ControlledOption[] = [
  'dimension',
  'jetsPerPoint',
  'points',
  'width',
  'depth',
  'firstLayerGain',
  'learningRate',
  'steps',
  'seed',
];
const SIZES: ControlledOption[] = [
  'dimension',
  'jetsPerPoint',
  'points',
  'width',
  'depth',
  'steps',
];
const POLLUTION_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '__proto__[polluted]',
  '__proto__.polluted',
  'constructor[prototype][polluted]',
  'constructor.prototype.polluted',
  'hasOwnProperty',
  'toString',
  'valueOf',
  '__defineGetter__',
];

type Pairs = [string, string][];

/** What a mutation guarantees about the result. */
interface Expectation {
  /** Some problem contains this text. */
  mentions: string;
  /** This option ends up at the default. */
  fallsBack?: ControlledOption;
}

interface Mutation {
  name: string;
  /** Changes the (still encoded) pairs; returns what it guarantees, or null for nothing. */
  apply(pairs: Pairs, draws: Draws): Expectation | null;
  /** Rewrites the whole query instead (then it is the case's only mutation). */
  whole?: (query: string, draws: Draws) => { query: string; expectation: Expectation | null };
}

/** Sets `option`'s value (already encoded) in place, so the parameter count stays the same. */
function setValue(pairs: Pairs, option: ControlledOption, encoded: string): Expectation {
  const key = KEYS[option];
  const index = pairs.findIndex(([k]) => k === key);
  pairs[index] = [key, encoded];
  return { mentions: `${key}:`, fallsBack: option };
}

function wrongWord(option: ControlledOption, draws: Draws): string {
  const words = ['abc', '1.2.3', '0x10', ' 12', '1_000', '[]', '{}', 'null', 'undefined', '--1'];
  if (option === 'collapsed') return draws.pick(['yes', 'maybe', '2', 'TRUE ', '']);
  return draws.pick([...words, draws.letters(1 + draws.below(10))]);
}

const mutations: Mutation[] = [
  {
    name: 'wrong type',
    apply: (pairs, draws) => {
      const option = draws.option(CONTROLLED_OPTIONS);
      return setValue(pairs, option, encodeURIComponent(wrongWord(option, draws)));
    },
  },
  {
    name: 'NaN or Infinity',
    apply: (pairs, draws) => {
      const text = draws.pick(['NaN', 'Infinity', '-Infinity', '1e999', '-1e400', '+Infinity']);
      return setValue(pairs, draws.option(NUMERIC), encodeURIComponent(text));
    },
  },
  {
    name: 'huge number',
    apply: (pairs, draws) => {
      const text = draws.pick(['1e300', '99999999999999999999', '2e10', '1.7976931348623157e308']);
      return setValue(pairs, draws.option(NUMERIC), text);
    },
  },
  {
    name: 'negative or zero size',
    apply: (pairs, draws) => {
      const text = draws.pick(['-1', '0', '-0', '-1e6', `-${1 + draws.below(1000)}`]);
      return setValue(pairs, draws.option(SIZES), text);
    },
  },
  {
    name: 'fractional count',
    apply: (pairs, draws) => setValue(pairs, draws.option(SIZES), `${2 + draws.below(50)}.5`),
  },
  {
    name: 'empty value',
    apply: (pairs, draws) => setValue(pairs, draws.option(CONTROLLED_OPTIONS), ''),
  },
  {
    name: 'control characters and unicode',
    apply: (pairs, draws) => {
      const text = draws.pick(['\u0000', '10\u0000', '\u202e01', '１０', '😀', '\n10', '\t']);
      return setValue(pairs, draws.option(CONTROLLED_OPTIONS), encodeURIComponent(text));
    },
  },
  {
    name: 'unknown key',
    apply: (pairs, draws) => {
      const key = `x${draws.letters(1 + draws.below(12))}`;
      pairs.splice(draws.below(pairs.length + 1), 0, [key, draws.letters(3)]);
      return { mentions: `unknown parameter ${JSON.stringify(key)}` };
    },
  },
  {
    name: 'prototype pollution key',
    apply: (pairs, draws) => {
      const key = draws.pick(POLLUTION_KEYS);
      const value = draws.pick(['polluted', '{"polluted":1}', '1', 'true']);
      pairs.splice(draws.below(pairs.length + 1), 0, [
        encodeURIComponent(key),
        encodeURIComponent(value),
      ]);
      return { mentions: JSON.stringify(key) };
    },
  },
  {
    name: 'very long value',
    apply: (pairs, draws) => {
      const length = MAX_VALUE_CHARS + 1 + draws.below(2000);
      const text = draws.pick(['1', 'a', '9']).repeat(length);
      const option = draws.option(CONTROLLED_OPTIONS);
      return { ...setValue(pairs, option, text), mentions: 'characters long' };
    },
  },
  {
    name: 'repeated key',
    apply: (pairs, draws) => {
      const option = draws.option(CONTROLLED_OPTIONS);
      const key = KEYS[option];
      const [, value] = pairs.find(([k]) => k === key) ?? [key, ''];
      pairs.push([key, value]);
      return { mentions: `${JSON.stringify(key)} is given`, fallsBack: option };
    },
  },
  {
    name: 'malformed percent escape in a value',
    apply: (pairs, draws) => {
      const text = draws.pick(['%', '%zz', '1%', '%E0%A4%A', '%FF', '%%', '%C3%28', '%u0041']);
      const option = draws.option(CONTROLLED_OPTIONS);
      return { ...setValue(pairs, option, text), mentions: 'malformed % escape' };
    },
  },
  {
    name: 'malformed percent escape in a key',
    apply: (pairs, draws) => {
      pairs.splice(draws.below(pairs.length + 1), 0, [draws.pick(['%', 'd%zz', '%FFim']), '1']);
      return { mentions: 'malformed % escape' };
    },
  },
  {
    name: 'truncated',
    apply: () => null,
    whole: (query, draws) => ({
      query: query.slice(0, draws.below(query.length)),
      expectation: null,
    }),
  },
  {
    name: 'too many parameters',
    apply: () => null,
    whole: (query, draws) => {
      const extra = Array.from(
        { length: MAX_PARAMETERS + 1 + draws.below(200) },
        (_, i) => `k${i}=${i}`,
      );
      return { query: `${query}&${extra.join('&')}`, expectation: { mentions: 'parameters' } };
    },
  },
  {
    name: 'overlong query',
    apply: () => null,
    whole: (query, draws) => ({
      query: `${query}&pad=${'p'.repeat(MAX_QUERY_CHARS + draws.below(100_000))}`,
      expectation: { mentions: `at most ${MAX_QUERY_CHARS}` },
    }),
  },
];

/** A valid link with some options off their defaults. */
function baseOptions(draws: Draws): TrainingOptions {
  return {
    ...dashboardDefaults,
    dimension: draws.pick([4, 6, 10, 20]),
    width: draws.pick([16, 24, 32]),
    depth: draws.pick([1, 2, 3]),
    learningRate: draws.pick([1e-3, 3e-3, 0.01]),
    firstLayerGain: draws.pick([1, 2.5, Math.sqrt(12)]),
    collapsed: draws.pick([true, false]),
    seed: draws.below(2 ** 32 - 1),
  };
}

function queryOf(pairs: Pairs): string {
  return `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
}

describe('URL state fuzz', () => {
  it(`${CASES} malformed links each give runnable options and say what was wrong`, () => {
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const defaultKeys = Object.keys(dashboardDefaults).sort();
    let slowest = 0;
    const used = new Map<string, number>();
    const start = performance.now();
    for (let index = 0; index < CASES; index++) {
      const draws = new Draws(index);
      const base = baseOptions(draws);
      const baseQuery = optionsToQuery(base);
      const pairs: Pairs = baseQuery
        .slice(1)
        .split('&')
        .map((part) => part.split('=') as [string, string]);
      const expectations: Expectation[] = [];
      let query: string;
      const first = draws.pick(mutations);
      if (first.whole) {
        const whole = first.whole(baseQuery, draws);
        query = whole.query;
        if (whole.expectation) expectations.push(whole.expectation);
        used.set(first.name, (used.get(first.name) ?? 0) + 1);
      } else {
        const chosen = [first];
        const count = 1 + draws.below(3);
        while (chosen.length < count) {
          const next = draws.pick(mutations);
          if (!next.whole) chosen.push(next);
        }
        for (const mutation of chosen) {
          const expectation = mutation.apply(pairs, draws);
          if (expectation) expectations.push(expectation);
          used.set(mutation.name, (used.get(mutation.name) ?? 0) + 1);
        }
        query = queryOf(pairs);
        // Long values can push the whole query past its cap: then that is the one problem.
        if (query.length > MAX_QUERY_CHARS) {
          expectations.length = 0;
          expectations.push({ mentions: `at most ${MAX_QUERY_CHARS}` });
        }
      }

      const before = performance.now();
      const result = optionsFromQuery(query, dashboardDefaults);
      slowest = Math.max(slowest, performance.now() - before);

      const context = `case ${index}: ${query.slice(0, 300)}`;
      expect(validationProblem({ ...result.options }), context).toBeNull();
      expect(Object.getPrototypeOf(result.options), context).toBe(Object.prototype);
      expect(Object.keys(result.options).sort(), context).toEqual(defaultKeys);
      for (const name of result.hidden) expect(HIDEABLE, context).toContain(name);
      for (const problem of result.problems) {
        expect(typeof problem, context).toBe('string');
        expect(problem.length, context).toBeLessThan(600);
      }
      if (expectations.length > 0) expect(result.problems.length, context).toBeGreaterThan(0);
      for (const expectation of expectations) {
        expect(
          result.problems.some((p) => p.includes(expectation.mentions)),
          `${context}\nexpected a problem mentioning ${expectation.mentions}, got ${JSON.stringify(result.problems)}`,
        ).toBe(true);
        if (expectation.fallsBack) {
          const option = expectation.fallsBack;
          expect(result.options[option], `${context} (${option})`).toBe(dashboardDefaults[option]);
        }
      }
    }
    const elapsed = performance.now() - start;

    // Nothing reached a prototype: no new keys, no `polluted` anywhere an object would see it.
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.toString.call({})).toBe('[object Object]');
    // Every kind of damage was tried, many times.
    for (const mutation of mutations) expect(used.get(mutation.name) ?? 0).toBeGreaterThan(30);
    // Bounded time: the caps keep even a 100 kB query cheap (a call takes well under 5 ms; the
    // bound leaves room for a garbage collection on a busy machine, not for a hang).
    expect(slowest).toBeLessThan(100);
    expect(elapsed).toBeLessThan(20_000);
  });

  it('a valid link round-trips with no problems, the hide list and rollback included', () => {
    const draws = new Draws(CASES + 1);
    for (let k = 0; k < 50; k++) {
      const options = baseOptions(draws);
      const hidden = [draws.pick(HIDEABLE), draws.pick(HIDEABLE)].filter(
        (name, i, all) => all.indexOf(name) === i,
      );
      const rollback = draws.below(2) === 0;
      const query = optionsToQuery(options, hidden, null, rollback);
      const result = optionsFromQuery(query, dashboardDefaults);
      expect(result.problems).toEqual([]);
      expect(result.options).toEqual(options);
      expect(result.hidden).toEqual(hidden);
      expect(result.rollback).toBe(rollback);
    }
  });

  it('names the parameter, quotes its value as text and keeps the good ones', () => {
    const result = optionsFromQuery(
      '?dim=20&lr=Infinity&width=-3&__proto__=1&hide=dim,nonsense&seed=7&seed=8&B=%zz',
      dashboardDefaults,
    );
    expect(result.options.dimension).toBe(20);
    expect(result.options.learningRate).toBe(dashboardDefaults.learningRate);
    expect(result.options.width).toBe(dashboardDefaults.width);
    expect(result.options.seed).toBe(dashboardDefaults.seed);
    expect(result.options.jetsPerPoint).toBe(dashboardDefaults.jetsPerPoint);
    expect(result.hidden).toEqual(['dim']);
    expect(result.problems).toEqual([
      '"B" has a malformed % escape in "%zz"; ignored',
      'lr: learningRate must be a finite number, got "Infinity"',
      'unknown parameter "__proto__" ignored',
      'hide: unknown control "nonsense" (known: ' + HIDEABLE.join(', ') + ')',
      '"seed" is given 2 times; ignored',
      // Ranges are checked once every value is read, against the link's other values.
      'width: width must be an integer in 1..4096, got -3',
    ]);
  });
});
