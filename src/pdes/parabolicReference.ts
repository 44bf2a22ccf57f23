import type { ParabolicId } from './parabolic.ts';

/**
 * Reference values of u(x = 0, t = 0) for the parabolic problems (DESIGN.md §4), the numbers PINN
 * errors are measured against. Values are stored exactly as printed there.
 */
export interface ParabolicReference {
  readonly dimensions: readonly number[];
  readonly values: readonly number[];
  /** 'dimension': the reference is d × value (the scaled sine-Gordon form, u = d·w). */
  readonly scale: 'one' | 'dimension';
  /** True until the values are checked another way than the STDE code. */
  readonly provisional: boolean;
}

export const REFERENCE_DIMENSIONS = [10, 100, 1000, 10000] as const;

export const PARABOLIC_REFERENCES: Readonly<Record<ParabolicId, ParabolicReference>> = {
  'semilinear-heat': {
    dimensions: REFERENCE_DIMENSIONS,
    values: [0.47006, 0.31674, 0.28753, 0.28433],
    scale: 'one',
    provisional: false,
  },
  'allen-cahn-parabolic': {
    dimensions: REFERENCE_DIMENSIONS,
    values: [0.8906, 1.0451, 1.091, 1.11402],
    scale: 'one',
    provisional: false,
  },
  'sine-gordon-parabolic': {
    dimensions: REFERENCE_DIMENSIONS,
    values: [0.322947, 0.0528368, 0.0055896, 0.0005621],
    scale: 'dimension',
    provisional: true,
  },
};

/** The reference u(0, 0) at dimension d, or undefined where none is tabulated. */
export function parabolicReferenceValue(id: ParabolicId, d: number): number | undefined {
  const table = PARABOLIC_REFERENCES[id];
  const index = table.dimensions.indexOf(d);
  if (index < 0) return undefined;
  const value = table.values[index];
  return table.scale === 'dimension' ? d * value : value;
}
