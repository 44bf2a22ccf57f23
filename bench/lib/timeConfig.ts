/**
 * Times configurations under a RunBudget: build, run one warm-up step (the probe), size the timed
 * windows from the probe, then time them. Anything the device reports (out of memory, validation)
 * turns a configuration into `failed` with the message instead of a number.
 */
import type { RunBudget } from './budget.ts';
import type { Outcome } from './outcome.ts';
import { ratesFromTimes, spreadOf } from './stats.ts';

/** Something that can run whole steps and report its GPU bytes. */
export interface Steppable {
  /** Records and submits `count` steps and resolves once the GPU finished them. */
  run(count: number): Promise<void>;
  readonly memoryBytes: number;
  dispose(): void;
}

export interface TimingPlan {
  /** Timed windows wanted, and at least this many or the configuration is not measured. */
  windows: number;
  minWindows: number;
  /** Steps per window are chosen so one window lasts about this long. */
  windowMs: number;
  maxStepsPerWindow: number;
}

export const defaultTimingPlan: TimingPlan = {
  windows: 5,
  minWindows: 3,
  windowMs: 600,
  maxStepsPerWindow: 20,
};

async function withErrorScopes<T>(device: GPUDevice, work: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  device.pushErrorScope('internal');
  let result: T | undefined;
  let thrown: unknown = null;
  try {
    result = await work();
  } catch (error) {
    thrown = error;
  }
  const errors = [
    await device.popErrorScope(),
    await device.popErrorScope(),
    await device.popErrorScope(),
  ].filter((e) => e !== null);
  if (thrown !== null) throw thrown;
  if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('; '));
  return result as T;
}

/**
 * Times several configurations against each other: all are built and warmed up, then their timed
 * windows alternate (a window of each in turn), so a change in background load hits all alike and
 * their ratio stays meaningful on a shared machine. The group may take `budget.configCapMs` per
 * member. Outcomes come back in the order of `builds`.
 */
export async function timeGroup(
  device: GPUDevice,
  budget: RunBudget,
  builds: (() => Promise<Steppable>)[],
  plan: TimingPlan = defaultTimingPlan,
): Promise<Outcome[]> {
  const groupStart = performance.now();
  const capMs = budget.configCapMs * builds.length;
  const outcomes: (Outcome | null)[] = builds.map(() => null);
  const subjects: (Steppable | null)[] = builds.map(() => null);
  const createMs: number[] = builds.map(() => 0);
  const warmupMs: number[] = builds.map(() => 0);
  const fail = (i: number, error: unknown) => {
    outcomes[i] = {
      status: 'failed',
      reason: error instanceof Error ? error.message : String(error),
      ...(subjects[i] ? { memoryBytes: subjects[i].memoryBytes } : {}),
    };
  };
  const alive = () => subjects.flatMap((s, i) => (s && outcomes[i] === null ? [i] : []));
  try {
    for (const [i, build] of builds.entries()) {
      const start = performance.now();
      try {
        subjects[i] = await withErrorScopes(device, build);
        createMs[i] = performance.now() - start;
      } catch (error) {
        fail(i, error);
      }
    }
    for (const i of alive()) {
      const subject = subjects[i] as Steppable;
      const start = performance.now();
      try {
        await withErrorScopes(device, () => subject.run(1));
        warmupMs[i] = performance.now() - start;
      } catch (error) {
        fail(i, error);
      }
    }
    const running = alive();
    const leftMs = capMs - (performance.now() - groupStart);
    const roundMs = running.reduce((sum, i) => sum + warmupMs[i], 0);
    if (roundMs * plan.minWindows > leftMs) {
      for (const i of running) {
        outcomes[i] = {
          status: 'not-run',
          reason:
            `one warm-up step took ${(warmupMs[i] / 1000).toFixed(1)} s` +
            (running.length > 1 ? ` (${(roundMs / 1000).toFixed(1)} s for the group)` : '') +
            `; ${plan.minWindows} timed windows exceed the ` +
            `${(Math.max(0, leftMs) / 1000).toFixed(0)} s left for this configuration`,
          probeMs: warmupMs[i],
          memoryBytes: (subjects[i] as Steppable).memoryBytes,
        };
      }
      return outcomes as Outcome[];
    }
    const stepsPerWindow = running.map((i) =>
      Math.max(1, Math.min(plan.maxStepsPerWindow, Math.round(plan.windowMs / warmupMs[i]))),
    );
    const times: number[][] = running.map(() => []);
    const windowStart = performance.now();
    let rounds = 0;
    while (
      rounds < plan.windows &&
      (rounds < plan.minWindows || performance.now() - windowStart < leftMs - roundMs)
    ) {
      for (const [k, i] of running.entries()) {
        if (outcomes[i] !== null) continue;
        const subject = subjects[i] as Steppable;
        const start = performance.now();
        try {
          await withErrorScopes(device, () => subject.run(stepsPerWindow[k]));
          times[k].push((performance.now() - start) / stepsPerWindow[k]);
        } catch (error) {
          fail(i, error);
        }
      }
      rounds++;
    }
    for (const [k, i] of running.entries()) {
      if (outcomes[i] !== null) continue;
      outcomes[i] = {
        status: 'measured',
        msPerStep: spreadOf(times[k]),
        itPerSecond: ratesFromTimes(times[k]),
        stepsPerWindow: stepsPerWindow[k],
        createMs: createMs[i],
        warmupMs: warmupMs[i],
        memoryBytes: (subjects[i] as Steppable).memoryBytes,
      };
    }
    return outcomes as Outcome[];
  } finally {
    for (const subject of subjects) subject?.dispose();
  }
}

/** One configuration alone (timeGroup of one). */
export async function timeConfig(
  device: GPUDevice,
  budget: RunBudget,
  build: () => Promise<Steppable>,
  plan: TimingPlan = defaultTimingPlan,
): Promise<Outcome> {
  return (await timeGroup(device, budget, [build], plan))[0];
}
