/**
 * Bounded submits on the CPU (src/train/boundedSubmits.ts): where a step of given stage works,
 * measured step time and bound splits, hand-computed; the step clock's upper bound; the stage
 * costs a ball plan gives; the CLI flag. The split run itself is test/gpu/boundedSubmits.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseFlags, UsageError } from '../../../src/cli/args.ts';
import { planTraining, TRAIN_FLAGS } from '../../../src/cli/trainPlan.ts';
import { type BallPdeEntry, findPde } from '../../../src/pdes/index.ts';
import { type BallStageCosts, planBallGraph } from '../../../src/train/ballProblemGraph.ts';
import {
  DEFAULT_SUBMIT_BOUND_MS,
  msPerWork,
  planSubmits,
  PRIOR_WORK_PER_MS,
  stageWork,
  StepClock,
} from '../../../src/train/boundedSubmits.ts';
import { architectureOf, resolveTrainingOptions } from '../../../src/train/options.ts';
import { DEFAULT_TRAINING_LIMITS } from '../../../src/train/trainingPlan.ts';

describe('the split plan of a step', () => {
  it('keeps a step within the bound in one command buffer', () => {
    // 1000 ms over 10 units of work: 100, 200, 300, 400 ms… scaled to a 100 ms step: 10…40 ms.
    expect(planSubmits([1, 2, 3, 4], 100, 250)).toEqual([]);
    // The bound itself is allowed: 125 + 125 = 250 ms.
    expect(planSubmits([1, 1], 250, 250)).toEqual([]);
  });

  it('starts a new command buffer before the stage that would pass the bound', () => {
    // Five stages of 100 ms against 250 ms: [0, 1] 200 ms, [2, 3] 200 ms, [4] 100 ms.
    expect(planSubmits([1, 1, 1, 1, 1], 500, 250)).toEqual([2, 4]);
    // 150, 50, 100, 200 ms: [0, 1] 200 ms, then 200 + 100 > 250: [2] 100 ms, 100 + 200 > 250: [3].
    expect(planSubmits([3, 1, 2, 4], 500, 250)).toEqual([2, 3]);
  });

  it('puts a stage over the bound alone, and nothing finer splits it', () => {
    // 50, 600, 50, 50 ms: [0], [1] (600 ms on its own), then [2, 3] 100 ms.
    expect(planSubmits([1, 12, 1, 1], 750, 250)).toEqual([1, 2]);
    // A first stage over the bound opens the first command buffer all the same.
    expect(planSubmits([12, 1], 650, 250)).toEqual([1]);
    expect(planSubmits([1], 10_000, 250)).toEqual([]);
  });

  it('submits at every boundary under a bound of 0', () => {
    expect(planSubmits([1, 2, 3, 4], 1, 0)).toEqual([1, 2, 3]);
  });

  it('predicts from the prior rate until a step is measured', () => {
    expect(msPerWork(null, 1e9)).toBe(1 / PRIOR_WORK_PER_MS);
    expect(msPerWork(500, 1000)).toBe(0.5);
    // A step that announced no work has nothing to apportion its time by.
    expect(msPerWork(500, 0)).toBe(1 / PRIOR_WORK_PER_MS);
    // 10⁸, 2·10⁸, 10⁸ at 10⁶ per ms: 100, 200, 100 ms.
    expect(planSubmits([1e8, 2e8, 1e8], null, 250)).toEqual([1, 2]);
    expect(planSubmits([1e5, 1e5], null, DEFAULT_SUBMIT_BOUND_MS)).toEqual([]);
  });

  it('weighs a stage by its FLOPs and bytes', () => {
    expect(stageWork({ flops: 10, bytesRead: 20, bytesWritten: 4 })).toBe(34);
  });
});

describe('the step clock', () => {
  it("averages from the window's first submit to each completion seen", () => {
    const clock = new StepClock();
    expect(clock.stepMs).toBeNull();
    const first = clock.submitted(100);
    const second = clock.submitted(110);
    clock.completed(first, 140);
    expect(clock.stepMs).toBe(40);
    clock.completed(second, 160);
    expect(clock.stepMs).toBe(30);
  });

  it('ignores completions of an earlier window and keeps its estimate until the next', () => {
    const clock = new StepClock();
    const old = clock.submitted(0);
    clock.completed(clock.submitted(5), 50);
    expect(clock.stepMs).toBe(25);
    clock.restart();
    clock.completed(old, 10_000);
    expect(clock.stepMs).toBe(25);
    clock.completed(clock.submitted(20_000), 20_012);
    expect(clock.stepMs).toBe(12);
  });
});

describe('the stage costs of a ball step', () => {
  const plan = (gradientEstimator: 'backprop' | 'spsa', dimension: number) => {
    const options = resolveTrainingOptions({
      pde: 'allen-cahn-two-body',
      dimension,
      jetsPerPoint: 4,
      gradientEstimator,
    });
    const pde = findPde(options.pde) as BallPdeEntry;
    return planBallGraph(pde, options, architectureOf(options), DEFAULT_TRAINING_LIMITS);
  };

  /** Every stage's work, the backward's 0 where there is none. */
  const works = (costs: BallStageCosts) => ({
    draw: stageWork(costs.draw),
    source: stageWork(costs.source),
    forward: stageWork(costs.forward),
    loss: stageWork(costs.loss),
    backward: costs.backward ? stageWork(costs.backward) : 0,
  });

  it('has a backward stage with backprop only, and every stage has work', () => {
    for (const work of Object.values(works(plan('backprop', 100).stageCosts))) {
      expect(work).toBeGreaterThan(0);
    }
    expect(plan('spsa', 100).stageCosts.backward).toBeNull();
  });

  it('grows the stages whose work grows with d, not the loss', () => {
    const small = works(plan('backprop', 100).stageCosts);
    const large = works(plan('backprop', 100_000).stageCosts);
    for (const stage of ['draw', 'source', 'forward', 'backward'] as const) {
      expect(large[stage]).toBeGreaterThan(10 * small[stage]);
    }
    // The loss reads the jets' output rows, N·V of them whatever d.
    expect(large.loss).toBe(small.loss);
  });
});

describe('--submit-bound-ms', () => {
  const train = (...argv: string[]) => planTraining(parseFlags(argv, TRAIN_FLAGS, 'train'));

  it('defaults to DEFAULT_SUBMIT_BOUND_MS and takes any bound ≥ 0', () => {
    expect(train().submitBoundMs).toBe(DEFAULT_SUBMIT_BOUND_MS);
    expect(train('--submit-bound-ms', '0').submitBoundMs).toBe(0);
    expect(train('--submit-bound-ms', '12.5').submitBoundMs).toBe(12.5);
  });

  it('refuses a negative bound', () => {
    expect(() => train('--submit-bound-ms', '-1')).toThrow(UsageError);
    expect(() => train('--submit-bound-ms', '-1')).toThrow(/--submit-bound-ms must be at least 0/);
  });
});
