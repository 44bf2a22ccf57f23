import type { TrainingOptions } from './options.ts';

/**
 * The learning rate of step t (1-based) of a run of T steps: the schedule's, times min(1, t/W)
 * over the W = warmupSteps first steps (a linear warm-up; W = 0: none).
 * constant: η; linear (STDE's): η·(1 − (t − 1)/T), reaching 0 after the last step;
 * exponential: η·φ^((t − 1)/(T − 1)) with φ the final fraction; cosine: η·(1 + cos(π(t − 1)/T))/2.
 */
export function learningRateAt(
  options: Pick<
    TrainingOptions,
    'learningRate' | 'schedule' | 'steps' | 'finalLearningRateFraction' | 'warmupSteps'
  >,
  step: number,
): number {
  const rate = scheduledRate(options, step);
  const W = options.warmupSteps;
  return step < W ? (rate * step) / W : rate;
}

function scheduledRate(
  options: Pick<
    TrainingOptions,
    'learningRate' | 'schedule' | 'steps' | 'finalLearningRateFraction'
  >,
  step: number,
): number {
  const { learningRate: eta, steps: T } = options;
  const progress = (step - 1) / T;
  switch (options.schedule) {
    case 'constant':
      return eta;
    case 'linear':
      return eta * (1 - progress);
    case 'exponential':
      return eta * options.finalLearningRateFraction ** (T > 1 ? (step - 1) / (T - 1) : 0);
    case 'cosine':
      return (eta * (1 + Math.cos(Math.PI * progress))) / 2;
  }
}
