/**
 * Where the kernels that read a batch's dense input tangents find them
 * (shaders/lib/denseTangents.wgsl): in the N·R·K·d buffer randomJets.wgsl writes, or redrawn from
 * the draw's counters where they are read, so that no such buffer exists (dense Hutchinson at
 * d = 10^5, 100 points and 16 jets of order 2 would hold 1.19 GiB; at d = 10^6, 11.9 GiB). The
 * redraw is the function the draw itself calls, so both read the same bits. Pure.
 */
import type { StructValue } from '../gpu/structView.ts';

/** 'stored': an N·R·K·d buffer; 'regenerated': redrawn by each kernel that reads a coefficient. */
export const TANGENT_STORAGES = ['stored', 'regenerated'] as const;
export type TangentStorage = (typeof TANGENT_STORAGES)[number];

/**
 * A dense draw of randomJets.wgsl: lib/denseTangents.wgsl's DenseTangentDraw, and its
 * distribution, the override GAUSSIAN_TANGENTS (tangentConstants).
 */
export interface DenseTangentDraw {
  readonly seed: number;
  readonly stream: number;
  /** Coordinates 0..range−1 are drawn, the rest are 0. */
  readonly range: number;
  readonly distribution: 'rademacher' | 'gaussian';
  /** The fixed tangent extraCoefficient·e_extraIndex at order extraOrder (0: none). */
  readonly extraOrder: number;
  readonly extraIndex: number;
  readonly extraCoefficient: number;
}

/** Dense tangents of a buffer (drawn or uploaded), or of a draw, redrawn where they are read. */
export type TangentSource =
  | { readonly storage: 'stored' }
  | { readonly storage: 'regenerated'; readonly draw: DenseTangentDraw };

export const storedTangents: TangentSource = { storage: 'stored' };

/** The TANGENTS override of the reading kernels (lib/denseTangents.wgsl). */
export function tangentsOverride(source: TangentSource): number {
  return source.storage === 'regenerated' ? 1 : 0;
}

/**
 * The overrides of a kernel reading `source` (lib/denseTangents.wgsl): none for stored tangents
 * (every such pipeline keeps its key), TANGENTS = 1 for regenerated ones, and GAUSSIAN_TANGENTS
 * for regenerated normals.
 */
export function tangentConstants(source: TangentSource): Record<string, number> {
  if (source.storage === 'stored') return {};
  return {
    TANGENTS: 1,
    ...(source.draw.distribution === 'gaussian' ? { GAUSSIAN_TANGENTS: 1 } : {}),
  };
}

/** The uniforms' `tangentDraw: DenseTangentDraw`; zero with stored tangents. */
export function tangentDrawValue(source: TangentSource): StructValue {
  if (source.storage === 'stored') {
    return {
      seed: 0,
      stream: 0,
      range: 0,
      extraOrder: 0,
      extraIndex: 0,
      extraCoefficient: 0,
    };
  }
  const { seed, stream, range, extraOrder, extraIndex, extraCoefficient } = source.draw;
  return { seed, stream, range, extraOrder, extraIndex, extraCoefficient };
}

/** Floats the buffer bound as dense tangents must hold for `slots` slots of d coefficients. */
export function denseTangentElements(source: TangentSource, slots: number, d: number): number {
  return source.storage === 'regenerated' ? 0 : slots * d;
}
