/**
 * `jetpinn train`'s start line and JSON record (src/cli/startEvent.ts) on the CPU: the run's mode
 * with its bytes per parameter and largest d on this device, and one line for the other modes.
 */
import { describe, expect, it } from 'vitest';
import { startEvent, type StartFacts } from '../../../src/cli/startEvent.ts';
import type { TrainPlan } from '../../../src/cli/trainPlan.ts';
import { resolveTrainingOptions } from '../../../src/train/options.ts';
import { parameterMemory } from '../../../src/train/parameterMemory.ts';

const options = resolveTrainingOptions({ dimension: 1000 });
const plan = (rollback: boolean): TrainPlan => ({
  options,
  resume: null,
  stopAt: options.steps,
  checkpointEvery: 0,
  json: false,
  memoryBudgetBytes: 2 ** 32,
  rollback,
  submitBoundMs: 250,
});
const facts: StartFacts = {
  step: 0,
  parameters: 161_281,
  memoryBytes: 50 * 2 ** 20,
  parameterBlockBytes: [4 * 161_281],
  adapter: { description: 'google swiftshader', isSoftware: true },
  limits: { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30, budgetBytes: 2 ** 32 },
};

describe("train's start line", () => {
  it("names the run's bytes per parameter and largest d, then the other modes'", () => {
    const { text } = startEvent(plan(true), facts);
    const { current } = parameterMemory(options, facts.limits);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe(
      'GPU: google swiftshader (software), 50.0 MiB of buffers (1.8 MiB of them the rollback ' +
        'copy, 12 B/param/step; --no-rollback drops it); backprop + Adam holds 28.0 B/param, ' +
        `d ≤ ${current.available && current.largestDimension} here`,
    );
    expect(lines[2]).toMatch(
      /^other modes here: backprop \+ SGD 12\.0 B\/param, d ≤ \d+; SPSA \+ Adam 28\.0 B\/param, d ≤ \d+; subspace SPSA \+ Adam 28\.0 B\/param, d ≤ \d+; forward gradient \+ Adam 28\.0 B\/param, d ≤ \d+$/,
    );
  });

  it('states the run without the rollback copy at its own cost', () => {
    const { text, fields } = startEvent(plan(false), facts);
    expect(text).toContain('no rollback copy (a divergence keeps the last checkpoint); ');
    expect(text).toContain('backprop + Adam holds 16.0 B/param');
    expect(text).toContain('backprop + SGD 8.0 B/param');
    expect(fields.rollbackBytes).toBe(0);
    const { current } = parameterMemory(options, facts.limits, { rollback: false });
    expect(fields.largestDimension).toBe(current.available && current.largestDimension);
  });

  it('gives the same numbers in the JSON record, every other mode as an object', () => {
    const { fields } = startEvent(plan(true), facts);
    expect(fields).toMatchObject({ mode: 'backprop + Adam', rollbackBytes: 12 * 161_281 });
    expect(fields.bytesPerParameter).toBeCloseTo(28, 1);
    expect(fields.otherModes.map((m) => m.mode)).toEqual([
      'backprop + SGD',
      'SPSA + Adam',
      'subspace SPSA + Adam',
      'forward gradient + Adam',
    ]);
    const sgd = fields.otherModes[0];
    expect(sgd).toMatchObject({ gradientEstimator: 'backprop', optimizer: 'sgd', fits: true });
    expect('bytesPerParameter' in sgd && sgd.bytesPerParameter).toBeCloseTo(12, 1);
    // JSON lines carry it as is.
    expect(JSON.parse(JSON.stringify(fields))).toEqual(fields);
    expect(fields.parameterBlocks).toBe(1);
  });

  it('states a split of θ into buffers, with the largest', () => {
    const split = { ...facts, parameterBlockBytes: [2 ** 21, 2 ** 21, 3 * 2 ** 19] };
    const { text, fields } = startEvent(plan(true), split);
    expect(text.split('\n')[1]).toContain(
      '50.0 MiB of buffers (θ and each tensor of its layout in 3 buffers of at most 2.0 MiB, ' +
        "split between rows of the first layer's weight) (1.8 MiB",
    );
    expect(fields.parameterBlocks).toBe(3);
    expect(startEvent(plan(true), facts).text).not.toContain('buffers of at most');
  });
});
