import { Jet } from '../../../src/jet/jet.ts';
import type { SeededRandom } from '../../../src/jet/seededRandom.ts';

/** c·Π x_i^{powers[i]} */
export interface Monomial {
  coefficient: number;
  powers: readonly number[];
}

/**
 * A multivariate polynomial whose partial derivatives are taken symbolically, monomial by monomial: a
 * reference for jet identities that shares no code with the Taylor-mode machinery.
 */
export class Polynomial {
  readonly dimension: number;
  readonly terms: readonly Monomial[];

  constructor(dimension: number, terms: readonly Monomial[]) {
    this.dimension = dimension;
    this.terms = terms;
  }

  /** Every monomial of total degree ≤ degree, with coefficients uniform on (−1, 1). */
  static dense(dimension: number, degree: number, random: SeededRandom): Polynomial {
    const terms: Monomial[] = [];
    const visit = (prefix: number[], remaining: number): void => {
      if (prefix.length === dimension) {
        terms.push({ coefficient: random.uniformIn(-1, 1), powers: prefix });
        return;
      }
      for (let p = 0; p <= remaining; p++) visit([...prefix, p], remaining - p);
    };
    visit([], degree);
    return new Polynomial(dimension, terms);
  }

  evaluate(x: readonly number[]): number {
    return this.terms.reduce(
      (sum, { coefficient, powers }) =>
        sum + coefficient * powers.reduce((prod, p, i) => prod * x[i] ** p, 1),
      0,
    );
  }

  /** ∂/∂x_{indices[0]} ∂/∂x_{indices[1]} …, e.g. partial(0, 0, 1) = u_xxy. */
  partial(...indices: number[]): Polynomial {
    let terms = this.terms;
    for (const i of indices) {
      terms = terms
        .filter(({ powers }) => powers[i] > 0)
        .map(({ coefficient, powers }) => ({
          coefficient: coefficient * powers[i],
          powers: powers.map((p, j) => (j === i ? p - 1 : p)),
        }));
    }
    return new Polynomial(this.dimension, terms);
  }

  /** The output jet of this polynomial along coordinate jets, through the Jet arithmetic. */
  alongJet(coordinates: readonly Jet[]): Jet {
    const order = coordinates[0].order;
    return this.terms.reduce(
      (sum, { coefficient, powers }) =>
        sum.add(
          powers.reduce(
            (prod, p, i) => prod.mul(coordinates[i].pow(p)),
            Jet.constant(coefficient, order),
          ),
        ),
      Jet.constant(0, order),
    );
  }
}
