/**
 * Turning a model file (JSON, or safetensors by its name) into a run the dashboard can show: the
 * file is validated (the model schema, then its training options, then that its network is the one those options describe),
 * the options must run here like any link's (runPlan.ts), and the weights become the starting
 * state of a paused run. Anything wrong is a message; nothing has been allocated by then.
 */
import { packParameters } from '../engine/jetLayout.ts';
import { parseModelBytes } from '../engine/modelFormats.ts';
import { type TrainedModel, trainedModelOf } from '../train/trainedModel.ts';
import { architectureOf } from '../train/options.ts';
import type { TrainerState } from '../train/trainer.ts';
import { CONTROLLED_OPTIONS, dashboardDefaults } from './dashboardOptions.ts';
import type { BufferLimits } from './memoryEstimate.ts';
import { type RunPlan, planRun } from './runPlan.ts';

/**
 * Larger files are refused before they are read: a few million parameters as JSON text, 16
 * million as safetensors.
 */
export const MAX_MODEL_FILE_BYTES = 64 * 2 ** 20;

export type ModelImport =
  { ok: true; plan: RunPlan; state: TrainerState } | { ok: false; problem: string };

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The run an imported model file asks for, in either format (the name says which). The page's
 * controls (PDE, d, network, estimator, learning rate, …) come from the file's training options;
 * logging, evaluation and the rollback copy keep the page's own settings. The run starts at the
 * step the file records (0 if none) with fresh optimizer moments.
 */
export function planImportFile(
  name: string,
  bytes: Uint8Array,
  limits: BufferLimits,
  rollback = true,
): ModelImport {
  let trained: TrainedModel;
  try {
    trained = trainedModelOf(parseModelBytes(name, bytes));
  } catch (error) {
    return { ok: false, problem: `the file is not a usable model: ${messageOf(error)}` };
  }
  const candidate: Record<string, unknown> = { ...dashboardDefaults };
  for (const option of CONTROLLED_OPTIONS) candidate[option] = trained.options[option];
  const planned = planRun(candidate, limits, rollback);
  if (!planned.ok) return { ok: false, problem: `the model cannot run here: ${planned.problem}` };
  const { plan } = planned;
  // The page's options imply the file's network (trainedModelOf checked it against the file's
  // own options, and the architecture depends only on the options carried over).
  const widths = architectureOf(plan.options).widths;
  if (widths.join(',') !== trained.model.architecture.widths.join(',')) {
    return { ok: false, problem: 'the model does not match the network its options describe' };
  }
  const recorded = trained.model.metrics?.step;
  const step =
    recorded !== undefined && Number.isInteger(recorded) && recorded >= 0
      ? Math.min(recorded, plan.options.steps)
      : 0;
  return {
    ok: true,
    plan,
    state: { step, parameters: packParameters(widths, trained.model.parameters), moments: null },
  };
}
