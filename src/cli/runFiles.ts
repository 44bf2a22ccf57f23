/**
 * The files a `train` run leaves: the model (JSON, modelFile.ts, or safetensors when --out ends
 * in .safetensors, safetensorsModel.ts; with the options as `training` and final/best metrics),
 * the metrics CSV and the checkpoint. Each covers the whole run, the part before a --resume
 * included (its history comes from the checkpoint), and each is written
 * atomically so an interrupted write never replaces a good file with a truncated one.
 */
import { serializeModelAs } from '../engine/modelFormats.ts';
import { serializeCheckpoint } from '../train/checkpoint.ts';
import type { EvaluationLog, StepLog, Trainer } from '../train/trainer.ts';
import { writeFileAtomic } from './io.ts';
import { metricsCsv } from './metricsCsv.ts';
import type { Progress } from './progress.ts';
import { runMetrics } from './runMetrics.ts';
import type { TrainPlan } from './trainPlan.ts';

export interface History {
  logs: StepLog[];
  evaluations: EvaluationLog[];
}

export class RunFiles {
  private readonly earlier: History;

  constructor(
    private readonly plan: TrainPlan,
    private readonly trainer: Trainer,
    private readonly progress: Progress,
    /** Throws if the GPU reported errors: nothing is written from a failed dispatch. */
    private readonly assertHealthy: () => void,
  ) {
    this.earlier = {
      logs: plan.resume?.logs ?? [],
      evaluations: plan.resume?.evaluations ?? [],
    };
  }

  /** Logs and evaluations of the whole run so far. */
  history(): History {
    return {
      logs: [...this.earlier.logs, ...this.trainer.logs],
      evaluations: [...this.earlier.evaluations, ...this.trainer.evaluations],
    };
  }

  async writeCheckpoint(): Promise<void> {
    const path = this.plan.checkpoint;
    if (path === undefined) return;
    const state = await this.trainer.state();
    this.assertHealthy();
    writeFileAtomic(
      path,
      serializeCheckpoint({ options: this.plan.options, state, ...this.history() }),
    );
    this.progress.event(
      'checkpoint',
      { step: state.step, path },
      `checkpoint at step ${state.step}: ${path}`,
    );
  }

  /** Writes every requested file; returns the model's metrics. */
  async writeAll(): Promise<Record<string, number>> {
    this.assertHealthy();
    const { logs, evaluations } = this.history();
    const metrics = runMetrics(evaluations);
    const { out, metrics: csv } = this.plan;
    if (out !== undefined) {
      const parameters = await this.trainer.parameters();
      this.assertHealthy();
      writeFileAtomic(
        out,
        serializeModelAs(out, this.trainer.architecture, parameters, {
          training: { ...this.plan.options },
          metrics,
        }),
      );
      this.progress.event('model', { step: this.trainer.step, path: out }, `model: ${out}`);
    }
    if (csv !== undefined) {
      writeFileAtomic(csv, metricsCsv(logs, evaluations));
      this.progress.event('metrics', { path: csv }, `metrics: ${csv}`);
    }
    await this.writeCheckpoint();
    return metrics;
  }
}
