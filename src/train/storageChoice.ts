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

/** `options` with `field` regenerated, or null where the run does not take that (options.ts). */
function regenerated(options: TrainingOptions, field: StorageField): TrainingOptions | null {
  try {
    return resolveTrainingOptions({ ...options, [field]: 'regenerated' });
  } catch (error) {
    if (error instanceof TrainingOptionsError) return null;
    throw error;
  }
}

/**
 * `options` with every storage the run takes regenerated: the least memory the run can take.
 * A redraw only drops a buffer (its N·d or N·R·K·d floats) and no run takes both, so whatever
 * storageToFit can make fit, these options fit: a search for the largest d that fits checks
 * them alone instead of every variant.
 */
export function leastStorage(options: TrainingOptions): TrainingOptions {
  return STORAGE_FIELDS.reduce((o, field) => regenerated(o, field) ?? o, options);
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
    const candidate = regenerated(options, field);
    if (candidate && fits(candidate)) return { options: candidate, regenerated: field };
  }
  return { options, regenerated: null };
}
