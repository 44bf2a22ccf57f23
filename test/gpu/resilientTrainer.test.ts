import { beforeAll, describe, expect, it } from 'vitest';
import { type Recovery, ResilientTrainer } from '../../src/train/resilientTrainer.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { smallRunOptions } from '../shared/smallRuns.ts';

const gpu = useNodeGpu();
/**
 * The resilient trainers' devices, from the fixture: their errors and losses are checked like the
 * main device's, and each is destroyed after its test, so a failing test still lets Node exit.
 */
const acquire = () => gpu.acquire();

/** The small Allen–Cahn run, logging every step to compare step by step. */
const options = smallRunOptions({ schedule: 'linear', steps: 60, logEvery: 1 });

/** The losses of a plain Trainer that never loses its device, step 1 to options.steps. */
let uninterrupted: number[];
/** What that trainer holds on the GPU, its rollback copy included. */
let withRollbackBytes: number;
beforeAll(async () => {
  const plain = await Trainer.create(gpu.device, options);
  await plain.train(options.steps);
  uninterrupted = plain.logs.map((l) => l.loss);
  withRollbackBytes = plain.memoryBytes;
  plain.dispose();
});

describe('resilient trainer', () => {
  it('recovers from a lost device and repeats the uninterrupted losses bit for bit', async () => {
    expect(uninterrupted).toHaveLength(options.steps);

    const snapshotEvery = 20;
    gpu.expectDeviceLoss(); // the one destroyed below
    const resilient = await ResilientTrainer.create({ acquire, options, snapshotEvery });
    const recoveries: Recovery[] = [];
    const lostDevice = resilient.context.device;
    let destroyed = false;
    await resilient.train(options.steps, {
      onLog: (log) => {
        // A loss in the middle of the second chunk: the snapshot of step 20 is the last one.
        if (log.step === 30 && !destroyed) {
          destroyed = true;
          lostDevice.destroy();
        }
      },
      onRecovery: (recovery) => recoveries.push(recovery),
    });

    expect(recoveries).toHaveLength(1);
    expect(resilient.recoveries).toEqual(recoveries);
    const [recovery] = recoveries;
    expect(recovery.reason).toBe('destroyed');
    expect(recovery.resumedFromStep).toBe(20);
    expect(recovery.lostAtStep).toBeGreaterThanOrEqual(30);
    expect(recovery.lostAtStep - recovery.resumedFromStep).toBeLessThanOrEqual(snapshotEvery);
    expect(resilient.context.device).not.toBe(lostDevice);

    const trainer = resilient.trainer;
    expect(trainer.step).toBe(options.steps);
    expect(trainer.logs.map((l) => l.step)).toEqual(
      Array.from({ length: options.steps }, (_, i) => i + 1),
    );
    expect(trainer.logs.map((l) => l.loss)).toEqual(uninterrupted);
    expect(trainer.evaluations).toHaveLength(1);
    resilient.dispose();
  });

  it('notices a loss between train() calls and resumes from the last snapshot, settings kept', async () => {
    gpu.expectDeviceLoss(); // the one destroyed below
    const resilient = await ResilientTrainer.create({
      acquire,
      options,
      snapshotEvery: 20,
      execution: { rollback: false },
    });
    await resilient.train(25);
    // Without the copy of θ, m, v (12 B a parameter), before the loss and after it.
    const withoutRollbackBytes = resilient.trainer.memoryBytes;
    expect(withoutRollbackBytes).toBeLessThan(withRollbackBytes);
    expect(resilient.snapshotStep).toBe(20);
    resilient.context.device.destroy();
    await resilient.train(options.steps);

    expect(resilient.recoveries).toHaveLength(1);
    const [recovery] = resilient.recoveries;
    expect(recovery).toMatchObject({ resumedFromStep: 20, reason: 'destroyed' });
    // Dawn reports the loss asynchronously, so the lost trainer may submit a few more steps.
    expect(recovery.lostAtStep).toBeGreaterThanOrEqual(25);
    expect(recovery.lostAtStep - recovery.resumedFromStep).toBeLessThanOrEqual(20);
    expect(resilient.trainer.step).toBe(options.steps);
    expect(resilient.trainer.memoryBytes).toBe(withoutRollbackBytes);
    expect(resilient.trainer.logs.map((l) => l.loss)).toEqual(uninterrupted);
    resilient.dispose();
  });
});
