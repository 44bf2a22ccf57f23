/**
 * How far a trainer build is, for the status line: the part being built (in the order
 * Trainer.create builds them, from the run's own plan), the kernels compiled so far and the bytes
 * allocated out of those the plan lists. A build at a large d takes tens of seconds on a
 * software adapter; "Building the trainer…" alone reads as a hang.
 */
import type { BuildListener } from '../gpu/buildEvents.ts';
import { plannedBytes } from '../gpu/bufferPlan.ts';
import type { TrainingOptions } from '../train/options.ts';
import {
  planTrainingParts,
  type TrainingExecution,
  type TrainingPartName,
} from '../train/trainingPlan.ts';
import { formatBytes } from './memoryEstimate.ts';

/** What each part of a run holds, as the status line names it. */
const PART_TEXT: Record<TrainingPartName, string> = {
  trainer: 'the weights',
  'problem graph': 'the step graph: point samplers, jets, residual',
  evaluation: 'the test set and its exact solution',
  'gradient estimate': 'the gradient estimate',
  optimizer: 'the optimizer',
  'divergence guard': 'the divergence guard',
  'weight average': "the field views' weight average",
};

export interface BuildProgress {
  /** The part being built, from 1, of `parts`. */
  part: number;
  parts: number;
  partName: TrainingPartName;
  kernelsCompiled: number;
  kernelsCompiling: number;
  bytesAllocated: number;
  /** What the build allocates by the plan (the first step's reduction chains come later). */
  bytesPlanned: number;
}

export function describeBuild(progress: BuildProgress): string {
  const { part, parts, partName, kernelsCompiled, kernelsCompiling } = progress;
  const compiling = kernelsCompiling > 0 ? `, ${kernelsCompiling} compiling` : '';
  return (
    `Building the trainer, part ${part} of ${parts} (${PART_TEXT[partName]}): ` +
    `${kernelsCompiled} kernel${kernelsCompiled === 1 ? '' : 's'} compiled${compiling}; ` +
    `${formatBytes(progress.bytesAllocated)} of ${formatBytes(progress.bytesPlanned)} allocated.`
  );
}

/**
 * Follows one build's events (listen to the device with listenToBuilds) and calls `onChange`
 * after each. The part is the one whose buffers are allocated next: the plan lists every
 * buffer in build order, so a part's kernels, compiled before its first buffer, count as its own.
 */
export class BuildTracker implements BuildListener {
  private readonly parts: { name: TrainingPartName; buffers: number }[];
  private readonly bytesPlanned: number;
  private allocations = 0;
  private bytesAllocated = 0;
  private kernelsCompiled = 0;
  private kernelsCompiling = 0;

  constructor(
    options: TrainingOptions,
    execution: TrainingExecution,
    private readonly onChange: () => void,
  ) {
    const { parts } = planTrainingParts(options, undefined, execution);
    this.parts = parts.map((p) => ({ name: p.name, buffers: p.buffers.length }));
    this.bytesPlanned = parts.reduce((sum, p) => sum + plannedBytes(p.buffers), 0);
  }

  kernelCompiling(): void {
    this.kernelsCompiling++;
    this.onChange();
  }

  kernelCompiled(): void {
    this.kernelsCompiling--;
    this.kernelsCompiled++;
    this.onChange();
  }

  allocated(_label: string, bytes: number): void {
    this.allocations++;
    this.bytesAllocated += bytes;
    this.onChange();
  }

  progress(): BuildProgress {
    let index = 0;
    let before = 0;
    // The last part stays current once its buffers are all there (the build's last steps).
    while (
      index < this.parts.length - 1 &&
      before + this.parts[index].buffers <= this.allocations
    ) {
      before += this.parts[index].buffers;
      index++;
    }
    return {
      part: index + 1,
      parts: this.parts.length,
      partName: this.parts[index]?.name ?? 'trainer',
      kernelsCompiled: this.kernelsCompiled,
      kernelsCompiling: this.kernelsCompiling,
      bytesAllocated: this.bytesAllocated,
      bytesPlanned: this.bytesPlanned,
    };
  }
}
