/**
 * Everything checked before a trainer is built: the options validate, the PDE runs here, the
 * device can hold the run (with its collocation points or dense tangents redrawn where they are
 * read if only that fits, pageStorage; the views that fit beside it are drawn, the others said
 * so), and the PDE has the chosen estimator. A refused plan carries a message for the page; nothing has been allocated
 * yet, so the current run is untouched.
 */
import type { JetOperator } from '../operators/operator.ts';
import { operatorFor } from '../train/operatorFor.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../train/options.ts';
import { type DashboardPdeEntry, dashboardPdes, validationProblem } from './dashboardOptions.ts';
import {
  type BufferLimits,
  estimatePageMemory,
  memoryRefusal,
  type PageMemoryEstimate,
  pageExecution,
  pageStorage,
} from './memoryEstimate.ts';
import type { StorageField } from '../train/storageChoice.ts';

export interface RunPlan {
  options: TrainingOptions;
  pde: DashboardPdeEntry;
  /** The operator the trainer will estimate (its TeX feeds the teaching view). */
  operator: JetOperator;
  /** The run and the views the page draws of it, on this device. */
  memory: PageMemoryEstimate;
  /** What `options` store redrawn to fit this device (pageStorage; empty: as given). */
  regenerated: readonly StorageField[];
  /**
   * Whether the trainer keeps the optimizer's rollback copy on the GPU (TrainerSettings.rollback):
   * without it a divergence goes back to the last CPU snapshot, for 4–12 bytes per parameter less.
   */
  rollback: boolean;
}

export type PlanResult = { ok: true; plan: RunPlan } | { ok: false; problem: string };

export function planRun(
  candidate: Record<string, unknown>,
  limits: BufferLimits,
  rollback = true,
): PlanResult {
  const problem = validationProblem(candidate);
  if (problem) return { ok: false, problem };
  const execution = pageExecution(rollback);
  const { options, regenerated } = pageStorage(
    resolveTrainingOptions(candidate),
    limits,
    execution,
  );
  const memory = estimatePageMemory(options, limits, execution);
  const refusal = memoryRefusal(memory, limits);
  if (refusal) return { ok: false, problem: refusal };
  const pde = dashboardPdes.find((p) => p.id === options.pde);
  if (!pde) return { ok: false, problem: `unknown PDE ${options.pde}` };
  try {
    // Built only after the memory check: the exact biharmonic has d² jets per point.
    const operator = operatorFor(pde, options, options.jetsPerPoint);
    return { ok: true, plan: { options, pde, operator, memory, regenerated, rollback } };
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}
