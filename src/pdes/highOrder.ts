import {
  defineResidual,
  type PartialName,
  type ResidualTerm,
  type SpaceTimeVariable,
} from './partials.ts';

/**
 * The high-order, low-dimensional speed problems of the STDE paper. They have no closed-form
 * solutions: they exist to time high-order jets, so they come with residuals and a sampling box but no
 * exact solution, boundary or initial data (a residual-only loss is what is timed).
 */

export type HighOrderId = 'kdv-2d' | 'kp-2d' | 'gkdv-1d';

export interface HighOrderProblem {
  readonly id: HighOrderId;
  readonly title: string;
  readonly tex: string;
  /** The network's inputs, in order (time last). */
  readonly variables: readonly SpaceTimeVariable[];
  /** The sampling box [low, high] per variable; collocation points are uniform in it. */
  readonly box: Readonly<Partial<Record<SpaceTimeVariable, readonly [number, number]>>>;
  /** Loss = Σ weight·mean(r²) over these residuals. */
  readonly residuals: readonly ResidualTerm[];
}

/** The union of the partials a problem's residuals read, in order of first use. */
export function requiredPartials(problem: HighOrderProblem): PartialName[] {
  const seen = new Set<PartialName>();
  for (const term of problem.residuals) for (const p of term.partials) seen.add(p);
  return [...seen];
}

/** The dispersion coefficient of the 1-D KdV problem (Zabusky–Kruskal's δ² = 0.0025). */
export const GKDV_DISPERSION = 0.0025;

/**
 * Our sampling boxes: the STDE paper times these problems without fixing a domain we could check,
 * so x, y ∈ [−1, 1], t ∈ [0, 1] (the classic domain of the 1-D KdV problem with δ² = 0.0025).
 */
const UNIT_BOX = { x: [-1, 1], y: [-1, 1], t: [0, 1] } as const;

/** 2-D KdV, with (u_y u_x)_x expanded to u_xy u_x + u_y u_xx. */
export const kdv2d: HighOrderProblem = {
  id: 'kdv-2d',
  title: '2-D KdV',
  tex: String.raw`u_{ty} + u_{xxxy} + 3(u_y u_x)_x - u_{xx} + 2u_{yy} = 0`,
  variables: ['x', 'y', 't'],
  box: UNIT_BOX,
  residuals: [
    defineResidual(
      {
        name: 'residual',
        tex: String.raw`u_{ty} + u_{xxxy} + 3(u_{xy} u_x + u_y u_{xx}) - u_{xx} + 2u_{yy}`,
        weight: 1,
        partials: ['u_ty', 'u_xxxy', 'u_xy', 'u_x', 'u_y', 'u_xx', 'u_yy'],
      },
      (v) => v.u_ty + v.u_xxxy + 3 * (v.u_xy * v.u_x + v.u_y * v.u_xx) - v.u_xx + 2 * v.u_yy,
    ),
  ],
};

/** 2-D Kadomtsev–Petviashvili, with (6u u_x)_x expanded to 6(u_x² + u u_xx). */
export const kp2d: HighOrderProblem = {
  id: 'kp-2d',
  title: '2-D Kadomtsev–Petviashvili',
  tex: String.raw`(u_t + 6u u_x + u_{xxx})_x + 3u_{yy} = 0`,
  variables: ['x', 'y', 't'],
  box: UNIT_BOX,
  residuals: [
    defineResidual(
      {
        name: 'residual',
        tex: String.raw`u_{tx} + 6(u_x^2 + u u_{xx}) + u_{xxxx} + 3u_{yy}`,
        weight: 1,
        partials: ['u_tx', 'u', 'u_x', 'u_xx', 'u_xxxx', 'u_yy'],
      },
      (v) => v.u_tx + 6 * (v.u_x * v.u_x + v.u * v.u_xx) + v.u_xxxx + 3 * v.u_yy,
    ),
  ],
};

/**
 * 1-D gradient-enhanced KdV (gPINN): the residual r = u_t + u u_x + δ² u_xxx and its derivatives
 * r_x and r_t are all driven to zero, which is what makes it a fourth-order (u_xxxx, u_txxx) problem.
 * The gradient terms get weight 1 (our choice; for timing, the weights do not matter).
 */
export const gkdv1d: HighOrderProblem = {
  id: 'gkdv-1d',
  title: '1-D gradient-enhanced KdV',
  tex: String.raw`u_t + u u_x + 0.0025\, u_{xxx} = 0`,
  variables: ['x', 't'],
  box: { x: UNIT_BOX.x, t: UNIT_BOX.t },
  residuals: [
    defineResidual(
      {
        name: 'residual',
        tex: String.raw`r = u_t + u u_x + 0.0025\, u_{xxx}`,
        weight: 1,
        partials: ['u_t', 'u', 'u_x', 'u_xxx'],
      },
      (v) => v.u_t + v.u * v.u_x + GKDV_DISPERSION * v.u_xxx,
    ),
    defineResidual(
      {
        name: 'residual_x',
        tex: String.raw`r_x = u_{tx} + u_x^2 + u u_{xx} + 0.0025\, u_{xxxx}`,
        weight: 1,
        partials: ['u_tx', 'u_x', 'u', 'u_xx', 'u_xxxx'],
      },
      (v) => v.u_tx + v.u_x * v.u_x + v.u * v.u_xx + GKDV_DISPERSION * v.u_xxxx,
    ),
    defineResidual(
      {
        name: 'residual_t',
        tex: String.raw`r_t = u_{tt} + u_t u_x + u u_{tx} + 0.0025\, u_{txxx}`,
        weight: 1,
        partials: ['u_tt', 'u_t', 'u_x', 'u', 'u_tx', 'u_txxx'],
      },
      (v) => v.u_tt + v.u_t * v.u_x + v.u * v.u_tx + GKDV_DISPERSION * v.u_txxx,
    ),
  ],
};

export const HIGH_ORDER_PROBLEMS: readonly HighOrderProblem[] = [kdv2d, kp2d, gkdv1d];
