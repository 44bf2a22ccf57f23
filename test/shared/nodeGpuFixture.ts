import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { AcquireOptions, GpuContext } from '../../src/gpu/acquireDevice.ts';
import type { AdapterDescription } from '../../src/gpu/adapterDescription.ts';
import { GpuMemory } from '../../src/gpu/gpuMemory.ts';
import type { GpuDeviceLostError, GpuError } from '../../src/gpu/errors.ts';
import { acquireNodeGpu, type NodeGpuPreference } from '../../src/gpu/nodeGpu.ts';

/**
 * The one way an in-process GPU test file gets its WebGPU devices (Dawn in Node; SwiftShader
 * without a GPU). `useNodeGpu()` acquires one device and buffer set before the file's tests and
 * destroys them after; after every test it drains the queues and fails the test on any uncaptured
 * WebGPU error (validation, out-of-memory, internal) or device loss on any of the fixture's
 * devices that the test did not declare, and on any declared one that did not happen. A kernel
 * bound wrongly fails its test even when the numbers it left behind happen to look right.
 *
 * Declaring (for the current test only; the declarations are cleared after it):
 *   gpu.expectErrors(/pattern/, ...)  every uncaptured error must match one of the patterns, and
 *                                     every pattern must match at least one error;
 *   gpu.expectDeviceLoss(count = 1)   exactly that many devices must be lost (a device destroyed
 *                                     with device.destroy() rather than context.destroy() counts
 *                                     as lost: that is how the tests simulate a loss).
 * More devices come from `gpu.acquire()`: their errors and losses are checked like the main
 * device's, and they are destroyed after the test that acquired them (when acquired outside a
 * test, in a beforeAll, after the file).
 */
export interface NodeGpuFixture {
  /** The file's main device context; throws before the fixture's beforeAll has run. */
  readonly context: GpuContext;
  readonly device: GPUDevice;
  readonly adapter: AdapterDescription;
  /** A buffer set on the main device, destroyed (all of it) after the file. */
  readonly memory: GpuMemory;
  /** The uncaptured errors seen so far in the current test, from every device of the fixture. */
  readonly errors: readonly GpuError[];
  /** The device losses seen so far in the current test. */
  readonly losses: readonly GpuDeviceLostError[];
  /** Declares uncaptured errors the current test provokes on purpose (see above). */
  expectErrors(...patterns: RegExp[]): void;
  /** Declares that the current test loses `count` more devices on purpose. */
  expectDeviceLoss(count?: number): void;
  /** Another device, tracked: errors and losses checked, destroyed after the test (or file). */
  acquire(options?: ExtraDeviceOptions): Promise<GpuContext>;
  /**
   * Drains every live device's queue, waits (up to `waitMs`) for declared errors and losses that
   * have not arrived yet, and returns what the after-test check would report, without failing or
   * clearing anything. The after-test check is `expect(await gpu.problems()).toEqual([])` (after a
   * test that failed on its own, without waiting and without the declared-but-missing lines).
   */
  problems(waitMs?: number): Promise<string[]>;
}

export type ExtraDeviceOptions = Omit<AcquireOptions, 'onError'> & { prefer?: NodeGpuPreference };

/** What the devices did during one test. */
export interface ObservedGpuEvents {
  /** `device` names the device in the report ('main', 'extra device 2'). */
  errors: readonly { message: string; device?: string }[];
  losses: readonly { message: string; device?: string }[];
}

/** What the test declared it would provoke. */
export interface DeclaredGpuEvents {
  errors: readonly RegExp[];
  losses: number;
}

/**
 * The after-test check as a pure function: one line per problem, none when the observed events
 * are exactly the declared ones (every error matched by a declared pattern, every pattern matching
 * an error, as many losses as declared).
 */
export function gpuEventProblems(
  observed: ObservedGpuEvents,
  declared: DeclaredGpuEvents,
): string[] {
  const problems: string[] = [];
  for (const error of observed.errors) {
    if (!declared.errors.some((pattern) => matches(pattern, error.message))) {
      problems.push(`undeclared uncaptured WebGPU error${on(error)}: ${error.message}`);
    }
  }
  for (const pattern of declared.errors) {
    if (!observed.errors.some((error) => matches(pattern, error.message))) {
      problems.push(`declared WebGPU error ${pattern} did not occur`);
    }
  }
  if (observed.losses.length > declared.losses) {
    const extra = observed.losses
      .slice(declared.losses)
      .map((loss) => `${loss.message}${on(loss)}`);
    problems.push(
      `${observed.losses.length} device loss(es), ${declared.losses} declared: ${extra.join('; ')}`,
    );
  } else if (observed.losses.length < declared.losses) {
    problems.push(
      `declared ${declared.losses} device loss(es), ${observed.losses.length} occurred`,
    );
  }
  return problems;
}

const on = (event: { device?: string }) => (event.device ? ` on ${event.device}` : '');

/** `pattern.test` without the lastIndex state a /g or /y pattern would carry between calls. */
function matches(pattern: RegExp, message: string): boolean {
  pattern.lastIndex = 0;
  const result = pattern.test(message);
  pattern.lastIndex = 0;
  return result;
}

/** How long the check waits for a declared error or loss that has not been delivered yet. */
const DECLARED_WAIT_MS = 5000;
/** A device destroyed behind the fixture's back may never answer onSubmittedWorkDone. */
const DRAIN_TIMEOUT_MS = 2000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The device's queue drained, or DRAIN_TIMEOUT_MS passed. */
async function drain(device: GPUDevice): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    device.queue.onSubmittedWorkDone().catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
}

interface Tracked {
  label: string;
  context: GpuContext;
  /** Destroyed through the fixture's context, or lost: nothing left to drain. */
  gone: () => boolean;
  /** Acquired inside a test: destroyed after it. */
  perTest: boolean;
}

/**
 * One Dawn device and buffer set for a GPU test file (see NodeGpuFixture), handed to `ready` and
 * returned. Call it once, at the top level of the file.
 */
export function useNodeGpu(ready?: (gpu: GpuContext, memory: GpuMemory) => void): NodeGpuFixture {
  let main: GpuContext | undefined;
  let mainBuffers: GpuMemory | undefined;
  const tracked: Tracked[] = [];
  let errors: { device: string; message: string; error: GpuError }[] = [];
  let losses: { device: string; message: string; error: GpuDeviceLostError }[] = [];
  let declared: DeclaredGpuEvents = { errors: [], losses: 0 };
  let inTest = false;
  let acquired = 0;

  function required<T>(value: T | undefined, what: string): T {
    if (value === undefined) {
      throw new Error(`useNodeGpu: ${what} is only available once the fixture's beforeAll ran`);
    }
    return value;
  }

  async function track(label: string, options: ExtraDeviceOptions = {}): Promise<Tracked> {
    const perTest = inTest;
    let gone = false;
    const context = await acquireNodeGpu({
      ...options,
      onError: (error) => {
        errors.push({ device: label, message: error.message, error });
      },
      onDeviceLost: (error) => {
        gone = true;
        losses.push({ device: label, message: error.message, error });
        options.onDeviceLost?.(error);
      },
    });
    const entry: Tracked = {
      label,
      context: {
        ...context,
        destroy() {
          gone = true;
          context.destroy();
        },
      },
      gone: () => gone,
      perTest,
    };
    tracked.push(entry);
    return entry;
  }

  function declaredArrived(): boolean {
    return (
      declared.errors.every((pattern) => errors.some((e) => matches(pattern, e.message))) &&
      losses.length >= declared.losses
    );
  }

  async function problems(waitMs = DECLARED_WAIT_MS): Promise<string[]> {
    await Promise.all(
      tracked.filter((entry) => !entry.gone()).map((entry) => drain(entry.context.device)),
    );
    // Let Dawn deliver what the drained work raised (errors and losses arrive as events).
    await sleep(0);
    const deadline = performance.now() + waitMs;
    while (!declaredArrived() && performance.now() < deadline) await sleep(10);
    return gpuEventProblems({ errors, losses }, declared);
  }

  function destroy(entries: Tracked[]): void {
    for (const entry of entries) {
      entry.context.destroy();
      tracked.splice(tracked.indexOf(entry), 1);
    }
  }

  beforeAll(async () => {
    const entry = await track('main');
    main = entry.context;
    mainBuffers = new GpuMemory(main.device);
    ready?.(main, mainBuffers);
  });
  beforeEach(() => {
    inTest = true;
  });
  afterEach(async (context) => {
    inTest = false;
    try {
      // A test that failed may have stopped before what it declared: only undeclared events then.
      const failed = context.task.result?.state === 'fail';
      const found = failed
        ? (await problems(0)).filter((problem) => !problem.startsWith('declared'))
        : await problems();
      expect(found, 'uncaptured WebGPU errors or device losses').toEqual([]);
    } finally {
      errors = [];
      losses = [];
      declared = { errors: [], losses: 0 };
      destroy(tracked.filter((entry) => entry.perTest));
    }
  });
  afterAll(async () => {
    // Whatever the file's own after-hooks (which run before this one) raised.
    const left = main ? await problems() : [];
    mainBuffers?.destroyAll();
    destroy([...tracked]);
    expect(left, 'uncaptured WebGPU errors or device losses after the last test').toEqual([]);
  });

  return {
    get context() {
      return required(main, 'the device context');
    },
    get device() {
      return required(main, 'the device').device;
    },
    get adapter() {
      return required(main, 'the adapter').adapter;
    },
    get memory() {
      return required(mainBuffers, 'the buffer set');
    },
    get errors() {
      return errors.map((e) => e.error);
    },
    get losses() {
      return losses.map((l) => l.error);
    },
    expectErrors(...patterns: RegExp[]) {
      if (patterns.length === 0) throw new Error('expectErrors: give at least one pattern');
      declared = { ...declared, errors: [...declared.errors, ...patterns] };
    },
    expectDeviceLoss(count = 1) {
      declared = { ...declared, losses: declared.losses + count };
    },
    async acquire(options?: ExtraDeviceOptions) {
      acquired++;
      return (await track(`extra device ${acquired}`, options)).context;
    },
    problems,
  };
}
