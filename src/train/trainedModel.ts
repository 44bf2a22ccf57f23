/**
 * A model file together with the training options it records, for what needs to know the PDE
 * behind a network (the CLI's eval, the dashboard's model import). The options are validated
 * like any other entry point's, and the architecture they imply must be the file's: a
 * hand-edited file whose weights do not belong to its options would otherwise be scored against
 * the wrong problem.
 */
import type { ModelFile } from '../engine/modelFile.ts';
import {
  architectureOf,
  resolveTrainingOptions,
  type TrainingOptions,
  TrainingOptionsError,
} from './options.ts';

export class TrainedModelError extends Error {
  constructor(
    message: string,
    /** The model file's field the error is about: `training` or `architecture`. */
    readonly field = 'training',
  ) {
    super(message);
    this.name = 'TrainedModelError';
  }
}

export interface TrainedModel {
  model: ModelFile;
  options: TrainingOptions;
}

/** A parsed model file (either format, src/engine/modelFormats.ts) with its checked options. */
export function trainedModelOf(model: ModelFile): TrainedModel {
  if (model.training === undefined) {
    throw new TrainedModelError(
      'the model has no PDE: its file carries no training options (models written by ' +
        '`jetpinn train --out` do)',
    );
  }
  let options: TrainingOptions;
  try {
    options = resolveTrainingOptions(model.training);
  } catch (error) {
    if (error instanceof TrainingOptionsError) {
      // The option's own name starts the message (training options are named as in the file).
      throw new TrainedModelError(`the model's training options are invalid: ${error.message}`);
    }
    throw error;
  }
  const implied = architectureOf(options);
  const actual = model.architecture;
  if (
    implied.widths.join(',') !== actual.widths.join(',') ||
    implied.activation !== actual.activation ||
    implied.boundary !== actual.boundary
  ) {
    throw new TrainedModelError(
      `the model's network (architecture ${JSON.stringify(actual)}) is not the one its training ` +
        `options describe (${JSON.stringify(implied)})`,
      'architecture',
    );
  }
  return { model, options };
}
