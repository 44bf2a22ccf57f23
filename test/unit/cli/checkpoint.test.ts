import { describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  CheckpointError,
  parseCheckpoint,
  readCheckpoint,
  serializeCheckpoint,
} from '../../../src/train/checkpoint.ts';
import { parameterLayout } from '../../../src/engine/jetLayout.ts';
import {
  architectureOf,
  resolveTrainingOptions,
  type TrainingOptions,
} from '../../../src/train/options.ts';

const options = resolveTrainingOptions({
  dimension: 3,
  jetsPerPoint: 2,
  width: 4,
  depth: 2,
  steps: 50,
});
const count = parameterLayout(architectureOf(options).widths).count;

function checkpoint(overrides: Partial<TrainingOptions> = {}): Checkpoint {
  const opts = { ...options, ...overrides };
  const ramp = (scale: number) => Float32Array.from({ length: count }, (_, i) => scale * (i + 0.1));
  return {
    options: opts,
    state: {
      step: 20,
      parameters: ramp(1e-3),
      moments: opts.optimizer === 'adam' ? { m: ramp(-1e-4), v: ramp(1e-6) } : null,
    },
    logs: [
      { step: 10, loss: 3.25, gradientNorm: 1.5, learningRate: 1e-3 },
      { step: 20, loss: 2.125, gradientNorm: 1.25, learningRate: 5e-4 },
    ],
    evaluations: [{ step: 20, relativeL2: 0.5, relativeL1: 0.25 }],
  };
}

/** The checkpoint as plain JSON data, to corrupt one field at a time. */
function json(): Record<string, unknown> {
  return JSON.parse(serializeCheckpoint(checkpoint())) as Record<string, unknown>;
}

function errorOf(value: unknown): string {
  try {
    if (typeof value === 'string') parseCheckpoint(value);
    else readCheckpoint(value);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return (error as Error).message;
  }
  throw new Error('the checkpoint was accepted');
}

describe('checkpoint files', () => {
  it('round-trip options, step, float32 parameters, moments and history exactly', () => {
    const original = checkpoint();
    const loaded = parseCheckpoint(serializeCheckpoint(original));
    expect(loaded).toEqual(original);
    expect(loaded.state.parameters).toBeInstanceOf(Float32Array);
  });

  it('store null moments for SGD and need no history', () => {
    const file = JSON.parse(serializeCheckpoint(checkpoint({ optimizer: 'sgd' }))) as Record<
      string,
      unknown
    >;
    delete file.logs;
    delete file.evaluations;
    const loaded = readCheckpoint(file);
    expect(loaded.state.moments).toBeNull();
    expect(loaded.logs).toEqual([]);
    expect(loaded.evaluations).toEqual([]);
  });

  it('drop non-finite metrics that JSON cannot hold, keeping the evaluation step', () => {
    const diverging = checkpoint();
    diverging.evaluations = [{ step: 20, relativeL2: Infinity, relativeL1: NaN }];
    expect(parseCheckpoint(serializeCheckpoint(diverging)).evaluations).toEqual([{ step: 20 }]);
  });

  it('read a checkpoint from before firstLayerGain existed with gain 1; a later one keeps its own', () => {
    const older = json();
    delete (older.options as Record<string, unknown>).firstLayerGain;
    expect(readCheckpoint(older).options).toEqual({ ...options, firstLayerGain: 1 });
    const scaled = JSON.parse(serializeCheckpoint(checkpoint({ firstLayerGain: 4 }))) as unknown;
    expect(readCheckpoint(scaled).options.firstLayerGain).toBe(4);
  });

  it('read a checkpoint from before gpinnWeight existed with the term off; a later one keeps its own', () => {
    const older = json();
    delete (older.options as Record<string, unknown>).gpinnWeight;
    expect(readCheckpoint(older).options).toEqual({ ...options, gpinnWeight: 0 });
    const gpinn = JSON.parse(serializeCheckpoint(checkpoint({ gpinnWeight: 0.1 }))) as unknown;
    expect(readCheckpoint(gpinn).options.gpinnWeight).toBe(0.1);
  });

  it('read a g-KdV checkpoint from before gpinnWeight existed with its gradient terms at weight 1', () => {
    const gkdv = resolveTrainingOptions({ pde: 'gkdv-1d', width: 4, depth: 2, steps: 50 });
    const size = parameterLayout(architectureOf(gkdv).widths).count;
    const written = (gpinnWeight: number) =>
      JSON.parse(
        serializeCheckpoint({
          ...checkpoint(),
          options: { ...gkdv, gpinnWeight },
          state: {
            step: 20,
            parameters: new Float32Array(size),
            moments: { m: new Float32Array(size), v: new Float32Array(size) },
          },
        }),
      ) as { options: Record<string, unknown> };
    const older = written(1);
    delete older.options.gpinnWeight;
    expect(readCheckpoint(older).options.gpinnWeight).toBe(1);
    expect(readCheckpoint(written(0)).options.gpinnWeight).toBe(0);
  });

  it('refuse to save parameters that do not fit the options', () => {
    const wrong = checkpoint();
    wrong.state.parameters = new Float32Array(count + 1);
    expect(() => serializeCheckpoint(wrong)).toThrow(/holds \d+ parameters, the options' network/);
  });

  const opts = (m: Record<string, unknown>) => m.options as Record<string, unknown>;
  const moments = (m: Record<string, unknown>) => m.moments as Record<string, unknown>;
  const cases: [string, (m: Record<string, unknown>) => unknown, RegExp][] = [
    ['truncated JSON', (m) => JSON.stringify(m).slice(0, 200), /not valid JSON/],
    ['empty file', () => '', /not valid JSON/],
    ['an array', () => [], /the checkpoint must be an object/],
    [
      'wrong format',
      (m) => ({ ...m, format: 'jetpinn-model' }),
      /format must be "jetpinn-checkpoint"/,
    ],
    ['future version', (m) => ({ ...m, version: 2 }), /version 2 is not supported/],
    ['unknown field', (m) => ({ ...m, optimizerState: {} }), /unknown field "optimizerState"/],
    [
      '__proto__ at the top',
      (m) => `{"__proto__": {"polluted": true}, ${JSON.stringify(m).slice(1)}`,
      /the checkpoint has a forbidden field "__proto__"/,
    ],
    [
      '__proto__ in the options',
      (m) => JSON.stringify(m).replace('"options":{', '"options":{"__proto__":{"steps":1},'),
      /options has a forbidden field "__proto__"/,
    ],
    [
      '__proto__ in a log',
      (m) => JSON.stringify(m).replace('"logs":[{', '"logs":[{"__proto__":{},'),
      /logs\[0\] has a forbidden field "__proto__"/,
    ],
    ['options missing', (m) => ({ ...m, options: undefined }), /options must be an object/],
    [
      'one option missing',
      (m) => ({ ...m, options: { ...opts(m), width: undefined } }),
      /options\.width is missing/,
    ],
    [
      'unknown option',
      (m) => ({ ...m, options: { ...opts(m), colour: 'red' } }),
      /unknown field "colour"/,
    ],
    [
      'negative width',
      (m) => ({ ...m, options: { ...opts(m), width: -4 } }),
      /options\.width must be an integer in 1\.\.4096, got -4/,
    ],
    [
      'width as a string',
      (m) => ({ ...m, options: { ...opts(m), width: '4' } }),
      /options\.width must be an integer/,
    ],
    [
      'impossible combination',
      (m) => ({ ...m, options: { ...opts(m), jetsPerPoint: 9 } }),
      /jetsPerPoint must be ≤ dimension/,
    ],
    ['negative step', (m) => ({ ...m, step: -1 }), /step must be an integer in 0\.\.50, got -1/],
    ['step past the run', (m) => ({ ...m, step: 51 }), /step must be an integer in 0\.\.50/],
    ['fractional step', (m) => ({ ...m, step: 2.5 }), /step must be an integer/],
    ['step as a string', (m) => ({ ...m, step: '20' }), /step must be an integer/],
    ['parameters missing', (m) => ({ ...m, parameters: undefined }), /parameters must be an array/],
    [
      'parameters an object',
      (m) => ({ ...m, parameters: { length: count } }),
      /parameters must be an array/,
    ],
    [
      'one parameter short',
      (m) => ({ ...m, parameters: (m.parameters as number[]).slice(1) }),
      new RegExp(`parameters must have ${count} numbers .*, has ${count - 1}`),
    ],
    [
      'a huge parameter array',
      (m) => ({ ...m, parameters: new Array<number>(1_000_000).fill(0) }),
      new RegExp(`parameters must have ${count} numbers .*, has 1000000`),
    ],
    [
      'sizes implied by absurd options',
      (m) => ({ ...m, options: { ...opts(m), dimension: 10_000_000, width: 4096 } }),
      /parameters must have \d+ numbers/,
    ],
    [
      'NaN parameter',
      (m) => ({ ...m, parameters: [NaN, ...(m.parameters as number[]).slice(1)] }),
      /parameters\[0\] must be a finite number, got NaN/,
    ],
    [
      'parameter as a string',
      (m) => ({ ...m, parameters: [...(m.parameters as number[]).slice(1), '1'] }),
      new RegExp(`parameters\\[${count - 1}\\] must be a finite number, got "1"`),
    ],
    [
      'infinite parameter from 1e400',
      (m) =>
        JSON.stringify(m)
          .replace('"parameters":[', '"parameters":[1e400,')
          .replace(/,[^,]*\],"moments"/, '],"moments"'),
      /parameters\[0\] must be a finite number/,
    ],
    [
      'parameter outside float32',
      (m) => ({ ...m, parameters: [1e39, ...(m.parameters as number[]).slice(1)] }),
      /parameters\[0\] = 1e\+39 is outside the float32 range/,
    ],
    [
      'Adam without moments',
      (m) => ({ ...m, moments: null }),
      /moments must be an object \{ m, v \}/,
    ],
    [
      'moments with a stray field',
      (m) => ({ ...m, moments: { ...moments(m), u: [] } }),
      /moments has an unknown field "u"/,
    ],
    [
      'negative second moment',
      (m) => ({
        ...m,
        moments: { ...moments(m), v: [-1, ...(moments(m).v as number[]).slice(1)] },
      }),
      /moments\.v\[0\] must be a finite number ≥ 0, got -1/,
    ],
    [
      'short first moment',
      (m) => ({ ...m, moments: { ...moments(m), m: [] } }),
      /moments\.m must have \d+ numbers/,
    ],
    [
      'SGD with moments',
      (m) => ({ ...m, options: { ...opts(m), optimizer: 'sgd' } }),
      /moments must be null for the sgd optimizer/,
    ],
    ['logs not a list', (m) => ({ ...m, logs: {} }), /logs must be an array/],
    [
      'more logs than steps',
      (m) => ({
        ...m,
        logs: Array.from({ length: 21 }, (_, i) => ({
          step: i + 1,
          loss: 1,
          gradientNorm: 1,
          learningRate: 1,
        })),
      }),
      /logs has 21 entries, allowed: 0\.\.20/,
    ],
    [
      'logs out of order',
      (m) => ({ ...m, logs: [...(m.logs as unknown[])].reverse() }),
      /logs\[1\]\.step = 10 does not come after 20/,
    ],
    [
      'log after the checkpoint',
      (m) => ({ ...m, logs: [{ step: 21, loss: 1, gradientNorm: 1, learningRate: 1 }] }),
      /logs\[0\]\.step must be an integer in 1\.\.20/,
    ],
    [
      'log with a NaN loss',
      (m) => ({ ...m, logs: [{ step: 1, loss: NaN, gradientNorm: 1, learningRate: 1 }] }),
      /logs\[0\]\.loss must be a finite number/,
    ],
    [
      'log with a negative gradient norm',
      (m) => ({ ...m, logs: [{ step: 1, loss: 1, gradientNorm: -1, learningRate: 1 }] }),
      /logs\[0\]\.gradientNorm must be a finite number ≥ 0/,
    ],
    [
      'log missing a field',
      (m) => ({ ...m, logs: [{ step: 1, loss: 1, gradientNorm: 1 }] }),
      /logs\[0\]\.learningRate must be a finite number/,
    ],
    [
      'evaluation with an unknown metric',
      (m) => ({ ...m, evaluations: [{ step: 1, accuracy: 0.9 }] }),
      /evaluations\[0\] has an unknown field "accuracy"/,
    ],
    [
      'evaluation with a negative error',
      (m) => ({ ...m, evaluations: [{ step: 1, relativeL2: -0.5 }] }),
      /evaluations\[0\]\.relativeL2 must be a finite number ≥ 0/,
    ],
    [
      'evaluations out of order',
      (m) => ({ ...m, evaluations: [{ step: 5 }, { step: 4 }] }),
      /evaluations\[1\]\.step = 4 comes before 5/,
    ],
    [
      'evaluation as a number',
      (m) => ({ ...m, evaluations: [3] }),
      /evaluations\[0\] must be an object/,
    ],
  ];
  it.each(cases)('refuse %s', (_name, corrupt, message) => {
    expect(errorOf(corrupt(json()))).toMatch(message);
  });

  it('refuse `__proto__` without touching any prototype', () => {
    const text = JSON.stringify(json()).replace('"options":{', '"options":{"__proto__":{"x":1},');
    expect(() => parseCheckpoint(text)).toThrow(CheckpointError);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
