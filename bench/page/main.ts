/**
 * The bench page (bench.html): in one Chromium page, on the same adapter, times one training step
 * of our engine and of TensorFlow.js (WebGPU and WASM backends) on the same network, weights,
 * points and sampled directions, after checking that both compute the same u and Laplacian
 * estimate. bench/peer.ts drives it through window.peerBench.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { adapterSummary } from '../../src/gpu/adapterDescription.ts';
import { acquireBrowserGpu } from '../../src/gpu/browserGpu.ts';
import { initParameters } from '../../src/jet/mlp.ts';
import { architectureOf } from '../../src/train/options.ts';
import { spreadOf, timeWindows } from '../lib/stats.ts';
import { ourEstimate, ourTrainer, trainingOptionsOf } from './ourEngine.ts';
import { PeerModel } from './peerModel.ts';
import {
  ESTIMATE_TOLERANCE,
  type EstimateCheck,
  type ImplementationTiming,
  type Implementation,
  type PeerBenchApi,
  type PeerConfig,
} from './peerTypes.ts';

// Vite serves (and `npm run build` emits) the three WASM binaries; the backend picks one by what
// the page supports (threads need cross-origin isolation).
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

const status = document.getElementById('status') as HTMLElement;
const gpuPromise = acquireBrowserGpu({ largeLimits: true });

function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1;
  let error = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    error = Math.max(error, Math.abs(a[i] - b[i]));
  }
  return error / scale;
}

async function timeSteps(
  implementation: Implementation,
  step: () => Promise<unknown>,
  config: PeerConfig,
): Promise<ImplementationTiming> {
  const warmStart = performance.now();
  await step();
  const warmupMs = performance.now() - warmStart;
  // The first step also compiles the peer's shaders; only one longer than the whole cap is skipped.
  if (warmupMs > config.capMs) {
    return {
      implementation,
      warmupMs,
      msPerStep: [],
      note:
        `one warm-up step took ${(warmupMs / 1000).toFixed(1)} s, more than this ` +
        `configuration's ${(config.capMs / 1000).toFixed(0)} s cap`,
    };
  }
  const msPerStep = await timeWindows(
    async () => {
      await step();
    },
    1,
    { warmup: 0, windows: config.windows, minWindows: config.minWindows, budgetMs: config.capMs },
  );
  return { implementation, warmupMs, msPerStep, note: null };
}

const api: PeerBenchApi = {
  async info() {
    const gpu = await gpuPromise;
    await tf.setBackend('wasm');
    const threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean;
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
    return {
      adapter: adapterSummary(gpu.adapter),
      userAgent: navigator.userAgent,
      crossOriginIsolated: globalThis.crossOriginIsolated,
      tfjsVersion: tf.version.tfjs,
      wasmThreads: threads,
      wasmSimd: simd,
    };
  },

  async run(config) {
    const gpu = await gpuPromise;
    const options = trainingOptionsOf(config);
    const architecture = architectureOf(options);
    // The Trainer initializes from the same seed, so all three start from these weights.
    const params = initParameters(architecture, options.seed);
    status.textContent = `d = ${config.dimension}, h = ${config.width}: checking estimates`;
    const batch = await ourEstimate(gpu.device, architecture, params, config);
    const checks: EstimateCheck[] = [];
    const timings: ImplementationTiming[] = [];
    for (const implementation of ['tfjs-webgpu', 'tfjs-wasm'] as const) {
      await tf.setBackend(implementation === 'tfjs-webgpu' ? 'webgpu' : 'wasm');
      await tf.ready();
      const model = new PeerModel(params, architecture.widths, batch.peer);
      try {
        const peer = await model.evaluate();
        const estimateError = relativeMaxError(peer.estimate, batch.estimate);
        const valueError = relativeMaxError(peer.u, batch.u);
        checks.push({
          implementation,
          estimateError,
          valueError,
          ok: estimateError <= ESTIMATE_TOLERANCE && valueError <= ESTIMATE_TOLERANCE,
        });
        status.textContent = `d = ${config.dimension}, h = ${config.width}: timing ${implementation}`;
        timings.push(await timeSteps(implementation, () => model.step(), config));
      } catch (error) {
        timings.push({ implementation, warmupMs: null, msPerStep: [], note: String(error) });
      } finally {
        model.dispose();
      }
    }
    status.textContent = `d = ${config.dimension}, h = ${config.width}: timing jetpinn`;
    const ours = await ourTrainer(gpu.device, config);
    try {
      timings.push(await timeSteps('jetpinn', ours.step, config));
    } finally {
      ours.dispose();
    }
    const medians = timings
      .filter((t) => t.msPerStep.length > 0)
      .map((t) => `${t.implementation} ${spreadOf(t.msPerStep).median.toFixed(0)} ms`);
    status.textContent = `d = ${config.dimension}, h = ${config.width}: ${medians.join(', ')}`;
    return { config, checks, timings };
  },
};

(window as unknown as { peerBench: PeerBenchApi }).peerBench = api;
status.textContent = 'ready';
