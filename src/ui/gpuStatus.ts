import { adapterSummary, type AdapterDescription } from '../gpu/adapterDescription.ts';
import './pageGlobals.ts';

/**
 * What the page exposes for people and for end-to-end tests: tests read `window.jetpinn.gpu`
 * and the data-state attribute instead of pixels (headless WebGPU canvases can render black).
 */
export interface GpuStatus {
  state: 'pending' | 'ready' | 'unavailable' | 'lost';
  adapter: AdapterDescription | null;
  message: string;
}

/** Writes text through textContent only: adapter strings never become HTML. */
export function showGpuStatus(status: GpuStatus): void {
  window.jetpinn = { ...window.jetpinn, gpu: status };
  const state = document.getElementById('gpu-state');
  const details = document.getElementById('adapter-details');
  if (!state || !details) return;
  state.dataset.state = status.state;
  state.textContent = status.message;
  details.replaceChildren();
  details.hidden = status.adapter === null;
  if (!status.adapter) return;
  const a = status.adapter;
  const rows: [string, string][] = [
    ['Adapter', adapterSummary(a)],
    ['Software adapter', a.isSoftware ? 'yes (expect CPU speed)' : 'no'],
    ['Max storage binding', `${(a.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB`],
    ['Max buffer', `${(a.limits.maxBufferSize / 2 ** 20).toFixed(0)} MiB`],
    ['Workgroup memory', `${(a.limits.maxComputeWorkgroupStorageSize / 1024).toFixed(0)} KiB`],
  ];
  for (const [term, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    details.append(dt, dd);
  }
}
