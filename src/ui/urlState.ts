/**
 * The run in the query string: every control and the seed, so a link reproduces a run, plus the
 * controls a classroom link hides. A link is untrusted input that people edit by hand, so it is
 * read through an explicit schema: a closed list of keys (looked up in a Map, so `__proto__` or
 * `constructor` are just unknown keys), each with its type; numbers must be finite; the query, each
 * value and the number of parameters have caps, checked before anything is decoded; a key given
 * twice or a malformed percent escape is refused. Ranges come from the training options' own
 * checks (resolveTrainingOptions), so the link and the trainer can never disagree; the values are
 * checked together, as the link sets them, not each against the defaults. A bad value (or a
 * combination that cannot run) is dropped with a message that names its parameters, the run falls
 * back to the default for them, and nothing from the URL ever becomes markup.
 */
import { ACTIVATIONS } from '../jet/activations.ts';
import {
  ESTIMATORS,
  GRADIENT_ESTIMATORS,
  resolveTrainingOptions,
  SCHEDULES,
  type TrainingOptions,
} from '../train/options.ts';
import {
  type LaneOverrides,
  laneOptions,
  MAX_LANES,
  MIN_LANES,
  RACE_OPTIONS,
} from '../train/race.ts';
import {
  baseFor,
  CONTROLLED_OPTIONS,
  type ControlledOption,
  dashboardPdes,
  validationProblem,
} from './dashboardOptions.ts';

/**
 * Short keys keep shared links readable. Kept as literal types, so the hide list's names are a
 * closed union and every page part that maps them (classroomMode.ts) must name each one.
 */
export const KEYS = {
  pde: 'pde',
  dimension: 'dim',
  estimator: 'est',
  jetsPerPoint: 'B',
  collapsed: 'collapsed',
  points: 'points',
  width: 'width',
  depth: 'depth',
  activation: 'act',
  firstLayerGain: 'gain',
  learningRate: 'lr',
  schedule: 'sched',
  warmupSteps: 'warmup',
  steps: 'steps',
  seed: 'seed',
  gradientEstimator: 'grad',
} as const satisfies Record<ControlledOption, string>;

/** The key of the classroom mode's list of hidden controls. */
export const HIDE_KEY = 'hide';

/** The key of a race's lanes (raceLanes below): `race=est:sparse,B:4|est:exact`. */
export const RACE_KEY = 'race';

/**
 * The key of the trainer's rollback copy (RunPlan.rollback): `rollback=false` drops it. It changes
 * the run's memory, not its values, so a link carries it only when it is off.
 */
export const ROLLBACK_KEY = 'rollback';

/**
 * What a classroom link may hide: every control by its URL key, and the page's optional parts.
 * The page maps each to its elements (classroomMode.ts).
 */
export const HIDEABLE = [
  ...CONTROLLED_OPTIONS.map((option) => KEYS[option]),
  'fields',
  'teaching',
  'export',
  'import',
  'race',
  ROLLBACK_KEY,
] as const;
export type Hideable = (typeof HIDEABLE)[number];

/** Longer queries are refused whole, before they are split or decoded. */
export const MAX_QUERY_CHARS = 2048;
/** Longer values (as written in the link, still encoded) are refused. */
export const MAX_VALUE_CHARS = 200;
/** More parameters than this: the rest are ignored. */
export const MAX_PARAMETERS = 32;
/** Keys and values quoted in messages are cut to this many characters. */
const QUOTE_CHARS = 40;

type Kind =
  | { type: 'integer' }
  | { type: 'number' }
  | { type: 'boolean' }
  | { type: 'choice'; choices: readonly string[] };

const SCHEMA: Record<ControlledOption, Kind> = {
  pde: { type: 'choice', choices: dashboardPdes.map((p) => p.id) },
  dimension: { type: 'integer' },
  estimator: { type: 'choice', choices: ESTIMATORS },
  jetsPerPoint: { type: 'integer' },
  collapsed: { type: 'boolean' },
  points: { type: 'integer' },
  width: { type: 'integer' },
  depth: { type: 'integer' },
  activation: { type: 'choice', choices: ACTIVATIONS },
  firstLayerGain: { type: 'number' },
  learningRate: { type: 'number' },
  schedule: { type: 'choice', choices: SCHEDULES },
  warmupSteps: { type: 'integer' },
  steps: { type: 'integer' },
  seed: { type: 'integer' },
  gradientEstimator: { type: 'choice', choices: GRADIENT_ESTIMATORS },
};

/** The option behind each URL key: a Map, so no key can reach Object.prototype. */
const OPTION_OF_KEY = new Map<string, ControlledOption>(
  CONTROLLED_OPTIONS.map((option) => [KEYS[option], option]),
);

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A short, quoted, escaped rendering of text from the link for a message. */
export function quote(text: string): string {
  return text.length <= QUOTE_CHARS
    ? JSON.stringify(text)
    : `${JSON.stringify(text.slice(0, QUOTE_CHARS))}… (${text.length} characters)`;
}

export function optionsToQuery(
  options: TrainingOptions,
  hidden: readonly Hideable[] = [],
  race: readonly LaneOverrides[] | null = null,
  rollback = true,
): string {
  const params = new URLSearchParams();
  for (const option of CONTROLLED_OPTIONS) params.set(KEYS[option], String(options[option]));
  if (!rollback) params.set(ROLLBACK_KEY, 'false');
  if (hidden.length > 0) params.set(HIDE_KEY, hidden.join(','));
  if (race !== null) params.set(RACE_KEY, lanesToText(race));
  return `?${params.toString()}`;
}

/** A race's lanes as text: lanes split by `|`, each `key:value` pairs split by `,` (URL keys). */
export function lanesToText(lanes: readonly LaneOverrides[]): string {
  return lanes
    .map((lane) =>
      RACE_OPTIONS.filter((option) => option in lane)
        .map((option) => `${KEYS[option]}:${String(lane[option])}`)
        .join(','),
    )
    .join('|');
}

/**
 * A race's lanes from text (the `race` link value, or the race view's field): each pair's key
 * must be the URL key of an option a lane may set (RACE_OPTIONS), each value of its type, 2 to 4
 * lanes. Whether the lanes can run with the rest of the setup is the race's own check (laneOptions).
 */
export function parseLanes(text: string): { lanes: LaneOverrides[] } | { problem: string } {
  const lanes: LaneOverrides[] = [];
  const parts = text.split('|').map((lane) => lane.trim());
  if (parts.length < MIN_LANES || parts.length > MAX_LANES) {
    return {
      problem: `a race has ${MIN_LANES} to ${MAX_LANES} lanes split by |, got ${parts.length}`,
    };
  }
  for (const [index, part] of parts.entries()) {
    const lane: LaneOverrides = {};
    for (const pair of part
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '')) {
      const colon = pair.indexOf(':');
      const key = colon < 0 ? pair : pair.slice(0, colon).trim();
      const option = OPTION_OF_KEY.get(key);
      const raceOption = RACE_OPTIONS.find((o) => o === option);
      if (raceOption === undefined) {
        return {
          problem:
            `lane ${index + 1}: ${quote(key)} is not what a lane may set ` +
            `(${RACE_OPTIONS.map((o) => KEYS[o]).join(', ')}, as key:value)`,
        };
      }
      if (raceOption in lane) return { problem: `lane ${index + 1}: ${key} is given twice` };
      const value = parseValue(raceOption, colon < 0 ? '' : pair.slice(colon + 1).trim());
      if ('problem' in value) return { problem: `lane ${index + 1}: ${value.problem}` };
      lane[raceOption] = value.value;
    }
    lanes.push(lane);
  }
  return { lanes };
}

type Parsed = { value: unknown } | { problem: string };

/** The text of one value in its schema type, or what is wrong with it. */
function parseValue(option: ControlledOption, text: string): Parsed {
  const kind = SCHEMA[option];
  switch (kind.type) {
    case 'integer':
    case 'number': {
      const value = NUMBER.test(text) ? Number(text) : NaN;
      if (!Number.isFinite(value)) {
        return { problem: `${option} must be a finite number, got ${quote(text)}` };
      }
      if (kind.type === 'integer' && !Number.isInteger(value)) {
        return { problem: `${option} must be an integer, got ${quote(text)}` };
      }
      return { value };
    }
    case 'boolean':
      return parseBoolean(option, text);
    case 'choice':
      return kind.choices.includes(text)
        ? { value: text }
        : { problem: `${option} must be one of ${kind.choices.join(', ')}, got ${quote(text)}` };
  }
}

function parseBoolean(name: string, text: string): Parsed {
  if (text === 'true' || text === '1') return { value: true };
  if (text === 'false' || text === '0') return { value: false };
  return { problem: `${name} must be true or false, got ${quote(text)}` };
}

/** Form-encoded text: `+` is a space, then percent escapes; null when an escape is malformed. */
function decode(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * The query's parameters in order, decoded; a value that is too long or malformed becomes a
 * problem and null (its key still counts, so a repeated key is noticed either way).
 */
function splitQuery(search: string, problems: string[]): [string, string | null][] {
  const query = search.startsWith('?') ? search.slice(1) : search;
  const parts = query.split('&').filter((part) => part !== '');
  if (parts.length > MAX_PARAMETERS) {
    problems.push(`the link has ${parts.length} parameters; only the first ${MAX_PARAMETERS} read`);
  }
  const pairs: [string, string | null][] = [];
  parts.slice(0, MAX_PARAMETERS).forEach((part, index) => {
    const equals = part.indexOf('=');
    const rawKey = equals < 0 ? part : part.slice(0, equals);
    const rawValue = equals < 0 ? '' : part.slice(equals + 1);
    const key = decode(rawKey);
    if (key === null) {
      problems.push(`parameter ${index + 1} (${quote(rawKey)}) has a malformed % escape; ignored`);
      return;
    }
    if (rawValue.length > MAX_VALUE_CHARS) {
      problems.push(
        `${quote(key)} is ${rawValue.length} characters long (at most ${MAX_VALUE_CHARS}); ignored`,
      );
      pairs.push([key, null]);
      return;
    }
    const value = decode(rawValue);
    if (value === null) {
      problems.push(`${quote(key)} has a malformed % escape in ${quote(rawValue)}; ignored`);
    }
    pairs.push([key, value]);
  });
  return pairs;
}

/** The hide list: known names only, each once. */
function parseHidden(text: string, problems: string[]): Hideable[] {
  const hidden: Hideable[] = [];
  for (const name of text.split(',').filter((n) => n !== '')) {
    const known = HIDEABLE.find((h) => h === name);
    if (!known) {
      problems.push(`${HIDE_KEY}: unknown control ${quote(name)} (known: ${HIDEABLE.join(', ')})`);
    } else if (!hidden.includes(known)) {
      hidden.push(known);
    }
  }
  return hidden;
}

export interface QueryOptions {
  options: TrainingOptions;
  /** Controls and page parts a classroom link hides, in the link's order. */
  hidden: Hideable[];
  /** The link's race, its lanes checked against the link's options; null without one. */
  race: LaneOverrides[] | null;
  /** Whether the run keeps its rollback copy (ROLLBACK_KEY; true unless the link says false). */
  rollback: boolean;
  /** What was wrong with the link, one entry per problem; empty when it was fine. */
  problems: string[];
}

/** Values read from a link, each of its schema type, not yet checked against the others. */
type LinkValues = Partial<Record<ControlledOption, unknown>>;

/**
 * The link's values for `keys` over the defaults, as a run of the link's PDE starts from them
 * (baseFor: `?pde=kdv-2d` takes the problem's fixed d and jets, not the default d = 10).
 */
function candidate(
  defaults: TrainingOptions,
  values: LinkValues,
  keys: readonly ControlledOption[],
): Record<string, unknown> {
  const given = Object.fromEntries(keys.map((key) => [key, values[key]]));
  const pde = typeof given.pde === 'string' ? given.pde : defaults.pde;
  return { ...baseFor(defaults, pde), ...given };
}

/**
 * The fewest of the link's values that still fail with `problem`: each is left out in turn and
 * stays out when the failure reads the same without it. One value left is out of range on its
 * own; several are a combination that cannot run (B larger than the link's own d), and blaming
 * only the last one read would be a guess.
 */
function culprits(
  problem: string,
  defaults: TrainingOptions,
  values: LinkValues,
): ControlledOption[] {
  let blamed = CONTROLLED_OPTIONS.filter((option) => option in values);
  for (const option of [...blamed]) {
    const without = blamed.filter((o) => o !== option);
    if (validationProblem(candidate(defaults, values, without)) === problem) blamed = without;
  }
  return blamed;
}

function culpritMessage(blamed: readonly ControlledOption[], problem: string): string {
  const keys = blamed.map((option) => KEYS[option]);
  if (keys.length === 1) return `${keys[0]}: ${problem}`;
  const named = `${keys.slice(0, -1).join(', ')} and ${keys[keys.length - 1]}`;
  return `${named} do not fit together: ${problem}; ${keys.length === 2 ? 'both' : 'all'} ignored`;
}

/**
 * The link's values that can run together, each value or combination that cannot dropped with one
 * message. They are checked against each other, the defaults standing in only for what the link
 * leaves out: `?dim=100000&B=16` keeps B = 16 although the default d = 10 would refuse it.
 */
function runnableValues(
  values: LinkValues,
  defaults: TrainingOptions,
  problems: string[],
): LinkValues {
  const remaining = { ...values };
  for (;;) {
    const keys = CONTROLLED_OPTIONS.filter((option) => option in remaining);
    const problem = validationProblem(candidate(defaults, remaining, keys));
    if (problem === null) return remaining;
    // Never empty: the defaults alone run, so the last value standing is part of the failure.
    const blamed = culprits(problem, defaults, remaining);
    problems.push(culpritMessage(blamed, problem));
    for (const option of blamed) delete remaining[option];
  }
}

/**
 * The options a query string asks for on top of `defaults`. A value of the wrong type costs only
 * itself; the rest are checked together (runnableValues), and what cannot run falls back to the
 * default with a message naming its parameters. Never throws.
 */
export function optionsFromQuery(search: string, defaults: TrainingOptions): QueryOptions {
  const problems: string[] = [];
  if (search.length > MAX_QUERY_CHARS) {
    problems.push(
      `the link's query is ${search.length} characters long (at most ${MAX_QUERY_CHARS}); ` +
        'using the default setup',
    );
    return { options: defaults, hidden: [], race: null, rollback: true, problems };
  }
  const pairs = splitQuery(search, problems);
  const counts = new Map<string, number>();
  for (const [key] of pairs) counts.set(key, (counts.get(key) ?? 0) + 1);
  const parsed: LinkValues = {};
  let hidden: Hideable[] = [];
  let raceText: string | null = null;
  let rollback = true;
  const reported = new Set<string>();
  for (const [key, text] of pairs) {
    const count = counts.get(key) ?? 0;
    if (count > 1) {
      // Which of two values a link means is a guess: neither is used.
      if (!reported.has(key)) problems.push(`${quote(key)} is given ${count} times; ignored`);
      reported.add(key);
      continue;
    }
    if (text === null) continue;
    if (key === HIDE_KEY) {
      hidden = parseHidden(text, problems);
      continue;
    }
    if (key === RACE_KEY) {
      raceText = text;
      continue;
    }
    if (key === ROLLBACK_KEY) {
      const value = parseBoolean(ROLLBACK_KEY, text);
      if ('problem' in value) problems.push(value.problem);
      else rollback = value.value === true;
      continue;
    }
    const option = OPTION_OF_KEY.get(key);
    if (option === undefined) {
      problems.push(`unknown parameter ${quote(key)} ignored`);
      continue;
    }
    const value = parseValue(option, text);
    if ('problem' in value) problems.push(`${key}: ${value.problem}`);
    else parsed[option] = value.value;
  }
  const accepted = runnableValues(parsed, defaults, problems);
  const keys = CONTROLLED_OPTIONS.filter((option) => option in accepted);
  const options = resolveTrainingOptions(candidate(defaults, accepted, keys));
  return {
    options,
    hidden,
    race: raceText === null ? null : linkRace(raceText, options, problems),
    rollback,
    problems,
  };
}

/** The link's lanes when they parse and run with the link's options; else a problem and null. */
function linkRace(
  text: string,
  options: TrainingOptions,
  problems: string[],
): LaneOverrides[] | null {
  const parsed = parseLanes(text);
  if ('problem' in parsed) {
    problems.push(`${RACE_KEY}: ${parsed.problem}; ignored`);
    return null;
  }
  try {
    laneOptions(options, parsed.lanes);
  } catch (error) {
    problems.push(
      `${RACE_KEY}: ${error instanceof Error ? error.message : String(error)}; ignored`,
    );
    return null;
  }
  return parsed.lanes;
}
