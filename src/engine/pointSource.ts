/**
 * Where the kernels that read collocation points find them (shaders/lib/ballPoints.wgsl): in an
 * N·d buffer, or regenerated from the ball draw's counters where they are read, so that no N·d
 * buffer exists (at d = 10^7 and 100 points it would be 4 GB, past every binding limit). Pure.
 */

/** 'stored': an N·d buffer; 'regenerated': redrawn by each kernel that reads x. */
export const POINT_STORAGES = ['stored', 'regenerated'] as const;
export type PointStorage = (typeof POINT_STORAGES)[number];

/**
 * Regenerated ball points: the draw's key, and where its partials buffer (bound in place of the
 * points) holds each point's (scale, offset) and ‖x‖². Stored points need nothing more.
 */
export type PointSource =
  | { readonly storage: 'stored' }
  | {
      readonly storage: 'regenerated';
      readonly seed: number;
      readonly stream: number;
      /** (scale_p, offset_p) at scalesAt + 2p. */
      readonly scalesAt: number;
      /** ‖x_p‖² at normsAt + p. */
      readonly normsAt: number;
    };

export const storedPoints: PointSource = { storage: 'stored' };

/** The POINTS override of the reading kernels (lib/ballPoints.wgsl). */
export function pointsOverride(source: PointSource): number {
  return source.storage === 'regenerated' ? 1 : 0;
}

/** The uniforms' `pointSource: vec4<u32>` = (seed, stream, scalesAt, normsAt); zero if stored. */
export function pointSourceWords(source: PointSource): [number, number, number, number] {
  return source.storage === 'regenerated'
    ? [source.seed, source.stream, source.scalesAt, source.normsAt]
    : [0, 0, 0, 0];
}

/** Floats the buffer bound as the points must hold: N·d, or the partials up to the last norm. */
export function pointElements(source: PointSource, points: number, dimension: number): number {
  return source.storage === 'regenerated' ? source.normsAt + points : points * dimension;
}
