/**
 * The run in the query string: every control and the seed, so a link reproduces a run. Reading is
 * defensive: a link is untrusted input, so every value goes through resolveTrainingOptions, a bad
 * one is dropped with a message that says why, and nothing from the URL ever becomes markup.
 */
import { resolveTrainingOptions, type TrainingOptions } from '../train/options.ts';
import {
  CONTROLLED_OPTIONS,
  type ControlledOption,
  validationProblem,
} from './dashboardOptions.ts';

/** Short keys keep shared links readable. */
const KEYS: Record<ControlledOption, string> = {
  pde: 'pde',
  dimension: 'dim',
  estimator: 'est',
  jetsPerPoint: 'B',
  collapsed: 'collapsed',
  points: 'points',
  width: 'width',
  depth: 'depth',
  activation: 'act',
  learningRate: 'lr',
  schedule: 'sched',
  steps: 'steps',
  seed: 'seed',
};

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function optionsToQuery(options: TrainingOptions): string {
  const params = new URLSearchParams();
  for (const option of CONTROLLED_OPTIONS) params.set(KEYS[option], String(options[option]));
  return `?${params.toString()}`;
}

/**
 * The text of a query value in the type the default has. Anything else is passed on as the raw
 * string, so validation rejects it with a message that quotes what the link said.
 */
function parseValue(text: string, like: unknown): unknown {
  if (typeof like === 'number' && NUMBER.test(text.trim())) return Number(text);
  if (typeof like === 'boolean') {
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
  }
  return text;
}

export interface QueryOptions {
  options: TrainingOptions;
  /** What was wrong with the link, one entry per problem; empty when it was fine. */
  problems: string[];
}

/**
 * The options a query string asks for on top of `defaults`. When the whole request does not
 * validate, each value is checked on its own, so one bad value costs only itself; if the good
 * ones still do not fit together (say B larger than d), the defaults are used as a whole.
 */
export function optionsFromQuery(search: string, defaults: TrainingOptions): QueryOptions {
  const params = new URLSearchParams(search);
  const known = new Set(Object.values(KEYS));
  const problems = [...params.keys()]
    .filter((key) => !known.has(key))
    .map((key) => `unknown parameter ${JSON.stringify(key)} ignored`);
  const requested: Partial<Record<ControlledOption, unknown>> = {};
  for (const option of CONTROLLED_OPTIONS) {
    const text = params.get(KEYS[option]);
    if (text !== null) requested[option] = parseValue(text, defaults[option]);
  }
  if (validationProblem({ ...defaults, ...requested }) === null) {
    return { options: resolveTrainingOptions({ ...defaults, ...requested }), problems };
  }
  const accepted: Partial<Record<ControlledOption, unknown>> = {};
  for (const option of CONTROLLED_OPTIONS) {
    if (!(option in requested)) continue;
    const problem = validationProblem({ ...defaults, [option]: requested[option] });
    if (problem) problems.push(`${KEYS[option]}: ${problem}`);
    else accepted[option] = requested[option];
  }
  const problem = validationProblem({ ...defaults, ...accepted });
  if (problem) {
    problems.push(`${problem}; using the default setup`);
    return { options: defaults, problems };
  }
  return { options: resolveTrainingOptions({ ...defaults, ...accepted }), problems };
}
