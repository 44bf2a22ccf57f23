/**
 * `jetpinn train`: runs the GPU trainer with progress and leaves the model, metrics CSV and
 * checkpoint (runFiles.ts). On divergence the last good weights are still written and the exit
 * code says so.
 */
import { parameterLayout } from '../engine/jetLayout.ts';
import {
  DivergenceError,
  type EvaluationLog,
  Trainer,
  type TrainerCallbacks,
} from '../train/trainer.ts';
import { trainingLimitsOf } from '../train/trainingPlan.ts';
import type { Command } from './command.ts';
import { exitCodes } from './exitCodes.ts';
import { type GpuSession, withNodeGpu } from './gpuSession.ts';
import type { CliIo } from './io.ts';
import { describeError, formatDuration, Progress } from './progress.ts';
import { RunFiles } from './runFiles.ts';
import { startEvent } from './startEvent.ts';
import { planTraining, TRAIN_FLAGS, type TrainPlan } from './trainPlan.ts';

/** Runs to plan.stopAt in chunks that end on checkpoint steps; the divergence, if any. */
async function trainUntil(
  trainer: Trainer,
  plan: TrainPlan,
  callbacks: TrainerCallbacks,
  onCheckpointStep: () => Promise<void>,
): Promise<DivergenceError | null> {
  const every = plan.checkpointEvery;
  try {
    while (trainer.step < plan.stopAt) {
      const end =
        every > 0
          ? Math.min(plan.stopAt, (Math.floor(trainer.step / every) + 1) * every)
          : plan.stopAt;
      await trainer.train(end - trainer.step, callbacks);
      // The checkpoint of the last step is written with the other outputs.
      if (trainer.step < plan.stopAt) await onCheckpointStep();
    }
    return null;
  } catch (error) {
    if (error instanceof DivergenceError) return error;
    throw error;
  }
}

function doneText(
  step: number,
  plan: TrainPlan,
  ranSteps: number,
  rate: number | null,
  last: EvaluationLog | undefined,
  metrics: Record<string, number>,
): string {
  const best = metrics.bestRelativeL2;
  return (
    `done: step ${step}/${plan.options.steps}, ${ranSteps} steps at ` +
    `${rate === null ? '?' : rate.toFixed(2)} it/s` +
    (rate ? ` (${formatDuration(ranSteps / rate)})` : '') +
    (last ? `; final ${describeError(last)}` : '') +
    (best !== undefined
      ? `; best rel L2 ${best.toExponential(3)} at step ${metrics.bestRelativeL2Step}`
      : '')
  );
}

async function runTraining(plan: TrainPlan, session: GpuSession, io: CliIo): Promise<number> {
  const trainer = await Trainer.create(
    session.gpu.device,
    plan.options,
    plan.resume?.state,
    plan.memoryBudgetBytes,
    {
      rollback: plan.rollback,
      submitBoundMs: plan.submitBoundMs,
      parameterBlockBytes: plan.parameterBlockBytes,
    },
  );
  try {
    const mode = plan.json ? 'json' : io.isTTY ? 'tty' : 'lines';
    const progress = new Progress(mode, io, trainer.step, plan.options.steps);
    const files = new RunFiles(plan, trainer, progress, session.assertHealthy);
    const limits = session.gpu.device.limits;
    const start = startEvent(plan, {
      step: trainer.step,
      parameters: parameterLayout(trainer.architecture.widths).count,
      memoryBytes: trainer.memoryBytes,
      parameterBlockBytes: trainer.parameterBlocks.blocks.map((block) => 4 * block.count),
      adapter: session.gpu.adapter,
      limits: {
        ...trainingLimitsOf(limits),
        maxBufferSize: limits.maxBufferSize,
        budgetBytes: plan.memoryBudgetBytes,
      },
    });
    progress.event('start', start.fields, start.text);
    const callbacks: TrainerCallbacks = {
      onLog: (log) => progress.log(log),
      onEvaluation: (evaluation) => progress.evaluation(evaluation),
    };
    const startStep = trainer.step;
    const diverged = await trainUntil(trainer, plan, callbacks, () => files.writeCheckpoint());
    const rate = progress.averageRate(trainer.step);
    // The model file's "final" metrics must describe the weights it holds.
    if (files.history().evaluations.at(-1)?.step !== trainer.step) {
      await trainer.evaluate(callbacks);
    }
    progress.close();
    const metrics = await files.writeAll();

    if (diverged) {
      const { status } = diverged;
      progress.event(
        'diverged',
        {
          step: status.step,
          source: status.source,
          lastGoodStep: trainer.step,
          message: diverged.message,
        },
        `diverged at step ${status.step}; the files hold step ${trainer.step}`,
      );
      io.stderr(`jetpinn train: ${diverged.message}\n`);
      return exitCodes.diverged;
    }
    progress.event(
      'done',
      { step: trainer.step, steps: plan.options.steps, itPerSecond: rate, ...metrics },
      doneText(
        trainer.step,
        plan,
        trainer.step - startStep,
        rate,
        files.history().evaluations.at(-1),
        metrics,
      ),
    );
    return exitCodes.ok;
  } finally {
    trainer.dispose();
  }
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a PINN on the GPU; write the model, metrics CSV and checkpoints',
  description:
    'Trains the network on the GPU (Dawn in Node) with the STDE setup as defaults. Progress goes\n' +
    'to stdout: one redrawn line on a terminal, a line per log otherwise, JSON lines with --json.\n' +
    'Exit codes: 0 done, 1 failure (files, GPU), 2 bad command line, 3 diverged (the last good\n' +
    'weights are still written to --out and --checkpoint).',
  flags: TRAIN_FLAGS,
  run: async (flags, io) => {
    const plan = planTraining(flags);
    return withNodeGpu(io, (session) => runTraining(plan, session, io));
  },
};
