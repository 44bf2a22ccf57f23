/**
 * What a GPU build does while it runs, told to whoever listens on that device: each kernel
 * compilation as it starts and ends, and each buffer as it is allocated. A run's build takes
 * seconds to minutes on a software adapter; this lets a page say which part runs and how far it
 * is without the builds knowing about pages. Listening is per device, optional and costs the
 * builds one map lookup when nobody listens; builds never wait on a listener.
 */

export interface BuildListener {
  kernelCompiling?(name: string): void;
  kernelCompiled?(name: string): void;
  allocated?(label: string, bytes: number): void;
}

const listeners = new WeakMap<GPUDevice, Set<BuildListener>>();

/** Tells `listener` what builds on `device` do until the returned function is called. */
export function listenToBuilds(device: GPUDevice, listener: BuildListener): () => void {
  let set = listeners.get(device);
  if (!set) {
    set = new Set();
    listeners.set(device, set);
  }
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}

/** Calls `tell` with each listener on `device` (the builds' side of listenToBuilds). */
export function tellBuildListeners(
  device: GPUDevice,
  tell: (listener: BuildListener) => void,
): void {
  const set = listeners.get(device);
  if (set) for (const listener of set) tell(listener);
}
