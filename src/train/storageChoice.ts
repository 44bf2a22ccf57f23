/**
 * What a run stores that its kernels can redraw where they read it instead (options.ts
 * pointStorage: the collocation points; tangentStorage: dense input tangents), chosen so that the
 * run fits: as given where that fits, else the first of those regenerated (one, then both) that
 * does. Regenerated values are the stored ones' bits, so the choice changes a run's memory and
 * speed, never its numbers: a page can make it from the device it has and a link still
 * reproduces the run. Pure.
 */
import { resolveTrainingOptions, type TrainingOptions, TrainingOptionsError } from './options.ts';

/** The options that say where a run's redrawable buffers live, in the order they are tried. */
export const STORAGE_FIELDS = ['pointStorage', 'tangentStorage'] as const;
export type StorageField = (typeof STORAGE_FIELDS)[number];

/** What a storage holds and the CLI's flag for it. */
export interface StorageName {
  readonly what: string;
  readonly flag: string;
}

/** How refusals and the page name each storage. */
export const STORAGE_NAMES: Record<StorageField, StorageName> = {
  pointStorage: { what: 'collocation points', flag: '--point-storage' },
  tangentStorage: { what: 'dense input tangents', flag: '--tangent-storage' },
};

export interface StorageChoice {
  /** The options as given, or with some storage regenerated. */
  readonly options: TrainingOptions;
  /** The storage options changed, in STORAGE_FIELDS order; empty where none was. */
  readonly regenerated: readonly StorageField[];
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
 * A redraw only drops a buffer (its N·d or N·R·K·d floats), so whatever storageToFit can make
 * fit, these options fit: a search for the largest d that fits checks them alone instead of
 * every variant.
 */
export function leastStorage(options: TrainingOptions): TrainingOptions {
  return STORAGE_FIELDS.reduce((o, field) => regenerated(o, field) ?? o, options);
}

/**
 * `options` where `fits` holds for them (or nothing makes it hold); else `options` with the first
 * storage of STORAGE_FIELDS regenerated that the run takes and that fits, else with all of them
 * (a dense run past d ≈ 10⁶ needs its points and its tangents redrawn).
 */
export function storageToFit(
  options: TrainingOptions,
  fits: (candidate: TrainingOptions) => boolean,
): StorageChoice {
  if (fits(options)) return { options, regenerated: [] };
  const stored = STORAGE_FIELDS.filter((field) => options[field] !== 'regenerated');
  const tries = [...stored.map((field) => [field]), ...(stored.length > 1 ? [stored] : [])];
  for (const fields of tries) {
    const candidate = fields.reduce<TrainingOptions | null>(
      (o, field) => (o === null ? null : regenerated(o, field)),
      options,
    );
    if (candidate && fits(candidate)) return { options: candidate, regenerated: fields };
  }
  return { options, regenerated: [] };
}
