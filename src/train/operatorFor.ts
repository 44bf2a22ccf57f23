/**
 * The operator a trainer estimates for any PDE it runs, so callers that only plan a run (the
 * dashboard's teaching view and checks) need not know which problem graph builds it.
 */
import type { JetOperator } from '../operators/operator.ts';
import type { PdeEntry } from '../pdes/index.ts';
import { ballOperator } from './ballProblemGraph.ts';
import type { TrainingOptions } from './options.ts';
import { parabolicOperator } from './parabolicProblemGraph.ts';

/**
 * Δu (or Δ²u) of a ball problem, u_t + Δu of a parabolic one, `samples` jets per point; the fixed
 * mixed-partial construction of a box problem.
 */
export function operatorFor(
  pde: PdeEntry,
  options: Pick<TrainingOptions, 'dimension' | 'estimator'> &
    Partial<Pick<TrainingOptions, 'gpinnWeight'>>,
  samples: number,
): JetOperator {
  switch (pde.domain) {
    case 'ball':
      return ballOperator(pde, options, samples);
    case 'spacetime':
      return parabolicOperator(options, samples);
    case 'box':
      return pde.problem.operator();
  }
}
