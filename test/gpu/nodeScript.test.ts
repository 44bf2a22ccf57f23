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

describe('npm run dispatches', () => {
  it("counts each kernel's workgroups of one step: the planned blocks of the draw and exact source", () => {
    // d = 5000 is two blocks of 4096 coordinates: 3 points launch 6 workgroups of each block pass.
    const stdout = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        './scripts/register-node-loaders.mjs',
        'scripts/dispatchCounts.ts',
        ...['--pde', 'poisson-two-body', '--dim', '5000', '--jets', '2', '--points', '3'],
        ...['--width', '8', '--depth', '1', '--test-points', '4'],
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
    );
    expect(stdout).toMatch(/^ +6 {2}samplers\.wgsl:ballNormals$/m);
    expect(stdout).toMatch(/^ +1 {2}samplers\.wgsl:ballScales$/m);
    expect(stdout).toMatch(/^ +235 {2}samplers\.wgsl:ballWrite$/m);
    expect(stdout).toMatch(/^ +6 {2}pdeExact\.wgsl:twoBodyBlocks$/m);
    expect(stdout).toMatch(/^ +1 {2}pdeExact\.wgsl:laplacianFinish$/m);
    expect(stdout).toMatch(/^ +\d+ {2}optimizers\.wgsl:adam_step$/m);
  });
});
