import { describe, expect, it } from 'vitest';
import { unpackParameters } from '../../../src/engine/jetLayout.ts';
import { serializeModel } from '../../../src/engine/modelFile.ts';
import { initParameters } from '../../../src/jet/mlp.ts';
import { architectureOf, resolveTrainingOptions } from '../../../src/train/options.ts';
import { dashboardDefaults } from '../../../src/ui/dashboardOptions.ts';
import { planImportFile } from '../../../src/ui/modelImport.ts';

/** A model JSON text imported as a file named model.json. */
const planImport = (text: string, limits: Parameters<typeof planImportFile>[2]) =>
  planImportFile('model.json', new TextEncoder().encode(text), limits);

const limits = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };

const trained = resolveTrainingOptions({
  pde: 'sine-gordon-two-body',
  dimension: 7,
  width: 20,
  depth: 2,
  activation: 'sin',
  estimator: 'rademacher',
  jetsPerPoint: 3,
  learningRate: 0.002,
  steps: 500,
  seed: 9,
  testPoints: 20_000,
});

function modelText(
  options = trained,
  metrics: Record<string, number> = { step: 120 },
  architecture = architectureOf(options),
): string {
  return serializeModel(architecture, initParameters(architecture, 3), {
    training: Object.fromEntries(Object.entries(options)),
    metrics,
  });
}

describe('model import', () => {
  it("takes the file's controls and weights; logging and evaluation stay the page's", () => {
    const result = planImport(modelText(), limits);
    if (!result.ok) throw new Error(result.problem);
    expect(result.plan.options).toMatchObject({
      pde: 'sine-gordon-two-body',
      dimension: 7,
      width: 20,
      depth: 2,
      activation: 'sin',
      estimator: 'rademacher',
      jetsPerPoint: 3,
      learningRate: 0.002,
      steps: 500,
      seed: 9,
      testPoints: dashboardDefaults.testPoints,
      logEvery: dashboardDefaults.logEvery,
    });
    expect(result.state.step).toBe(120);
    expect(result.state.moments).toBeNull();
    // The packed weights are the file's, in float32.
    const widths = architectureOf(result.plan.options).widths;
    const unpacked = unpackParameters(widths, result.state.parameters);
    const expected = initParameters(architectureOf(trained), 3);
    expect(Array.from(unpacked.layers[1].weight)).toEqual(
      Array.from(Float32Array.from(expected.layers[1].weight)),
    );
  });

  it("takes the file's first-layer gain, and the fan-in gain from a file written without one", () => {
    const gained = planImport(modelText({ ...trained, firstLayerGain: 3 }), limits);
    expect(gained.ok && gained.plan.options.firstLayerGain).toBe(3);
    // A file from before the option existed.
    const older = Object.fromEntries(
      Object.entries(trained).filter(([key]) => key !== 'firstLayerGain'),
    );
    const architecture = architectureOf(trained);
    const text = serializeModel(architecture, initParameters(architecture, 3), { training: older });
    const defaulted = planImport(text, limits);
    expect(defaulted.ok && defaulted.plan.options.firstLayerGain).toBe(1);
  });

  it('starts at step 0 without a recorded step and never past the last step', () => {
    const none = planImport(modelText(trained, {}), limits);
    expect(none.ok && none.state.step).toBe(0);
    const late = planImport(modelText(trained, { step: 9000 }), limits);
    expect(late.ok && late.state.step).toBe(500);
    const fractional = planImport(modelText(trained, { step: 12.5 }), limits);
    expect(fractional.ok && fractional.state.step).toBe(0);
  });

  it('refuses with a reason: broken JSON, no options, a network that is not theirs, no room', () => {
    const problem = (text: string) => {
      const result = planImport(text, limits);
      return result.ok ? null : result.problem;
    };
    expect(problem('{"format":')).toMatch(/^the file is not a usable model: /);
    const bare = serializeModel(
      architectureOf(trained),
      initParameters(architectureOf(trained), 1),
    );
    expect(problem(bare)).toMatch(/carries no training options/);
    const wider = architectureOf({ ...trained, width: 24 });
    expect(problem(modelText(trained, {}, wider))).toMatch(/is not the one its training options/);
    const tiny = { maxStorageBufferBindingSize: 1024, maxBufferSize: 1024 };
    const refused = planImport(modelText(), tiny);
    expect(refused.ok).toBe(false);
    expect(refused.ok ? '' : refused.problem).toMatch(/^the model cannot run here: /);
  });
});
