// Builds gpu-kit/: everything a bare x86-64 Linux machine with a GPU needs to run the headline
// benchmarks, with no network, no Node and no npm there (README: "Measuring on a GPU machine
// without Node"):
//   run.sh              target checks, unpacking, Vulkan loader and driver search, then the run
//   jetpinn-kit.mjs     bench/kit/main.ts and everything it imports (src/, bench/, the `webgpu`
//                       package's index, wgsl_reflect), bundled into one plain ES module with the
//                       WGSL inlined; it loads the Dawn addon from ./dist/linux-x64/dawn.node
//   payload/node.gz     this machine's Node.js runtime
//   payload/dawn.node.gz  the `webgpu` package's Dawn addon for linux-x64
//   payload/libvulkan.so.1.gz  the Vulkan loader of this machine's libvulkan1 (used where the
//                       target has none)
//   payload/libstdc++.so.6.gz, libgcc_s.so.1.gz  this machine's C++ runtime (used where the
//                       target's is older than the addon needs)
//   manifest.json, kit.sha256, README.txt
// The GLIBC_/GLIBCXX_/CXXABI_ versions node and the addon need are read from their ELF version
// sections here (elf.ts, no binutils needed) and baked into run.sh. Nothing is downloaded. The build refuses a kit larger than
// KIT_LIMITS.maxKitBytes.
//
// Usage: npm run gpu:kit [-- --out DIR]   (default: gpu-kit/ in the repository)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { FULL_KIT_PLAN, KIT_LIMITS, QUICK_KIT_PLAN } from '../../bench/kit/plan.ts';
import { maxVersion, versionNeeds } from './elf.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MARKER = '.jetpinn-gpu-kit';
const GZIP_LEVEL = 9;
/** Shared libraries a Node binary or the addon may need that every glibc system has. */
const SYSTEM_LIBRARIES = [
  'libc.so.6',
  'libm.so.6',
  'libdl.so.2',
  'libpthread.so.0',
  'librt.so.1',
  'ld-linux-x86-64.so.2',
  'libgcc_s.so.1',
  'libstdc++.so.6',
];

/** The WGSL `?raw` imports of the sources, inlined as text (as Vite and our Node loader do). */
const rawPlugin: Plugin = {
  name: 'raw',
  setup(esbuild) {
    esbuild.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: resolve(args.resolveDir, args.path.slice(0, -'?raw'.length)),
      namespace: 'raw',
    }));
    esbuild.onLoad({ filter: /.*/, namespace: 'raw' }, (args) => ({
      contents: readFileSync(args.path, 'utf8'),
      loader: 'text',
      watchFiles: [args.path],
    }));
  },
};

function git(args: string[]): string {
  try {
    return execFileSync('git', args, {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

function sha256(file: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => done(hash.digest('hex')))
      .on('error', fail);
  });
}

/**
 * gzip of `source` into `target`, reusing an earlier build's copy of the same file (same path,
 * size and modification time) from the cache folder: Node's runtime takes the most time.
 */
async function gzipCached(source: string, target: string, cacheDir: string): Promise<void> {
  const stat = statSync(source);
  const key = createHash('sha256')
    .update(`${realpathSync(source)}|${stat.size}|${stat.mtimeMs}|${GZIP_LEVEL}`)
    .digest('hex')
    .slice(0, 24);
  const cached = join(cacheDir, `${key}.gz`);
  if (!existsSync(cached)) {
    mkdirSync(cacheDir, { recursive: true });
    const partial = `${cached}.${process.pid}.partial`;
    await pipeline(
      createReadStream(source),
      createGzip({ level: GZIP_LEVEL }),
      createWriteStream(partial),
    );
    renameSync(partial, cached);
  }
  copyFileSync(cached, target);
}

/** The Vulkan loader file of this machine's libvulkan1 package (never downloaded). */
function systemVulkanLoader(): { path: string; version: string } {
  let listed: string[] = [];
  try {
    listed = execFileSync('dpkg', ['-L', 'libvulkan1'], { encoding: 'utf8' }).split('\n');
  } catch {
    // Not a Debian system, or libvulkan1 missing: the dirs below, then the error.
  }
  const candidates = [
    ...listed.filter((p) => p.endsWith('/libvulkan.so.1')),
    '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
    '/usr/lib64/libvulkan.so.1',
    '/usr/lib/libvulkan.so.1',
  ];
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new Error(
      'no libvulkan.so.1 on this machine: install the Vulkan loader (sudo apt-get install ' +
        'libvulkan1); the kit carries it for targets that lack one',
    );
  }
  let version = realpathSync(path).replace(/.*libvulkan\.so\./, '');
  try {
    version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'libvulkan1'], {
      encoding: 'utf8',
    });
  } catch {
    // Keep the file name's version.
  }
  return { path: realpathSync(path), version };
}

/** The system library `name` that `file` resolves to, from ldd. */
function resolvedLibrary(file: string, name: string): string {
  const out = execFileSync('ldd', [file], { encoding: 'utf8' });
  const match = new RegExp(`${name.replace(/[.+]/g, '\\$&')} => (\\S+)`).exec(out);
  if (!match) throw new Error(`ldd ${file} does not name ${name}`);
  return realpathSync(match[1]);
}

function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
  }
  return total;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export interface KitBuild {
  out: string;
  totalBytes: number;
  manifest: Record<string, unknown>;
}

export async function buildKit(out: string): Promise<KitBuild> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the kit carries this machine's Node and the linux-x64 Dawn addon, so it is built on ` +
        `x86-64 Linux; this is ${process.platform} ${process.arch}`,
    );
  }
  const started = performance.now();
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, MARKER))) {
    throw new Error(`${out} exists and is not a GPU kit; refusing to replace it`);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'payload'), { recursive: true });
  writeFileSync(join(out, MARKER), 'built by scripts/gpu-kit/build.ts\n');

  const require = createRequire(import.meta.url);
  const webgpuDir = dirname(require.resolve('webgpu'));
  const webgpuVersion = (
    JSON.parse(readFileSync(join(webgpuDir, 'package.json'), 'utf8')) as { version: string }
  ).version;
  const dawnAddon = join(webgpuDir, 'dist', 'linux-x64', 'dawn.node');
  if (!existsSync(dawnAddon)) throw new Error(`no Dawn addon at ${dawnAddon} (npm ci first)`);
  const node = realpathSync(process.execPath);
  const loader = systemVulkanLoader();
  const cxx = resolvedLibrary(dawnAddon, 'libstdc++.so.6');
  const gcc = resolvedLibrary(dawnAddon, 'libgcc_s.so.1');

  const needs = {
    node: versionNeeds(node),
    dawn: versionNeeds(dawnAddon),
    loader: versionNeeds(loader.path),
    cxx: versionNeeds(cxx),
    gcc: versionNeeds(gcc),
  };
  for (const [what, n] of [
    ['node', needs.node],
    ['the Dawn addon', needs.dawn],
  ] as const) {
    const extra = n.needed.filter((lib) => !SYSTEM_LIBRARIES.includes(lib));
    if (extra.length > 0) {
      throw new Error(
        `${what} (${what === 'node' ? node : dawnAddon}) needs ${extra.join(', ')}, which a bare ` +
          'machine may lack: the kit needs a self-contained Node build (the nodejs.org ' +
          'binaries need only glibc and libstdc++), not a distribution build linked to libnode',
      );
    }
  }
  const requirements = {
    glibc: maxVersion([needs.node.max.GLIBC, needs.dawn.max.GLIBC]),
    glibcxx: maxVersion([needs.node.max.GLIBCXX, needs.dawn.max.GLIBCXX]),
    cxxabi: maxVersion([needs.node.max.CXXABI, needs.dawn.max.CXXABI]),
    /** glibc the kit's own libstdc++ and libgcc_s need, where the target's C++ runtime is old. */
    kitCxxGlibc: maxVersion([needs.cxx.max.GLIBC, needs.gcc.max.GLIBC]),
    /** glibc the kit's Vulkan loader needs, where the target has none. */
    loaderGlibc: maxVersion([needs.loader.max.GLIBC]),
  };

  const cacheDir = join(ROOT, 'node_modules', '.cache', 'jetpinn-gpu-kit');
  const bundleFile = join(out, 'jetpinn-kit.mjs');
  const commit = git(['rev-parse', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  const built = new Date().toISOString();
  const [bundle] = await Promise.all([
    build({
      entryPoints: [join(ROOT, 'bench/kit/main.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: bundleFile,
      plugins: [rawPlugin],
      metafile: true,
      logLevel: 'warning',
      legalComments: 'none',
      banner: {
        js:
          `// jetpinn GPU kit: bench/kit/main.ts bundled ${built} from ${commit}${dirty ? ' (with uncommitted changes)' : ''}.\n` +
          // Bundled CommonJS modules may call require(); an ES module has none of its own.
          "import { createRequire as __kitCreateRequire } from 'node:module';\n" +
          'const require = __kitCreateRequire(import.meta.url);',
      },
    }),
    gzipCached(node, join(out, 'payload', 'node.gz'), cacheDir),
    gzipCached(dawnAddon, join(out, 'payload', 'dawn.node.gz'), cacheDir),
    gzipCached(loader.path, join(out, 'payload', 'libvulkan.so.1.gz'), cacheDir),
    gzipCached(cxx, join(out, 'payload', 'libstdc++.so.6.gz'), cacheDir),
    gzipCached(gcc, join(out, 'payload', 'libgcc_s.so.1.gz'), cacheDir),
  ]);
  const inputs = Object.keys(bundle.metafile.inputs);
  const sources = inputs.filter((p) => p.startsWith('src/') || p.startsWith('raw:'));
  if (!inputs.some((p) => p.includes('webgpu/index.js'))) {
    throw new Error("the bundle does not hold the webgpu package's index.js");
  }

  const template = readFileSync(join(ROOT, 'scripts/gpu-kit/run.sh'), 'utf8');
  const values: Record<string, string> = {
    BUILT: built,
    COMMIT: `${commit}${dirty ? ' (with uncommitted changes)' : ''}`,
    NODE_VERSION: process.version,
    WEBGPU_VERSION: webgpuVersion,
    VULKAN_LOADER_VERSION: loader.version,
    REQUIRED_GLIBC: requirements.glibc,
    REQUIRED_GLIBCXX: requirements.glibcxx,
    REQUIRED_CXXABI: requirements.cxxabi,
    KIT_CXX_GLIBC: requirements.kitCxxGlibc,
    LOADER_GLIBC: requirements.loaderGlibc,
  };
  const script = template.replace(/@@([A-Z_]+)@@/g, (whole, key: string) => {
    if (!(key in values)) throw new Error(`run.sh template: unknown placeholder ${whole}`);
    return values[key];
  });
  writeFileSync(join(out, 'run.sh'), script);
  chmodSync(join(out, 'run.sh'), 0o755);
  writeFileSync(
    join(out, 'README.txt'),
    [
      'jetpinn GPU kit: the headline benchmarks on a machine with a GPU and nothing else.',
      '',
      '  ./run.sh [--quick] [--expect-gpu] [--out DIR]',
      '',
      `Needs x86-64 Linux with glibc >= ${requirements.glibc}, bash, gzip and a Vulkan driver (ICD).`,
      'Writes at most 7 JSON files to --out (default $OUT, else ./gpu-results); copy them into',
      'bench/results/ of the repository and run `npm run bench:report` there.',
      `Built ${values.COMMIT} on ${built} with Node ${process.version}.`,
      '',
    ].join('\n'),
  );

  const payloads = [
    { path: 'payload/node.gz', source: node, unpacked: 'bin/node' },
    { path: 'payload/dawn.node.gz', source: dawnAddon, unpacked: 'dist/linux-x64/dawn.node' },
    {
      path: 'payload/libvulkan.so.1.gz',
      source: loader.path,
      unpacked: 'lib/vulkan/libvulkan.so.1',
    },
    { path: 'payload/libstdc++.so.6.gz', source: cxx, unpacked: 'lib/cxx/libstdc++.so.6' },
    { path: 'payload/libgcc_s.so.1.gz', source: gcc, unpacked: 'lib/cxx/libgcc_s.so.1' },
  ];
  const files = await Promise.all(
    [...payloads.map((p) => p.path), 'jetpinn-kit.mjs', 'run.sh', 'README.txt'].map(
      async (path) => ({
        path,
        bytes: statSync(join(out, path)).size,
        sha256: await sha256(join(out, path)),
      }),
    ),
  );
  writeFileSync(join(out, 'kit.sha256'), files.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
  const manifest = {
    format: 'jetpinn-gpu-kit',
    version: 1,
    built,
    commit,
    dirty,
    node: process.version,
    webgpu: webgpuVersion,
    vulkanLoader: loader.version,
    requirements,
    payloads: payloads.map((p) => ({
      ...p,
      source: p.source,
      unpackedBytes: statSync(p.source).size,
    })),
    bundle: { inputs: inputs.length, sourceModules: sources.length },
    files,
    limits: KIT_LIMITS,
    budgets: {
      full: FULL_KIT_PLAN.benchmarks.map((b) => ({ name: b.name, seconds: b.budgetSeconds })),
      quick: QUICK_KIT_PLAN.benchmarks.map((b) => ({ name: b.name, seconds: b.budgetSeconds })),
    },
    totalBytes: 0,
  };
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  manifest.totalBytes = directoryBytes(out);
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const totalBytes = directoryBytes(out);

  console.log(`GPU kit in ${relative(process.cwd(), out) || '.'}:`);
  for (const f of files) console.log(`  ${f.path.padEnd(28)} ${mib(f.bytes).padStart(9)}`);
  console.log(
    `  total ${mib(totalBytes)} (limit ${mib(KIT_LIMITS.maxKitBytes)}); needs glibc ≥ ${requirements.glibc}, ` +
      `GLIBCXX ${requirements.glibcxx}, CXXABI ${requirements.cxxabi}; Node ${process.version}, ` +
      `webgpu ${webgpuVersion}, Vulkan loader ${loader.version}; ${inputs.length} modules bundled; ` +
      `built in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  if (totalBytes > KIT_LIMITS.maxKitBytes) {
    throw new Error(
      `the kit is ${mib(totalBytes)}, more than the ${mib(KIT_LIMITS.maxKitBytes)} it may take`,
    );
  }
  return { out, totalBytes, manifest };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const unknown = args.filter((a, i) => a !== '--out' && i !== outIndex + 1);
  if (unknown.length > 0 || (outIndex >= 0 && !args[outIndex + 1])) {
    console.error('Usage: npm run gpu:kit [-- --out DIR]');
    process.exit(2);
  }
  const out = resolve(outIndex >= 0 ? args[outIndex + 1] : join(ROOT, 'gpu-kit'));
  try {
    await buildKit(out);
  } catch (error) {
    console.error(`gpu:kit: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
