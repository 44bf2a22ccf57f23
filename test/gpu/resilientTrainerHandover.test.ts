import { describe, expect, it } from 'vitest';
import { ResilientTrainer } from '../../src/train/resilientTrainer.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';
import { smallRunOptions } from '../shared/smallRuns.ts';

/**
 * What the dashboard needs from ResilientTrainer beyond recovery inside train(): starting on a
 * device it already has (kernels compiled once per page), handing that device to the next run,
 * and recovering at once from a loss that happened while nothing trained.
 */

const fixture = useNodeGpu();
/**
 * The trainers' devices, from the fixture: their errors and losses are checked like the main
 * device's, and each is destroyed after its test, so a failing test still lets Node exit.
 */
const acquire = () => fixture.acquire();

/** A smaller variant of the small Allen–Cahn run, logging every step. */
const options = smallRunOptions({
  dimension: 5,
  jetsPerPoint: 2,
  points: 16,
  width: 12,
  schedule: 'linear',
  steps: 40,
  seed: 4,
  logEvery: 1,
  testPoints: 100,
});

const losses = (resilient: ResilientTrainer) => resilient.trainer.logs.map((l) => l.loss);

describe('resilient trainer handover', () => {
  it('starts on a given device, hands it back, and the next run on it repeats the losses', async () => {
    const gpu = await acquire();
    let acquired = 0;
    const counting = () => {
      acquired++;
      return acquire();
    };
    const first = await ResilientTrainer.create({ acquire: counting, context: gpu, options });
    expect(first.context).toBe(gpu);
    await first.train(12);
    const firstLosses = losses(first);
    expect(first.release()).toBe(gpu);

    // The handed-back device is alive: a second run on it gives the same numbers.
    const second = await ResilientTrainer.create({ acquire: counting, context: gpu, options });
    await second.train(12);
    expect(losses(second)).toEqual(firstLosses);
    expect(acquired).toBe(0);
    second.release();

    // A run that cannot be built leaves the caller's device to the caller, alive.
    const wrongState = { step: 0, parameters: new Float32Array(3), moments: null };
    await expect(
      ResilientTrainer.create({ acquire: counting, context: gpu, options, state: wrongState }),
    ).rejects.toThrow(/parameters/);
    const third = await ResilientTrainer.create({ acquire: counting, context: gpu, options });
    await third.train(3);
    expect(losses(third)).toEqual(firstLosses.slice(0, 3));
    third.dispose();
  });

  it('recovers at once from a loss while idle, back at the last snapshot', async () => {
    fixture.expectDeviceLoss(); // lostDevice below
    const resilient = await ResilientTrainer.create({ acquire, options, snapshotEvery: 10 });
    await resilient.train(25);
    const uninterrupted = losses(resilient);
    expect(resilient.snapshotStep).toBe(20);
    expect(await resilient.recoverIfLost()).toBe(false);

    const lostDevice = resilient.context.device;
    lostDevice.destroy();
    // The trainer watched this promise since it was made: its handler has run before ours.
    await resilient.context.lost;
    expect(resilient.deviceLost).toBe(true);
    const recoveries: number[] = [];
    expect(
      await resilient.recoverIfLost({ onRecovery: (r) => recoveries.push(r.resumedFromStep) }),
    ).toBe(true);
    expect(recoveries).toEqual([20]);
    expect(resilient.deviceLost).toBe(false);
    expect(resilient.context.device).not.toBe(lostDevice);
    expect(resilient.trainer.step).toBe(20);
    expect(await resilient.recoverIfLost()).toBe(false);

    // The recovered trainer reads and trains like the lost one would have.
    const state = await resilient.trainer.state();
    expect(state.step).toBe(20);
    await resilient.train(5);
    expect(losses(resilient)).toEqual(uninterrupted);
    resilient.dispose();
  });
});
