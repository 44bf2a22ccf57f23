/**
 * Where the kernels that read collocation points find them (shaders/lib/ballPoints.wgsl): in an
 * N·d buffer, or regenerated from the ball draw's counters where they are read, so that no N·d
 * buffer exists (at d = 10^7 and 100 points it would be 4 GB, past every binding limit); and
 * whether the ball draw that made them also summed each point's ‖x‖², which the boundary factor
 * b = 1 − ‖x‖² then reads instead of summing all d coordinates itself. Pure.
 */

/** 'stored': an N·d buffer; 'regenerated': redrawn by each kernel that reads x. */
export const POINT_STORAGES = ['stored', 'regenerated'] as const;
export type PointStorage = (typeof POINT_STORAGES)[number];

/**
 * The ball draw's key, and where its partials buffer holds each point's (scale, offset), at
 * scalesAt + 2p, and ‖x_p‖², at normsAt + p (shaders/samplers.wgsl).
 */
export interface BallDrawLayout {
  readonly seed: number;
  readonly stream: number;
  readonly scalesAt: number;
  readonly normsAt: number;
}

/**
 * Points of a buffer someone wrote (an upload: no draw), of a ball draw with its ‖x‖² (stored or
 * regenerated); regenerated points always come from a draw.
 */
export type PointSource =
  | { readonly storage: 'stored'; readonly draw?: BallDrawLayout }
  | { readonly storage: 'regenerated'; readonly draw: BallDrawLayout };

export const storedPoints: PointSource = { storage: 'stored' };

/** The POINTS override of the reading kernels (lib/ballPoints.wgsl). */
export function pointsOverride(source: PointSource): number {
  return source.storage === 'regenerated' ? 1 : 0;
}

/** Whether the boundary factor reads ‖x‖² from the draw (jetBoundary.wgsl DRAWN_NORMS). */
export function drawnNorms(source: PointSource): boolean {
  return source.draw !== undefined;
}

/** The uniforms' `pointSource: vec4<u32>` = (seed, stream, scalesAt, normsAt); zero without a draw. */
export function pointSourceWords(source: PointSource): [number, number, number, number] {
  const draw = source.draw;
  return draw ? [draw.seed, draw.stream, draw.scalesAt, draw.normsAt] : [0, 0, 0, 0];
}

/** Floats the buffer bound as the points must hold: N·d, or the partials up to the last norm. */
export function pointElements(source: PointSource, points: number, dimension: number): number {
  return source.storage === 'regenerated' ? source.draw.normsAt + points : points * dimension;
}
