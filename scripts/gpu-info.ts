// Prints the WebGPU adapter Node gets (Dawn) and checks one kernel on it.
// Usage: npm run gpu:info  (JETPINN_GPU=software forces SwiftShader)
import elementwiseCode from '../shaders/elementwise.wgsl?raw';
import { adapterSummary } from '../src/gpu/adapterDescription.ts';
import { GpuMemory } from '../src/gpu/gpuMemory.ts';
import { Saxpy } from '../src/gpu/elementwise.ts';
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';

const gpu = await acquireNodeGpu({ largeLimits: true });
try {
  const a = gpu.adapter;
  console.log(`adapter: ${adapterSummary(a)}`);
  console.log(`features: ${a.features.join(', ')}`);
  for (const name of [
    'maxBufferSize',
    'maxStorageBufferBindingSize',
    'maxComputeWorkgroupStorageSize',
  ]) {
    console.log(`${name}: ${a.limits[name]}`);
  }
  const out = await (
    await Saxpy.create(gpu.device)
  ).run(new GpuMemory(gpu.device), 2, new Float32Array([1, 2, 3]), new Float32Array([10, 20, 30]));
  console.log(`saxpy 2·[1,2,3] + [10,20,30] = [${[...out].join(', ')}]`);
  console.log(`shader source loaded in Node: ${elementwiseCode.length} characters`);
} finally {
  gpu.destroy();
}
