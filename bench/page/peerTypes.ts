/** What bench/peer.ts asks the bench page (bench.html) to run, and what comes back. */

export interface PeerConfig {
  dimension: number;
  width: number;
  depth: number;
  points: number;
  /** Sampled directions B of the sparse Laplacian estimate. */
  jets: number;
  seed: number;
  /** Timed windows (one step each) after one warm-up step. */
  windows: number;
  minWindows: number;
  /**
   * An implementation whose warm-up step alone takes longer than this is not timed; otherwise
   * windows are added until this much time is spent (at least minWindows).
   */
  capMs: number;
}

export type Implementation = 'jetpinn' | 'tfjs-webgpu' | 'tfjs-wasm';

export interface EstimateCheck {
  implementation: Exclude<Implementation, 'jetpinn'>;
  /** max_p |peer − ours| / max(1, max_p |ours|) over the N points' Laplacian estimates. */
  estimateError: number;
  /** The same for u at the points. */
  valueError: number;
  ok: boolean;
}

export interface ImplementationTiming {
  implementation: Implementation;
  /** One warm-up step, then ms per timed window of one step; empty when skipped or failed. */
  warmupMs: number | null;
  msPerStep: number[];
  /** Why there are no (or too few) timed windows. */
  note: string | null;
}

export interface PeerRunResult {
  config: PeerConfig;
  checks: EstimateCheck[];
  timings: ImplementationTiming[];
}

export interface PeerPageInfo {
  adapter: string;
  userAgent: string;
  crossOriginIsolated: boolean;
  tfjsVersion: string;
  /** Whether the WASM backend runs with threads and SIMD. */
  wasmThreads: boolean | null;
  wasmSimd: boolean | null;
}

/** The page's entry point, on window. */
export interface PeerBenchApi {
  info(): Promise<PeerPageInfo>;
  run(config: PeerConfig): Promise<PeerRunResult>;
}

export const ESTIMATE_TOLERANCE = 1e-4;
