/**
 * What a run stores that its kernels can redraw where they read it instead (options.ts
 * pointStorage: the collocation points; tangentStorage: dense input tangents), chosen so that the
 * run fits: as given where that fits, else the first of those regenerated that does. Regenerated
 * values are the stored ones' bits, so the choice changes a run's memory and speed, never its
 * numbers: a page can make it from the device it has and a link still reproduces the run. Pure.
 */
import { resolveTrainingOptions, type TrainingOptions, TrainingOptionsError } from './options.ts';

/** The options that say where a run's redrawable buffers live, in the order they are tried. */
export const STORAGE_FIELDS = ['pointStorage', 'tangentStorage'] as const;
export type StorageField = (typeof STORAGE_FIELDS)[number];

export interface StorageChoice {
  /** The options as given, or with one storage regenerated. */
  readonly options: TrainingOptions;
  /** The storage option changed, or null where none was. */
  readonly regenerated: StorageField | null;
}

/**
 * `options` where `fits` holds for them (or nothing makes it hold); else `options` with the first
 * storage of STORAGE_FIELDS regenerated that the run takes (a point redraw needs one-hot jets, a
 * tangent redraw dense ones, so no run takes both) and that fits.
 */
export function storageToFit(
  options: TrainingOptions,
  fits: (candidate: TrainingOptions) => boolean,
): StorageChoice {
  if (fits(options)) return { options, regenerated: null };
  for (const field of STORAGE_FIELDS) {
    if (options[field] === 'regenerated') continue;
    let candidate: TrainingOptions;
    try {
      candidate = resolveTrainingOptions({ ...options, [field]: 'regenerated' });
    } catch (error) {
      if (error instanceof TrainingOptionsError) continue;
      throw error;
    }
    if (fits(candidate)) return { options: candidate, regenerated: field };
  }
  return { options, regenerated: null };
}
