import { describe, expect, it } from 'vitest';
import { parseModel, serializeModel } from '../../../src/engine/modelFile.ts';
import { serializeSafetensorsModel } from '../../../src/engine/safetensorsModel.ts';
import { initParameters } from '../../../src/jet/mlp.ts';
import { architectureOf, resolveTrainingOptions } from '../../../src/train/options.ts';
import { planImportFile } from '../../../src/ui/modelImport.ts';

const limits = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };
const options = resolveTrainingOptions({
  dimension: 5,
  jetsPerPoint: 2,
  width: 12,
  depth: 2,
  seed: 2,
  steps: 300,
});
const architecture = architectureOf(options);
const record = { training: Object.fromEntries(Object.entries(options)), metrics: { step: 40 } };
const jsonText = serializeModel(architecture, initParameters(architecture, 8), record);
const { parameters } = parseModel(jsonText);
const bytes = serializeSafetensorsModel(architecture, parameters, record);

describe('importing a safetensors model in the page', () => {
  it('plans the same run, at the same step with the same weights, as the JSON model', () => {
    const expected = planImportFile('model.json', new TextEncoder().encode(jsonText), limits);
    for (const [name, contents] of [
      ['exported.safetensors', bytes],
      ['exported.json', new TextEncoder().encode(jsonText)],
    ] as const) {
      const planned = planImportFile(name, contents, limits);
      if (!planned.ok || !expected.ok) throw new Error('the model was refused');
      expect(planned.plan.options).toEqual(expected.plan.options);
      expect(planned.state).toEqual(expected.state);
      expect(planned.state.step).toBe(40);
    }
  });

  it('refuses a damaged file with the field named', () => {
    const damaged = bytes.slice();
    damaged[4] = 1;
    expect(planImportFile('damaged.safetensors', damaged, limits)).toEqual({
      ok: false,
      problem: expect.stringMatching(
        /^the file is not a usable model: Invalid model file: header length is \d+ bytes, more than the limit/,
      ) as string,
    });
  });

  it('reads the format from the name: safetensors bytes named .json are not JSON', () => {
    const result = planImportFile('renamed.json', bytes, limits);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(/not valid JSON/);
  });
});
