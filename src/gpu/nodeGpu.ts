import { existsSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { acquireDevice, type AcquireOptions, type GpuContext } from './acquireDevice.ts';
import { GpuUnavailableError } from './errors.ts';

/** Debian's chromium package ships SwiftShader's Vulkan driver here (DESIGN.md section 8). */
export const swiftShaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

const nodeHint =
  'In Node, WebGPU comes from the `webgpu` package (Dawn) and needs a Vulkan driver: on a machine ' +
  'with a GPU install its Vulkan driver and libvulkan1; without a GPU install the Debian packages ' +
  '`libvulkan1` and `chromium` (which ships the SwiftShader driver at ' +
  `${swiftShaderIcd}; it is then used automatically).`;

/**
 * WebGPU zero-fills workgroup memory at the start of every workgroup so no shader can read what
 * another left behind. Every kernel here writes its workgroup memory before reading it, and on
 * SwiftShader the fill dominates: with it off, the backward pass of a d = 10, width-32 training
 * step went from 153 to 76 ms and pipeline creation from ~2.5 s to ~9 ms for 16 KiB tiles. The
 * browser keeps the fill, so a kernel that read workgroup memory before writing it would differ
 * between the two; the kernel tests compare against float64 references, which would catch that.
 */
const dawnFlags = ['enable-dawn-features=disable_workgroup_init'];

/** Dawn entry points by Vulkan driver choice; each owns one Vulkan instance for the process. */
const dawnByDriver = new Map<string, GPU>();

function dawnGpu(driverKey: string): GPU {
  let gpu = dawnByDriver.get(driverKey);
  if (!gpu) {
    Object.assign(globalThis, globals);
    gpu = create(dawnFlags);
    dawnByDriver.set(driverKey, gpu);
  }
  return gpu;
}

/** Set once we pointed the loader at SwiftShader, so later calls go straight there. */
let weSelectedSwiftShader = false;

export type NodeGpuPreference = 'auto' | 'hardware' | 'software';

/**
 * A WebGPU device in Node (Dawn over Vulkan). `auto` tries the system's Vulkan drivers first and
 * falls back to SwiftShader when none gives an adapter; `software` goes straight to SwiftShader
 * (also selected by JETPINN_GPU=software). An explicit VK_ICD_FILENAMES / VK_DRIVER_FILES is
 * always respected. Destroy the device when done, or Node will not exit.
 */
export async function acquireNodeGpu(
  options: AcquireOptions & { prefer?: NodeGpuPreference } = {},
): Promise<GpuContext> {
  const env = process.env;
  // The Vulkan loader complains on every start when this is unset; compute does not need it.
  env.XDG_RUNTIME_DIR ??= '/tmp';
  const prefer = options.prefer ?? (env.JETPINN_GPU as NodeGpuPreference | undefined) ?? 'auto';
  const userChoseDriver =
    !weSelectedSwiftShader && Boolean(env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES);
  const canFallBack = !userChoseDriver && existsSync(swiftShaderIcd);

  if (!weSelectedSwiftShader && (userChoseDriver || prefer !== 'software' || !canFallBack)) {
    try {
      return await acquireDevice(dawnGpu('system'), 'node-dawn', nodeHint, options);
    } catch (error) {
      if (!(error instanceof GpuUnavailableError) || !canFallBack || prefer === 'hardware') {
        throw error;
      }
    }
  }
  // The loader reads VK_ICD_FILENAMES when Dawn creates its Vulkan instance, so a fresh entry
  // point created after setting it sees only SwiftShader.
  env.VK_ICD_FILENAMES = swiftShaderIcd;
  weSelectedSwiftShader = true;
  return acquireDevice(dawnGpu('swiftshader'), 'node-dawn', nodeHint, options);
}
