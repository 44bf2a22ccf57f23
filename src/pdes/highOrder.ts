import type { Jet } from '../jet/jet.ts';
import { GKDV1D_OUTPUTS, gkdv1dOperator } from '../operators/gkdv1d.ts';
import { KDV2D_OUTPUTS, kdv2dOperator } from '../operators/kdv2d.ts';
import { KP2D_OUTPUTS, kp2dOperator } from '../operators/kp2d.ts';
import type { JetOperator } from '../operators/operator.ts';
import type { QuantityName, SpaceTimeVariable } from '../operators/partials.ts';
import { residualsOver, type ResidualTerm } from './residualTerms.ts';
import { type TravellingWave, waveJet, waveValue } from './travellingWave.ts';

/**
 * The high-order, low-dimensional problems of the STDE paper (2-D KdV, 2-D KP, 1-D g-KdV), each
 * with the jet construction that computes its partials (src/operators), residuals written in that
 * construction's outputs (the vocabulary of src/operators/partials.ts, checked by the compiler),
 * and a true exact solution with the initial and boundary data it implies. STDE's own "exact
 * solutions" for these equations (cosh t · Σ sinh x_i) do not solve them; ours do, so no source term
 * is needed (`exact.source` is null). Each solution is a travelling wave whose amplitude and
 * dispersion relation are derived below by substituting u = A·F(θ); the derivations were checked
 * symbolically (sympy: the residual simplifies to 0) and are checked numerically in
 * test/unit/pdes/highOrder.test.ts (residuals ≤ 1e-9 of their terms at random box points, through
 * the operators' float64 jets and through closed-form partials).
 */

export type HighOrderId = 'kdv-2d' | 'kp-2d' | 'gkdv-1d';

/** The exact solution u* of a problem. */
export interface HighOrderExact {
  /** Which solution, in words. */
  readonly title: string;
  readonly tex: string;
  /** u* is this travelling wave (its parameters, for closed-form partials). */
  readonly wave: TravellingWave;
  /** u*(point), the point in the problem's variable order. */
  value(point: ArrayLike<number>): number;
  /** u* of input coordinate jets (float64 Taylor arithmetic), in the problem's variable order. */
  jet(coordinates: readonly Jet[]): Jet;
  /** A manufactured source f (the residual equals f); null: u* solves the equation itself. */
  readonly source: ((point: ArrayLike<number>) => number) | null;
}

/** One face of the box: a variable at its low (0) or high (1) end. */
export interface BoxFace {
  readonly variable: SpaceTimeVariable;
  readonly side: 0 | 1;
}

/**
 * The data that constrain a problem, taken from u*: u on the initial face t = t₀ and on every
 * spatial face (both ends of x, and of y where the problem has it), all t. Since u* is a true
 * solution, the data are consistent with the equation, so prescribing u on all those faces
 * (more than the minimum a well-posed KdV needs, u_x at one end being the usual third condition) is
 * harmless; a trainer may use any subset. Both functions are pure and take points in the problem's
 * variable order; a point off the face (by more than FACE_TOLERANCE) is refused.
 */
export interface HighOrderData {
  /** The initial face first, then the spatial faces in variable order, low end before high. */
  readonly faces: readonly BoxFace[];
  /** u*(·, t₀) at a point whose t is t₀. */
  initial(point: ArrayLike<number>): number;
  /** u* at a point with some spatial coordinate at an end of its interval. */
  boundary(point: ArrayLike<number>): number;
}

/**
 * How the trainer imposes the data (src/train/boxProblemGraph.ts): soft, as a loss term
 * weight·mean (u − u*)² over data points drawn on the faces (the initial face and every spatial
 * face in turn), share·N of them beside N collocation points. Not swept: set once, and the
 * acceptance runs (test/acceptance/highOrder.test.ts) meet their bars with it.
 */
export const HIGH_ORDER_DATA_LOSS = { share: 0.5, weight: 10 } as const;

/** How far (absolute) a point may sit off a face and still be on it: float32-stored coordinates. */
export const FACE_TOLERANCE = 1e-6;

export interface HighOrderProblem {
  readonly id: HighOrderId;
  readonly title: string;
  readonly tex: string;
  /** The network's inputs, in order (time last). */
  readonly variables: readonly SpaceTimeVariable[];
  /** The sampling box [low, high] per variable; collocation points are uniform in it. */
  readonly box: Readonly<Partial<Record<SpaceTimeVariable, readonly [number, number]>>>;
  /** The jet construction whose outputs the residuals read (inputs in `variables` order). */
  operator(): JetOperator;
  /** Its output names, in its order. */
  readonly outputs: readonly QuantityName[];
  /** Loss = Σ weight·mean(r²) over these residuals. */
  readonly residuals: readonly ResidualTerm[];
  readonly exact: HighOrderExact;
  readonly data: HighOrderData;
}

/**
 * A problem whose residuals are typed by its operator's outputs Q: the operator must output Q and
 * every residual be built over Q (residualsOver), or the definition does not compile.
 */
function defineHighOrderProblem<Q extends QuantityName>(spec: {
  id: HighOrderId;
  title: string;
  tex: string;
  variables: readonly SpaceTimeVariable[];
  box: HighOrderProblem['box'];
  outputs: readonly Q[];
  operator: () => JetOperator<NoInfer<Q>>;
  residuals: readonly ResidualTerm<NoInfer<Q>>[];
  exact: { title: string; tex: string; wave: TravellingWave };
}): HighOrderProblem {
  const { variables, box, exact } = spec;
  const value = (point: ArrayLike<number>): number => waveValue(exact.wave, variables, point);
  return {
    ...spec,
    exact: {
      ...exact,
      value,
      jet: (coordinates) => waveJet(exact.wave, variables, coordinates),
      source: null,
    },
    data: dirichletData(variables, box, value),
  };
}

function dirichletData(
  variables: readonly SpaceTimeVariable[],
  box: HighOrderProblem['box'],
  value: (point: ArrayLike<number>) => number,
): HighOrderData {
  const interval = (v: SpaceTimeVariable): readonly [number, number] => {
    const range = box[v];
    if (!range) throw new RangeError(`the box has no interval for ${v}`);
    return range;
  };
  const spatial = variables.filter((v) => v !== 't');
  const faces: BoxFace[] = [
    { variable: 't', side: 0 },
    ...spatial.flatMap((variable) => [0, 1].map((side) => ({ variable, side: side as 0 | 1 }))),
  ];
  const onFace = (point: ArrayLike<number>, { variable, side }: BoxFace): boolean =>
    Math.abs(point[variables.indexOf(variable)] - interval(variable)[side]) <= FACE_TOLERANCE;
  const requireLength = (point: ArrayLike<number>): void => {
    if (point.length !== variables.length) {
      throw new RangeError(`a point has ${variables.length} coordinates (${variables.join(', ')})`);
    }
  };
  return {
    faces,
    initial(point) {
      requireLength(point);
      if (!onFace(point, faces[0])) {
        throw new RangeError(`an initial point has t = ${interval('t')[0]}`);
      }
      return value(point);
    },
    boundary(point) {
      requireLength(point);
      if (!faces.slice(1).some((face) => onFace(point, face))) {
        throw new RangeError('a boundary point has a spatial coordinate at an end of its interval');
      }
      return value(point);
    },
  };
}

/**
 * Our sampling boxes: the STDE paper times these problems without fixing a domain we could check,
 * so x, y ∈ [−1, 1], t ∈ [0, 1] (the classic domain of the 1-D KdV problem with δ² = 0.0025). Every
 * wave below has phase θ₀ = ω/2, so its crest (or kink) crosses the box centre at t = 1/2.
 */
const UNIT_BOX = { x: [-1, 1], y: [-1, 1], t: [0, 1] } as const;

/**
 * The 2-D KdV kink u = 2k·tanh θ, θ = kx + ly − ωt + ω/2, ω = (2l² − k² + 4k³l)/l. With G = F' for
 * u = F(θ) the residual is d/dθ[(2l² − k² − ωl)G + k³l G'' + 3k²l G²]; G = A sech²θ has
 * G'' = A(4 sech²θ − 6 sech⁴θ), so the sech⁴ terms vanish for A = 2k and the sech² terms for this ω.
 * (The equation is in potential form: u_x = 2k² sech²θ is a line soliton.)
 */
export function kdv2dWave(k: number, l: number): TravellingWave {
  const omega = (2 * l * l - k * k + 4 * k ** 3 * l) / l;
  return { amplitude: 2 * k, profile: 'tanh', wavenumber: { x: k, y: l }, omega, phase: omega / 2 };
}

/**
 * The KP-II line soliton u = 2k² sech²θ, θ = kx + ly − ωt + ω/2, ω = (3l² + 4k⁴)/k (the textbook
 * (K²/2) sech²((Kx + Ly − Ωt)/2) with K = 2k). The residual is d²/dθ²[(3l² − ωk)F + 3k²F² + k⁴F''],
 * zero for F = A sech²θ when A = 2k² (sech⁴ terms) and ω as above (sech² terms).
 */
export function kpLineSoliton(k: number, l: number): TravellingWave {
  const omega = (3 * l * l + 4 * k ** 4) / k;
  return {
    amplitude: 2 * k * k,
    profile: 'sech2',
    wavenumber: { x: k, y: l },
    omega,
    phase: omega / 2,
  };
}

/** The dispersion coefficient of the 1-D KdV problem (Zabusky–Kruskal's δ² = 0.0025). */
export const GKDV_DISPERSION = 0.0025;

/**
 * The KdV soliton u = 3c sech²(κ(x − ct − x₀)), κ = √c/(2δ), of u_t + u u_x + δ² u_xxx = 0: in
 * ξ = x − ct the equation integrates to −cF + F²/2 + δ²F'' = 0, and F = A sech²(κξ) satisfies it for
 * A = 12δ²κ² (sech⁴ terms) and κ² = c/(4δ²) (sech² terms), so A = 3c. x₀ = −c/2 centres it.
 */
export function kdvSoliton(c: number, dispersion = GKDV_DISPERSION): TravellingWave {
  const kappa = Math.sqrt(c / dispersion) / 2;
  const omega = kappa * c;
  return {
    amplitude: 3 * c,
    profile: 'sech2',
    wavenumber: { x: kappa, y: 0 },
    omega,
    phase: omega / 2,
  };
}

const kdv2dResidual = residualsOver(KDV2D_OUTPUTS);

/**
 * 2-D KdV, with (u_y u_x)_x expanded to u_xy u_x + u_y u_xx; u_ty + u_xxxy is one output of its
 * construction (kdv2d.ts). Exact: the kink of kdv2dWave at k = 1, l = 1/2, so
 * u = 2 tanh(x + y/2 − 3t + 3/2): ω = 3, values in ±2 tanh 3 ≈ ±1.99, the kink crossing the box.
 */
export const kdv2d: HighOrderProblem = defineHighOrderProblem({
  id: 'kdv-2d',
  title: '2-D KdV',
  tex: String.raw`u_{ty} + u_{xxxy} + 3(u_y u_x)_x - u_{xx} + 2u_{yy} = 0`,
  variables: ['x', 'y', 't'],
  box: UNIT_BOX,
  outputs: KDV2D_OUTPUTS,
  operator: () => kdv2dOperator(),
  residuals: [
    kdv2dResidual(
      {
        name: 'residual',
        tex: String.raw`(u_{ty} + u_{xxxy}) + 3(u_{xy} u_x + u_y u_{xx}) - u_{xx} + 2u_{yy}`,
        weight: 1,
        quantities: ['u_ty+u_xxxy', 'u_xy', 'u_x', 'u_y', 'u_xx', 'u_yy'],
      },
      (v) => v['u_ty+u_xxxy'] + 3 * (v.u_xy * v.u_x + v.u_y * v.u_xx) - v.u_xx + 2 * v.u_yy,
    ),
  ],
  exact: {
    title: 'kink (potential of a line soliton)',
    tex: String.raw`u = 2\tanh(x + y/2 - 3t + 3/2)`,
    wave: kdv2dWave(1, 1 / 2),
  },
});

const kp2dResidual = residualsOver(KP2D_OUTPUTS);

/**
 * 2-D Kadomtsev–Petviashvili, with (6u u_x)_x expanded to 6(u_x² + u u_xx); u_tx + u_xxxx is one
 * output of its construction (kp2d.ts). Exact: kpLineSoliton at k = 3/4, l = 1/2, so
 * u = (9/8) sech²(3x/4 + y/2 − 43t/16 + 43/32): ω = 43/16, crest 9/8, crossing the box diagonally.
 */
export const kp2d: HighOrderProblem = defineHighOrderProblem({
  id: 'kp-2d',
  title: '2-D Kadomtsev–Petviashvili',
  tex: String.raw`(u_t + 6u u_x + u_{xxx})_x + 3u_{yy} = 0`,
  variables: ['x', 'y', 't'],
  box: UNIT_BOX,
  outputs: KP2D_OUTPUTS,
  operator: () => kp2dOperator(),
  residuals: [
    kp2dResidual(
      {
        name: 'residual',
        tex: String.raw`(u_{tx} + u_{xxxx}) + 6(u_x^2 + u u_{xx}) + 3u_{yy}`,
        weight: 1,
        quantities: ['u_tx+u_xxxx', 'u', 'u_x', 'u_xx', 'u_yy'],
      },
      (v) => v['u_tx+u_xxxx'] + 6 * (v.u_x * v.u_x + v.u * v.u_xx) + 3 * v.u_yy,
    ),
  ],
  exact: {
    title: 'KP-II line soliton',
    tex: String.raw`u = \tfrac{9}{8}\operatorname{sech}^2(3x/4 + y/2 - 43t/16 + 43/32)`,
    wave: kpLineSoliton(3 / 4, 1 / 2),
  },
});

const gkdv1dResidual = residualsOver(GKDV1D_OUTPUTS);

/**
 * 1-D gradient-enhanced KdV (gPINN): the residual r = u_t + u u_x + δ² u_xxx and its derivatives
 * r_x and r_t are all driven to zero, which is what makes it a fourth-order (u_xxxx, u_txxx) problem.
 * The gradient terms get weight 1 (our choice), times the run's gpinnWeight (default 1 for this
 * problem, 0 drops them). Exact: kdvSoliton at c = 1/10, so
 * u = 0.3 sech²(√10 (x − t/10 + 1/20)): crest 0.3, half-width ≈ 0.28, moving from x = −1/20 to
 * 1/20; r, and with it r_x and r_t, vanish identically. Why not the classic crest-1 soliton
 * (c = 1/3, half-width 0.15): on it the trainer stalls at relative L2 0.48 after 400 steps (2 × 24,
 * 64 points; 0.43 with 256 points), where this one reaches 0.15, and 7.0e-2 after 800.
 */
export const gkdv1d: HighOrderProblem = defineHighOrderProblem({
  id: 'gkdv-1d',
  title: '1-D gradient-enhanced KdV',
  tex: String.raw`u_t + u u_x + 0.0025\, u_{xxx} = 0`,
  variables: ['x', 't'],
  box: { x: UNIT_BOX.x, t: UNIT_BOX.t },
  outputs: GKDV1D_OUTPUTS,
  operator: () => gkdv1dOperator(),
  residuals: [
    gkdv1dResidual(
      {
        name: 'residual',
        tex: String.raw`r = u_t + u u_x + 0.0025\, u_{xxx}`,
        weight: 1,
        quantities: ['u_t', 'u', 'u_x', 'u_xxx'],
      },
      (v) => v.u_t + v.u * v.u_x + GKDV_DISPERSION * v.u_xxx,
    ),
    gkdv1dResidual(
      {
        name: 'residual_x',
        tex: String.raw`r_x = u_{tx} + u_x^2 + u u_{xx} + 0.0025\, u_{xxxx}`,
        weight: 1,
        gradientEnhanced: true,
        quantities: ['u_tx', 'u_x', 'u', 'u_xx', 'u_xxxx'],
      },
      (v) => v.u_tx + v.u_x * v.u_x + v.u * v.u_xx + GKDV_DISPERSION * v.u_xxxx,
    ),
    gkdv1dResidual(
      {
        name: 'residual_t',
        tex: String.raw`r_t = u_{tt} + u_t u_x + u u_{tx} + 0.0025\, u_{txxx}`,
        weight: 1,
        gradientEnhanced: true,
        quantities: ['u_tt', 'u_t', 'u_x', 'u', 'u_tx', 'u_txxx'],
      },
      (v) => v.u_tt + v.u_t * v.u_x + v.u * v.u_tx + GKDV_DISPERSION * v.u_txxx,
    ),
  ],
  exact: {
    title: 'KdV soliton',
    tex: String.raw`u = 0.3\operatorname{sech}^2\!\big(\sqrt{10}\,(x - t/10 + 1/20)\big)`,
    wave: kdvSoliton(1 / 10),
  },
});

export const HIGH_ORDER_PROBLEMS: readonly HighOrderProblem[] = [kdv2d, kp2d, gkdv1d];

/** The union of the operator outputs a problem's residuals read, in order of first use. */
export function requiredQuantities(problem: HighOrderProblem): QuantityName[] {
  const seen = new Set<QuantityName>();
  for (const term of problem.residuals) for (const q of term.quantities) seen.add(q);
  return [...seen];
}
