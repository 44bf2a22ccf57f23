// Not on useNodeGpu: this file only starts a Node child process, which acquires its own device.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('Node scripts', () => {
  it('load WGSL files with ?raw like Vite and run them on Dawn', () => {
    const stdout = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--import', './scripts/register-node-loaders.mjs', 'scripts/gpu-info.ts'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
    const shaderLength = readFileSync('shaders/elementwise.wgsl', 'utf8').length;
    expect(stdout).toContain(`shader source loaded in Node: ${shaderLength} characters`);
    expect(stdout).toContain('saxpy 2·[1,2,3] + [10,20,30] = [12, 24, 36]');
    expect(stdout).toMatch(/^adapter: .+\((.+), (software|hardware)\)$/m);
  });
});
