import { describe, expect, it } from 'vitest';
import {
  type BuildListener,
  listenToBuilds,
  tellBuildListeners,
} from '../../../src/gpu/buildEvents.ts';

/** Build events reach the listeners of their own device, and none after they stop listening. */
describe('build events', () => {
  // Only the identity of a device matters here: it keys the listeners.
  const deviceA = {} as GPUDevice;
  const deviceB = {} as GPUDevice;

  it('go to the listeners of that device until they stop', () => {
    const heard: string[] = [];
    const listener: BuildListener = {
      kernelCompiling: (name) => heard.push(`compiling ${name}`),
      allocated: (label, bytes) => heard.push(`${label} ${bytes}`),
    };
    const stop = listenToBuilds(deviceA, listener);
    tellBuildListeners(deviceA, (l) => l.kernelCompiling?.('k'));
    tellBuildListeners(deviceA, (l) => l.kernelCompiled?.('k'));
    tellBuildListeners(deviceB, (l) => l.allocated?.('other device', 4));
    tellBuildListeners(deviceA, (l) => l.allocated?.('parameters', 64));
    stop();
    tellBuildListeners(deviceA, (l) => l.allocated?.('after stop', 4));
    expect(heard).toEqual(['compiling k', 'parameters 64']);
  });
});
