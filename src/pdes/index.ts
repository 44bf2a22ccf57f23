import type { BoundaryFactor } from '../jet/mlp.ts';
import type { QuantityName } from '../operators/partials.ts';
import {
  BALL_NONLINEARITIES,
  type BallNonlinearity,
  type BallNonlinearityId,
} from './ballProblem.ts';
import type { BallSolution } from './ballSolution.ts';
import { clampedSinCos } from './clampedSinCos.ts';
import { drawCoefficients } from './coefficients.ts';
import { HIGH_ORDER_PROBLEMS, type HighOrderProblem, requiredQuantities } from './highOrder.ts';
import { PARABOLIC_HORIZON, PARABOLIC_PROBLEMS, type ParabolicProblem } from './parabolic.ts';
import { PARABOLIC_REFERENCES, type ParabolicReference } from './parabolicReference.ts';
import {
  BALL_SAMPLERS,
  type BallSamplerId,
  type BoxSampler,
  type BrownianSampler,
} from './samplers.ts';
import { TEST_SET_SIZE } from './testSet.ts';
import { DIAGONAL_ORDERS, sinChain } from './sinChain.ts';
import { threeBody } from './threeBody.ts';
import { twoBody } from './twoBody.ts';

/**
 * The PDE zoo (DESIGN.md §4): every problem the trainer, the CLI and the dashboard can pick, with what
 * each needs from the rest of the engine (operator, boundary factor, sampler) and what it provides
 * (exact solution and source, terminal data, or residual formulas).
 */

export type PdeDomain = 'ball' | 'spacetime' | 'box';

/** What the operator code must estimate: Δu, Δ²u, Σ_i ∂_i^k u, or a list of named mixed partials. */
export type PdeOperatorKind = 'laplacian' | 'biharmonic' | 'diagonal' | 'mixed-partials';

/** How a trained network is scored. */
export type PdeMetric = 'relative-l2-l1' | 'point-relative-error' | 'none';

interface PdeEntryBase {
  readonly id: string;
  readonly title: string;
  /** TeX of the equation with its boundary or terminal condition. */
  readonly tex: string;
  readonly domain: PdeDomain;
  readonly operator: PdeOperatorKind;
  /** The hard factor the network carries. */
  readonly boundary: BoundaryFactor;
  /** Spatial dimension d offered first (the network input is d, or d + 1 with time). */
  readonly defaultDimension: number;
  readonly minDimension: number;
  /** Points in the fixed test set (evaluated in batches, evaluationBatchSize); 0 without one. */
  readonly testSetSize: number;
  readonly metric: PdeMetric;
}

/** L u = L₀u + N(u) = f in the unit ball, u* known, f = L u*. */
export interface BallPdeEntry extends PdeEntryBase {
  readonly domain: 'ball';
  readonly operator: 'laplacian' | 'biharmonic' | 'diagonal';
  readonly solution: BallSolution;
  readonly nonlinearity: BallNonlinearity;
  /** Sampler for residual and test points; the first is the default. */
  readonly samplers: readonly BallSamplerId[];
  /** The c_i of u*, drawn from the problem seed. */
  coefficients(d: number, seed: number): Float64Array;
}

/** u_t + Δu + N(u) = 0 on R^d × [0, T], u(·, T) = g, scored at (0, 0). */
export interface ParabolicPdeEntry extends PdeEntryBase {
  readonly domain: 'spacetime';
  readonly operator: 'laplacian';
  readonly problem: ParabolicProblem;
  readonly reference: ParabolicReference;
  readonly sampler: BrownianSampler;
}

/** Low-dimensional high-order problems given as residuals of named operator outputs. */
export interface HighOrderPdeEntry extends PdeEntryBase {
  readonly domain: 'box';
  readonly operator: 'mixed-partials';
  readonly problem: HighOrderProblem;
  /** The operator outputs its residuals read (src/operators/partials.ts). */
  readonly quantities: readonly QuantityName[];
  readonly sampler: BoxSampler;
}

export type PdeEntry = BallPdeEntry | ParabolicPdeEntry | HighOrderPdeEntry;

const OPERATOR_TITLES: Record<BallNonlinearityId, string> = {
  none: 'Poisson',
  'allen-cahn': 'Allen–Cahn',
  'sine-gordon': 'sine-Gordon',
};

const OPERATOR_IDS: Record<BallNonlinearityId, string> = {
  none: 'poisson',
  'allen-cahn': 'allen-cahn',
  'sine-gordon': 'sine-gordon',
};

/** The id and title of a ball problem, and the TeX of its operator and boundary condition. */
function ballNames(
  solution: BallSolution,
  nonlinearityId: BallNonlinearityId,
): { id: string; title: string; operatorTex: string; boundaryTex: string } {
  const onSphere = String.raw`\text{ on } \partial B^d`;
  switch (solution.operator) {
    case 'laplacian':
      return {
        id: `${OPERATOR_IDS[nonlinearityId]}-${solution.id}`,
        title: `${OPERATOR_TITLES[nonlinearityId]}, ${solution.title}`,
        operatorTex: String.raw`\Delta u`,
        boundaryTex: `u = 0 ${onSphere}`,
      };
    case 'biharmonic':
      return {
        id: `biharmonic-${solution.id}`,
        title: `biharmonic, ${solution.title}`,
        operatorTex: String.raw`\Delta^2 u`,
        boundaryTex: String.raw`u = \partial_n u = 0 ${onSphere}`,
      };
    case 'diagonal': {
      const k = solution.derivativeOrder;
      const m = k / 2;
      const normal =
        m === 1
          ? 'u = 0'
          : m === 2
            ? String.raw`u = \partial_n u = 0`
            : String.raw`u = \partial_n u = \dots = \partial_n^{${m - 1}} u = 0`;
      return {
        id: `diagonal-order-${k}`,
        title: `diagonal order ${k}, ${solution.title}`,
        operatorTex: String.raw`\sum_{i=1}^{d} \frac{\partial^{${k}} u}{\partial x_i^{${k}}}`,
        boundaryTex: `${normal} ${onSphere}`,
      };
    }
  }
}

function ballEntry(
  solution: BallSolution,
  nonlinearityId: BallNonlinearityId,
  defaultDimension: number,
): BallPdeEntry {
  const nonlinearity = BALL_NONLINEARITIES[nonlinearityId];
  const { id, title, operatorTex, boundaryTex } = ballNames(solution, nonlinearityId);
  return {
    id,
    title,
    tex: `${operatorTex} ${nonlinearity.tex} = f \\text{ in } B^d, \\quad ${boundaryTex}; \\quad ${solution.tex}`,
    domain: 'ball',
    operator: solution.operator,
    boundary: solution.boundary,
    defaultDimension,
    minDimension: solution.minDimension,
    testSetSize: TEST_SET_SIZE,
    metric: 'relative-l2-l1',
    solution,
    nonlinearity,
    samplers: BALL_SAMPLERS,
    coefficients: (d, seed) => drawCoefficients(seed, solution.coefficientCount(d)),
  };
}

function parabolicEntry(problem: ParabolicProblem): ParabolicPdeEntry {
  return {
    id: problem.id,
    title: problem.title,
    tex: `${problem.tex}, \\quad ${problem.terminalTex}`,
    domain: 'spacetime',
    operator: 'laplacian',
    boundary: 'none',
    defaultDimension: 10,
    minDimension: 1,
    testSetSize: 0,
    metric: 'point-relative-error',
    problem,
    reference: PARABOLIC_REFERENCES[problem.id],
    sampler: { kind: 'brownian', horizon: PARABOLIC_HORIZON, diffusion: 2 },
  };
}

function highOrderEntry(problem: HighOrderProblem): HighOrderPdeEntry {
  const spatial = problem.variables.filter((v) => v !== 't').length;
  return {
    id: problem.id,
    title: problem.title,
    tex: problem.tex,
    domain: 'box',
    operator: 'mixed-partials',
    boundary: 'none',
    defaultDimension: spatial,
    minDimension: spatial,
    testSetSize: TEST_SET_SIZE,
    metric: 'relative-l2-l1',
    problem,
    quantities: requiredQuantities(problem),
    sampler: { kind: 'box-uniform' },
  };
}

export const PDES: readonly PdeEntry[] = [
  ...(['none', 'allen-cahn', 'sine-gordon'] as const).flatMap((n) => [
    ballEntry(twoBody, n, 100),
    ballEntry(threeBody, n, 100),
  ]),
  ballEntry(clampedSinCos, 'none', 10),
  ...DIAGONAL_ORDERS.map((k) => ballEntry(sinChain(k), 'none', 5)),
  ...PARABOLIC_PROBLEMS.map(parabolicEntry),
  ...HIGH_ORDER_PROBLEMS.map(highOrderEntry),
];

export function findPde(id: string): PdeEntry {
  const entry = PDES.find((p) => p.id === id);
  if (!entry) {
    throw new RangeError(`unknown PDE '${id}'; known: ${PDES.map((p) => p.id).join(', ')}`);
  }
  return entry;
}

/** Network input width at spatial dimension d: d, plus one for time where the problem has it. */
export function inputWidth(entry: PdeEntry, d: number): number {
  switch (entry.domain) {
    case 'ball':
      return d;
    case 'spacetime':
      return d + 1;
    case 'box':
      return entry.problem.variables.length;
  }
}
