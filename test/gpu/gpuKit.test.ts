// Not on useNodeGpu: this file only starts child processes (the kit's build and its run.sh), which
// acquire their own devices.
/**
 * The GPU kit is self-contained: `scripts/gpu-kit/build.ts` builds it into a temporary folder,
 * and its run.sh runs the quick plan from an empty folder with an environment of its own: no
 * `node` on PATH (only a folder of links to the shell tools run.sh may use), SwiftShader as the
 * Vulkan driver, the kit's own Vulkan loader and C++ runtime. Every results file must come back,
 * within the quick time limit, and the kit must stay under its size limit. No GPU is needed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIT_LIMITS, QUICK_KIT_PLAN } from '../../bench/kit/plan.ts';
import { compareVersions, versionNeeds } from '../../scripts/gpu-kit/elf.ts';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const SWIFTSHADER_LIBRARY = '/usr/lib/chromium/libvk_swiftshader.so';
/** Everything run.sh may call by name; anything else it needs would fail the run. */
const TOOLS = [
  'bash',
  'env',
  'uname',
  'getconf',
  'ldd',
  'sed',
  'grep',
  'mktemp',
  'rm',
  'mkdir',
  'cp',
  'chmod',
  'gzip',
  'sha256sum',
  'dirname',
];

let root = '';
let kit = '';
let tools = '';
let buildOutput = '';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name],
  );
}

/** run.sh with nothing from this process's environment but what is given. */
function runKit(args: string[], env: Record<string, string>, cwd: string, timeoutS: number) {
  const started = performance.now();
  const result = spawnSync(join(kit, 'run.sh'), args, {
    cwd,
    env: { PATH: tools, HOME: cwd, TMPDIR: join(root, 'tmp'), ...env },
    encoding: 'utf8',
    timeout: timeoutS * 1000,
  });
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'jetpinn-kit-test-'));
  kit = join(root, 'kit');
  tools = join(root, 'tools');
  mkdirSync(tools);
  mkdirSync(join(root, 'tmp'));
  for (const tool of TOOLS) {
    const path = execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    symlinkSync(path, join(tools, tool));
  }
  buildOutput = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      './scripts/register-node-loaders.mjs',
      'scripts/gpu-kit/build.ts',
      '--out',
      kit,
    ],
    { encoding: 'utf8', timeout: 150_000 },
  );
}, 180_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the GPU kit', () => {
  it("reads what Node needs from its ELF sections (no binutils): glibc's libraries and versions", () => {
    const needs = versionNeeds(process.execPath);
    expect(needs.needed).toContain('libc.so.6');
    expect(compareVersions(needs.max.GLIBC, '2.17')).toBeGreaterThanOrEqual(0);
    expect(compareVersions('2.34', '2.4')).toBeGreaterThan(0);
    expect(compareVersions('3.4.30', '3.4.30')).toBe(0);
  });

  it('is plain files within its size limit: bundle, compressed Node and Dawn, loader, run.sh', () => {
    const files = filesUnder(kit);
    const manifest = JSON.parse(readFileSync(join(kit, 'manifest.json'), 'utf8')) as {
      totalBytes: number;
      requirements: Record<string, string>;
      node: string;
    };
    expect(manifest.totalBytes).toBeLessThanOrEqual(KIT_LIMITS.maxKitBytes);
    expect(buildOutput).toMatch(/total [\d.]+ MiB \(limit 60\.0 MiB\)/);
    expect(files).toEqual(
      expect.arrayContaining([
        'run.sh',
        'jetpinn-kit.mjs',
        'payload/node.gz',
        'payload/dawn.node.gz',
        'payload/libvulkan.so.1.gz',
        'manifest.json',
        'kit.sha256',
      ]),
    );
    expect(files.some((f) => f.includes('node_modules'))).toBe(false);
    expect(manifest.node).toBe(process.version);
    expect(manifest.requirements.glibc).toMatch(/^2\.\d+$/);
    // The bundle imports nothing but Node's built-in modules; the WGSL is inlined.
    const bundle = readFileSync(join(kit, 'jetpinn-kit.mjs'), 'utf8');
    const imported = [...bundle.matchAll(/^import .* from ["']([^"']+)["'];$/gm)].map((m) => m[1]);
    expect(imported.length).toBeGreaterThan(0);
    for (const name of imported) expect(builtinModules).toContain(name.replace(/^node:/, ''));
    expect(bundle).not.toContain('?raw');
    expect(bundle).toContain('@compute');
    const script = readFileSync(join(kit, 'run.sh'), 'utf8');
    expect(script).not.toMatch(/@@[A-Z_]+@@/);
    expect(script).toContain(`readonly REQUIRED_GLIBC='${manifest.requirements.glibc}'`);
  });

  it('runs --quick from an empty folder with no node on PATH and writes every results file', () => {
    expect(spawnSync('bash', ['-c', 'command -v node'], { env: { PATH: tools } }).status).not.toBe(
      0,
    );
    const cwd = join(root, 'empty');
    mkdirSync(cwd);
    const out = join(root, 'results');
    const run = runKit(
      ['--quick', '--out', out],
      // SwiftShader as the driver; the kit's own Vulkan loader and C++ runtime, not the system's.
      {
        VK_ICD_FILENAMES: SWIFTSHADER_ICD,
        JETPINN_KIT_VULKAN_LOADER: 'kit',
        JETPINN_KIT_CXX: 'kit',
      },
      cwd,
      KIT_LIMITS.quickSeconds + 60,
    );
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(run.seconds, output).toBeLessThanOrEqual(KIT_LIMITS.quickSeconds);
    expect(run.stdout).toMatch(/^ {2}adapter: google swiftshader .*software\)$/m);
    expect(run.stdout).toContain("run.sh: Vulkan loader: the kit's copy");
    expect(run.stdout).toContain("run.sh: libstdc++: the kit's copy");
    // Dawn opened the kit's libvulkan.so.1 from run.sh's temporary folder, not the system's.
    expect(run.stdout).toMatch(
      new RegExp(
        `Vulkan libraries in this process: .*${join(root, 'tmp')}/jetpinn-kit\\.[^/]+/lib/vulkan/libvulkan\\.so\\.1`,
      ),
    );

    const expected = [...QUICK_KIT_PLAN.benchmarks.map((b) => b.name), 'kit'].map(
      (name) => `${name}-google-swiftshader-quick.json`,
    );
    const written = readdirSync(out).sort();
    expect(written).toEqual([...expected].sort());
    expect(written.length).toBeLessThanOrEqual(KIT_LIMITS.maxResultFiles);
    for (const name of written) {
      const data = JSON.parse(readFileSync(join(out, name), 'utf8')) as {
        adapter: { isSoftware: boolean };
        kit: { quick: boolean };
      };
      expect(data.adapter.isSoftware, name).toBe(true);
      expect(data.kit.quick, name).toBe(true);
    }
    const summary = JSON.parse(readFileSync(join(out, expected[expected.length - 1]), 'utf8')) as {
      benchmarks: { name: string; status: string }[];
    };
    expect(summary.benchmarks.map((b) => [b.name, b.status])).toEqual(
      QUICK_KIT_PLAN.benchmarks.map((b) => [b.name, 'ok']),
    );
    // A summary line per benchmark closes stdout.
    for (const b of QUICK_KIT_PLAN.benchmarks) {
      expect(run.stdout).toMatch(new RegExp(`^${b.name} \\[ok, \\d+ s of \\d+ s\\]: .+$`, 'm'));
    }
    // Nothing left behind: not in the folder it ran from, not in its temporary folder.
    expect(readdirSync(cwd)).toEqual([]);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  }, 240_000);

  it('treats a software adapter as an error when an NVIDIA driver was found', () => {
    // An NVIDIA-named manifest (found where the loader looks, through XDG_DATA_DIRS) whose
    // library is SwiftShader: run.sh must select it alone, expect a GPU and refuse to measure.
    const icds = join(root, 'data', 'vulkan', 'icd.d');
    mkdirSync(icds, { recursive: true });
    writeFileSync(
      join(icds, 'nvidia_icd.json'),
      JSON.stringify({
        file_format_version: '1.0.0',
        ICD: { library_path: SWIFTSHADER_LIBRARY, api_version: '1.3.0' },
      }),
    );
    const cwd = join(root, 'empty-nvidia');
    mkdirSync(cwd);
    const out = join(root, 'results-nvidia');
    const run = runKit(['--quick', '--out', out], { XDG_DATA_DIRS: join(root, 'data') }, cwd, 90);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(3);
    expect(run.stdout).toContain(
      `NVIDIA driver found: VK_ICD_FILENAMES=${join(icds, 'nvidia_icd.json')}`,
    );
    expect(run.stderr).toContain('Dawn gave a software adapter');
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  }, 120_000);
});
