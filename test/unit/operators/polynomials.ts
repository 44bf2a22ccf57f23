import { Jet } from '../../../src/jet/jet.ts';

/** c·Π x_i^{powers[i]}. */
export type Monomial = readonly [coefficient: number, ...powers: number[]];

/** A polynomial given by its monomials, along coordinate jets through src/jet's Jet arithmetic. */
export function polynomialAlongJet(terms: readonly Monomial[], coordinates: readonly Jet[]): Jet {
  const order = coordinates[0].order;
  return terms.reduce(
    (sum, [coefficient, ...powers]) => {
      const product = powers.reduce(
        (acc, p, i) => acc.mul(coordinates[i].pow(p)),
        Jet.constant(coefficient, order),
      );
      return sum.add(product);
    },
    Jet.constant(0, order),
  );
}
