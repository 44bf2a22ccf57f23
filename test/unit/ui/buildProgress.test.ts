import { describe, expect, it } from 'vitest';
import { planTrainingParts } from '../../../src/train/trainingPlan.ts';
import { BuildTracker, describeBuild } from '../../../src/ui/buildProgress.ts';
import { dashboardDefaults } from '../../../src/ui/dashboardOptions.ts';
import { pageExecution } from '../../../src/ui/memoryEstimate.ts';

/**
 * The build's status line from its events: the part is the one whose buffers come next in the
 * run's own plan, kernels are counted as they start and end, bytes against the plan's total.
 */

const MiB = 2 ** 20;

describe('describeBuild', () => {
  it('names the part, the kernels and the bytes', () => {
    expect(
      describeBuild({
        part: 3,
        parts: 6,
        partName: 'evaluation',
        kernelsCompiled: 12,
        kernelsCompiling: 1,
        bytesAllocated: 120 * MiB,
        bytesPlanned: 226 * MiB,
      }),
    ).toBe(
      'Building the trainer, part 3 of 6 (the test set and its exact solution): 12 kernels ' +
        'compiled, 1 compiling; 120.0 MiB of 226.0 MiB allocated.',
    );
    expect(
      describeBuild({
        part: 1,
        parts: 6,
        partName: 'trainer',
        kernelsCompiled: 1,
        kernelsCompiling: 0,
        bytesAllocated: 0,
        bytesPlanned: 2 * MiB,
      }),
    ).toBe(
      'Building the trainer, part 1 of 6 (the weights): 1 kernel compiled; 0 KiB of 2.0 MiB allocated.',
    );
  });
});

describe('BuildTracker', () => {
  // The page's trainers keep the field views' weight average: the second part, since the
  // evaluation built after it scores the average.
  const execution = pageExecution(true);
  const { parts } = planTrainingParts(dashboardDefaults, undefined, execution);
  const buffers = parts.flatMap((p) => p.buffers);

  it('follows the plan part by part, kernels and bytes included', () => {
    let changes = 0;
    const tracker = new BuildTracker(dashboardDefaults, execution, () => changes++);
    const start = tracker.progress();
    expect(start).toMatchObject({ part: 1, partName: 'trainer', kernelsCompiled: 0 });
    expect(start.parts).toBe(parts.length);
    expect(start.bytesPlanned).toBeGreaterThan(0);

    const seen: string[] = [];
    let bytes = 0;
    for (const buffer of buffers) {
      tracker.kernelCompiling();
      expect(tracker.progress().kernelsCompiling).toBe(1);
      tracker.kernelCompiled();
      tracker.allocated(buffer.label, buffer.bytes);
      bytes += buffer.bytes;
      seen.push(tracker.progress().partName);
    }
    expect(parts[1].name).toBe('weight average');
    const end = tracker.progress();
    expect(end).toMatchObject({
      part: parts.length,
      kernelsCompiled: buffers.length,
      kernelsCompiling: 0,
      bytesAllocated: bytes,
    });
    expect(changes).toBe(3 * buffers.length);
    // Each part is current from its first buffer's turn to its last one's, in build order; a
    // part that allocates nothing (backprop's gradient estimate) is passed over.
    expect(parts.some((p) => p.buffers.length === 0)).toBe(true);
    expect([...new Set(seen)]).toEqual(
      parts.filter((p) => p.buffers.length > 0).map((p) => p.name),
    );
  });

  it("counts a part's kernels, compiled before its first buffer, as that part's", () => {
    const tracker = new BuildTracker(dashboardDefaults, execution, () => undefined);
    const trainerBuffers = parts[0].buffers;
    for (const buffer of trainerBuffers) tracker.allocated(buffer.label, buffer.bytes);
    tracker.kernelCompiling();
    expect(tracker.progress()).toMatchObject({ part: 2, partName: 'weight average' });
  });
});
